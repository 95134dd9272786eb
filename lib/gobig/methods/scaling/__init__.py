"""How a quantity changes with model size: straight-line fits of accuracy against
log10 parameters (``fitting``), the Chinchilla loss law (``chinchilla``), the
capacity curve as a logistic fit (``capacity``), the universal law of robustness (``law``)."""
