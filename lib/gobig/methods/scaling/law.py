"""The universal law of robustness as small pure functions.

Bubeck & Sellke, "A Universal Law of Robustness via Isoperimetry",
NeurIPS 2021 (arXiv 2105.12806), Theorem 1 (informal): a model with ``p``
parameters that fits ``n`` noisy points in dimension ``d`` below the noise
level has Lipschitz constant at least on the order of ``sqrt(n * d / p)``.
Constants and log factors (their Theorem 3) are dropped, as in the paper's
own MNIST and ImageNet arithmetic.
"""

from __future__ import annotations

import math

#: MNIST training set size and input dimension (Bubeck & Sellke, Sec. 1.1).
MNIST_N = 60_000
MNIST_D = 28 * 28


def lipschitz_lower_bound(num_params: float, n: float = MNIST_N, d: float = MNIST_D) -> float:
    """Smallest Lipschitz constant the law allows: ``sqrt(n * d / p)``."""
    if num_params <= 0 or n <= 0 or d <= 0:
        raise ValueError("num_params, n and d must be positive")
    return math.sqrt(n * d / num_params)


def params_for_lipschitz(target_lipschitz: float, n: float = MNIST_N, d: float = MNIST_D) -> float:
    """Parameters the law requires for a given Lipschitz constant:
    ``p >= n * d / L**2`` (``L = 1`` gives the smooth-interpolation count
    ``n * d``)."""
    if target_lipschitz <= 0:
        raise ValueError("target_lipschitz must be positive")
    return n * d / target_lipschitz**2


def smooth_interpolation_params(n: float, d: float) -> float:
    """Parameters for O(1)-Lipschitz interpolation of ``n`` points in
    dimension ``d``: ``n * d`` (the law with ``L = 1``)."""
    return params_for_lipschitz(1.0, n, d)


def params_equal_equations(n: float, outputs_per_example: float = 1) -> float:
    """The classical count "parameters = equations": one equation per
    training output, so ``n * outputs_per_example`` parameters suffice to
    interpolate (Bubeck & Sellke's "mere interpolation", ``p ~ n``)."""
    if n <= 0 or outputs_per_example <= 0:
        raise ValueError("n and outputs_per_example must be positive")
    return n * outputs_per_example


#: The blog's own inputs for the MNIST arithmetic ("Go big or go home for
#: robust DNNs"): n ~ 1e4 examples, an image space of ~1e5, or an
#: effective dimension of ~1e3.
BLOG_MNIST_N = 1e4
BLOG_MNIST_D = 1e5
BLOG_MNIST_EFFECTIVE_D = 1e3
#: Bubeck & Sellke's effective-dimension range for MNIST (Sec. 1.1).
MNIST_EFFECTIVE_D_RANGE = (15, 150)


def rescale_lipschitz(lipschitz: float, input_norm: float, output_bound: float) -> float:
    """A Lipschitz constant measured in raw units (pixels in [0, 1], outputs
    such as logit margins) in the units the law is stated in. Bubeck &
    Sellke's Theorem 1 takes labels in [-1, 1] (its proof clips every
    function to that range) and inputs whose distribution satisfies
    c-isoperimetry (their Definition 1.1, ``P[|f(x) - E f| >= t] <= 2
    exp(-d t^2 / (2 c L^2))`` with the dimension d in the exponent), whose
    examples with c = O(1) are N(0, I_d / d) and the uniform distribution on
    the unit sphere: inputs of norm about 1. Dividing inputs by
    ``input_norm`` and outputs by ``output_bound`` multiplies the constant
    by ``input_norm / output_bound``; the records of the cpu60k profile hold
    both scales (the training images' mean l2 norm and the margins' largest
    absolute value). The O(1) constant c, and the formal Theorem 3's factor
    epsilon / (2^9 sqrt(c)) and logarithms, are dropped, as in the law."""
    if input_norm <= 0 or output_bound <= 0:
        raise ValueError("input_norm and output_bound must be positive")
    return lipschitz * input_norm / output_bound
