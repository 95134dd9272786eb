"""Model weights as small, hashed files beside the records.

A checkpoint is a model's state dict in half precision (``torch.save``),
split into parts of at most ``PART_BYTES`` so no committed file is large
(Madry's s = 16 is 6.5 MB in float16). Its SHA-256 (of the whole byte
stream) goes into the record, and loading refuses bytes with another hash.

A model that is checkpointed is evaluated with its weights rounded to float16
(``round_to_half``), so re-attacking the committed checkpoint attacks exactly
the model whose numbers the record holds.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import torch
from torch import nn

from gobig.core.errors import UserError

#: Largest part file (the repository's hook flags files over 5 MB).
PART_BYTES = 4 * 1024 * 1024


class CheckpointError(UserError, RuntimeError):
    """A checkpoint is missing, incomplete or not the one its record names."""


@torch.no_grad()
def round_to_half(model: nn.Module) -> nn.Module:
    """Round every parameter and buffer to float16 and back, in place."""
    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.is_floating_point():
            tensor.copy_(tensor.half().float())
    return model


def _part_paths(path: Path, parts: int) -> list[Path]:
    return [path] if parts == 1 else [path.with_name(f"{path.name}.{k}") for k in range(parts)]


def save(model: nn.Module, path: Path) -> dict:
    """Write ``model``'s weights (float16) to ``path`` (or ``path.0``,
    ``path.1``, ... when larger than a part); return what a record keeps:
    the file name, the number of parts, the size and the SHA-256."""
    buffer = io.BytesIO()
    # contiguous: the bytes (and hash) do not depend on a model's memory layout
    torch.save(
        {
            name: tensor.detach().half().cpu().contiguous() if tensor.is_floating_point() else tensor.cpu()
            for name, tensor in model.state_dict().items()
        },
        buffer,
    )
    return {**save_bytes(buffer.getvalue(), path), "dtype": "float16"}


def save_bytes(data: bytes, path: Path) -> dict:
    """Write ``data`` to ``path`` (or ``path.0``, ``path.1``, ... when larger
    than a part); return what a record keeps: the file name, the number of
    parts, the size and the SHA-256."""
    parts = max(1, -(-len(data) // PART_BYTES))
    path.parent.mkdir(parents=True, exist_ok=True)
    for k, part_path in enumerate(_part_paths(path, parts)):
        _atomic_write_bytes(part_path, data[k * PART_BYTES : (k + 1) * PART_BYTES])
    return {"file": path.name, "parts": parts, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def load_bytes(folder: Path, info: dict) -> bytes:
    """The bytes ``save_bytes`` wrote (``info``), after checking their hash."""
    paths = _part_paths(Path(folder) / info["file"], info["parts"])
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise CheckpointError(f"checkpoint parts missing: {', '.join(missing)}")
    data = b"".join(p.read_bytes() for p in paths)
    digest = hashlib.sha256(data).hexdigest()
    if digest != info["sha256"]:
        raise CheckpointError(f"checkpoint {paths[0]} has SHA-256 {digest}, its record says {info['sha256']}")
    return data


def load(model: nn.Module, folder: Path, info: dict) -> nn.Module:
    """Load the checkpoint a record describes (``info`` from ``save``) into
    ``model`` (float32), after checking its hash."""
    state = torch.load(io.BytesIO(load_bytes(folder, info)), map_location="cpu", weights_only=True)
    model.load_state_dict(
        {name: tensor.float() if tensor.is_floating_point() else tensor for name, tensor in state.items()}
    )
    return model


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
