"""Where things live: project root, data, results, figures.

One place for every path the studies use (after showyourwork's
``paths.py``), each overridable by environment so a user can point the book
at another data mirror or keep results elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (lib/gobig/core/paths.py -> ../../../).
ROOT = Path(__file__).resolve().parents[3]


def _from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Data root. ``GOBIG_DATA_DIR`` wins; else the offline mirror in
    ``../shared/data`` beside the checkout when it exists; else ``ROOT/data``
    (where torchvision downloads to for users with internet)."""
    shared = ROOT.parent / "shared" / "data"
    return _from_env("GOBIG_DATA_DIR", shared if shared.is_dir() else ROOT / "data")


def results_dir() -> Path:
    """Result records root (``GOBIG_RESULTS_DIR`` overrides ``ROOT/results``)."""
    return _from_env("GOBIG_RESULTS_DIR", ROOT / "results")


def cache_dir() -> Path:
    """Scratch space for decompressed data (``GOBIG_CACHE_DIR`` overrides)."""
    return _from_env("GOBIG_CACHE_DIR", Path.home() / ".cache" / "gobig")
