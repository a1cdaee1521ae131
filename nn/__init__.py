"""scalarflow's neural-network API (neurons, layers, losses, optimizers, training)."""

__all__: list[str] = []
