"""Chapter 3's tables: split rates with exact intervals, solve rate against k,
nearest neighbours, exclusions, the date curve and its bins. Each takes the
records as stored or typed (``alphacode.views``) and reads them typed."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from gobig.methods.stats import passk
from gobig.studies.alphacode.params import KINDS, LEVEL
from gobig.studies.alphacode.views import BaselineCost, CurveRecord, SplitRecord, typed_records

# ---- tables for the chapter ---------------------------------------------------


def split_records(records: list) -> list[SplitRecord]:
    """The records of splits (not the date curve), typed, in table order
    (kinds as in KINDS, then seed), whatever order they were loaded in."""
    order = list(KINDS)
    chosen = [r for r in typed_records(records) if isinstance(r, SplitRecord)]
    return sorted(chosen, key=lambda r: (order.index(r.kind), r.split.seed or 0))


def curve_record(records: list) -> CurveRecord | None:
    """The date curve's record, typed (None when the records hold none)."""
    return next((r for r in typed_records(records) if isinstance(r, CurveRecord)), None)


def _rate(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float, float]:
    """Percent, with its exact (Clopper–Pearson) interval."""
    if trials == 0:
        return (float("nan"),) * 3
    low, high = passk.clopper_pearson(successes, trials, level)
    return 100 * successes / trials, 100 * low, 100 * high


def splits_frame(records: list, leak_threshold: float | None = None) -> pd.DataFrame:
    """One row per split: sizes, twins across the split, near-duplicate
    share and baseline solve rate (percent, 95% Clopper–Pearson intervals),
    and the model's numbers where the split has a model."""
    rows = []
    for record in split_records(records):
        threshold = leak_threshold or record.config.splits.leak_threshold
        nearest = record.nearest
        solved = sum(b.solved for b in record.baseline)
        judged = len(record.baseline)
        near = sum(n.statement_similarity >= threshold for n in nearest)
        base, base_lo, base_hi = _rate(solved, judged)
        share, share_lo, share_hi = _rate(near, len(nearest))
        model = record.model
        row = {
            "split": record.name,
            "kind": record.kind,
            "variant": KINDS[record.kind],
            "seed": record.split.seed,
            "train": len(record.split.train),
            "valid": len(record.split.valid),
            "crossing_twins": len(record.crossing_twin_groups),
            "near_duplicates": int(near),
            "near_duplicate_share": share,
            "near_duplicate_low": share_lo,
            "near_duplicate_high": share_hi,
            "trusted_valid": judged,
            "baseline_solved": int(solved),
            "baseline_rate": base,
            "baseline_low": base_lo,
            "baseline_high": base_hi,
            "role": record.role or "",
            "train_loss": model.train_loss if model else float("nan"),
            "valid_loss": model.valid_loss if model else float("nan"),
            "model_solved": float("nan"),
            "model_rate": float("nan"),
            "model_low": float("nan"),
            "model_high": float("nan"),
            "model_pass_at_k": float("nan"),
            "device": record.device_name,
        }
        if record.sampled:
            # 1@k per problem is 0 or 1 when k equals the samples drawn only if
            # one submission is chosen among those passing the public tests; its
            # mean is a rate of problems, the interval exact on the problems
            # with any correct sample (a lower-bound count).
            rates = _per_problem_n_at_k(record, n=1, k=record.config.model.samples_per_problem)
            pass_k = _per_problem_pass_at_k(record, record.config.model.samples_per_problem)
            any_correct = int(sum(o.correct > 0 for o in model.outcomes.values()))
            _, low, high = _rate(any_correct, len(rates))
            row.update(
                model_solved=any_correct,
                model_rate=100 * float(rates.mean()) if len(rates) else float("nan"),
                model_low=low,
                model_high=high,
                model_pass_at_k=100 * float(np.mean(pass_k)) if len(pass_k) else float("nan"),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _per_problem_n_at_k(record: SplitRecord, n: int, k: int) -> np.ndarray:
    outcomes = record.model.outcomes
    return np.array([passk.n_at_k(o.samples, o.public_passing, o.correct, n, k) for o in outcomes.values()])


def _per_problem_pass_at_k(record: SplitRecord, k: int) -> np.ndarray:
    outcomes = record.model.outcomes
    return np.array([passk.pass_at_k(o.samples, o.correct, k) for o in outcomes.values()])


def sampled_records(records: list) -> list[SplitRecord]:
    """Split records with a model that sampled programs."""
    return [r for r in split_records(records) if r.sampled]


#: The columns of ``samples_frame``: counts of samples, summed over a split's judged problems.
SAMPLE_COUNTS = ["samples", "cut_off", "syntax_ok", "unique", "public_passing", "correct"]


def samples_frame(records: list) -> pd.DataFrame:
    """Per sampled split, its samples' outcomes summed over its judged
    problems, and the shares (percent of samples) that were cut off at
    MAX_NEW_TOKENS, that parse, and that pass the public tests."""
    outcomes = pd.DataFrame(
        [
            {"split": r.name, **asdict(o), "cut_off": (r.model.cut_off or {}).get(key, 0)}
            for r in sampled_records(records)
            for key, o in r.model.outcomes.items()
        ],
        columns=["split", *SAMPLE_COUNTS],
    )
    frame = outcomes.groupby("split", sort=False)[SAMPLE_COUNTS].sum().reset_index()
    for column, share in (
        ("cut_off", "cut_off_share"),
        ("syntax_ok", "parse_share"),
        ("public_passing", "public_share"),
    ):
        frame[share] = 100 * frame[column] / frame["samples"].clip(lower=1)
    return frame


def model_frame(records: list) -> pd.DataFrame:
    """One row per split whose model sampled: its losses and epochs, and the
    problems it solves (a correct sample among its K: pass@K), with the
    exact 95% interval, how many of them have their twin in training, and
    their names."""
    rows = []
    for record in sampled_records(records):
        model = record.model
        solved = sorted((k for k, o in model.outcomes.items() if o.correct > 0), key=_contest_order)
        crossing = record.crossing()
        rate, low, high = _rate(len(solved), len(model.outcomes))
        rows.append(
            {
                "split": record.name,
                "kind": record.kind,
                "seed": record.split.seed,
                "train_loss": model.train_loss,
                "valid_loss": model.valid_loss,
                "epochs": model.epochs,
                "judged": len(model.outcomes),
                "solved": len(solved),
                "rate": rate,
                "low": low,
                "high": high,
                "solved_twin_in_train": sum(k in crossing for k in solved),
                "solved_problems": ", ".join(solved),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "split",
            "kind",
            "seed",
            "train_loss",
            "valid_loss",
            "epochs",
            "judged",
            "solved",
            "rate",
            "low",
            "high",
            "solved_twin_in_train",
            "solved_problems",
        ],
    )


def model_solves(records: list) -> pd.DataFrame:
    """Every problem a model solves: on which split, how many of its samples
    are correct, whether its twin was in the split's training data (and
    fine-tuned on), and which training problem's stored solution passes its
    tests (the baseline's solver, for comparison)."""
    rows = []
    for record in sampled_records(records):
        twins = {k: sorted(set(g) - {k}) for g in record.twin_groups for k in g}
        train = set(record.split.train)
        dropped = set(record.model.train_dropped)
        by_baseline = {b.valid: b.solved_by for b in record.baseline}
        for key, outcome in sorted(record.model.outcomes.items(), key=lambda item: _contest_order(item[0])):
            if outcome.correct == 0:
                continue
            in_train = [t for t in twins.get(key, []) if t in train]
            rows.append(
                {
                    "split": record.name,
                    "problem": key,
                    "correct samples": f"{outcome.correct}/{outcome.samples}",
                    "twin in training": ", ".join(in_train) or "none",
                    "twin fine-tuned on": bool([t for t in in_train if t not in dropped]),
                    "baseline solver": ", ".join(by_baseline.get(key, ())) or "none",
                }
            )
    return pd.DataFrame(
        rows,
        columns=["split", "problem", "correct samples", "twin in training", "twin fine-tuned on", "baseline solver"],
    )


def token_coverage(records: list) -> dict:
    """What the context and the generation length hold, over the pool's
    problems (a census, not an estimate): solutions that fit in
    MAX_NEW_TOKENS with their end token, statements cut to the prompt's
    budget, and the lengths' quantiles (tokens of the model's tokenizer)."""
    record = next((r for r in split_records(records) if r.model), None)
    if record is None:
        return {}
    spec = record.config.model
    lengths = record.model.token_lengths
    solutions = np.array([s for _, s in lengths.values() if s is not None])
    statements = np.array([t for t, _ in lengths.values()])
    budget = spec.context - spec.max_new_tokens - 2
    fitting = int((solutions + 1 <= spec.max_new_tokens).sum())
    return {
        "context": spec.context,
        "max_new_tokens": spec.max_new_tokens,
        "statement_budget": budget,
        "solutions": len(solutions),
        "solutions_fitting": fitting,
        "solution_coverage": 100 * fitting / max(1, len(solutions)),
        "solution_median": float(np.median(solutions)),
        "solution_q95": float(np.quantile(solutions, 0.95)),
        "solution_max": int(solutions.max()),
        "statements": len(statements),
        "statements_cut": int((statements > budget).sum()),
        "statement_median": float(np.median(statements)),
    }


def solve_rate_vs_k(records: list, submissions: list[int] | None = None) -> pd.DataFrame:
    """n@k and pass@k for k = 1, 2, 4, ... K, per split with samples (percent)."""
    rows = []
    for record in sampled_records(records):
        K = record.config.model.samples_per_problem
        ks = sorted({2**i for i in range(int(np.log2(K)) + 1)} | {K})
        for n in submissions or record.config.model.submissions:
            for k in ks:
                rate = _per_problem_n_at_k(record, min(n, k), k)
                rows.append(
                    {
                        "split": record.name,
                        "kind": record.kind,
                        "metric": f"{n}@k",
                        "k": k,
                        "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan"),
                    }
                )
        for k in ks:
            rate = _per_problem_pass_at_k(record, k)
            rows.append(
                {
                    "split": record.name,
                    "kind": record.kind,
                    "metric": "pass@k",
                    "k": k,
                    "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def nearest_frame(records: list) -> pd.DataFrame:
    """Every validation problem's nearest training problem, per split."""
    rows = []
    for record in split_records(records):
        solved_by = {b.valid: (b.solved_by[0] if b.solved_by else None) for b in record.baseline}
        crossing = record.crossing()
        twins = {k for g in record.twin_groups for k in g}
        losses = record.model.valid_loss_per_problem if record.model else {}
        for n in record.nearest:
            rows.append(
                {
                    "split": record.name,
                    "kind": record.kind,
                    **asdict(n),
                    "has_twin": n.valid in twins,
                    "twin_in_train": n.valid in crossing,
                    "trusted": record.trust[n.valid].trusted,
                    "baseline_solved_by": solved_by.get(n.valid),
                    "valid_loss": losses.get(n.valid),
                }
            )
    return pd.DataFrame(rows)


def crossing_frame(records: list, kinds: tuple[str, ...] = ("temporal", "temporal-cut", "random")) -> pd.DataFrame:
    """The twin pairs that a split puts on both sides, and what happened to them."""
    rows = []
    for record in split_records(records):
        if record.kind not in kinds:
            continue
        valid = set(record.split.valid)
        solved_by = {b.valid: b.solved_by for b in record.baseline}
        for group in record.crossing_twin_groups:
            for key in sorted(set(group) & valid):
                rows.append(
                    {
                        "split": record.name,
                        "validation problem": key,
                        "twin in training": ", ".join(sorted(set(group) - valid)),
                        "trusted": record.trust[key].trusted,
                        "solved by baseline": bool(solved_by.get(key)),
                    }
                )
    return pd.DataFrame(
        rows, columns=["split", "validation problem", "twin in training", "trusted", "solved by baseline"]
    )


def exclusions_frame(records: list) -> pd.DataFrame:
    """Problems of the pool that no solve rate counts, and why (the judge
    trusts a problem when its own solution passes all its tests)."""
    rows, seen = [], set()
    for record in split_records(records):
        for key, trust in record.trust.items():
            if not trust.trusted and key not in seen:
                seen.add(key)
                rows.append({"problem": key, "reason": trust.reason})
    return (
        pd.DataFrame(rows, columns=["problem", "reason"])
        .sort_values("problem", key=lambda s: s.map(_contest_order))
        .reset_index(drop=True)
    )


def _contest_order(key: str) -> tuple[int, str]:
    contest, index = key.split("_", 1)
    return int(contest), index


def baseline_cost(records: list) -> BaselineCost:
    """The full baseline's cost, as the pass matrix recorded it."""
    return split_records(records)[0].baseline_cost


# ---- the date curve -------------------------------------------------------------


def curve_frame(records: list) -> pd.DataFrame:
    """The date curve's per-problem rows (pool and out-of-period)."""
    record = curve_record(records)
    if record is None:
        return pd.DataFrame()
    rows = list(record.rows)
    if record.out_of_period:
        rows += record.out_of_period.rows
    return pd.DataFrame([row.to_dict() for row in rows])


def curve_bins(records: list) -> pd.DataFrame:
    """The date curve binned by contest id: equal-count bins of the pool,
    split at the cutoff so no bin straddles it, and the out-of-period
    problems as their own bin. Near-duplicate share and baseline solve rate
    with 95% Clopper–Pearson intervals."""
    record = curve_record(records)
    frame = curve_frame(records)
    if frame.empty:
        return frame
    bins = record.config.date_bins
    cutoff = record.cutoff
    pool = frame[frame["side"] != "out of period"].copy()
    before = pool[pool["contest_id"] < cutoff]
    after = pool[pool["contest_id"] >= cutoff]
    n_after = max(1, round(bins * len(after) / len(pool)))
    labels = []
    for part, count, name in ((before, bins - n_after, "before cutoff"), (after, n_after, "after cutoff")):
        order = part.sort_values("contest_id")
        for i, chunk in enumerate(np.array_split(order.index.to_numpy(), max(1, count))):
            labels += [(idx, name, i) for idx in chunk]
    pool["period"] = pd.Series({idx: name for idx, name, _ in labels})
    pool["bin"] = pd.Series({idx: f"{name}-{i}" for idx, name, i in labels})
    # Out of period: the later problems published after every problem of the pool.
    later = frame[(frame["side"] == "out of period") & (frame["contest_id"] > pool["contest_id"].max())].copy()
    later["period"], later["bin"] = "out of period", "out of period"
    rows = []
    for (period, _bin_name), group in pd.concat([pool, later]).groupby(["period", "bin"], sort=False):
        judged = group[group["trusted"]]
        near, near_lo, near_hi = _rate(int(group["near_duplicate"].sum()), len(group))
        rate, low, high = _rate(int(judged["solved"].sum()), len(judged))
        rows.append(
            {
                "period": period,
                "first_contest": int(group["contest_id"].min()),
                "last_contest": int(group["contest_id"].max()),
                "problems": len(group),
                "near_duplicates": int(group["near_duplicate"].sum()),
                "near_duplicate_share": near,
                "near_duplicate_low": near_lo,
                "near_duplicate_high": near_hi,
                "judged": len(judged),
                "solved": int(judged["solved"].sum()),
                "baseline_rate": rate,
                "baseline_low": low,
                "baseline_high": high,
            }
        )
    order = {"before cutoff": 0, "after cutoff": 1, "out of period": 2}
    return (
        pd.DataFrame(rows)
        .sort_values(["period", "first_contest"], key=lambda s: s.map(order) if s.name == "period" else s)
        .reset_index(drop=True)
    )


def format_count(n: float) -> str:
    """A parameter count as a reader reads it: 37K, 1.4M, 41B."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            value = n / size
            return f"{value:.{0 if value >= 10 else 1}f}{unit}"
    return f"{n:.0f}"


def rates_text(frame: pd.DataFrame, kind: str, column: str) -> str:
    rows = frame[frame["kind"] == kind]
    return ", ".join(
        f"{r[column]:.1f}% [{r[column.replace('rate', 'low').replace('share', 'low')]:.1f}, {r[column.replace('rate', 'high').replace('share', 'high')]:.1f}]"
        for _, r in rows.iterrows()
    )
