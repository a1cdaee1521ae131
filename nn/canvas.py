"""matplotlib, imported only when something is drawn: pyplot, and a figure with axes to draw in.

Shared by ``nn.plot`` (training) and ``nn.plot_images`` (images, confusion matrix, weights),
so ``import nn`` never loads matplotlib and a missing one says what to install.
"""

from __future__ import annotations

__all__ = ["pyplot", "figure_and_axes"]


def pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nn.plot needs matplotlib: pip install matplotlib (or scalarflow[plot])"
        ) from None
    return plt


def figure_and_axes(ax, figsize):
    """``(figure, ax)``: a new figure of ``figsize`` inches when ``ax`` is None, else ax's own."""
    if ax is None:
        return pyplot().subplots(figsize=figsize)
    return ax.figure, ax
