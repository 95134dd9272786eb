"""Judging programs against a problem's tests, through the sandbox.

Three uses in chapter 3, one mechanism:
- ``verify_references``: a problem enters solve-rate measurements only if
  its own reference solution passes all of its tests under this judge;
- ``submit_training_solutions``: AlphaCode's leakage baseline (Appendix
  B.3): a validation problem is solved if a training problem's solution
  passes all of its tests;
- ``judge_samples``: a model's samples, deduplicated and syntax-checked
  before anything runs, filtered on the public tests, then judged on all.

Programs are judged test by test in rounds: every program still alive runs
its next test, all in parallel, so a program that fails stops costing time.
Verdicts are memoised per (program, input, expected, limits) within a
process, since the same solution meets the same tests in several splits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from gobig import sandbox
from gobig.data.codecontests import Problem
from gobig.leakage import Index

_MEMO: dict[tuple, str] = {}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def limits_for(time_limit_s: float, memory_mb: int) -> sandbox.Limits:
    """CPU seconds per test, a wall limit with room for a loaded machine."""
    return sandbox.Limits(cpu_seconds=time_limit_s, wall_seconds=2 * time_limit_s + 1, memory_mb=memory_mb)


def run_rounds(
    programs: list[tuple[str, tuple[tuple[str, str], ...]]], limits: sandbox.Limits, compare: str
) -> list[tuple[bool, str]]:
    """Judge each (source, tests) pair; returns (passed all, first failing
    verdict or "passed") per pair. Stops a program at its first failure."""
    outcome: list[tuple[bool, str] | None] = [None] * len(programs)
    for i, (source, tests) in enumerate(programs):
        if not tests:
            outcome[i] = (False, "no_tests")
        elif not sandbox.check_syntax(source):
            outcome[i] = (False, "syntax_error")
    source_keys = [_digest(source) for source, _ in programs]  # hashed once, not per round
    test_number = 0
    while True:
        alive = [i for i, o in enumerate(outcome) if o is None]
        if not alive:
            break
        keys = {}
        for i in alive:
            test_input, expected = programs[i][1][test_number]
            keys[i] = (source_keys[i], _digest(test_input), _digest(expected), limits, compare)
        # Each (program, test) runs once: not again if memoised, nor twice in a round.
        todo = {key: i for i, key in keys.items() if key not in _MEMO}
        jobs = [(programs[i][0], *programs[i][1][test_number]) for i in todo.values()]
        for key, result in zip(todo, sandbox.run_many(jobs, limits=limits, compare=compare)):
            _MEMO[key] = result.verdict
        for i in alive:
            verdict = _MEMO[keys[i]]
            if verdict != "passed":
                outcome[i] = (False, verdict)
            elif test_number + 1 == len(programs[i][1]):
                outcome[i] = (True, "passed")
        test_number += 1
    return outcome  # type: ignore[return-value]


def verify_references(problems: list[Problem], limits: sandbox.Limits, compare: str) -> dict[str, dict]:
    """Per problem: is its first Python 3 solution accepted on all its tests?
    ``{key: {"trusted": bool, "reason": str}}``; the reason says why not."""
    report: dict[str, dict] = {}
    judged = []
    for problem in problems:
        if not problem.solutions:
            report[problem.key] = {"trusted": False, "reason": "no Python 3 solution"}
        elif not problem.all_tests:
            report[problem.key] = {"trusted": False, "reason": "no tests"}
        else:
            judged.append(problem)
    results = run_rounds([(p.solutions[0], p.all_tests) for p in judged], limits, compare)
    for problem, (passed, verdict) in zip(judged, results):
        reason = "" if passed else f"reference solution fails its own tests ({verdict})"
        report[problem.key] = {"trusted": passed, "reason": reason}
    return report


@dataclass
class BaselineOutcome:
    """One validation problem under the submit-training-solutions baseline."""

    valid: str
    solved: bool
    solved_by: str | None  # the training problem whose solution passed
    candidates: int  # training solutions tried
    passed_public: list[str] = field(default_factory=list)


def submit_training_solutions(
    valid: list[Problem],
    train: list[Problem],
    index: Index,
    nearest: int,
    limits: sandbox.Limits,
    compare: str,
) -> list[BaselineOutcome]:
    """Run training problems' reference solutions on each validation
    problem, the ``nearest`` most similar by statement first (0 = all of
    them): public tests first, then every test for those that pass."""
    by_key = {p.key: p for p in train if p.solutions}
    train_keys = list(by_key)
    candidates = {v.key: index.ranked_neighbours(v.key, train_keys, nearest) for v in valid}
    pairs = [(v, by_key[t]) for v in valid for t in candidates[v.key]]
    public = run_rounds([(t.solutions[0], v.public_tests or v.all_tests[:1]) for v, t in pairs], limits, compare)
    survivors = [(v, t) for (v, t), (ok, _) in zip(pairs, public) if ok]
    full = run_rounds([(t.solutions[0], v.all_tests) for v, t in survivors], limits, compare)
    outcomes = {v.key: BaselineOutcome(v.key, False, None, len(candidates[v.key])) for v in valid}
    for (v, t), (ok, _) in zip(survivors, full):
        outcome = outcomes[v.key]
        outcome.passed_public.append(t.key)
        if ok and not outcome.solved:
            outcome.solved, outcome.solved_by = True, t.key
    return [outcomes[v.key] for v in valid]


@dataclass
class SampleOutcome:
    """A model's K samples for one problem, judged."""

    samples: int  # K
    syntax_ok: int
    unique: int  # distinct syntax-valid programs actually executed
    public_passing: int  # F: samples (with multiplicity) passing the public tests
    correct: int  # S: samples passing the public tests and all tests


def judge_samples(problem: Problem, programs: list[str], limits: sandbox.Limits, compare: str) -> SampleOutcome:
    """Deduplicate and syntax-check, filter on public tests, judge the rest on all tests."""
    normalised = [p.strip() + "\n" for p in programs]
    unique = sorted({p for p in normalised if sandbox.check_syntax(p)})
    public_tests = problem.public_tests or problem.all_tests[:1]
    public = dict(zip(unique, run_rounds([(p, public_tests) for p in unique], limits, compare)))
    passing = [p for p in unique if public[p][0]]
    full = dict(zip(passing, run_rounds([(p, problem.all_tests) for p in passing], limits, compare)))
    return SampleOutcome(
        samples=len(programs),
        syntax_ok=sum(p in public for p in normalised),
        unique=len(unique),
        public_passing=sum(p in public and public[p][0] for p in normalised),
        correct=sum(p in full and full[p][0] for p in normalised),
    )
