"""Device choice, seeding and provenance: what every record says about how
it was made."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import random
import subprocess
from contextlib import contextmanager

import numpy as np
import torch

from gobig.core.paths import ROOT

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present. Asking for ``cuda`` without one is an
    error, never a silent fall back to CPU."""
    if device not in DEVICE_CHOICES:
        raise ValueError(f"DEVICE: {device!r} is not allowed; allowed values: {', '.join(DEVICE_CHOICES)}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("DEVICE: 'cuda' was asked for but torch sees no CUDA device; use 'cpu' or 'auto'")
    return torch.device(device)


def set_seed(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU generator for
    code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def device_name(device: torch.device) -> str:
    """Human-readable name of the hardware: the GPU model, or the CPU."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


#: Dense bf16 tensor-core peaks (NVIDIA's data sheets, without sparsity), for
#: model FLOPs utilization. The H200 has the H100 SXM's compute, more memory.
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12}


def peak_bf16_flops(device: torch.device) -> float | None:
    """The GPU's dense bf16 peak, or None where it is not known here."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((flops for model, flops in PEAK_BF16_FLOPS.items() if model in name), None)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit() -> str | None:
    """HEAD, with "-dirty" when lib/ has uncommitted changes (the code that
    made the record is then not exactly that commit). A copy of the tree
    without .git (a GPU machine's) names it in GOBIG_GIT_COMMIT instead."""
    commit = _git("rev-parse", "HEAD")
    if commit and _git("status", "--porcelain", "--", "lib"):
        commit += "-dirty"
    return commit or os.environ.get("GOBIG_GIT_COMMIT") or None


def provenance(device: torch.device) -> dict:
    """The facts a reader needs to judge where a number came from."""
    return {
        "device": device.type,
        "device_name": device_name(device),
        "torch": torch.__version__,
        "torch_cuda_build": torch.version.cuda,  # the CUDA torch was built for, set even on CPU runs
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


@contextmanager
def autocast(device: torch.device, enabled: bool = True, cpu: bool = False):
    """bf16 autocast on CUDA (fast tensor cores); on a CPU only when ``cpu``
    (it pays on CPUs with native bf16 arithmetic, AVX512-BF16 or AMX, and
    is slow elsewhere); plain fp32 wherever ``enabled`` is False (attacks
    at evaluation)."""
    if enabled and (device.type == "cuda" or (cpu and device.type == "cpu")):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
