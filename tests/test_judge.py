"""The judge on toy problems: reference checks, the training-solutions
baseline with a planted duplicate, and sample counting for n@k."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from answer_thief import answer_thief
from gobig.data import codecontests
from gobig.data.codecontests import Problem
from gobig.methods.code import judge, sandbox
from gobig.studies.alphacode.baseline import baseline_from_matrix

pytestmark = pytest.mark.unit

LIMITS = judge.limits_for(2.0, 256)
DOUBLE = "print(2 * int(input()))\n"
SQUARE = "x = int(input())\nprint(x * x)\n"


def _problem(key: str, text: str, solution: str | None, tests: list[tuple[str, str]]) -> Problem:
    contest, index = key.split("_")
    return Problem(
        f"{key}. toy",
        text,
        tuple(tests[:1]),
        tuple(tests),
        (),
        (solution,) if solution else (),
        int(contest),
        index,
        7,
        (),
        None,
    )


DOUBLING = [("1\n", "2\n"), ("5\n", "10\n"), ("21\n", "42\n")]
SQUARING = [("3\n", "9\n"), ("4\n", "16\n"), ("2\n", "4\n")]


def test_references_are_trusted_only_when_they_pass_their_tests():
    problems = [
        _problem("1_A", "double the number", DOUBLE, DOUBLING),
        _problem("2_A", "double the number (wrong reference)", SQUARE, DOUBLING),
        _problem("3_A", "no solution", None, DOUBLING),
    ]
    report = judge.verify_references(problems, LIMITS, "tokens")
    assert report["1_A"] == {"trusted": True, "reason": ""}
    assert not report["2_A"]["trusted"] and "wrong_answer" in report["2_A"]["reason"]
    assert report["3_A"] == {"trusted": False, "reason": "no Python 3 solution"}


def test_rounds_stop_a_program_at_its_first_failure():
    # The second program fails test 1 (2 -> 4 is right for both; 1 -> 1 vs 2 is not).
    outcomes = judge.run_rounds(
        [(DOUBLE, tuple(DOUBLING)), ("print(int(input()) ** 2)\n", (("2\n", "4\n"), ("1\n", "2\n"), ("3\n", "6\n")))],
        LIMITS,
        "tokens",
    )
    assert outcomes == [(True, "passed"), (False, "wrong_answer")]
    assert judge.run_rounds([("print(\n", tuple(DOUBLING))], LIMITS, "tokens") == [(False, "syntax_error")]


def test_baseline_solves_the_problem_whose_duplicate_is_in_training():
    statement = "given an integer n print twice its value on a single line of output please"
    train = [
        _problem("10_A", statement, DOUBLE, [("7\n", "14\n")]),
        _problem("11_A", "given an integer print its square value", SQUARE, [("3\n", "9\n")]),
    ]
    valid = [
        _problem("12_A", statement + " now", "print(int(input()) * 2)\n", DOUBLING),
        _problem(
            "13_A",
            "print the sum of two integers a and b",
            "print(sum(map(int, input().split())))\n",
            [("1 2\n", "3\n")],
        ),
    ]
    # The study's path: the pass matrix, read off for the split (train, valid).
    matrix = judge.pass_matrix(train + valid, LIMITS, "tokens")
    baseline, trust = baseline_from_matrix(matrix, valid, {p.key for p in train})
    assert all(trust[p.key]["trusted"] for p in valid)
    rows = {row["valid"]: row for row in baseline}
    assert rows["12_A"]["solved"] and rows["12_A"]["solved_by"] == ["10_A"] and rows["12_A"]["candidates"] == 2
    assert not rows["13_A"]["solved"] and rows["13_A"]["solved_by"] == []


def test_samples_are_deduplicated_filtered_and_counted_with_multiplicity():
    problem = _problem("20_A", "double", DOUBLE, DOUBLING)
    samples = [
        DOUBLE,
        DOUBLE + "\n\n",  # the same program twice (whitespace at the end differs)
        "print(int(input()) + 1)\n",  # passes the public test 1 -> 2, fails the others
        "print(",  # does not compile
        SQUARE,  # fails the public test
    ]
    outcome = judge.judge_samples(problem, samples, LIMITS, "tokens")
    assert outcome.samples == 5 and outcome.syntax_ok == 4 and outcome.unique == 3
    assert outcome.public_passing == 3 and outcome.correct == 2


def test_pass_matrix_runs_every_solution_on_every_problem_once_and_resumes(tmp_path):
    problems = [
        _problem("1_A", "double the number", DOUBLE, DOUBLING),
        _problem("2_A", "double it again (a twin)", DOUBLE, [("7\n", "14\n"), ("0\n", "0\n")]),
        _problem("3_A", "square the number", SQUARE, SQUARING),
    ]
    cache = tmp_path / "matrix.jsonl"
    matrix = judge.pass_matrix(problems, LIMITS, "tokens", cache=cache)
    # Identical sources run once: two distinct programs, three problems.
    assert len(matrix["solutions"]) == 2 and sorted(matrix["solutions"][judge._digest(DOUBLE)]) == ["1_A", "2_A"]
    assert {
        k: sorted(o for d, c in cells.items() if c[0] for o in matrix["solutions"][d])
        for k, cells in matrix["cells"].items()
    } == {
        "1_A": ["1_A", "2_A"],
        "2_A": ["1_A", "2_A"],
        "3_A": ["3_A"],
    }
    # Stopped at the first failing test; a passing program runs every test.
    assert matrix["cells"]["1_A"][judge._digest(SQUARE)] == [False, "wrong_answer", 1]
    assert matrix["cells"]["3_A"][judge._digest(SQUARE)] == [True, "passed", 3]
    assert matrix["test_runs"] == (3 + 1) + (2 + 1) + (1 + 3)
    # A second call reads the cache and runs nothing (same counts, no new lines).
    lines = cache.read_text().count("\n")
    again = judge.pass_matrix(problems, LIMITS, "tokens", cache=cache)
    assert (
        again["cells"] == matrix["cells"]
        and again["test_runs"] == matrix["test_runs"]
        and cache.read_text().count("\n") == lines
    )
    # Other limits do not reuse those verdicts.
    other = judge.pass_matrix(problems[:1], judge.limits_for(3.0, 256), "tokens", cache=cache)
    assert cache.read_text().count("\n") == lines + 1
    assert other["cells"]["1_A"] == {judge._digest(DOUBLE): matrix["cells"]["1_A"][judge._digest(DOUBLE)]}
    # The nearest-k speed-up tries only the listed solvers.
    partial = judge.pass_matrix(problems, LIMITS, "tokens", candidates={"1_A": {"3_A"}, "2_A": set(), "3_A": {"3_A"}})
    assert set(partial["cells"]["1_A"]) == {judge._digest(SQUARE)} and partial["cells"]["2_A"] == {}


def test_public_only_trust_needs_two_agreeing_solutions_and_one_answer():
    def later(key, text, solutions, tests):
        problem = _problem(key, text, None, tests)
        return Problem(
            problem.name,
            text,
            tuple(tests),
            (),
            (),
            tuple(solutions),
            problem.cf_contest_id,
            problem.cf_index,
            7,
            (),
            None,
        )

    problems = [
        later("1700_A", "double the number", [DOUBLE, DOUBLE + "# another author\n", SQUARE], DOUBLING[:1]),
        later("1701_A", "double the number", [DOUBLE, SQUARE], [("3\n", "6\n")]),
        later("1702_A", "If there are several answers, print any of them.", [DOUBLE, DOUBLE + "#\n"], DOUBLING[:1]),
        later("1703_A", "double the number", [DOUBLE], DOUBLING[:1]),
    ]
    report = judge.public_only_trust(problems, LIMITS, "tokens")
    assert report["1700_A"] == {"trusted": True, "reason": "", "agreeing": 2}
    assert not report["1701_A"]["trusted"] and report["1701_A"]["agreeing"] == 1
    assert not report["1702_A"]["trusted"] and "several answers" in report["1702_A"]["reason"]
    assert not report["1703_A"]["trusted"] and "fewer than 2" in report["1703_A"]["reason"]


FAST_IO = """import os, sys
from io import IOBase
class FastIO(IOBase):
    def __init__(self, file):
        self._fd = file.fileno()
        self.writable = "x" in file.mode or "r" not in file.mode
sys.stdout = FastIO(sys.stdout) if False else sys.stdout
FastIO(sys.stdout)
print(2 * int(sys.stdin.readline()))
"""
THREADED = "import threading\ndef main():\n    print(2 * int(input()))\nthreading.Thread(target=main).start()\n"
EXITS = "n = int(input())\nprint(2 * n)\nexit()\n"
CRASHES = "n = int(input())\nprint(2 * n)\nraise ValueError\n"
LOOPS = "while True:\n    pass\n"


def test_batch_launches_give_the_verdicts_of_separate_runs():
    """run_batch forks a child per test inside one sandbox launch; its
    verdicts must be run_program's, including for programs that read
    sys.stdout.mode (fast-I/O templates), use threads, call exit(), crash
    after printing, or loop."""
    problems = [_problem("1_A", "double", DOUBLE, DOUBLING), _problem("3_A", "square", SQUARE, SQUARING)]
    solvers = problems + [
        _problem(f"{i}_B", "x", source, DOUBLING)
        for i, source in enumerate((FAST_IO, THREADED, EXITS, CRASHES, LOOPS), start=10)
    ]
    limits = judge.limits_for(1.0, 256)
    batched = judge.pass_matrix(problems, limits, "tokens", solvers=solvers, batch=True)
    separate = judge.pass_matrix(problems, limits, "tokens", solvers=solvers, batch=False)
    assert batched["cells"] == separate["cells"]
    verdicts = {o: c[1] for d, c in batched["cells"]["1_A"].items() for o in batched["solutions"][d]}
    assert verdicts == {
        "1_A": "passed",
        "3_A": "wrong_answer",
        "10_B": "passed",
        "11_B": "passed",
        "12_B": "passed",
        "13_B": "runtime_error",
        "14_B": "timeout",
    }


def test_a_program_that_looks_up_its_answer_in_the_problems_file_is_not_judged_passed():
    """The attack a reviewer's program made, on the real CodeContests mirror:
    find its input among the stored tests and print the stored output.
    Outside the sandbox it works; through the judge (test-by-test rounds,
    and the pass matrix's batch launch) it must fail wherever the isolation
    hides files, and every verdict names that isolation. With rlimits only
    it succeeds: such verdicts carry no claim of isolation."""
    mirror = codecontests.mirror_path()
    if not mirror.is_file():
        pytest.skip(f"no CodeContests mirror at {mirror}")
    problems = codecontests.load(mirror)
    inputs = Counter(test_input for p in problems for test_input, _ in p.all_tests)
    real = next(p for p in problems if len(p.all_tests) >= 3 and all(inputs[i] == 1 for i, _ in p.all_tests[:3]))
    tests = real.all_tests[:3]
    thief = answer_thief([str(mirror)])
    outside = subprocess.run(
        [sys.executable, "-c", thief], input=tests[0][0], capture_output=True, text=True, timeout=60
    )
    assert sandbox.outputs_match(outside.stdout, tests[0][1], "tokens")  # it steals the answer where it can read

    limits = judge.limits_for(10.0, 1024)  # room to read the whole mirror where it can
    isolation = sandbox.isolation_available()
    hidden = sandbox.hides_files(isolation)
    rounds = judge.run_rounds([(thief, tests)], limits, "tokens")
    assert rounds == ([(False, "wrong_answer")] if hidden else [(True, "passed")])
    target = _problem(f"{real.cf_contest_id}_{real.cf_index}", real.description, real.solutions[0], list(tests))
    matrix = judge.pass_matrix([target], limits, "tokens", solvers=[_problem("99_Z", "thief", thief, [])], batch=True)
    cell = matrix["cells"][target.key][judge._digest(thief)]
    assert cell == ([False, "wrong_answer", 1] if hidden else [True, "passed", 3])
    assert matrix["isolation"] == isolation
