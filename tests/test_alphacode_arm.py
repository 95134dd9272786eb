"""Chapter 3's model stage and its bookkeeping, on hand-made records: what
the context holds (token coverage), which problems a model solves and
whether each is a leaked twin, the tests between splits, the loss pairs
that count only twins fine-tuned on, the twins a temporal split leaves
apart, the twin-aware solves, and the false-positive estimate."""

import dataclasses
import re

import pytest

from gobig.methods.stats import passk
from gobig.report.readings import alphacode as chapter_readings
from gobig.studies import alphacode

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def configs():
    params = alphacode.validate_parameters(alphacode.load_profile("smoke"))
    return {(c["stage"], c["split"], c["seed"]): c for c in alphacode.expand_configs(params)}


GROUPS = [["1_A", "2_A"], ["3_A", "4_A"], ["5_A", "9_A"], ["20_A", "60_A"]]
POOL = ["1_A", "2_A", "3_A", "4_A", "5_A", "6_A", "7_A", "8_A", "9_A", "10_A", "20_A", "60_A"]


def model_result(valid, solved=None, dropped=(), losses=None, samples=4, cut_off=None, sampled=True):
    solved = solved or {}
    result = {
        "parameters": 1000,
        "pretrain": {},
        "examples": {},
        "train_dropped": list(dropped),
        "valid_loss_before": 5.0,
        "valid_loss": 3.0,
        "train_loss": 0.1,
        "valid_loss_per_problem": losses if losses is not None else {k: 3.0 for k in valid},
        "history": [],
        "train_tokens_per_s": 100.0,
        "mfu": None,
        "epochs": 30.0,
        "token_lengths": {k: [100 + i, 10 * (i + 1) if i != 3 else None] for i, k in enumerate(POOL)},
    }
    if sampled:
        result.update(
            samples_per_s=1.0,
            sample_tokens=10,
            programs_executed=1,
            programs_per_s=1.0,
            outcomes={
                k: {
                    "samples": samples,
                    "syntax_ok": samples,
                    "unique": 1,
                    "public_passing": solved.get(k, 0),
                    "correct": solved.get(k, 0),
                }
                for k in valid
            },
            cut_off=cut_off or {k: 0 for k in valid},
            examples_of_samples={},
        )
    return result


def split_record(configs, name, kind, seed, train, valid, model=None, baseline_solved=None, cutoff=None, trust=None):
    """A split's stage records: its baseline, and with a model its fine-tuning and (if it sampled) its sampling."""
    crossing = [g for g in GROUPS if set(g) & set(valid) and set(g) & set(train)]
    baseline_solved = baseline_solved or {}
    trust = trust or {}
    records = []
    if model:
        tuned = {k: v for k, v in model.items() if k not in alphacode.ModelResult.SAMPLE_FIELDS}
        sampled = {k: v for k, v in model.items() if k in alphacode.ModelResult.SAMPLE_FIELDS}
        records.append(stage_record(configs, "finetune", kind, seed, {**tuned, "timings": {"finetune_s": 600.0}}))
        if sampled:
            timings = {"sampling_s": 30.0, "execution_s": 30.0}
            records.append(stage_record(configs, "sample", kind, seed, {**sampled, "timings": timings}))
    baseline = stage_record(
        configs,
        "baseline",
        kind,
        seed,
        {
            "split": {"name": name, "kind": kind, "seed": seed, "cutoff": cutoff, "train": train, "valid": valid},
            "twin_groups": GROUPS,
            "crossing_twin_groups": crossing,
            "nearest": [
                {
                    "valid": k,
                    "by_statement": train[0],
                    "statement_similarity": 0.1,
                    "by_solution": None,
                    "solution_similarity": None,
                }
                for k in valid
            ],
            "trust": {k: {"trusted": trust.get(k, True), "reason": ""} for k in valid},
            "baseline": [
                {
                    "valid": k,
                    "solved": bool(baseline_solved.get(k)),
                    "solved_by": baseline_solved.get(k, []),
                    "candidates": len(train),
                    "test_runs": len(train),
                }
                for k in valid
                if trust.get(k, True)
            ],
            "baseline_cost": {
                "test_runs": 1,
                "wall_s": 1.0,
                "pairs": 1,
                "problems": 1,
                "distinct_solutions": 1,
                "nearest": 0,
                "protocol": "every solution",
            },
            "timings": {},
        },
    )
    return [baseline, *records]


def stage_record(configs, stage, kind, seed, result):
    """A record of one stage of a split (the smoke profile's random split 0's config, as ``kind`` and ``seed``)."""
    config = {**configs[(stage, "random", 0)], "split": kind, "seed": seed}
    return {"config": config, "provenance": {"device_name": "CPU"}, "result": result}


def curve_record(configs, passes, test_counts=None):
    config = dict(configs[("curve", "date-curve", None)])
    return {
        "config": config,
        "provenance": {"device_name": "CPU"},
        "result": {
            "cutoff": 9,
            "train": [k for k in POOL if int(k.split("_")[0]) < 9],
            "rows": [],
            "out_of_period": None,
            "baseline_cost": {
                "test_runs": 1,
                "wall_s": 1.0,
                "pairs": 1,
                "problems": 1,
                "distinct_solutions": 1,
                "nearest": 0,
                "protocol": "every solution",
            },
            "passes": passes,
            "valid_size": 3,
            "test_counts": test_counts or {k: [10, 2, 3] for k in passes},
            "timings": {},
        },
    }


@pytest.fixture(scope="module")
def records(configs):
    """A random split whose model reproduces its one leaked twin (2_A, twin
    1_A in training), the same split without that twin, a twin-aware split,
    and a temporal split, each with a model; the date curve's pass matrix."""
    train = ["1_A", "3_A", "4_A", "5_A", "6_A", "7_A", "8_A", "20_A", "60_A"]
    valid = ["2_A", "9_A", "10_A"]  # 2_A leaked (1_A fine-tuned); 9_A leaked but 5_A too long to fine-tune
    random = split_record(
        configs,
        "random-0",
        "random",
        0,
        train,
        valid,
        model_result(valid, {"2_A": 3}, dropped=["5_A"], losses={"2_A": 0.1, "9_A": 2.0, "10_A": 3.0}),
        baseline_solved={"2_A": ["1_A"], "9_A": ["5_A"]},
    )
    untwinned = split_record(
        configs,
        "random-0-untwinned",
        "random-untwinned",
        0,
        [k for k in train if k not in ("1_A", "5_A")],
        valid,
        model_result(valid, {}, losses={"2_A": 2.5, "9_A": 2.1, "10_A": 3.1}),
    )
    aware = split_record(
        configs,
        "twin-aware-0",
        "twin-aware",
        0,
        ["1_A", "2_A", "5_A", "6_A", "7_A", "9_A", "20_A", "60_A", "10_A"],
        ["3_A", "4_A", "8_A"],
        model_result(["3_A", "4_A", "8_A"], {}),
        baseline_solved={"8_A": ["7_A"]},
    )
    temporal = split_record(
        configs,
        "temporal",
        "temporal",
        None,
        ["1_A", "2_A", "3_A", "4_A", "5_A", "6_A", "7_A", "8_A", "20_A"],
        ["9_A", "10_A", "60_A"],
        model_result(["9_A", "10_A", "60_A"], {}),
        cutoff=9,
    )
    cut = split_record(
        configs,
        "temporal-cut",
        "temporal-cut",
        None,
        ["1_A", "2_A", "3_A", "4_A", "5_A", "6_A", "7_A", "8_A", "20_A"],
        ["9_A", "10_A", "60_A"],
        cutoff=9,
    )
    passes = {k: [k] for k in POOL}
    passes["2_A"] = ["1_A", "2_A"]  # a twin's solution: a right answer
    passes["9_A"] = ["5_A", "9_A"]
    passes["8_A"] = ["7_A", "8_A"]  # another problem's program passes 8_A ...
    passes["7_A"] = []  # ... and fails its own tests: filed under the wrong problem
    passes["10_A"] = ["6_A", "10_A"]  # a wrong program passing weak tests
    counts = {k: [10, 2, 1 if k == "6_A" else 4] for k in POOL}
    counts["3_A"] = [6, 2, 2]  # only 4 tests beyond the examples
    splits = [*random, *untwinned, *aware, *temporal, *cut]
    return alphacode.typed_records([*splits, curve_record(configs, passes, counts)])


def test_token_coverage_counts_the_solutions_that_fit(records):
    coverage = alphacode.token_coverage(records)
    spec = records[0].config.model
    solutions = [10 * (i + 1) for i in range(len(POOL)) if i != 3]  # one problem has no solution
    assert coverage["solutions"] == len(solutions) == 11
    assert coverage["solutions_fitting"] == sum(s + 1 <= spec.max_new_tokens for s in solutions)
    assert coverage["solution_coverage"] == pytest.approx(100 * coverage["solutions_fitting"] / 11)
    assert coverage["statement_budget"] == spec.context - spec.max_new_tokens - 2
    assert coverage["statements_cut"] == sum(100 + i > coverage["statement_budget"] for i in range(len(POOL)))


def test_the_model_frame_names_each_solve_and_its_twin(records):
    frame = alphacode.model_frame(records).set_index("split")
    assert frame.loc["random-0", "solved"] == 1 and frame.loc["random-0", "judged"] == 3
    assert frame.loc["random-0", "solved_twin_in_train"] == 1
    assert frame.loc["random-0", "solved_problems"] == "2_A"
    assert (frame.drop(index="random-0")["solved"] == 0).all()
    low, high = frame.loc["random-0", ["low", "high"]]
    assert 0 < low < 100 / 3 < high < 100  # Clopper–Pearson around 1/3
    solves = alphacode.model_solves(records)
    assert solves.to_dict("records") == [
        {
            "split": "random-0",
            "problem": "2_A",
            "correct samples": "3/4",
            "twin in training": "1_A",
            "twin fine-tuned on": True,
            "baseline solver": "1_A",
        }
    ]


def test_the_loss_pairs_count_only_twins_that_were_fine_tuned_on(records):
    pairs = alphacode.memorization_frame(records)
    # 9_A's twin 5_A is on the training side but was left out of fine-tuning: no row.
    assert list(pairs["problem"]) == ["10_A", "2_A"]
    assert pairs.set_index("problem").loc["2_A", "leaked"] and not pairs.set_index("problem").loc["10_A", "leaked"]
    assert pairs.set_index("problem").loc["2_A", "difference"] == pytest.approx(2.4)
    assert alphacode.memorization_excluded(records) == ["9_A"]


def test_model_tests_compare_random_with_temporal_twin_aware_and_untwinned(records):
    tests = alphacode.model_tests(records).set_index("comparison")
    assert set(tests.index) == {"random-0 > temporal", "random-0 > twin-aware-0", "random-0 > random-0-untwinned"}
    assert tests.loc["random-0 > temporal", "p_value"] == pytest.approx(passk.fisher_greater(1, 3, 0, 3))
    assert tests.loc["random-0 > random-0-untwinned", "test"] == "one-sided exact McNemar"
    assert tests.loc["random-0 > random-0-untwinned", "p_value"] == pytest.approx(0.5)  # one discordant problem


def test_the_exact_mcnemar_test():
    assert alphacode.mcnemar_greater(0, 0) == 1.0
    assert alphacode.mcnemar_greater(5, 0) == pytest.approx(1 / 32)
    assert alphacode.mcnemar_greater(3, 1) == pytest.approx(5 / 16)


def test_far_twins_and_the_cutoffs_that_leak_them(records):
    far = alphacode.far_twins(records)
    # Gaps: (1, 2) and (3, 4) are simultaneous; (5, 9) is 4 apart, (20, 60) 40 apart. The possible
    # cutoffs are every distinct contest id but the first: 2..10, 20 and 60; (5, 9) is separated by
    # 6, 7, 8 and 9, (20, 60) by 60.
    assert far.to_dict("records") == [
        {"twins": "5_A / 9_A", "id_gap": 4, "leaking_cutoffs": 4},
        {"twins": "20_A / 60_A", "id_gap": 40, "leaking_cutoffs": 1},
    ]
    summary = alphacode.far_twin_summary(records)
    assert summary == {"pairs": 2, "cutoffs": 11, "leaking": 5, "at_cutoff": 1, "cutoff": 9}


def test_twin_aware_solves_name_a_mislabelled_program(records):
    solves = alphacode.twin_aware_solves(records)
    assert solves.to_dict("records") == [
        {
            "split": "twin-aware-0",
            "problem": "8_A",
            "solved by": "7_A",
            "a twin": False,
            "solver passes its own tests": False,
        }
    ]


def test_the_false_positive_estimate_reads_the_pass_matrix(records):
    estimate = alphacode.false_positive_estimate(records)
    trusted = [k for k in POOL if k != "7_A"]
    twins = {k: set(g) for g in GROUPS for k in g}
    pairs = sum(1 for k in trusted for o in POOL if o != k and o not in twins.get(k, set()))
    assert estimate["problems"] == len(trusted) and estimate["pairs"] == pairs
    assert sorted(estimate["passing"]) == [("10_A", "6_A"), ("8_A", "7_A")]
    assert estimate["mislabelled"] == [("8_A", "7_A")] and estimate["wrong_passing"] == 1
    assert estimate["low"] < 1 / pairs < estimate["high"]


def test_the_tests_frame_applies_the_papers_filter(records):
    tests = alphacode.tests_frame(records)
    assert tests["problems"] == len(POOL) and tests["one_output"] == 1
    # 3_A has 4 tests beyond its examples, 6_A a single output: both fail the filter.
    assert tests["paper_filter_kept"] == len(POOL) - 2
    assert tests["mean_hidden"] == pytest.approx((8 * 11 + 4) / 12)


def test_the_readings_glue_the_arm_and_the_pool(records):
    values = chapter_readings._arm_values(records)
    assert values["arm_random"] == "1 of 3" and values["arm_temporal"] == "0 of 3"
    assert values["arm_untwinned"] == "0 of 3" and values["arm_aware"] == "0 of 3"
    assert values["arm_finetune_minutes"] == "10" and values["loss_excluded"] == 1
    assert "Every solve is a leaked twin's solution reproduced" in values["arm_reading"]
    pool = chapter_readings._pool_values(records)
    assert pool["far_pairs"] == 2 and pool["far_leaking"] == 5 and pool["fp_wrong"] == 1
    assert (
        "8_A on twin-aware-0, by 7_A's stored program (not a twin; that program fails 7_A's own tests)"
        in pool["aware_reading"]
    )


# ---- the model stage itself, tiny ----------------------------------------------------


def _problem(key: str, statement: str, solution: str, tests: list[tuple[str, str]]):
    from gobig.data.codecontests import Problem

    contest, index = key.split("_")
    return Problem(
        name=f"{key}. {statement[:10]}",
        description=statement,
        public_tests=tuple(tests[:1]),
        private_tests=tuple(tests),
        generated_tests=(),
        solutions=(solution,),
        cf_contest_id=int(contest),
        cf_index=index,
        difficulty=7,
        tags=(),
        time_limit_seconds=None,
    )


def test_the_model_stage_fits_samples_and_counts_cut_offs():
    """Fine-tuned long enough, the model reproduces a training solution for
    the same statement (a twin) and the judge accepts it; a solution longer
    than MAX_NEW_TOKENS is left out of fine-tuning and named."""
    import torch

    from gobig.core.runtime import set_seed
    from gobig.methods.code import codemodel, judge
    from gobig.studies.alphacode import configs, model

    twin = _problem(
        "1_A", "Read n and print twice n.", "n = int(input())\nprint(2 * n)\n", [("3\n", "6\n"), ("5\n", "10\n")]
    )
    other = _problem("2_A", "Read a word and print it in upper case.", "print(input().upper())\n", [("ab\n", "AB\n")])
    long = _problem("3_A", "Print a lot.", "print(1)\n" * 40, [("\n", "1\n" * 40)])
    copy = _problem("4_A", twin.description, twin.solutions[0], [("7\n", "14\n")])  # the twin, in validation
    texts = [p.solutions[0] for p in (twin, other, long)] * 4 + [p.description for p in (twin, other, long)] * 4
    tokenizer = codemodel.train_tokenizer(texts, vocab_size=300)
    spec = configs.ModelSpec(
        corpus_cutoff="2016-01-01",
        vocab_size=300,
        model_layers=2,
        model_heads=4,
        model_dim=64,
        context=64,
        pretrain_steps=0,
        finetune_steps=150,
        batch_size=2,
        learning_rate=3e-3,
        samples_per_problem=2,
        temperature=0.05,
        max_new_tokens=40,
        submissions=(1,),
        model_seed=0,
        precision="float32",
    )
    assert model.statement_budget(spec) == 22
    set_seed(0)
    state = codemodel.GPT(model.gpt_config(spec, tokenizer)).state_dict()
    generator = set_seed(spec.model_seed)
    cpu = torch.device("cpu")
    network, result = model.finetune(spec, tokenizer, state, {}, [twin, other, long], [copy], generator, cpu)
    assert result["train_dropped"] == ["3_A"] and result["examples"]["train"]["kept"] == 2
    assert result["train_loss"] < 0.1 < result["valid_loss_before"]
    samples, cut_off, tokens = model.sample_programs(spec, network, tokenizer, [copy], generator)
    assert samples["4_A"] == [twin.solutions[0]] * 2 and cut_off == {"4_A": 0} and tokens > 0
    outcomes = model.judge_programs([copy], samples, judge.limits_for(2.0, 256), "tokens")
    assert outcomes["4_A"].correct == 2
    lengths = model.pool_token_lengths(tokenizer, [twin, long])
    assert lengths["3_A"][1] + 1 > spec.max_new_tokens >= lengths["1_A"][1] + 1


def test_the_ledger_rows_read_the_arm_and_cite_the_paper(records):
    claims = alphacode.claims_table(records).set_index("claim")
    mechanism = claims.loc[
        "on a random split a model can solve validation problems by reproducing a training problem's solution "
        "(the leak behind 0.8% vs 0%)"
    ]
    assert mechanism["verdict"] == "supported" and "1 have a twin that was fine-tuned on" in mechanism["measured"]
    model = claims.loc["a 1B model solves 0.8% of validation problems on a random split and 0% on a temporal split"]
    assert model["measured"].startswith("problems with a correct sample: temporal 0/3")
    for source in claims["source"]:
        assert "REFERENCES" not in source and ".com" not in source and ".md" not in source
    paper = [s for s in claims["source"] if "Li et al. 2022" in s]
    assert paper and all("arXiv 2203.07814" in s for s in paper)
    # One sentence each, of about 160 characters at most ("Sec. 3.1" and "Div. 1" are no full stops).
    long = [why for why in claims["why"] if len(why) > 170 or re.search(r"(?<!Div)(?<!Sec)(?<!App)\. [A-Z]", why)]
    assert not long, long


def test_test_counts_name_tests_examples_and_distinct_outputs():
    from gobig.studies.alphacode.compute import _test_counts

    problem = _problem("5_B", "Echo.", "print(input())\n", [("1\n", "YES\n"), ("2\n", "YES \n"), ("3\n", "NO\n")])
    # Three tests, the first of them the statement's example, two distinct outputs (token by token).
    assert _test_counts(problem) == [3, 1, 2]


def test_a_leaked_twins_solve_without_a_control_split_decides_nothing(records):
    """The mechanism row needs its controls: with only the random split's
    model, a solve of a leaked twin could be a problem the model solves
    anyway, so the verdict is inconclusive and says which control is missing."""
    alone = [
        dataclasses.replace(r, model=None) if getattr(r, "model", None) and r.kind != "random" else r for r in records
    ]
    row = (
        alphacode.claims_table(alone)
        .set_index("claim")
        .loc[
            "on a random split a model can solve validation problems by reproducing a training problem's solution "
            "(the leak behind 0.8% vs 0%)"
        ]
    )
    assert row["verdict"] == "inconclusive" and "no control split" in row["why"]
    assert "solve 0 of 0" in row["measured"] and "not run on this CPU" in row["detail"]
