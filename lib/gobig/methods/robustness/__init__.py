"""Adversarial robustness of image classifiers: the model families (``models``),
natural and adversarial training (``train``), attacks (``attacks``), Lipschitz
estimates (``lipschitz``), and several models of one architecture run as one (``stacking``)."""
