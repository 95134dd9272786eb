"""Estimators with their uncertainty: exact Clopper-Pearson intervals (``intervals``), pass@k and n@k (``passk``), the two-way bootstrap over images and seeds (``resampling``)."""
