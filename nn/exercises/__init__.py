"""The lessons' exercises, checked: one module per lesson, each check saying what is right.

Every lesson in notebooks/ ends with a few exercises; each is checked by a call from
here, which returns a :class:`Feedback`: ``right: ...``, ``not yet: ...`` (with what is
right and what is off: which input, expected against given, which factor or step), or
``not done yet: ...`` (with a hint) while the exercise still holds its placeholder.
A notebook copied anywhere checks the same, as long as scalarflow is installed.
Worked solutions are in the repository, in notebooks/solutions/.

>>> from nn.exercises import lesson3
>>> lesson3.check_step(..., ...)
not done yet: write slope (dL/dw at w = 1.0) and w_new (one step with lr = 0.05)
"""

from . import lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7, lesson8, lesson9
from .feedback import Feedback

__all__ = [
    "Feedback",
    "lesson1",
    "lesson2",
    "lesson3",
    "lesson4",
    "lesson5",
    "lesson6",
    "lesson7",
    "lesson8",
    "lesson9",
]
