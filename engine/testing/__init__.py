"""The checks of derivatives: ``gradcheck`` against finite differences (gradcheck.py),
``opcheck``, an op's own derivative against them (opcheck.py, what ``define_op`` runs),
and Hypothesis strategies that draw random expressions inside every op's domain
(strategies.py, imported as ``engine.strategies``; it needs hypothesis, so it is not
imported here).
"""

from .gradcheck import GradcheckReport, GradcheckRow, gradcheck, gradgradcheck
from .opcheck import OpcheckReport, OpcheckRow, opcheck

__all__ = [
    "gradcheck",
    "gradgradcheck",
    "GradcheckReport",
    "GradcheckRow",
    "opcheck",
    "OpcheckReport",
    "OpcheckRow",
]
