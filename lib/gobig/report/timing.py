"""The benchmarks' timing harness: what every script in ``benchmarks/``
uses to time a baseline and our way side by side in one process and write
one record. A record's ``stages`` are rows of ``stage``, ``seconds``,
``throughput`` (with its ``unit``) and ``ratio``: the baseline's time over
this stage's time for the same work (1.0 for the baseline itself; None where
the stage has no baseline). Records go to ``records_dir()``
(``benchmarks/results/``, or ``$GOBIG_BENCHMARK_RESULTS_DIR``, read at each
call). The Performance page's tables read them (``gobig.report.benchmarking``).

A checkout tool: ``benchmarks/`` scripts call it, and its records go to the
checkout's ``benchmarks/results/`` unless the environment names another folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import torch

from gobig.core import paths
from gobig.core.runtime import provenance


def records_dir() -> Path:
    """Where records go and are read from: ``$GOBIG_BENCHMARK_RESULTS_DIR``
    (the tests' quick runs write to a temporary folder), else ``benchmarks/results``."""
    return Path(os.environ.get("GOBIG_BENCHMARK_RESULTS_DIR") or paths.ROOT / "benchmarks" / "results")


STAGE_FIELDS = ("stage", "seconds", "throughput", "unit", "ratio")


def clock(device: torch.device) -> float:
    """``time.perf_counter()`` once the device has finished its queued work
    (CUDA runs asynchronously, so an unsynchronized clock times the launches)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def timed(device: torch.device, function, *args) -> tuple[object, float]:
    """``function(*args)`` and its wall time on ``device``."""
    start = clock(device)
    result = function(*args)
    return result, clock(device) - start


def compiled_or_error(run, errors: list[str]):
    """``run()``, or None when it fails, its error appended to ``errors``:
    for the ``torch.compile`` runs beside eager ones, so that a compiler
    failing on some machine loses only its own row and the record keeps the
    error (in ``compile_errors``)."""
    try:
        return run()
    except Exception as error:  # compiler failures share no one type (dynamo, inductor, triton)
        message = f"{type(error).__name__}: {error}"[:4000]
        print(f"torch.compile failed; the record keeps the eager rows and this error:\n{message[:2000]}", flush=True)
        errors.append(message)
        return None


def stage(
    name: str, seconds: float, work: float | None, unit: str, baseline_seconds: float | None = None, **extra
) -> dict:
    """One row: ``work`` units done in ``seconds`` (throughput = work /
    seconds); ``ratio`` = baseline_seconds / seconds for the same work."""
    return {
        "stage": name,
        "seconds": seconds,
        "throughput": work / seconds if work is not None and seconds > 0 else None,
        "unit": unit,
        "ratio": baseline_seconds / seconds if baseline_seconds is not None and seconds > 0 else None,
        **extra,
    }


def print_table(title: str, stages: list[dict]) -> None:
    header = ["stage", "seconds", "throughput", "unit", "ratio to baseline"]
    rows = [
        [
            row["stage"],
            f"{row['seconds']:.3f}",
            "-" if row["throughput"] is None else f"{row['throughput']:,.1f}",
            row["unit"],
            "-" if row["ratio"] is None else f"{row['ratio']:.2f}x",
        ]
        for row in stages
    ]
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


def write_record(
    benchmark: str, device: torch.device, args: dict, stages: list[dict], results_dir: Path | None = None, **extra
) -> Path:
    """``benchmarks/results/<benchmark>-<device type>-<UTC time>.json``."""
    missing = [field for row in stages for field in STAGE_FIELDS if field not in row]
    if missing:
        raise ValueError(f"benchmark stages lack the fields {sorted(set(missing))}")
    folder = Path(results_dir or records_dir())
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{benchmark}-{device.type}-{stamp}.json"
    record = {"benchmark": benchmark, "provenance": provenance(device), "args": args, "stages": stages, **extra}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def profile_top(function, device: torch.device, rows: int = 8) -> dict:
    """Run ``function()`` under torch.profiler; return its wall time, the
    ops with the most self time (device time on CUDA, CPU time otherwise)
    and, on CUDA, the share of the wall time the GPU was busy: well below 1
    means the stage is bound by the host (Python, kernel launches), not by
    the GPU's arithmetic or memory."""
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as profiler:
        start = time.perf_counter()
        function()
        if cuda:
            torch.cuda.synchronize(device)
        wall = time.perf_counter() - start
    field = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = [event for event in profiler.key_averages() if getattr(event, field) > 0]
    total_us = sum(getattr(event, field) for event in events)
    top = sorted(events, key=lambda event: getattr(event, field), reverse=True)[:rows]
    return {
        "wall_s": wall,
        "time_field": field,
        "busy_share": total_us / 1e6 / wall if cuda and wall > 0 else None,
        "top_ops": [
            {"op": e.key, "self_ms": getattr(e, field) / 1e3, "share": getattr(e, field) / total_us, "calls": e.count}
            for e in top
        ],
    }


def print_profile(name: str, summary: dict) -> None:
    busy = "" if summary["busy_share"] is None else f", GPU busy {summary['busy_share']:.0%} of it"
    print(f"\nprofile of {name}: {summary['wall_s'] * 1e3:.1f} ms wall{busy}; top ops by {summary['time_field']}:")
    for op in summary["top_ops"]:
        print(f"  {op['share']:6.1%}  {op['self_ms']:9.2f} ms  {op['calls']:6d} calls  {op['op']}")
