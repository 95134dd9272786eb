"""Tests between splits (exact and randomization), the direction/magnitude
verdict rule, the gap decomposition (why a random split's rate is not the
paper's 4.1%), and the paired memorization test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig.methods.code.splits import SIMULTANEOUS_ID_GAP
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
        return "inconclusive", "nothing is solved on either kind of split, so the two cannot be told apart here"
    rates = ks / np.maximum(ns, 1)
    if (rates <= t_k / max(t_n, 1)).any():
        return "not supported", f"some random split solves no larger share than the temporal split ({t_k}/{t_n})"
    p_max = (
        p_value if p_value is not None else max(passk.fisher_greater(int(k), int(n), t_k, t_n) for k, n in zip(ks, ns))
    )
    if p_max >= ALPHA:
        return "inconclusive", f"higher on every random split, but not significantly ({test} p = {p_max:.3f})"
    inside_random = all(
        passk.clopper_pearson(int(k), int(n))[0] <= paper_random / 100 <= passk.clopper_pearson(int(k), int(n))[1]
        for k, n in zip(ks, ns)
    )
    inside_temporal = passk.clopper_pearson(t_k, t_n)[0] <= paper_temporal / 100 <= passk.clopper_pearson(t_k, t_n)[1]
    direction = f"every random split solves more than the temporal one ({test} p = {p_max:.2g})"
    if inside_random and inside_temporal:
        return (
            "supported",
            f"{direction}; magnitude supported: {paper_random:g}% and {paper_temporal:g}% lie in the 95% intervals",
        )
    outside = (
        f"{paper_random:g}% is outside a random split's"
        if not inside_random
        else f"{paper_temporal:g}% is outside the temporal split's"
    )
    return "partly", f"{direction}; magnitude not supported: {outside} 95% interval"


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


#: CodeContests' training problems (Li et al. 2022, Table 1).
PAPER_TRAIN_PROBLEMS = 13_328


# ---- the memorization test ---------------------------------------------------


def _pairs(records: list) -> list[tuple]:
    """(random split, the same split minus its separated twins), both with a model."""
    by_name = {r.name: r for r in split_records(records)}
    pairs = []
    for name, record in by_name.items():
        base = by_name.get(name.removesuffix("-untwinned"))
        if record.kind == "random-untwinned" and record.model and base is not None and base.model:
            pairs.append((base, record))
    return pairs


def _twins_finetuned(record) -> dict[str, bool]:
    """Per validation problem whose twin is in the split's training side:
    whether some such twin was in the fine-tuning data (its solution short
    enough to fine-tune on)."""
    train, dropped = set(record.split.train), set(record.model.train_dropped)
    status = {}
    for group in record.crossing_twin_groups:
        partners = [k for k in group if k in train]
        for key in set(group) - train:
            status[key] = any(k not in dropped for k in partners)
    return status


def memorization_frame(records: list) -> pd.DataFrame:
    """Per validation problem, paired: its loss under the model fine-tuned
    on a random split, and under the model fine-tuned on the same split with
    the training copies of separated twins removed. ``leaked``: a twin of it
    was in the first model's fine-tuning data. Problems whose twin is on the
    training side but was left out of fine-tuning (its solution too long)
    are not rows: they are neither leaked nor clean. difference = without -
    with (> 0: the twin made the solution easier to predict)."""
    rows = []
    for base, record in _pairs(records):
        with_twin = base.model.valid_loss_per_problem
        without = record.model.valid_loss_per_problem
        twins = _twins_finetuned(base)
        for key in sorted(set(with_twin) & set(without)):
            if twins.get(key) is False:
                continue
            rows.append(
                {
                    "split": base.name,
                    "problem": key,
                    "leaked": key in twins,
                    "loss_with": with_twin[key],
                    "loss_without": without[key],
                    "difference": without[key] - with_twin[key],
                }
            )
    return pd.DataFrame(rows, columns=["split", "problem", "leaked", "loss_with", "loss_without", "difference"])


def memorization_excluded(records: list) -> list[str]:
    """Validation problems of the loss pairs whose twin is on the training
    side but was not fine-tuned on: left out of the loss test."""
    return sorted(k for base, _ in _pairs(records) for k, tuned in _twins_finetuned(base).items() if not tuned)


# ---- the model's solves: tests between splits ----------------------------------


def mcnemar_greater(only_a: int, only_b: int) -> float:
    """Exact one-sided McNemar test on paired outcomes: the probability of
    at least ``only_a`` of the ``only_a + only_b`` discordant problems
    falling to A if either side were as likely (1.0 with none)."""
    from scipy import stats

    n = only_a + only_b
    return float(stats.binomtest(only_a, n, 0.5, alternative="greater").pvalue) if n else 1.0


def model_tests(records: list, main: str = "temporal") -> pd.DataFrame:
    """One-sided tests that a random split's model solves more: against the
    temporal split's model and against the twin-aware split of the same
    seed (exact Fisher: different problems), and against the model of the
    same split minus its separated twins (exact McNemar: the same problems,
    paired). A problem counts as solved when some sample of it is correct."""
    sampled = {r.name: r for r in split_records(records) if r.sampled}

    def solved(record) -> set[str]:
        return {k for k, o in record.model.outcomes.items() if o.correct > 0}

    rows = []
    temporal = sampled.get(main)
    for record in sampled.values():
        if record.kind != "random":
            continue
        mine, judged = solved(record), len(record.model.outcomes)
        others = [(temporal, "Fisher")] if temporal else []
        others += [(sampled.get(f"twin-aware-{record.split.seed}"), "Fisher")]
        others += [(sampled.get(f"{record.name}-untwinned"), "McNemar")]
        for other, test in others:
            if other is None:
                continue
            theirs, their_judged = solved(other), len(other.model.outcomes)
            if test == "Fisher":
                p = passk.fisher_greater(len(mine), judged, len(theirs), their_judged)
            else:
                p = mcnemar_greater(len(mine - theirs), len(theirs - mine))
            rows.append(
                {
                    "comparison": f"{record.name} > {other.name}",
                    "test": f"one-sided exact {test}",
                    "a": f"{len(mine)}/{judged}",
                    "b": f"{len(theirs)}/{their_judged}",
                    "p_value": p,
                }
            )
    return pd.DataFrame(rows, columns=["comparison", "test", "a", "b", "p_value"])


# ---- the pool: twins far apart, the twin-aware solves, the tests' strength --------


def far_twins(records: list, gap: int | None = None) -> pd.DataFrame:
    """Twin groups whose contest ids lie more than ``gap`` apart (default: the
    temporal split's ``SIMULTANEOUS_ID_GAP``, the most it keeps together),
    and at how many of the pool's possible cutoffs (each distinct contest id
    but the first) a temporal split would separate them, the earlier copy in
    training: a leak the temporal split does not prevent."""
    gap = SIMULTANEOUS_ID_GAP if gap is None else gap
    first = split_records(records)[0]
    ids = sorted({_contest(k) for k in first.split.train + first.split.valid})
    cutoffs = ids[1:]
    rows = []
    for group in first.twin_groups:
        contests = sorted({_contest(k) for k in group})
        if contests[-1] - contests[0] <= gap:
            continue
        rows.append(
            {
                "twins": " / ".join(sorted(group, key=_contest)),
                "id_gap": contests[-1] - contests[0],
                "leaking_cutoffs": sum(contests[0] < c <= contests[-1] for c in cutoffs),
            }
        )
    return pd.DataFrame(rows, columns=["twins", "id_gap", "leaking_cutoffs"]).sort_values("id_gap", ignore_index=True)


def far_twin_summary(records: list) -> dict:
    """The possible cutoffs, how many separate at least one far twin group,
    and whether the chapter's cutoff does."""
    frame = far_twins(records)
    first = split_records(records)[0]
    ids = sorted({_contest(k) for k in first.split.train + first.split.valid})
    groups = [sorted({_contest(k) for k in g}) for g in first.twin_groups]
    far = [g for g in groups if g[-1] - g[0] > SIMULTANEOUS_ID_GAP]
    leaking = [c for c in ids[1:] if any(g[0] < c <= g[-1] for g in far)]
    cutoff = next(r.split.cutoff for r in split_records(records) if r.split.cutoff is not None)
    return {
        "pairs": len(frame),
        "cutoffs": len(ids) - 1,
        "leaking": len(leaking),
        "at_cutoff": sum(g[0] < cutoff <= g[-1] for g in far),
        "cutoff": cutoff,
    }


def _contest(key: str) -> int:
    return int(key.split("_", 1)[0])


def twin_aware_solves(records: list) -> pd.DataFrame:
    """The baseline's solves on the twin-aware splits, which keep every twin
    group on one side: the solver, whether it is a twin of the problem, and
    whether the judge trusts the solver's own problem (its stored program
    passes its own tests)."""
    rows = []
    for record in split_records(records):
        if record.kind != "twin-aware":
            continue
        twins = {k: set(g) - {k} for g in record.twin_groups for k in g}
        for solve in record.baseline:
            for solver in solve.solved_by:
                rows.append(
                    {
                        "split": record.name,
                        "problem": solve.valid,
                        "solved by": solver,
                        "a twin": solver in twins.get(solve.valid, set()),
                        "solver passes its own tests": _trusted_anywhere(records, solver),
                    }
                )
    return pd.DataFrame(rows, columns=["split", "problem", "solved by", "a twin", "solver passes its own tests"])


def _trusted_anywhere(records: list, key: str) -> bool:
    curve = curve_record(records)
    if curve is not None and key in curve.passes:
        return key in curve.passes[key]
    return any(r.trust[key].trusted for r in split_records(records) if key in r.trust)


def false_positive_estimate(records: list, level: float = LEVEL) -> dict:
    """How often a program written for another task passes all of a
    problem's stored tests, read off the pass matrix: every trusted problem
    against every other problem's stored solution, twins excepted (a twin's
    solution is a right answer). ``explained`` are passes by a program that
    the data mislabel (its own problem's tests reject it: it was written for
    the problem it passes). A lower bound on the false-positive rate of
    near-miss programs, which resemble a right answer far more."""
    curve = curve_record(records)
    first = split_records(records)[0]
    twins = {k: set(g) for g in first.twin_groups for k in g}
    passes = {k: set(v) for k, v in curve.passes.items()}
    trusted = [k for k in passes if k in passes[k]]
    owners = sorted(passes)
    pairs, passing = 0, []
    for key in trusted:
        for owner in owners:
            if owner == key or owner in twins.get(key, set()):
                continue
            pairs += 1
            if owner in passes[key]:
                passing.append((key, owner))
    mislabelled = [(k, o) for k, o in passing if o not in passes[o]]
    wrong = len(passing) - len(mislabelled)
    low, high = passk.clopper_pearson(wrong, pairs, level)
    return {
        "problems": len(trusted),
        "pairs": pairs,
        "passing": passing,
        "mislabelled": mislabelled,
        "wrong_passing": wrong,
        "rate": wrong / max(1, pairs),
        "low": low,
        "high": high,
    }


def tests_frame(records: list) -> dict:
    """The stored tests of the pool's problems: per problem, tests, the
    statement's examples among them, and distinct expected outputs; and how
    many problems the paper's filter for its validation and test problems
    (at least 5 tests beyond the examples, with at least 2 distinct outputs)
    would keep."""
    curve = curve_record(records)
    counts = curve.test_counts
    tests = np.array([c[0] for c in counts.values()])
    public = np.array([c[1] for c in counts.values()])
    distinct = np.array([c[2] for c in counts.values()])
    hidden = tests - public
    return {
        "problems": len(counts),
        "mean_tests": float(tests.mean()),
        "mean_hidden": float(hidden.mean()),
        "max_tests": int(tests.max()),
        "one_output": int((distinct < 2).sum()),
        "paper_filter_kept": int(((hidden >= 5) & (distinct >= 2)).sum()),
    }


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


# ---- what the memorization arm holds -------------------------------------------

#: Training loss at most this share of the validation loss counts as fitting the training solutions.
FIT_RATIO = 0.25
#: The memorization arm's model units, by kind of split (the random split's model and its three controls).
ARM_KINDS = ("random", "temporal", "twin-aware", "random-untwinned")
#: The model stage's timings in a record: fine-tuning, sampling, judging.
MODEL_STAGES = ("finetune_s", "sampling_s", "execution_s")


def arm_scope(records: list) -> dict:
    """Which of the memorization arm's model units these records hold, and
    what the models did: whether every one fits its training solutions
    (training loss at most ``FIT_RATIO`` of the validation loss), the
    samples that parse or were cut off, and the model stage's measured
    seconds per unit. A verdict that needs a missing unit is inconclusive."""
    models = [r for r in split_records(records) if r.model]
    kinds = {r.kind for r in models}
    outcomes = [o for r in models if r.sampled for o in r.model.outcomes.values()]
    return {
        "ran": [k for k in ARM_KINDS if k in kinds],
        "missing": [k for k in ARM_KINDS if k not in kinds],
        "fitted": bool(models) and all(r.model.train_loss <= FIT_RATIO * r.model.valid_loss for r in models),
        "train_loss": max((r.model.train_loss for r in models), default=float("nan")),
        "valid_loss": min((r.model.valid_loss for r in models), default=float("nan")),
        "samples": sum(o.samples for o in outcomes),
        "parsing": sum(o.syntax_ok for o in outcomes),
        "cut_off": sum(sum((r.model.cut_off or {}).values()) for r in models if r.sampled),
        "unit_s": float(np.mean([sum(r.timings.get(s, 0.0) for s in MODEL_STAGES) for r in models]))
        if models
        else float("nan"),
        "device": ", ".join(sorted({r.device_name or "not named" for r in models})),
    }


def arm_fit_clause(scope: dict) -> str:
    """The models' fit in a clause: 'did (not) fit its training solutions (training loss x vs validation y, k of n samples parse)'."""
    did = "fit" if scope["fitted"] else "did not fit"
    return (
        f"{did} its training solutions (training loss {scope['train_loss']:.2f} vs validation {scope['valid_loss']:.2f} nats per token, "
        f"{scope['parsing']} of {scope['samples']} samples parse)"
    )
