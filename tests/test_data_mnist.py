"""MNIST loading: checksums of the offline mirror, tensors, clear errors."""

import gzip
import hashlib
from pathlib import Path

import pytest
import torch

from gobig.core import paths
from gobig.data.mnist import (
    UNCOMPRESSED_MD5,
    MnistChecksumError,
    MnistDataMissing,
    load_mnist,
    mirror_folder,
    prepare_from_mirror,
)

pytestmark = pytest.mark.unit


def test_mirror_is_found_and_its_content_is_canonical(tmp_path):
    mirror = mirror_folder(paths.data_dir())
    assert mirror is not None, f"no MNIST mirror under {paths.data_dir()} (set GOBIG_DATA_DIR)"
    root = prepare_from_mirror(mirror, tmp_path)
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(UNCOMPRESSED_MD5)


def test_whole_splits_as_tensors(mnist_cpu):
    assert mnist_cpu.train_images.shape == (60_000, 1, 28, 28)
    assert mnist_cpu.test_images.shape == (10_000, 1, 28, 28)
    assert mnist_cpu.train_images.dtype == torch.float32
    assert 0.0 == mnist_cpu.train_images.min() and mnist_cpu.train_images.max() == 1.0
    assert torch.equal(
        torch.bincount(mnist_cpu.test_labels), torch.tensor([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    )


def test_altered_file_fails_its_checksum(tmp_path, mirror_copy):
    altered = mirror_copy
    with gzip.open(altered / "t10k-labels-idx1-ubyte.gz", "rb") as handle:
        labels = bytearray(handle.read())
    labels[-1] = (labels[-1] + 1) % 10  # one wrong label
    with gzip.open(altered / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(bytes(labels))
    with pytest.raises(MnistChecksumError, match="t10k-labels-idx1-ubyte.gz: uncompressed md5"):
        prepare_from_mirror(altered, tmp_path / "cache")


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(MnistDataMissing) as error:
        load_mnist(tmp_path / "empty", download=False)
    message = str(error.value)
    assert str(tmp_path / "empty") in message and "DATA_DIR" in message and "DOWNLOAD=True" in message


def _prepare(mirror: str, root: str) -> str:
    return str(prepare_from_mirror(Path(mirror), Path(root)))


def test_workers_that_start_together_all_get_the_canonical_files(tmp_path):
    """A sweep's pool workers start at once on a bare machine (a GPU
    session), each preparing the same empty cache: none may see another's
    half-written file."""
    import multiprocessing

    mirror = mirror_folder(paths.data_dir())
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        roots = pool.starmap(_prepare, [(str(mirror), str(tmp_path))] * 8)
    assert set(roots) == {str(tmp_path)}
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(UNCOMPRESSED_MD5)
    for name, expected in UNCOMPRESSED_MD5.items():
        assert hashlib.md5((raw / name).read_bytes()).hexdigest() == expected
