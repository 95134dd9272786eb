"""Judging sampled programs: gobig.methods.code.judge against running every sample.

Chapter 3 executes every program a model samples. This benchmark builds a
sample pool shaped like a model's output on real CodeContests problems
(taken from the offline mirror): for each problem, copies of its own
reference solution (correct, and repeated, as samples of a memorised
solution are), solutions of other problems (wrong), and truncated
solutions (which do not compile). It then judges the pool two ways, side
by side in one process:

- baseline: every sample runs on every test, one after another, with the
  same sandbox and limits (no deduplication, no compile check, no public
  filter, one worker);
- ours: ``gobig.methods.code.judge.judge_samples``: compile check and deduplication
  before anything runs, public tests first, programs stop at their first
  failed test, all cores busy.

Both must agree on which samples are correct; the table gives wall time,
programs started, samples per second, and the ratio baseline / ours. A JSON
record with the provenance goes to ``benchmarks/results/``.

    .venv/bin/python benchmarks/code_execution.py --problems 12 --copies 6
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import torch

from gobig.core.runtime import device_name
from gobig.data import codecontests
from gobig.methods.code import judge, sandbox
from gobig.report import benchmarking


def sample_pool(problems: list, copies: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    pool = {}
    for problem in problems:
        others = [p.solutions[0] for p in problems if p is not problem]
        own = problem.solutions[0]
        samples = (
            [own] * copies
            + rng.sample(others, min(copies, len(others)))
            + [own[: len(own) // 2] + "\n(" for _ in range(copies)]
        )
        rng.shuffle(samples)
        pool[problem.key] = samples
    return pool


def run_every_sample(problem, samples: list[str], limits: sandbox.Limits, compare: str) -> tuple[int, int]:
    """The baseline: every sample, every test, one at a time. Returns (correct, programs started)."""
    correct = started = 0
    for source in samples:
        ok = True
        for test_input, expected in problem.all_tests:
            started += 1
            result = sandbox.run_program(source, test_input, expected=expected, limits=limits, compare=compare)
            ok &= result.verdict == "passed"
        correct += ok
    return correct, started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=12, help="problems judged (the first N whose reference passes)")
    parser.add_argument("--copies", type=int, default=6, help="samples of each kind per problem")
    parser.add_argument("--time-limit", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    limits = judge.limits_for(args.time_limit, 1024)
    candidates = codecontests.load(codecontests.mirror_path())
    trust = judge.verify_references(candidates[: 3 * args.problems], limits, "tokens")
    problems = [p for p in candidates if trust.get(p.key, {}).get("trusted")][: args.problems]
    pool = sample_pool(problems, args.copies, args.seed)
    samples = sum(len(s) for s in pool.values())
    judge._MEMO.clear()  # the reference check above must not pre-warm our side

    start = time.perf_counter()
    baseline = [run_every_sample(p, pool[p.key], limits, "tokens") for p in problems]
    baseline_s = time.perf_counter() - start

    start = time.perf_counter()
    ours = [judge.judge_samples(p, pool[p.key], limits, "tokens") for p in problems]
    ours_s = time.perf_counter() - start
    started_ours = len(judge._MEMO)

    agree = [b[0] for b in baseline] == [o.correct for o in ours]
    device = torch.device("cpu")  # programs run on the host's cores
    rows = [
        benchmarking.stage(
            "baseline: every sample, every test, 1 worker",
            baseline_s,
            samples,
            "samples/s",
            baseline_s,
            programs_started=sum(b[1] for b in baseline),
        ),
        benchmarking.stage(
            f"ours: dedup + compile check + public filter, {os.cpu_count()} workers",
            ours_s,
            samples,
            "samples/s",
            baseline_s,
            programs_started=started_ours,
        ),
    ]
    print(
        f"device: {device_name(device)}  isolation: {sandbox.isolation_available()}  samples: {samples} on {len(problems)} problems"
    )
    benchmarking.print_table("Judging sampled programs", rows)
    print(f"same correct samples: {agree}")
    path = benchmarking.write_record(
        "code_execution",
        device,
        vars(args),
        rows,
        isolation=sandbox.isolation_available(),
        problems=[p.key for p in problems],
        samples=samples,
        correct_samples=[o.correct for o in ours],
        results_agree=agree,
        ratio=baseline_s / ours_s,
    )
    print(f"record: {path}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
