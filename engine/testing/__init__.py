"""The checks of derivatives: ``gradcheck`` against finite differences (gradcheck.py), and
Hypothesis strategies that draw random expressions inside every op's domain
(strategies.py, imported as ``engine.strategies``; it needs hypothesis, so it is not
imported here).
"""

from .gradcheck import GradcheckReport, GradcheckRow, gradcheck, gradgradcheck

__all__ = ["gradcheck", "gradgradcheck", "GradcheckReport", "GradcheckRow"]
