"""csro: Context Shift Reduction for Offline Meta-RL (Gao et al., NeurIPS 2023)."""

__version__ = "0.1.0"
