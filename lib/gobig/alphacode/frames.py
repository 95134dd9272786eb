"""Chapter 3's tables: split rates with exact intervals, solve rate against k,
nearest neighbours, exclusions, the date curve and its bins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig import passk
from gobig.alphacode.params import KINDS, LEVEL

# ---- tables for the chapter ---------------------------------------------------


def split_records(records: list[dict]) -> list[dict]:
    """The records of splits (not the date curve), in table order (kinds
    as in KINDS, then seed), whatever order they were loaded in."""
    order = list(KINDS)
    chosen = [r for r in records if r["config"]["split"] != "date-curve"]
    return sorted(chosen, key=lambda r: (order.index(r["result"]["split"]["kind"]), r["result"]["split"]["seed"] or 0))


def curve_record(records: list[dict]) -> dict | None:
    return next((r for r in records if r["config"]["split"] == "date-curve"), None)


def _rate(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float, float]:
    """Percent, with its exact (Clopper–Pearson) interval."""
    if trials == 0:
        return (float("nan"),) * 3
    low, high = passk.clopper_pearson(successes, trials, level)
    return 100 * successes / trials, 100 * low, 100 * high


def _eligible(record: dict) -> list[str]:
    return [k for k, t in record["result"]["trust"].items() if t["trusted"]]


def splits_frame(records: list[dict], leak_threshold: float | None = None) -> pd.DataFrame:
    """One row per split: sizes, twins across the split, near-duplicate
    share and baseline solve rate (percent, 95% Clopper–Pearson intervals),
    and the model's numbers where the split has a model."""
    rows = []
    for record in split_records(records):
        result = record["result"]
        threshold = leak_threshold or record["config"]["splits"]["leak_threshold"]
        nearest = result["nearest"]
        solved = sum(b["solved"] for b in result["baseline"])
        judged = len(result["baseline"])
        near = sum(n["statement_similarity"] >= threshold for n in nearest)
        base, base_lo, base_hi = _rate(solved, judged)
        share, share_lo, share_hi = _rate(near, len(nearest))
        model = result["model"] or {}
        row = {
            "split": result["split"]["name"],
            "kind": result["split"]["kind"],
            "variant": KINDS[result["split"]["kind"]],
            "seed": result["split"]["seed"],
            "train": len(result["split"]["train"]),
            "valid": len(result["split"]["valid"]),
            "crossing_twins": len(result["crossing_twin_groups"]),
            "near_duplicates": int(near),
            "near_duplicate_share": share,
            "near_duplicate_low": share_lo,
            "near_duplicate_high": share_hi,
            "trusted_valid": judged,
            "baseline_solved": int(solved),
            "baseline_rate": base,
            "baseline_low": base_lo,
            "baseline_high": base_hi,
            "role": record["config"]["role"] or "",
            "train_loss": model.get("train_loss", float("nan")),
            "valid_loss": model.get("valid_loss", float("nan")),
            "model_solved": float("nan"),
            "model_rate": float("nan"),
            "model_low": float("nan"),
            "model_high": float("nan"),
            "model_pass_at_k": float("nan"),
            "device": record["provenance"]["device_name"],
        }
        if model.get("outcomes") is not None:
            # 1@k per problem is 0 or 1 when k equals the samples drawn only if
            # one submission is chosen among those passing the public tests; its
            # mean is a rate of problems, the interval exact on the problems
            # with any correct sample (a lower-bound count).
            rates = _per_problem_n_at_k(record, n=1, k=record["config"]["model"]["samples_per_problem"])
            pass_k = _per_problem_pass_at_k(record, record["config"]["model"]["samples_per_problem"])
            any_correct = int(sum(o["correct"] > 0 for o in model["outcomes"].values()))
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


def _per_problem_n_at_k(record: dict, n: int, k: int) -> np.ndarray:
    outcomes = record["result"]["model"]["outcomes"]
    return np.array([passk.n_at_k(o["samples"], o["public_passing"], o["correct"], n, k) for o in outcomes.values()])


def _per_problem_pass_at_k(record: dict, k: int) -> np.ndarray:
    outcomes = record["result"]["model"]["outcomes"]
    return np.array([passk.pass_at_k(o["samples"], o["correct"], k) for o in outcomes.values()])


def sampled_records(records: list[dict]) -> list[dict]:
    """Split records with a model that sampled programs."""
    return [
        r for r in split_records(records) if r["result"]["model"] and r["result"]["model"].get("outcomes") is not None
    ]


def solve_rate_vs_k(records: list[dict], submissions: list[int] | None = None) -> pd.DataFrame:
    """n@k and pass@k for k = 1, 2, 4, ... K, per split with samples (percent)."""
    rows = []
    for record in sampled_records(records):
        K = record["config"]["model"]["samples_per_problem"]
        ks = sorted({2**i for i in range(int(np.log2(K)) + 1)} | {K})
        for n in submissions or record["config"]["model"]["submissions"]:
            for k in ks:
                rate = _per_problem_n_at_k(record, min(n, k), k)
                rows.append(
                    {
                        "split": record["result"]["split"]["name"],
                        "kind": record["result"]["split"]["kind"],
                        "metric": f"{n}@k",
                        "k": k,
                        "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan"),
                    }
                )
        for k in ks:
            rate = _per_problem_pass_at_k(record, k)
            rows.append(
                {
                    "split": record["result"]["split"]["name"],
                    "kind": record["result"]["split"]["kind"],
                    "metric": "pass@k",
                    "k": k,
                    "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def nearest_frame(records: list[dict]) -> pd.DataFrame:
    """Every validation problem's nearest training problem, per split."""
    rows = []
    for record in split_records(records):
        result = record["result"]
        solved_by = {b["valid"]: (b["solved_by"][0] if b["solved_by"] else None) for b in result["baseline"]}
        crossing = {k for g in result["crossing_twin_groups"] for k in g}
        twins = {k for g in result["twin_groups"] for k in g}
        losses = (result["model"] or {}).get("valid_loss_per_problem", {})
        for n in result["nearest"]:
            rows.append(
                {
                    "split": result["split"]["name"],
                    "kind": result["split"]["kind"],
                    **n,
                    "has_twin": n["valid"] in twins,
                    "twin_in_train": n["valid"] in crossing,
                    "trusted": result["trust"][n["valid"]]["trusted"],
                    "baseline_solved_by": solved_by.get(n["valid"]),
                    "valid_loss": losses.get(n["valid"]),
                }
            )
    return pd.DataFrame(rows)


def crossing_frame(
    records: list[dict], kinds: tuple[str, ...] = ("temporal", "temporal-cut", "random")
) -> pd.DataFrame:
    """The twin pairs that a split puts on both sides, and what happened to them."""
    rows = []
    for record in split_records(records):
        result = record["result"]
        if result["split"]["kind"] not in kinds:
            continue
        valid = set(result["split"]["valid"])
        solved_by = {b["valid"]: b["solved_by"] for b in result["baseline"]}
        for group in result["crossing_twin_groups"]:
            for key in sorted(set(group) & valid):
                rows.append(
                    {
                        "split": result["split"]["name"],
                        "validation problem": key,
                        "twin in training": ", ".join(sorted(set(group) - valid)),
                        "trusted": result["trust"][key]["trusted"],
                        "solved by baseline": bool(solved_by.get(key)),
                    }
                )
    return pd.DataFrame(
        rows, columns=["split", "validation problem", "twin in training", "trusted", "solved by baseline"]
    )


def exclusions_frame(records: list[dict]) -> pd.DataFrame:
    """Problems of the pool that no solve rate counts, and why (the judge
    trusts a problem when its own solution passes all its tests)."""
    rows, seen = [], set()
    for record in split_records(records):
        for key, trust in record["result"]["trust"].items():
            if not trust["trusted"] and key not in seen:
                seen.add(key)
                rows.append({"problem": key, "reason": trust["reason"]})
    return (
        pd.DataFrame(rows, columns=["problem", "reason"])
        .sort_values("problem", key=lambda s: s.map(_contest_order))
        .reset_index(drop=True)
    )


def _contest_order(key: str) -> tuple[int, str]:
    contest, index = key.split("_", 1)
    return int(contest), index


def baseline_cost(records: list[dict]) -> dict:
    """The full baseline's cost, as the pass matrix recorded it."""
    return split_records(records)[0]["result"]["baseline_cost"]


# ---- the date curve -------------------------------------------------------------


def curve_frame(records: list[dict]) -> pd.DataFrame:
    """The date curve's per-problem rows (pool and out-of-period)."""
    record = curve_record(records)
    if record is None:
        return pd.DataFrame()
    rows = list(record["result"]["rows"])
    later = record["result"]["out_of_period"]
    if later:
        rows += later["rows"]
    return pd.DataFrame(rows)


def curve_bins(records: list[dict]) -> pd.DataFrame:
    """The date curve binned by contest id: equal-count bins of the pool,
    split at the cutoff so no bin straddles it, and the out-of-period
    problems as their own bin. Near-duplicate share and baseline solve rate
    with 95% Clopper–Pearson intervals."""
    record = curve_record(records)
    frame = curve_frame(records)
    if frame.empty:
        return frame
    bins = record["config"]["date_bins"]
    cutoff = record["result"]["cutoff"]
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


def twin_density(records: list[dict]) -> str:
    """How many twin groups the problem pool holds, e.g. "28 groups among 300 problems"."""
    result = split_records(records)[0]["result"]
    return f"{len(result['twin_groups'])} groups among {len(result['split']['train']) + len(result['split']['valid'])} problems"


def format_count(n: float) -> str:
    """A parameter count as a reader reads it: 37K, 1.4M, 41B."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            value = n / size
            return f"{value:.{0 if value >= 10 else 1}f}{unit}"
    return f"{n:.0f}"


def _rates(frame: pd.DataFrame, kind: str, column: str) -> str:
    rows = frame[frame["kind"] == kind]
    return ", ".join(
        f"{r[column]:.1f}% [{r[column.replace('rate', 'low').replace('share', 'low')]:.1f}, {r[column.replace('rate', 'high').replace('share', 'high')]:.1f}]"
        for _, r in rows.iterrows()
    )
