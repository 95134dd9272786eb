"""The compute-optimal view of GPT-3's budget: a fitted loss law
``L(N, D) = E + A / N**alpha + B / D**beta`` (N parameters, D training
tokens) and its optimum under the budget ``C = 6 N D`` FLOPs.

Two fits of the same law:

- Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models",
  arXiv 2203.15556), eq. 10 in Appendix D.2: E = 1.69, A = 406.4,
  B = 410.7, alpha = 0.34, beta = 0.28 (point estimates).
- Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt",
  arXiv 2404.10102), their refit of Hoffmann's third approach, with
  standard errors: E 1.8172 (0.03), A 482.01 (124.58), B 2085.43
  (1293.23), alpha 0.3478 (0.02), beta 0.3658 (0.02). Retrieved as quoted
  in two independent notes on the paper, not from the paper's own table;
  the estimates' correlations were not retrieved, so ``refit_draws`` draws
  them independently and the intervals it gives are wider than the fit's
  own (A and alpha, B and beta trade off against each other).

The law predicts loss (nats per token on Hoffmann's data), not benchmark
accuracy; the chapter says so where the two meet.

The law is additive in N and D, so the loss a decade of parameters buys
does not depend on the tokens: ``L(N1, D) - L(N2, D) = A (N1**-alpha -
N2**-alpha)`` for every D. A bend that a fixed data budget puts into the
gains of larger models needs a law that is not additive, such as Kaplan et
al. 2020's ``L(N, D) = [(N_c / N)**(alpha_N / alpha_D) + D_c / D]**alpha_D``
("Scaling Laws for Neural Language Models", arXiv 2001.08361, Sec. 4 and
Table 2: alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13; N counts
non-embedding parameters and D tokens of WebText2, so on GPT-3's numbers
the law is an illustration, not a prediction). ``loss_gain`` compares the
two.
"""

from __future__ import annotations

import numpy as np

HOFFMANN_2022 = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
HOFFMANN_SOURCE = "Hoffmann et al. 2022, eq. 10 (App. D.2)"
BESIROGLU_2024 = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
BESIROGLU_2024_SE = {"E": 0.03, "A": 124.58, "B": 1293.23, "alpha": 0.02, "beta": 0.02}
BESIROGLU_SOURCE = "Besiroglu et al. 2024, Table 1 (standard errors; quoted, not read off the paper)"
#: FLOPs per parameter per training token (forward and backward), as in
#: both papers' budget C = 6 N D.
FLOPS_PER_PARAM_TOKEN = 6.0
#: Tokens per parameter of a compute-optimal model by Hoffmann et al.'s
#: first approach (Table 3: 1B parameters with 20.2B tokens, 10B with
#: 205.1B, 175B with 3.7T), the ratio Besiroglu et al.'s refit agrees with.
TOKENS_PER_PARAM_APPROACH_1 = 20.0
TOKENS_PER_PARAM_SOURCE = "Hoffmann et al. 2022, Table 3"
KAPLAN_2020 = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}
KAPLAN_SOURCE = "Kaplan et al. 2020, Sec. 4, Table 2"


def _check(constants: dict) -> None:
    missing = {"E", "A", "B", "alpha", "beta"} - set(constants)
    if missing:
        raise ValueError(f"loss-law constants lack {sorted(missing)}")


def loss(constants: dict, params, tokens):
    """``E + A / N**alpha + B / D**beta`` (broadcasts over arrays, and over
    arrays of constants for draws)."""
    _check(constants)
    params = np.asarray(params, dtype=float)
    tokens = np.asarray(tokens, dtype=float)
    if (params <= 0).any() or (tokens <= 0).any():
        raise ValueError("params and tokens must be positive")
    c = {k: np.asarray(v, dtype=float) for k, v in constants.items()}
    return c["E"] + c["A"] / params ** c["alpha"] + c["B"] / tokens ** c["beta"]


def kaplan_loss(constants: dict, params, tokens):
    """Kaplan et al. 2020's ``[(N_c / N)**(alpha_N / alpha_D) + D_c / D]**alpha_D``
    (tokens may be inf: the unlimited-data limit)."""
    missing = {"N_c", "D_c", "alpha_N", "alpha_D"} - set(constants)
    if missing:
        raise ValueError(f"Kaplan constants lack {sorted(missing)}")
    params = np.asarray(params, dtype=float)
    tokens = np.asarray(tokens, dtype=float)
    if (params <= 0).any() or (tokens <= 0).any():
        raise ValueError("params and tokens must be positive")
    c = constants
    return ((c["N_c"] / params) ** (c["alpha_N"] / c["alpha_D"]) + c["D_c"] / tokens) ** c["alpha_D"]


def loss_gain(params_from: float, params_to: float, tokens: float) -> dict:
    """The loss that going from ``params_from`` to ``params_to`` parameters
    buys, on ``tokens`` tokens and with unlimited tokens, under Hoffmann et
    al.'s additive law and Kaplan et al.'s non-additive one: ``{law:
    {"at_tokens", "unlimited", "share"}}``, share = at_tokens / unlimited
    (exactly 1 for the additive law, whatever the tokens)."""
    laws = {
        "hoffmann": lambda n, d: loss(HOFFMANN_2022, n, d),
        "kaplan": lambda n, d: kaplan_loss(KAPLAN_2020, n, d),
    }
    out = {}
    for name, law in laws.items():
        at_tokens = float(law(params_from, tokens) - law(params_to, tokens))
        unlimited = float(law(params_from, np.inf) - law(params_to, np.inf))
        out[name] = {"at_tokens": at_tokens, "unlimited": unlimited, "share": at_tokens / unlimited}
    return out


def optimal_split(constants: dict, compute):
    """(N*, D*) minimising the loss under ``compute = 6 N D``: with
    ``G = (alpha A / (beta B)) ** (1 / (alpha + beta))``,
    ``N* = G (C / 6) ** (beta / (alpha + beta))`` and ``D* = C / (6 N*)``
    (Hoffmann et al. 2022, eq. 4)."""
    _check(constants)
    compute = np.asarray(compute, dtype=float)
    if (compute <= 0).any():
        raise ValueError("compute must be positive")
    c = {k: np.asarray(v, dtype=float) for k, v in constants.items()}
    g = (c["alpha"] * c["A"] / (c["beta"] * c["B"])) ** (1.0 / (c["alpha"] + c["beta"]))
    params = g * (compute / FLOPS_PER_PARAM_TOKEN) ** (c["beta"] / (c["alpha"] + c["beta"]))
    return params, compute / (FLOPS_PER_PARAM_TOKEN * params)


def compute_for_optimal_params(constants: dict, params):
    """The budget at which ``params`` is the compute-optimal size (the
    inverse of ``optimal_split``'s N*)."""
    _check(constants)
    params = np.asarray(params, dtype=float)
    c = {k: np.asarray(v, dtype=float) for k, v in constants.items()}
    g = (c["alpha"] * c["A"] / (c["beta"] * c["B"])) ** (1.0 / (c["alpha"] + c["beta"]))
    return FLOPS_PER_PARAM_TOKEN * (params / g) ** ((c["alpha"] + c["beta"]) / c["beta"])


def refit_draws(n: int = 20000, seed: int = 0) -> dict:
    """``n`` draws of Besiroglu et al.'s constants from independent normals
    with their standard errors, each truncated to positive values (a
    negative A or B would be no loss law). Independent, because the
    covariance was not retrieved: see the module docstring."""
    if n < 1:
        raise ValueError("n must be at least 1")
    generator = np.random.default_rng(seed)
    draws = {}
    for name, mean in BESIROGLU_2024.items():
        values = generator.normal(mean, BESIROGLU_2024_SE[name], n)
        while (bad := values <= 0).any():  # redraw the few non-positive values
            values[bad] = generator.normal(mean, BESIROGLU_2024_SE[name], int(bad.sum()))
        draws[name] = values
    return draws


def budget_view(constants: dict, params: float, tokens: float, scale: float = 1000.0) -> dict:
    """What one law says about a budget of ``params`` x ``tokens``: its loss;
    the compute-optimal split of the same FLOPs and that loss; and for
    ``scale`` times the parameters: the loss on the same tokens, the tokens
    (and FLOPs) at which that size is compute-optimal, and that loss. Values
    are arrays when ``constants`` holds draws."""
    compute = FLOPS_PER_PARAM_TOKEN * params * tokens
    optimal_params, optimal_tokens = optimal_split(constants, compute)
    big = scale * params
    big_compute = compute_for_optimal_params(constants, big)
    big_tokens = big_compute / (FLOPS_PER_PARAM_TOKEN * big)
    return {
        "compute": compute,
        "loss": loss(constants, params, tokens),
        "optimal_params": optimal_params,
        "optimal_tokens": optimal_tokens,
        "optimal_loss": loss(constants, optimal_params, optimal_tokens),
        "scaled_params": big,
        "scaled_loss_same_tokens": loss(constants, big, tokens),
        "data_floor": np.asarray(constants["E"], dtype=float)
        + np.asarray(constants["B"], dtype=float) / tokens ** np.asarray(constants["beta"], dtype=float),
        "scaled_optimal_tokens": big_tokens,
        "scaled_optimal_compute": big_compute,
        "scaled_optimal_loss": loss(constants, big, big_tokens),
    }
