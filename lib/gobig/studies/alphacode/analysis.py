"""Tests between splits (exact and randomization), the direction/magnitude
verdict rule, the gap decomposition (why a random split's rate is not the
paper's 4.1%), and the paired memorization test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig.methods.stats import passk
from gobig.studies.alphacode.frames import curve_record, nearest_frame, split_records, splits_frame
from gobig.studies.alphacode.params import ALPHA, LEVEL, PAPER

# ---- tests between splits, and the verdict rule ---------------------------------


def split_tests(frame: pd.DataFrame, main: str = "temporal") -> pd.DataFrame:
    """One-sided exact (Fisher) tests on the baseline's solved counts: each
    random split against the main temporal split (the paper's comparison),
    and each random split against the twin-aware split of the same seed
    (the mechanism: the same draw, twins kept together)."""
    rows = []
    temporal = frame[frame["split"] == main].iloc[0]
    for _, r in frame[frame["kind"] == "random"].iterrows():
        rows.append(
            {
                "comparison": f"{r['split']} > {main}",
                "seed": r["seed"],
                "a": f"{r['baseline_solved']}/{r['trusted_valid']}",
                "b": f"{temporal['baseline_solved']}/{temporal['trusted_valid']}",
                "p_value": passk.fisher_greater(
                    int(r["baseline_solved"]),
                    int(r["trusted_valid"]),
                    int(temporal["baseline_solved"]),
                    int(temporal["trusted_valid"]),
                ),
            }
        )
        aware = frame[(frame["kind"] == "twin-aware") & (frame["seed"] == r["seed"])]
        if len(aware):
            a = aware.iloc[0]
            rows.append(
                {
                    "comparison": f"{r['split']} > {a['split']}",
                    "seed": r["seed"],
                    "a": f"{r['baseline_solved']}/{r['trusted_valid']}",
                    "b": f"{a['baseline_solved']}/{a['trusted_valid']}",
                    "p_value": passk.fisher_greater(
                        int(r["baseline_solved"]),
                        int(r["trusted_valid"]),
                        int(a["baseline_solved"]),
                        int(a["trusted_valid"]),
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["comparison", "seed", "a", "b", "p_value"])


def randomization_test(records: list, draws: int = 10_000, seed: int = 0) -> dict:
    """How unusual is the temporal split's baseline rate among random splits
    of the same size? Redraws ``draws`` uniform validation sets from the
    pool and reads each one's baseline off the recorded pass matrix (trusted
    problems only, as in the records). One-sided p-value: the share of draws
    whose rate is at most the temporal split's, with the usual +1 (exact for
    a randomization test)."""
    curve = curve_record(records)
    frame = splits_frame(records)
    temporal = frame[frame["split"] == "temporal"].iloc[0]
    passes = {k: set(v) for k, v in curve.passes.items()}
    keys = sorted(passes)
    trusted = [k for k in keys if k in passes[k]]
    size = curve.valid_size
    rng = np.random.default_rng(seed)
    observed = temporal["baseline_solved"] / temporal["trusted_valid"]
    rates = np.empty(draws)
    for i in range(draws):
        valid = set(rng.choice(len(keys), size=size, replace=False).tolist())
        valid_keys = {keys[j] for j in valid}
        judged = [k for k in trusted if k in valid_keys]
        solved = sum(bool(passes[k] - valid_keys) for k in judged)
        rates[i] = solved / len(judged) if judged else np.nan
    rates = rates[np.isfinite(rates)]
    return {
        "draws": len(rates),
        "observed": 100 * observed,
        "mean": 100 * float(rates.mean()),
        "low": 100 * float(np.quantile(rates, 0.025)),
        "high": 100 * float(np.quantile(rates, 0.975)),
        "at_or_below": int((rates <= observed).sum()),
        "p_value": float((1 + (rates <= observed).sum()) / (1 + len(rates))),
        "share_at_or_above_paper": float((rates >= PAPER[("baseline", "random")] / 100).mean()),
    }


def direction_magnitude_verdict(
    frame: pd.DataFrame,
    solved: str,
    judged: str,
    paper_random: float,
    paper_temporal: float,
    main: str = "temporal",
    p_value: float | None = None,
    test: str = "one-sided Fisher",
) -> tuple[str, str]:
    """The verdict rule, in the shared vocabulary.

    Direction: every random split solves more than the main temporal split,
    each with a one-sided Fisher p-value below ALPHA. Magnitude: the paper's
    random-split rate lies inside every random split's 95% Clopper–Pearson
    interval and its temporal rate inside the temporal split's.
    supported = both; partly = direction only (the why says so);
    inconclusive = neither side solves anything, or the direction holds
    without significance; not supported = some random split solves no more
    than the temporal one."""
    temporal = frame[frame["split"] == main].iloc[0]
    random = frame[frame["kind"] == "random"]
    t_k, t_n = int(temporal[solved]), int(temporal[judged])
    ks, ns = random[solved].astype(int).to_numpy(), random[judged].astype(int).to_numpy()
    if t_k == 0 and (ks == 0).all():
        return "inconclusive", "nothing is solved on either kind of split, so they cannot be told apart at this scale"
    rates = ks / np.maximum(ns, 1)
    if (rates <= t_k / max(t_n, 1)).any():
        return "not supported", f"some random split solves no larger share than the temporal split ({t_k}/{t_n})"
    p_max = (
        p_value if p_value is not None else max(passk.fisher_greater(int(k), int(n), t_k, t_n) for k, n in zip(ks, ns))
    )
    if p_max >= ALPHA:
        return "inconclusive", f"higher on every random split, but not significantly ({test} p = {p_max:.3f} ≥ {ALPHA})"
    inside_random = all(
        passk.clopper_pearson(int(k), int(n))[0] <= paper_random / 100 <= passk.clopper_pearson(int(k), int(n))[1]
        for k, n in zip(ks, ns)
    )
    inside_temporal = passk.clopper_pearson(t_k, t_n)[0] <= paper_temporal / 100 <= passk.clopper_pearson(t_k, t_n)[1]
    direction = f"direction supported: every random split solves more than the temporal split ({t_k}/{t_n}), {test} p = {p_max:.2g}"
    if inside_random and inside_temporal:
        return (
            "supported",
            f"{direction}; magnitude supported: {paper_random:g}% and {paper_temporal:g}% lie inside the 95% intervals",
        )
    outside = [
        f"{100 * k / n:.1f}% [{100 * passk.clopper_pearson(int(k), int(n))[0]:.1f}, {100 * passk.clopper_pearson(int(k), int(n))[1]:.1f}]"
        for k, n in zip(ks, ns)
    ]
    return (
        "partly",
        f"{direction}; magnitude not supported: the random splits' rates {', '.join(outside)} do not all contain the paper's {paper_random:g}%"
        + ("" if inside_temporal else f", nor the temporal interval its {paper_temporal:g}%"),
    )


# ---- why our random-split rate is not 4.1% --------------------------------------


def gap_frame(records: list) -> dict:
    """The random-split rate decomposed, measured on the random splits:
    rate = s * a + (1 - s) * b, with s the share of judged validation
    problems whose twin is in training, a the solve rate of those, b the
    solve rate of the others. With validation fraction f, a problem with a
    twin has that twin in training with probability about 1 - f (not "much
    less likely" in a larger pool): s is about (1 - f) times the pool's
    share of problems that have a twin. The paper's 4.1% then needs
    s = (4.1% - b) / (a - b) if a and b carried over: the twin share it
    implies, against ours. Returns the numbers (counts, not percents, where
    a count is meant)."""
    rows = nearest_frame(records)
    random = rows[(rows["kind"] == "random") & rows["trusted"]]
    twin = random[random["twin_in_train"]]
    other = random[~random["twin_in_train"]]
    a_k, a_n = int(twin["baseline_solved_by"].notna().sum()), len(twin)
    b_k, b_n = int(other["baseline_solved_by"].notna().sum()), len(other)
    first = split_records(records)[0]
    pool = first.split.pool
    in_groups = sum(len(g) for g in first.twin_groups)
    has_twin = random[random["has_twin"]]
    f = len(first.split.valid) / pool
    paper = PAPER[("baseline", "random")] / 100
    a, b = a_k / max(a_n, 1), b_k / max(b_n, 1)
    implied = (paper - b) / (a - b) if a > b else float("nan")
    return {
        "valid_fraction": f,
        "pool": pool,
        "with_twin": in_groups,
        "twin_share_pool": in_groups / pool,
        "twin_in_train_given_twin": (int(has_twin["twin_in_train"].sum()), len(has_twin)),
        "s": (a_n, a_n + b_n),
        "a": (a_k, a_n),
        "b": (b_k, b_n),
        "implied_s": implied,
        # Were the pool a uniform sample of n problems from CodeContests' 13,328, a
        # problem's twin would be in it with probability (n - 1) / 13,327.
        "uniform_sample_twin_chance": (pool - 1) / (PAPER_TRAIN_PROBLEMS - 1),
    }


#: CodeContests' training problems (Table 1 of the paper, via REFERENCES.md; checked there).
PAPER_TRAIN_PROBLEMS = 13_328


# ---- the memorization test ---------------------------------------------------


def memorization_frame(records: list) -> pd.DataFrame:
    """Per validation problem, paired: its loss under the model fine-tuned
    on a random split, and under the model fine-tuned on the same split with
    the training copies of separated twins removed. ``leaked``: its twin was
    in the first model's training data. difference = without - with (> 0:
    the twin made the solution easier to predict)."""
    by_name = {r.name: r for r in split_records(records)}
    rows = []
    for name, record in by_name.items():
        if record.kind != "random-untwinned":
            continue
        base = by_name.get(name.removesuffix("-untwinned"))
        if base is None or not base.model:
            continue
        with_twin = base.model.valid_loss_per_problem
        without = record.model.valid_loss_per_problem
        crossing = base.crossing()
        for key in sorted(set(with_twin) & set(without)):
            rows.append(
                {
                    "split": base.name,
                    "problem": key,
                    "leaked": key in crossing,
                    "loss_with": with_twin[key],
                    "loss_without": without[key],
                    "difference": without[key] - with_twin[key],
                }
            )
    return pd.DataFrame(rows, columns=["split", "problem", "leaked", "loss_with", "loss_without", "difference"])


def memorization_summary(records: list, level: float = LEVEL, draws: int = 10_000) -> pd.DataFrame:
    """Mean paired difference with a percentile bootstrap interval over
    problems, and an exact two-sided sign test, for leaked problems and for
    the others (the control: the same models, no twin involved); plus each
    model's training and validation loss (memorized when training loss is
    well below validation loss)."""
    from scipy import stats

    frame = memorization_frame(records)
    rows = []
    for leaked, group in frame.groupby("leaked", sort=False):
        values = group["difference"].to_numpy()
        mean, low, high = passk.solve_rate_interval(values, draws=draws, level=level)
        positive = int((values > 0).sum())
        p = float(stats.binomtest(positive, len(values), 0.5).pvalue) if len(values) else float("nan")
        rows.append(
            {
                "problems": "twin was in training" if leaked else "no twin in training",
                "n": len(values),
                "mean_difference": mean,
                "low": low,
                "high": high,
                "positive": positive,
                "sign_test_p": p,
            }
        )
    return (
        pd.DataFrame(rows, columns=["problems", "n", "mean_difference", "low", "high", "positive", "sign_test_p"])
        .sort_values("problems", ascending=False)
        .reset_index(drop=True)
    )


def losses_frame(records: list) -> pd.DataFrame:
    """Training and validation loss of every fine-tuned model."""
    rows = []
    for record in split_records(records):
        model = record.model
        if model:
            rows.append(
                {
                    "split": record.name,
                    "role": record.role,
                    "train_loss": model.train_loss,
                    "valid_loss": model.valid_loss,
                    "valid_loss_before": model.valid_loss_before,
                    "steps": record.config.model.finetune_steps,
                }
            )
    return pd.DataFrame(rows)
