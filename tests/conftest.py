"""Shared fixtures. Unit tests plot off-screen; notebook kernels started by
tests must not inherit MPLBACKEND (ipykernel then keeps its inline backend)."""

from __future__ import annotations

import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.pop("MPLBACKEND", None)
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def mnist_cpu():
    """Real MNIST from the offline mirror (GOBIG_DATA_DIR or ../shared/data)."""
    from gobig.data.mnist import load_mnist

    return load_mnist(device="cpu")


@pytest.fixture(scope="session")
def trained_mlp(mnist_cpu):
    """A naturally trained MLP (~97% clean), the victim for attack tests."""
    from gobig.core.runtime import set_seed
    from gobig.methods.robustness.models import build_model
    from gobig.methods.robustness.train import TrainingSetup, train_model

    set_seed(0)
    model = build_model("mlp", 128)
    train_model(
        model,
        mnist_cpu.train_images[:20000],
        mnist_cpu.train_labels[:20000],
        TrainingSetup(epochs=2, batch_size=128, learning_rate=2e-3),
        seed=0,
        progress=False,
    )
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


@pytest.fixture
def mirror_copy(tmp_path):
    """A private copy of the MNIST mirror's four .gz files, to damage."""
    import shutil

    from gobig.core import paths
    from gobig.data.mnist import UNCOMPRESSED_MD5, mirror_folder

    mirror = mirror_folder(paths.data_dir())
    copy = tmp_path / "mirror"
    copy.mkdir()
    for name in UNCOMPRESSED_MD5:
        shutil.copy(mirror / f"{name}.gz", copy / f"{name}.gz")
    return copy
