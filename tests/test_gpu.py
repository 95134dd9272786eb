"""GPU tier: skipped without CUDA. A GPU job sets GOBIG_REQUIRE_GPU=1 so a
machine without a visible GPU fails instead of silently skipping."""

import os

import pytest
import torch

from gobig.core.runtime import resolve_device
from gobig.methods.robustness.attacks import robust_accuracy
from gobig.methods.robustness.models import build_model
from gobig.methods.robustness.train import TrainingSetup, train_model

pytestmark = pytest.mark.gpu

if os.environ.get("GOBIG_REQUIRE_GPU") == "1":
    assert torch.cuda.is_available(), "GOBIG_REQUIRE_GPU=1 but torch sees no CUDA device"
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_cuda_without_a_gpu_is_an_error_not_a_fallback():
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="DEVICE: 'cuda'"):
            resolve_device("cuda")


@requires_cuda
def test_bf16_training_and_pgd_run_on_the_gpu(mnist_cpu):
    device = torch.device("cuda")
    images, labels = mnist_cpu.train_images[:4096].to(device), mnist_cpu.train_labels[:4096].to(device)
    model = build_model("madry", 2).to(device)
    history = train_model(
        model,
        images,
        labels,
        TrainingSetup(mode="pgd", epochs=1, batch_size=512, pgd_steps=3, eps_warmup=0.5),
        seed=0,
        progress=False,
    )
    assert all(parameter.is_cuda for parameter in model.parameters())
    assert history[0]["train_loss"] > 0
    assert 0 <= robust_accuracy(model.eval(), images[:512], labels[:512], 0.3, 5, 0.1) <= 1


def fresh_madry_models(device: torch.device, seeds=(0, 1, 2)) -> list:
    """One Madry s=1 model per seed, each with the initial weights it gets alone."""
    from gobig.core.runtime import set_seed

    models = []
    for seed in seeds:
        set_seed(seed)
        models.append(build_model("madry", 1).to(device))
    return models


@requires_cuda
def test_stacked_training_on_the_gpu_tracks_one_model_at_a_time(mnist_cpu):
    """bf16 on CUDA: the stacked seeds' first-epoch losses match training
    each alone to bf16 noise (the CPU test checks the weights to 1e-4)."""
    from gobig.methods.robustness.train import train_models

    device = torch.device("cuda")
    images, labels = mnist_cpu.train_images[:2048].to(device), mnist_cpu.train_labels[:2048].to(device)
    setup = TrainingSetup(mode="pgd", epochs=1, batch_size=256, pgd_steps=3, eps_warmup=0.5)

    def fresh():
        return fresh_madry_models(device)

    from gobig.core.runtime import autocast
    from gobig.methods.robustness.stacking import StackedModels

    with autocast(device):
        assert (
            StackedModels(fresh())(images[:64].expand(3, -1, -1, -1, -1)).dtype == torch.bfloat16
        )  # the stack runs in bf16 too
    alone = [
        train_models([m], images, labels, setup, [seed], progress=False)[0][0]["train_loss"]
        for seed, m in enumerate(fresh())
    ]
    together = [
        history[0]["train_loss"] for history in train_models(fresh(), images, labels, setup, [0, 1, 2], progress=False)
    ]
    assert together == pytest.approx(alone, rel=2e-2)


@requires_cuda
def test_a_pool_of_two_workers_shares_the_gpu(tmp_path):
    """What gpu/session.sh runs chapter 1 with (WORKERS > 1): spawned
    workers each start CUDA and train there; the driver writes the records."""
    from gobig.studies import mnist

    values = {
        **mnist.load_profile("smoke"),
        "CAPACITY_SCALES": [1],
        "MLP_WIDTHS": [8],
        "TRAINING_MODES": ["natural"],
        "SEEDS": [0, 1],
        "TRAIN_SUBSET": 512,
        "ROBUST_EVAL_SUBSET": 64,
        "LIPSCHITZ_POINTS": 64,
        "BLOG_MODEL": False,
        "CROSSCHECK": False,
        "DEVICE": "cuda",
        "RESULTS_DIR": str(tmp_path),
        "WORKERS": 2,
    }
    records = mnist.run(values, progress=False)
    assert len(records) == 4
    assert {r["provenance"]["device"] for r in records} == {"cuda"}
    assert {r["provenance"]["workers"] for r in records} == {2}


@requires_cuda
def test_compiled_stacked_training_compiles_on_the_gpu(mnist_cpu):
    """What chapter 1's COMPILE asks for: on this machine's torch, dynamo
    traces the vmap-ed stack in bf16 (a silent fall back to eager would
    capture nothing), and training ends near where eager training ends."""
    from torch._dynamo.utils import counters

    from gobig.methods.robustness.train import train_models

    device = torch.device("cuda")
    images, labels = mnist_cpu.train_images[:2048].to(device), mnist_cpu.train_labels[:2048].to(device)
    setup = TrainingSetup(mode="pgd", epochs=1, batch_size=256, pgd_steps=3, eps_warmup=0.5)
    eager = [
        history[0]["train_loss"]
        for history in train_models(fresh_madry_models(device), images, labels, setup, [0, 1, 2], progress=False)
    ]
    torch._dynamo.reset()
    counters.clear()
    compiled = [
        history[0]["train_loss"]
        for history in train_models(
            fresh_madry_models(device), images, labels, setup, [0, 1, 2], progress=False, compile=True
        )
    ]
    assert counters["stats"]["calls_captured"] > 0, (
        f"torch {torch.__version__}: torch.compile captured no graph of the stack"
    )
    assert compiled == pytest.approx(eager, rel=2e-2)
