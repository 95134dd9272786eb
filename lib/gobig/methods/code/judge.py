"""Judging programs against a problem's tests, through the sandbox.

Three uses in chapter 3, one mechanism:
- ``verify_references``: a problem enters solve-rate measurements only if
  its own reference solution passes all of its tests under this judge;
- ``pass_matrix``: AlphaCode's leakage baseline (Appendix B.3): every
  solution on every problem's tests, once, so that a split's validation
  problem is solved if a training problem's solution passes all of its
  tests (read off per split by ``gobig.studies.alphacode.baseline``);
- ``judge_samples``: a model's samples, deduplicated and syntax-checked
  before anything runs, filtered on the public tests, then judged on all.

Programs are judged test by test in rounds: every program still alive runs
its next test, all in parallel, so a program that fails stops costing time.
Verdicts are memoised per (program, input, expected, limits) within a
process, since the same solution meets the same tests in several splits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from gobig.data.codecontests import Problem
from gobig.methods.code import sandbox

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
    return [(passed, verdict) for passed, verdict, _ in run_rounds_counted(programs, limits, compare)]


def run_rounds_counted(
    programs: list[tuple[str, tuple[tuple[str, str], ...]]], limits: sandbox.Limits, compare: str
) -> list[tuple[bool, str, int]]:
    """As ``run_rounds``, plus how many tests each program was run on (the
    failing one included): the cost of the judgement, in program runs."""
    outcome: list[tuple[bool, str] | None] = [None] * len(programs)
    ran = [0] * len(programs)
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
            ran[i] += 1
            if verdict != "passed":
                outcome[i] = (False, verdict)
            elif test_number + 1 == len(programs[i][1]):
                outcome[i] = (True, "passed")
        test_number += 1
    return [(o[0], o[1], n) for o, n in zip(outcome, ran)]  # type: ignore[index]


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


# ---- the full baseline: every solution on every problem, once --------------


def problem_tests_digest(problem: Problem) -> str:
    """Names a problem's tests: a cached verdict is reused only for the same tests."""
    return _digest(repr(problem.all_tests))


def pass_matrix(
    problems: list[Problem],
    limits: sandbox.Limits,
    compare: str,
    cache: Path | None = None,
    chunk: int = 10,
    progress: bool = False,
    solvers: list[Problem] | None = None,
    candidates: dict[str, set[str]] | None = None,
    batch: bool = True,
) -> dict:
    """Every distinct Python solution of ``problems`` on every problem's tests
    (AlphaCode's baseline without preselection, Appendix B.3), computed once
    and shared by every split: a split's baseline is a lookup.

    A solution stops on a problem at its first failing test. Identical
    sources run once. The diagonal (a problem's own solution) is the trust
    check. ``solvers``: the problems whose solutions run (default: ``problems``
    themselves), e.g. an older pool's solutions on a later pool's problems.
    ``candidates``: per problem key, the keys of the solvers to try (the
    nearest-k speed-up; default: all). Cells not tried are absent.
    ``batch``: run every solution's first tests on a chunk of problems in
    one sandbox launch (``sandbox.run_batch``, a fork per test), and only
    the pairs that pass it through the usual test-by-test rounds; most
    pairs fail their first test, so this cuts the launches by the chunk
    size with the same verdicts (a test checks them against the rounds).
    ``cache`` is a JSON-lines file, one line per problem judged, so an
    interrupted run resumes; lines for other tests or limits are ignored.

    Returns ``{"solutions": {digest: [owner keys]}, "cells": {problem key:
    {digest: [passed, first failing verdict or "passed", tests run]}},
    "test_runs": int, "wall_s": float, "isolation": str}``, where
    ``test_runs`` and ``wall_s`` count only the work done in this call plus
    what the cache lines record (each line stores its own cost), and
    ``isolation`` names the sandbox every verdict ran under (cache lines
    made under another, such as the readable root's "bwrap", are judged
    again)."""
    import json
    import time
    from pathlib import Path

    sources: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    digest_of: dict[str, str] = {}
    for problem in problems if solvers is None else solvers:
        for source in problem.solutions[:1]:
            digest = _digest(source)
            sources.setdefault(digest, source)
            owners.setdefault(digest, []).append(problem.key)
            digest_of[problem.key] = digest

    def needed(problem: Problem) -> list[str]:
        if candidates is None:
            return list(sources)
        return sorted({digest_of[k] for k in candidates.get(problem.key, ()) if k in digest_of})

    settings = {"limits": repr(limits), "compare": compare, "isolation": sandbox.isolation_available()}
    cells: dict[str, dict] = {}
    cost = {"test_runs": 0, "wall_s": 0.0}
    wanted = {p.key: problem_tests_digest(p) for p in problems}
    by_key = {p.key: p for p in problems}
    if cache is not None and Path(cache).is_file():
        for line in Path(cache).read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interrupted run
            problem = by_key.get(entry.get("problem"))
            if (
                problem is not None
                and entry.get("settings") == settings
                and wanted[problem.key] == entry.get("tests")
                and set(entry["cells"]) >= set(needed(problem))
            ):
                cells[problem.key] = {d: entry["cells"][d] for d in needed(problem)}
                cost["test_runs"] += entry["test_runs"]
                cost["wall_s"] += entry["wall_s"]
    todo = [p for p in problems if p.key not in cells]
    for start in range(0, len(todo), chunk):
        chunk_problems = todo[start : start + chunk]
        began = time.perf_counter()
        jobs = [(p, d) for p in chunk_problems for d in needed(p)]
        judged = (
            _first_test_then_rounds(jobs, sources, limits, compare)
            if batch
            else run_rounds_counted([(sources[d], p.all_tests) for p, d in jobs], limits, compare)
        )
        wall = (time.perf_counter() - began) / len(chunk_problems)
        for problem in chunk_problems:
            row = [(d, result) for (p, d), result in zip(jobs, judged) if p is problem]
            cells[problem.key] = {d: [ok, verdict, n] for d, (ok, verdict, n) in row}
            runs = sum(n for _, (_, _, n) in row)
            cost["test_runs"] += runs
            cost["wall_s"] += wall
            if cache is not None:
                Path(cache).parent.mkdir(parents=True, exist_ok=True)
                with open(cache, "a") as handle:
                    handle.write(
                        json.dumps(
                            {
                                "problem": problem.key,
                                "tests": wanted[problem.key],
                                "settings": settings,
                                "test_runs": runs,
                                "wall_s": wall,
                                "cells": cells[problem.key],
                            }
                        )
                        + "\n"
                    )
        if progress:
            print(
                f"pass matrix: {len(cells)}/{len(problems)} problems, {cost['test_runs']} test runs, {cost['wall_s']:.0f} s",
                flush=True,
            )
    return {"solutions": owners, "cells": cells, **cost, "isolation": settings["isolation"]}


def _first_test_then_rounds(
    jobs: list, sources: dict[str, str], limits: sandbox.Limits, compare: str
) -> list[tuple[bool, str, int]]:
    """(passed, verdict, tests run) per (problem, source digest) job: each
    source's first tests on all its problems in one batch launch, then the
    pairs that pass them through ``run_rounds_counted`` on their other tests."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    by_source: dict[str, list[int]] = {}
    for i, (problem, digest) in enumerate(jobs):
        if problem.all_tests:
            by_source.setdefault(digest, []).append(i)
    first: dict[int, str] = {}

    def run(digest: str) -> None:
        indices = by_source[digest]
        verdicts = sandbox.run_batch(
            sources[digest], [jobs[i][0].all_tests[0] for i in indices], limits=limits, compare=compare
        )
        first.update(zip(indices, verdicts))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(run, by_source))
    outcome: list[tuple[bool, str, int] | None] = [None] * len(jobs)
    survivors = []
    for i, (problem, _digest) in enumerate(jobs):
        if not problem.all_tests:
            outcome[i] = (False, "no_tests", 0)
        elif first[i] == "syntax_error":
            outcome[i] = (False, "syntax_error", 0)
        elif first[i] != "passed":
            outcome[i] = (False, first[i], 1)
        else:
            survivors.append(i)
    # The rest of their tests, test by test (the first is not run again).
    rest = [i for i in survivors if len(jobs[i][0].all_tests) > 1]
    for i in survivors:
        outcome[i] = (True, "passed", 1)
    rounds = run_rounds_counted([(sources[jobs[i][1]], jobs[i][0].all_tests[1:]) for i in rest], limits, compare)
    for i, result in zip(rest, rounds):
        outcome[i] = (result[0], result[1], result[2] + 1)  # the batch's first test counts too
    return outcome  # type: ignore[return-value]


# ---- problems with public tests only ------------------------------------------

#: Statements that accept several answers (or are interactive): an output
#: comparison cannot judge them. Phrases as Codeforces writes them.
SEVERAL_ANSWERS = re.compile(
    r"print any|output any|any of them|any such|any valid|any possible|any correct|any one of them|any of the|"
    r"(multiple|several|many) (possible |valid |correct |optimal )?(answers|solutions)|interactive",
    re.IGNORECASE,
)
#: How many crawled solutions, tried in their stored order, the rule looks at.
PUBLIC_TRUST_TRIES = 5
#: How many of those must pass every public test.
PUBLIC_TRUST_AGREEING = 2


def public_only_trust(problems: list[Problem], limits: sandbox.Limits, compare: str) -> dict[str, dict]:
    """The judge-trust rule for problems that have public tests only (the
    later Codeforces problems of ``neocoder_codeforces``).

    With no hidden tests, a verdict can only mean "passes the statement's
    examples", so the rule admits a problem only where that verdict can be
    right and can be reached: (1) the statement does not announce several
    valid answers or interaction (``SEVERAL_ANSWERS``), which an output
    comparison would misjudge; (2) at least ``PUBLIC_TRUST_AGREEING`` of its
    first ``PUBLIC_TRUST_TRIES`` crawled solutions (different authors) pass
    every public test under this judge, so the expected outputs are
    reproducible by independent programs and the judge accepts a correct
    one. A solve on such a problem is an upper bound on a solve under
    hidden tests (passing examples is necessary, not sufficient).
    ``{key: {"trusted": bool, "reason": str, "agreeing": int}}``."""
    report: dict[str, dict] = {}
    judged = []
    for problem in problems:
        if SEVERAL_ANSWERS.search(problem.description):
            report[problem.key] = {
                "trusted": False,
                "reason": "statement accepts several answers or is interactive",
                "agreeing": 0,
            }
        elif not problem.public_tests:
            report[problem.key] = {"trusted": False, "reason": "no tests", "agreeing": 0}
        elif len(problem.solutions) < PUBLIC_TRUST_AGREEING:
            report[problem.key] = {
                "trusted": False,
                "reason": f"fewer than {PUBLIC_TRUST_AGREEING} Python 3 solutions",
                "agreeing": 0,
            }
        else:
            judged.append(problem)
    programs = [(p, s) for p in judged for s in p.solutions[:PUBLIC_TRUST_TRIES]]
    results = run_rounds([(s, p.public_tests) for p, s in programs], limits, compare)
    for problem in judged:
        agreeing = sum(ok for (p, _), (ok, _) in zip(programs, results) if p is problem)
        trusted = agreeing >= PUBLIC_TRUST_AGREEING
        reason = (
            ""
            if trusted
            else f"only {agreeing} of its first {min(PUBLIC_TRUST_TRIES, len(problem.solutions))} solutions pass its public tests"
        )
        report[problem.key] = {"trusted": trusted, "reason": reason, "agreeing": agreeing}
    return report
