"""Intervals for accuracies of several seeds measured on the same test images.

When every seed of a model is attacked on the same images, the seeds' robust
sets overlap (chapter 1's agree on 96-97% of the images), so their counts
are not independent trials: pooling them as one binomial count of
``seeds x images`` understates the width. The two-way bootstrap resamples
both sources of variation at once: the images with replacement (the same
draw for every seed, which keeps their agreement) and the seeds with
replacement, and reads the mean accuracy of each resample (a crossed
random-effects bootstrap; it slightly overstates the width, since it counts
the seed-by-image interaction twice, which errs on the safe side).
"""

from __future__ import annotations

import numpy as np

#: Resamples of the two-way bootstrap (percentile intervals at 95%).
RESAMPLES = 4000


def draw_images_and_seeds(generator: np.random.Generator, seeds: int, images: int) -> tuple[np.ndarray, np.ndarray]:
    """One two-way resample: seed indices and image indices, each with replacement."""
    return generator.integers(0, seeds, seeds), generator.integers(0, images, images)


def image_seed_interval(masks, resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean accuracy over seeds, from per-example
    results ``masks`` (``[seeds, images]``, true where the example counts as
    correct), resampling images and seeds (see the module's docstring). One
    seed resamples images only."""
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 2 or 0 in masks.shape:
        raise ValueError(f"image_seed_interval: masks must be [seeds, images] and non-empty, got shape {masks.shape}")
    generator = np.random.default_rng(seed)
    seeds, images = masks.shape
    means = np.empty(resamples)
    for k in range(resamples):
        chosen_seeds, chosen_images = draw_images_and_seeds(generator, seeds, images)
        means[k] = masks[np.ix_(chosen_seeds, chosen_images)].mean()
    alpha = 1 - level
    low, high = np.percentile(means, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)
