"""Chapter 3's sentences that read its records (``alphacode_readings``), and every
value the chapter glues (``alphacode_glued``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig.methods.code import sandbox
from gobig.methods.stats import passk
from gobig.studies import alphacode

#: Pairs of losses (one problem, validated with and without its twin in training) needed to read their interval.
MIN_PAIRS = 5


def alphacode_readings(records: list) -> dict[str, str]:
    """Chapter 3's sentences that read its results (records stored or typed)."""
    records = alphacode.typed_records(records)
    frame = alphacode.splits_frame(records)
    nearest = alphacode.nearest_frame(records)
    table = alphacode.claims_table(records)
    claims = table.set_index("claim")["verdict"]
    baseline_claim = next(c for c in claims.index if c.startswith("submitting one solution of each training problem"))
    model_claim = next((c for c in claims.index if c.startswith("a 1B model")), None)
    readings = {
        "baseline_twins_reading": _baseline_twins(nearest[nearest["kind"] == "random"]),
        "baseline_scale_reading": _baseline_gap(alphacode.gap_frame(records), frame),
        "baseline_reading": _baseline(claims[baseline_claim]),
        "loss_reading": _memorization(alphacode.memorization_summary(records), alphacode.losses_frame(records)),
        "model_reading": _model(alphacode.model_frame(records), claims[model_claim])
        if model_claim
        else "No split of these records sampled programs",
        "judge_isolation_reading": _judge_isolation(records),
        "arm_scope_reading": _arm_scope(alphacode.arm_scope(records), table),
    }
    if alphacode.curve_record(records) is not None:
        readings["curve_reading"] = _curve(alphacode.curve_bins(records))
    return readings


#: The model spec's values the prose quotes, glued under their own names.
MODEL_VALUES = ("model_layers", "model_dim", "vocab_size", "corpus_cutoff", "finetune_steps", "temperature")


def alphacode_glued(records: list) -> dict[str, object]:
    """Every name chapter 3 glues (``{glue:text}`name```), with its value: numbers and the
    readings' sentences alike, so the chapter glues them in one loop and a test can check a
    name against the records without running it (records stored or typed)."""
    records = alphacode.typed_records(records)
    first = records[0]
    splits = alphacode.splits_frame(records)
    temporal = next(r for r in records if r.config.split == "temporal")
    temporal_row = splits[splits["split"] == "temporal"].iloc[0]
    model = next((r.model for r in alphacode.split_records(records) if r.model), None)
    # Only the splits with a model hold its spec (the others never read it).
    spec = next((r.config.model for r in alphacode.split_records(records) if r.config.model), None)
    values: dict[str, object] = {
        "n_problems": temporal.split.pool,
        "n_train": len(temporal.split.train),
        "n_valid": len(temporal.split.valid),
        "cutoff": temporal.split.cutoff,
        "n_twin_groups": len(temporal.twin_groups),
        "n_random": len(splits[splits["kind"] == "random"]),
        "model_params": alphacode.format_count(model.parameters) if model else "no model in these records, so no",
        "samples_per_problem": spec.samples_per_problem if spec else "no",
        "device": ", ".join(sorted({r.device_name for r in records})),
        **alphacode_readings(records),
        "twin_threshold": first.config.splits.twin_threshold,
        "leak_threshold": first.config.splits.leak_threshold,
        "temporal_cut_crossing": int(splits.loc[splits["split"] == "temporal-cut", "crossing_twins"].iloc[0]),
    }

    scan = alphacode.cutoff_scan(records)
    values.update(cut_separating=scan["separating"], cut_cutoffs=scan["cutoffs"])

    # The temporal split's baseline among random splits of its size, and the twin-aware splits'.
    test = alphacode.randomization_test(records)
    aware = splits[splits["kind"] == "twin-aware"]
    values.update(
        randomization_draws=f"{test['draws']:,}",
        randomization_p=test["p_value"],
        randomization_below=f"{test['at_or_below']:,}",
        randomization_low=test["low"],
        randomization_high=test["high"],
        temporal_baseline=float(temporal_row["baseline_rate"]),
        aware_solved=f"{int(aware['baseline_solved'].sum())} of {int(aware['trusted_valid'].sum())} judged problems (all seeds)",
        temporal_solved=f"{int(temporal_row['baseline_solved'])} of {int(temporal_row['trusted_valid'])}",
    )

    # The pass matrix's cost, and the problems no rate counts.
    cost = alphacode.baseline_cost(records)
    values.update(
        matrix_pairs=f"{cost.pairs:,}",
        matrix_runs=f"{cost.test_runs:,}",
        matrix_hours=f"{cost.wall_s / 3600:.2f} hours" if cost.wall_s >= 3600 else f"{cost.wall_s / 60:.0f} minutes",
        n_excluded=len(alphacode.exclusions_frame(records)),
    )

    # The later problems: those published after every problem of the pool.
    curve = alphacode.curve_record(records)
    later = curve.out_of_period
    pool_last = max(row.contest_id for row in curve.rows)
    later_rows = [row for row in later.rows if row.contest_id > pool_last] if later else []
    values.update(
        later_first=min(row.contest_id for row in later_rows) if later_rows else "none",
        later_last=max(row.contest_id for row in later_rows) if later_rows else "none",
        later_trusted=sum(row.trusted for row in later_rows),
        later_problems=len(later_rows),
        trust_agreeing=later.trust_rule.agreeing if later else 0,
        trust_tries=later.trust_rule.tries if later else 0,
    )

    # The model's spec, and what its samples did.
    values.update({name: getattr(spec, name) if spec else "none" for name in MODEL_VALUES})
    sampled = alphacode.sampled_records(records)
    totals = alphacode.samples_frame(records)
    samples = max(1, int(totals["samples"].sum()))
    values.update(
        sampled_splits=_listed(r.name for r in sampled) or "no split",
        syntax_share=float(100 * totals["syntax_ok"].sum() / samples),
        cut_off_share=float(100 * totals["cut_off"].sum() / samples),
        public_share=float(100 * totals["public_passing"].sum() / samples),
        public_passing=int(totals["public_passing"].sum()),
        correct=int(totals["correct"].sum()),
        model_judged=int(sum(len(r.model.outcomes) for r in sampled)),
    )
    values.update(_coverage_values(records))
    values.update(_arm_values(records))
    values.update(_pool_values(records))
    return values


def _listed(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def _coverage_values(records: list) -> dict[str, object]:
    """What the context and the generation length hold (a census of the pool)."""
    coverage = alphacode.token_coverage(records)
    if not coverage:
        return {"coverage_reading": "No split of these records has a model, so no tokenizer measured the pool"}
    return {
        "context": coverage["context"],
        "max_new_tokens": coverage["max_new_tokens"],
        "statement_budget": coverage["statement_budget"],
        "head_tokens": (coverage["statement_budget"] + 1) // 2,
        "tail_tokens": coverage["statement_budget"] // 2,
        "solution_coverage": coverage["solution_coverage"],
        "solutions_fitting": f"{coverage['solutions_fitting']} of {coverage['solutions']}",
        "solution_median": f"{coverage['solution_median']:.0f}",
        "solution_q95": f"{coverage['solution_q95']:.0f}",
        "solution_max": f"{coverage['solution_max']:,}",
        "statement_median": f"{coverage['statement_median']:.0f}",
        "statements_cut": f"{coverage['statements_cut']} of {coverage['statements']}",
        "coverage_reading": _coverage(coverage),
    }


def _coverage(coverage: dict) -> str:
    share = coverage["solution_coverage"]
    verdict = "at least 95%, as planned" if share >= 95 else "less than the 95% planned"
    return (
        f"{coverage['solutions_fitting']} of the pool's {coverage['solutions']} reference solutions ({share:.1f}%, {verdict}) "
        f"fit in {coverage['max_new_tokens']} tokens with their end token"
    )


def _arm_values(records: list) -> dict[str, object]:
    """The memorization arm: solves per kind of split, the tests, the loss
    pairs' exclusions, and the model's cost per split."""
    models = alphacode.model_frame(records)
    if models.empty:
        return {"arm_reading": "No split of these records sampled programs", "arm_tests_reading": ""}
    tests = alphacode.model_tests(records)
    values: dict[str, object] = {}
    for kind, name in (
        ("random", "arm_random"),
        ("temporal", "arm_temporal"),
        ("twin-aware", "arm_aware"),
        ("random-untwinned", "arm_untwinned"),
    ):
        part = models[models["kind"] == kind]
        k, n = int(part["solved"].sum()), int(part["judged"].sum())
        values[name] = f"{k} of {n}" if len(part) else "no split of this kind sampled"
    values.update(
        arm_train_loss=_span(models["train_loss"]),
        arm_valid_loss=_span(models["valid_loss"]),
        arm_epochs=f"{models['epochs'].mean():.0f}",
        arm_splits=len(models),
        arm_random_splits=int((models["kind"] == "random").sum()),
        arm_reading=_arm(models),
        arm_fit_reading=_fit(models),
        arm_tests_reading=_arm_tests(tests),
        loss_excluded=len(alphacode.memorization_excluded(records)),
    )
    values.update(_stage_cost(records))
    return values


def _span(series: pd.Series) -> str:
    low, high = float(series.min()), float(series.max())
    return f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f} to {high:.2f}"


#: Training loss at most this share of the validation loss counts as fitting the training solutions.
FIT_RATIO = alphacode.FIT_RATIO


def _fit(models: pd.DataFrame) -> str:
    """Whether the models fit their training solutions: training loss far
    below validation loss (at most ``FIT_RATIO`` of it) on every model split."""
    train, valid = _span(models["train_loss"]), _span(models["valid_loss"])
    sentence = (
        f"The models reach a training loss of {train} nats per token, against {valid} on their validation problems"
    )
    ratio = float((models["train_loss"] / models["valid_loss"]).max())
    if ratio <= FIT_RATIO:
        return sentence + ": they fit what they were trained on, and little else"
    return (
        sentence
        + f": below, but not far below (the training loss is up to {100 * ratio:.0f}% of the validation loss), so they have not learnt their training solutions by heart"
    )


def _arm(models: pd.DataFrame) -> str:
    """What the models that fit their training solutions solve, by kind of split."""
    random = models[models["kind"] == "random"]
    controls = models[models["kind"] != "random"]
    solved_random = int(random["solved"].sum())
    twins = int(random["solved_twin_in_train"].sum())
    sentence = (
        f"On the random splits the models solve {solved_random} of {int(random['judged'].sum())} judged validation problems, "
        f"{twins} of them with a twin in the split's training data"
    )
    if len(controls):
        by_kind = "; ".join(
            f"{kind} {int(part['solved'].sum())} of {int(part['judged'].sum())}"
            for kind, part in controls.groupby("kind", sort=False)
        )
        sentence += f"; the other splits: {by_kind}"
    if solved_random == 0:
        return sentence + ". So no model reproduces a twin's solution here"
    if twins == solved_random and int(controls["solved"].sum()) == 0:
        return (
            sentence
            + ". Every solve is a leaked twin's solution reproduced, and without the twins the same kind of model solves nothing"
        )
    return sentence


#: The ledger's claims that rest on the memorization arm's models (their first words).
ARM_CLAIMS = {
    "a 1B model solves": "the model's random against temporal solve rates",
    "on a random split a model can solve": "the mechanism in the solves",
    "the leak reaches a model": "the mechanism in the loss",
}


def _arm_scope(scope: dict, claims: pd.DataFrame) -> str:
    """What of the memorization arm ran, why the rest did not, and which verdicts that leaves inconclusive."""
    if not scope["ran"]:
        return "No model of the memorization arm ran for these records"
    if not scope["missing"]:
        return f"Every model of the memorization arm ran ({', '.join(scope['ran'])} splits)"
    undecided = [
        reading
        for start, reading in ARM_CLAIMS.items()
        if (claims["claim"].str.startswith(start) & (claims["verdict"] == "inconclusive")).any()
    ]
    sentence = (
        f"On this CPU the memorization arm ran only the {_listed(scope['ran'])} split's model; the {_listed(scope['missing'])} "
        f"split models were not run: one model unit took {scope['unit_s'] / 60:.0f} minutes on {scope['device']}, "
        f"and the model that ran {alphacode.arm_fit_clause(scope)}, so it could not show the mechanism they test"
    )
    if undecided:
        sentence += f". The verdicts that need them are inconclusive: {_listed(undecided)}"
    return sentence


def _arm_tests(tests: pd.DataFrame) -> str:
    if tests.empty:
        return "No random split's model has a comparison here"
    parts = [f"{row.comparison}: {row.a} vs {row.b}, p = {row.p_value:.2g} ({row.test})" for row in tests.itertuples()]
    return "; ".join(parts)


def _stage_cost(records: list) -> dict[str, object]:
    """Measured CPU time of the model stage per split: fine-tuning, sampling
    and judging, from the records' timings (minutes)."""
    finetune = [r.timings.get("finetune_s", 0.0) for r in alphacode.split_records(records) if r.model]
    sampling = [
        r.timings.get("sampling_s", 0.0) + r.timings.get("execution_s", 0.0) for r in alphacode.sampled_records(records)
    ]
    return {
        "arm_finetune_minutes": f"{np.mean(finetune) / 60:.0f}",
        "arm_sampling_minutes": f"{np.mean(sampling) / 60:.1f}",
    }


def _pool_values(records: list) -> dict[str, object]:
    """The pool: its tests and what they let pass, the twins a temporal
    split leaves apart, and the twin-aware splits' solves."""
    values: dict[str, object] = {}
    first = alphacode.split_records(records)[0]
    contests = [int(k.split("_", 1)[0]) for k in first.split.train + first.split.valid]
    values.update(
        pool_vs_paper=f"{alphacode.PAPER_TRAIN_PROBLEMS / first.split.pool:.0f}",
        pool_first_contest=min(contests),
        pool_last_contest=max(contests),
    )
    tests = alphacode.tests_frame(records)
    estimate = alphacode.false_positive_estimate(records)
    values.update(
        mean_tests=f"{tests['mean_tests']:.1f}",
        mean_hidden=f"{tests['mean_hidden']:.1f}",
        one_output=tests["one_output"],
        paper_filter_kept=f"{tests['paper_filter_kept']} of {tests['problems']}",
        fp_pairs=f"{estimate['pairs']:,}",
        fp_problems=estimate["problems"],
        fp_wrong=estimate["wrong_passing"],
        fp_high=f"{100 * estimate['high']:.3f}%",
        fp_reading=_false_positives(estimate),
    )
    far = alphacode.far_twins(records)
    summary = alphacode.far_twin_summary(records)
    values.update(
        far_pairs=summary["pairs"],
        far_leaking=summary["leaking"],
        far_cutoffs=summary["cutoffs"],
        far_at_cutoff=summary["at_cutoff"],
        far_list=", ".join(
            f"{row.twins} ({row.id_gap} ids apart, {row.leaking_cutoffs} cutoffs)" for row in far.itertuples()
        ),
        aware_reading=_twin_aware(alphacode.twin_aware_solves(records)),
    )
    return values


def _false_positives(estimate: dict) -> str:
    sentence = (
        f"Of {estimate['pairs']:,} pairs of a trusted problem and another problem's stored solution (twins excepted), "
        f"{len(estimate['passing'])} pass all of the problem's tests"
    )
    if estimate["mislabelled"]:
        names = ", ".join(f"{o}'s program on {k}" for k, o in estimate["mislabelled"])
        sentence += f" ({names}, a program the data file under the wrong problem: its own problem's tests reject it)"
    return (
        sentence
        + f": {estimate['wrong_passing']} wrong programs pass, a rate of at most {100 * estimate['high']:.3f}% (95% Clopper–Pearson upper bound)"
    )


def _twin_aware(solves: pd.DataFrame) -> str:
    if solves.empty:
        return "The baseline solves nothing on the twin-aware splits"
    parts = []
    for (problem, solver), group in solves.groupby(["problem", "solved by"], sort=False):
        row = group.iloc[0]
        kind = "a twin" if row["a twin"] else "not a twin"
        own = "passes" if row["solver passes its own tests"] else "fails"
        parts.append(
            f"{problem} on {_listed(group['split'])}, by {solver}'s stored program ({kind}; that program {own} {solver}'s own tests)"
        )
    return "The baseline's solves on the twin-aware splits: " + "; ".join(parts)


def _baseline_twins(random_nearest: pd.DataFrame) -> str:
    solved = random_nearest[random_nearest["baseline_solved_by"].notna()]
    twins = int(solved["twin_in_train"].sum())
    if solved.empty:
        return "It solves no validation problem on the random splits"
    if twins == len(solved):
        return f"Of the {len(solved)} problems it solves on the random splits, all {twins} have their twin in training: the leak is the twins"
    if 2 * twins >= len(solved):
        return f"Of the {len(solved)} problems it solves on the random splits, {twins} have their twin in training: most of the leak is the twins"
    return f"Of the {len(solved)} problems it solves on the random splits, only {twins} have their twin in training: most of what it solves is not a twin's copy"


def _baseline_gap(gap: dict, frame: pd.DataFrame) -> str:
    """Why the random-split rate is not AlphaCode's 4.1%, from measured parts.
    With validation fraction f, a validation problem's twin is in training
    with probability about 1 - f in a pool of any size: what sets the rate is
    how many problems have a twin at all (s), and how often a twin's
    solution passes (a) against how often another problem's does (b)."""
    paper = alphacode.PAPER[("baseline", "random")]
    rate = frame.loc[frame["kind"] == "random", "baseline_rate"].mean()
    s_k, s_n = gap["s"]
    a_k, a_n = gap["a"]
    b_k, b_n = gap["b"]
    t_k, t_n = gap["twin_in_train_given_twin"]
    sentence = (
        f"The random-split rate, {rate:.1f}% on average, is {rate / paper:.1f} times AlphaCode's {paper}%. It decomposes as measured on the random splits: "
        f"{s_k} of {s_n} judged validation problems ({100 * s_k / max(s_n, 1):.1f}%) have their twin in training, and the baseline solves {a_k} of those {a_n} "
        f"but {b_k} of the other {b_n}. A problem with a twin has it in training in {t_k} of {t_n} cases, near 1 - f = {1 - gap['valid_fraction']:.2f} as a random split implies "
        f"whatever the pool's size, so the twins are not rarer across a random split of a larger pool"
    )
    if np.isfinite(gap["implied_s"]):
        sentence += (
            f". What differs is how many problems have a twin at all: {gap['with_twin']} of our {gap['pool']} ({100 * gap['twin_share_pool']:.0f}%), "
            f"where a uniform sample of {gap['pool']} of CodeContests' {alphacode.PAPER_TRAIN_PROBLEMS:,} training problems would hold a given problem's twin with probability "
            f"{100 * gap['uniform_sample_twin_chance']:.1f}%, so this pool is far denser in twins than a uniform sample would be. With our solve rates, {paper}% would need "
            f"{100 * gap['implied_s']:.1f}% of validation problems to have their twin in training"
        )
    return sentence


#: What every sandbox kept, whatever its file system.
_LIMITS = "limits on CPU time, memory, processes and output"


def _judge_isolation(records: list) -> str:
    """What the sandbox that judged the pass matrix hid from its programs,
    as the records name it: isolation is claimed only where it held."""
    names = sorted({r.baseline_cost.isolation or "not named" for r in alphacode.split_records(records)})
    if all(sandbox.hides_files(name) for name in names):
        return (
            f"The judge ran each program in a sandbox (isolation {names[0]} in every record): its own namespaces and an unprivileged user of its own, no network, "
            "a file system holding only the Python interpreter, its libraries and the program, so that no program "
            f"could read the problems file and print a stored answer, and {_LIMITS}"
        )
    if names == ["rlimits-only"]:
        return (
            "The machine that judged these records had no bubblewrap, so its sandbox (isolation rlimits-only in "
            f"every record) kept only an unprivileged user of its own and {_LIMITS}: "
            "neither the network nor the file system was isolated, and a program could have read the problems file "
            "and printed a stored answer"
        )
    if set(names) <= {"not named", "bwrap"}:
        return (
            "These records were judged before the sandbox hid the file system, and they do not name the isolation they ran under. At best, with bubblewrap, each program had its own "
            f"namespaces and an unprivileged user of its own, no network and {_LIMITS}, but the whole file system "
            "was mounted read-only and readable, so a program could have read the problems file and printed a "
            "stored answer. The judge now mounts only the Python interpreter, its libraries and the program"
        )
    return (
        f"These records were judged under different sandboxes ({', '.join(names)}), not all of which hid the "
        "file system: a program could have read the problems file and printed a stored answer"
    )


def _baseline(verdict: str) -> str:
    if verdict in ("supported", "partly"):
        return "The baseline turns that into solved problems without any model"
    return "The baseline, submitting training solutions, does not turn that into more solved problems on the random splits here"


def _memorization(summary: pd.DataFrame, losses: pd.DataFrame) -> str:
    """The memorization test: did the model memorize (training loss well
    below validation loss), and does a problem's loss fall when its twin is
    in training (paired: the same problem under two models that differ only
    by the twin's presence)? Bootstrap intervals over problems."""
    if summary.empty or losses.empty:
        return "These records have no paired models, so the memorization test was not run"
    trained = losses.set_index("split")
    memorized = ", ".join(
        f"{name}: training loss {r.train_loss:.2f} against validation loss {r.valid_loss:.2f}"
        for name, r in trained.iterrows()
    )
    leaked = summary[summary["problems"] == "twin was in training"]
    control = summary[summary["problems"] == "no twin in training"]
    if leaked.empty or leaked.iloc[0]["n"] < MIN_PAIRS:
        count = 0 if leaked.empty else int(leaked.iloc[0]["n"])
        return f"The models reach {memorized}. Only {count} validation problems had their twin in training, too few to read a paired difference"
    leak = leaked.iloc[0]
    sentence = (
        f"The models reach {memorized} nats per token. Paired on the same problem, removing its twin from training raises the loss of the {leak['n']:.0f} problems whose twin was there "
        f"by {leak['mean_difference']:+.3f} nats per token on average (95% bootstrap interval {leak['low']:+.3f} to {leak['high']:+.3f}; {leak['positive']:.0f} of {leak['n']:.0f} rise, sign test p = {leak['sign_test_p']:.2g})"
    )
    if len(control):
        c = control.iloc[0]
        sentence += f", and changes the {c['n']:.0f} others by {c['mean_difference']:+.3f} ({c['low']:+.3f} to {c['high']:+.3f})"
    if leak["low"] > 0 and (control.empty or leak["low"] > control.iloc[0]["high"]):
        meaning = "So the model has memorized the twins' solutions and uses them on the validation copies: the leak reaches it, before any problem is solved"
    elif leak["low"] > 0:
        meaning = "So the twin lowers the loss, though not clearly more than training on any other problem does"
    elif leak["high"] < 0:
        meaning = "So the twin makes the solution harder to predict, not easier"
    else:
        meaning = "So at this scale the loss shows no effect of the leak"
    return f"{sentence}. {meaning}"


def _model(models: pd.DataFrame, verdict: str) -> str:
    """The model claim in a sentence: random against temporal, pass@K."""
    paper = alphacode.PAPER
    random = models[models["kind"] == "random"]
    temporal_rows = models[models["kind"] == "temporal"]
    k_r, n_r = int(random["solved"].sum()), int(random["judged"].sum())
    if temporal_rows.empty:
        return f"It solves {k_r} of {n_r} judged problems on the random split; the temporal split was not sampled in this run"
    t = temporal_rows.iloc[0]
    both = f"{k_r} of {n_r} judged problems on the random splits and {int(t['solved'])} of {int(t['judged'])} on the temporal split"
    if verdict == "inconclusive" and k_r == 0:
        return f"Solving nothing on either split ({both}), it neither confirms nor refutes the {paper[('model', 'random')]:g}% against {paper[('model', 'temporal')]:g}%"
    if verdict == "inconclusive":
        return f"It solves {both}: higher on the random splits, but not significantly"
    if verdict in ("supported", "partly"):
        return f"It solves {both}: the paper's direction, significantly"
    return f"It solves {both}: not the paper's shape"


def _curve(bins: pd.DataFrame) -> str:
    """The date curve in a sentence: contamination before the cutoff, none after."""
    before = bins[bins["period"] == "before cutoff"]
    after = bins[bins["period"] == "after cutoff"]
    later = bins[bins["period"] == "out of period"]

    def pooled(part: pd.DataFrame, count: str, total: str) -> str:
        k, n = int(part[count].sum()), int(part[total].sum())
        low, high = passk.clopper_pearson(k, n) if n else (float("nan"),) * 2
        return f"{k} of {n} ({100 * k / max(n, 1):.1f}%, 95% CI {100 * low:.1f} to {100 * high:.1f})"

    sentence = (
        f"Before the cutoff, {pooled(before, 'near_duplicates', 'problems')} problems have a near duplicate elsewhere in training and the baseline solves {pooled(before, 'solved', 'judged')} of the judged ones "
        f"with another problem's solution; after it, {pooled(after, 'near_duplicates', 'problems')} and {pooled(after, 'solved', 'judged')}"
    )
    if len(later):
        sentence += f"; among the later problems out of period, {pooled(later, 'near_duplicates', 'problems')} and {pooled(later, 'solved', 'judged')}"
    return sentence
