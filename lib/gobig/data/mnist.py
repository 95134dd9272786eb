"""MNIST as tensors on the device.

Two ways in: torchvision's own download (users with internet), or an offline
mirror of the four IDX ``.gz`` files, decompressed into torchvision's
``MNIST/raw`` layout after checking the md5 of the *uncompressed* bytes
(the mirror's training-images ``.gz`` is re-gzipped, so its ``.gz`` hash
differs from the canonical one while its content does not).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import torch

from gobig.core import paths
from gobig.core.errors import UserError

#: md5 of each file's uncompressed bytes (../shared/data/mnist/README.md).
UNCOMPRESSED_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class MnistDataMissing(UserError, FileNotFoundError):
    """MNIST is neither in the mirror nor downloadable from here."""


class MnistChecksumError(UserError, RuntimeError):
    """A mirror file's content is not the canonical MNIST."""


class MnistTensors(NamedTuple):
    train_images: torch.Tensor  # (60000, 1, 28, 28) float in [0, 1]
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 1, 28, 28)
    test_labels: torch.Tensor  # (10000,)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mirror_folder(data_dir: Path) -> Path | None:
    """The folder that holds the four ``.gz`` files, if any: ``data_dir/mnist``
    (the shared mirror's layout) or ``data_dir`` itself."""
    for folder in (data_dir / "mnist", data_dir):
        if all((folder / f"{name}.gz").is_file() for name in UNCOMPRESSED_MD5):
            return folder
    return None


def prepare_from_mirror(mirror: Path, root: Path) -> Path:
    """Decompress the mirror into ``root/MNIST/raw``, verifying each file's
    uncompressed md5; files already there and correct are kept."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, expected in UNCOMPRESSED_MD5.items():
        target = raw / name
        if target.is_file() and _md5(target) == expected:
            continue
        # One partial file per process: a sweep's workers start at once on a
        # bare machine and prepare the same cache; each replace is atomic and
        # puts the same verified bytes in place.
        partial = target.with_suffix(f".{os.getpid()}.partial")
        try:
            with gzip.open(mirror / f"{name}.gz", "rb") as source, open(partial, "wb") as sink:
                shutil.copyfileobj(source, sink)
        except (OSError, EOFError) as error:  # truncated or not gzip at all
            partial.unlink(missing_ok=True)
            raise MnistChecksumError(
                f"{mirror / (name + '.gz')}: cannot be decompressed ({error}); the file is damaged"
            ) from error
        actual = _md5(partial)
        if actual != expected:
            partial.unlink()
            raise MnistChecksumError(
                f"{mirror / (name + '.gz')}: uncompressed md5 is {actual}, expected {expected}; the file is not canonical MNIST"
            )
        partial.replace(target)
    return root


def load_mnist(
    data_dir: str | Path | None = None, device: torch.device | str = "cpu", download: bool = False
) -> MnistTensors:
    """The whole train and test splits as float tensors on ``device``.

    Looks for the offline mirror under ``data_dir`` (default
    ``gobig.core.paths.data_dir()``); else uses torchvision's files under
    ``data_dir``, downloading them when ``download`` is true.
    """
    from torchvision.datasets import MNIST

    data_dir = Path(data_dir) if data_dir else paths.data_dir()
    mirror = mirror_folder(data_dir)
    if mirror is not None:
        root = prepare_from_mirror(mirror, paths.cache_dir() / "mnist")
    else:
        root = data_dir
    try:
        train = MNIST(str(root), train=True, download=download and mirror is None)
        test = MNIST(str(root), train=False, download=download and mirror is None)
    except RuntimeError as error:
        raise MnistDataMissing(
            f"MNIST not found under {data_dir} (DATA_DIR / GOBIG_DATA_DIR). Either point DATA_DIR at a folder "
            "holding the four IDX .gz files (train-images-idx3-ubyte.gz, ...), or set DOWNLOAD=True to let "
            f"torchvision download it into {data_dir}. ({error})"
        ) from error
    device = torch.device(device)

    def images(dataset) -> torch.Tensor:
        return (dataset.data.unsqueeze(1).float() / 255.0).to(device)

    return MnistTensors(images(train), train.targets.to(device), images(test), test.targets.to(device))
