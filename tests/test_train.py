"""Stacked training: a sweep's seeds trained together as one vmapped model
must end where each would end alone (up to float summation order).

What "up to float summation order" allows is measured, not guessed. Natural
training is smooth in the weights: a last-bit difference stays a last-bit
difference, so its weights must agree to 1e-4. PGD training is not: its
sign steps turn last-bit differences (a vmapped stack against one model,
AVX2 against AVX-512 kernels, another processor) into other attack
trajectories, so its weights may differ in the third digit and only its
results can be compared, within the spread that tests/spread/measure.py
measured across this processor's kernels and one-ulp nudges of the initial
weights (tests/spread/float_order_spread.json): three times the largest
deviation seen, and never less than two test images' worth of accuracy.
"""

import json
from pathlib import Path

import pytest
import torch

from gobig.core.runtime import set_seed
from gobig.methods.robustness.attacks import pgd_attack
from gobig.methods.robustness.models import build_model
from gobig.methods.robustness.stacking import StackedModels
from gobig.methods.robustness.train import TrainingSetup, train_models
from tiny_sweeps import tiny_sweep

pytestmark = pytest.mark.unit

SEEDS = [0, 1, 2]
SPREAD = json.loads((Path(__file__).parent / "spread" / "float_order_spread.json").read_text())


def measured_bound(scope: str, metric: str, kind: str = "abs", floor: float = 0.0) -> float:
    """Three times the largest float-order deviation measured for ``metric``."""
    return max(3 * SPREAD[scope][metric][kind], floor)


def fresh(family, size, seeds=SEEDS):
    models = []
    for seed in seeds:
        set_seed(seed)
        models.append(build_model(family, size))
    return models


@pytest.mark.parametrize("family,size,mode", [("madry", 1, "natural"), ("madry", 1, "pgd"), ("mlp", 32, "pgd")])
def test_stacked_training_equals_training_each_model_alone(mnist_cpu, family, size, mode):
    images, labels = mnist_cpu.train_images[:1024], mnist_cpu.train_labels[:1024]
    setup = TrainingSetup(mode=mode, epochs=2, batch_size=128, learning_rate=2e-3, pgd_steps=3, eps_warmup=0.5)
    alone = fresh(family, size)
    test_images, test_labels = mnist_cpu.test_images[:500], mnist_cpu.test_labels[:500]
    alone_histories = [
        train_models([model], images, labels, setup, [seed], test_images, test_labels, progress=False)[0]
        for model, seed in zip(alone, SEEDS)
    ]
    stacked = fresh(family, size)
    stacked_histories = train_models(stacked, images, labels, setup, SEEDS, test_images, test_labels, progress=False)
    if mode == "natural":
        for one, together in zip(alone, stacked):
            for p, q in zip(one.parameters(), together.parameters()):
                torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-4)
        for one, together in zip(alone_histories, stacked_histories):
            assert [row["train_loss"] for row in together] == pytest.approx(
                [row["train_loss"] for row in one], rel=1e-4
            )
    else:
        scope = f"unit/{family}-{size}"
        loss_bound = measured_bound(scope, "train_loss", "rel")
        accuracy_bound = measured_bound(scope, "test_accuracy", floor=2 / 500)
        for one, together in zip(alone_histories, stacked_histories):
            assert [row["train_loss"] for row in together] == pytest.approx(
                [row["train_loss"] for row in one], rel=loss_bound
            )
            assert together[-1]["test_accuracy"] == pytest.approx(one[-1]["test_accuracy"], abs=accuracy_bound)
    for history in stacked_histories:
        assert all(0 <= row["test_accuracy"] <= 1 for row in history)
    # The seeds really differ: the three models did not collapse into one.
    assert not torch.allclose(next(stacked[0].parameters()), next(stacked[1].parameters()))


def test_stacked_pgd_gives_each_model_its_own_attack(mnist_cpu):
    models = fresh("mlp", 16, [0, 1])
    images, labels = mnist_cpu.test_images[:64], mnist_cpu.test_labels[:64]
    generators = [torch.Generator().manual_seed(s) for s in (10, 11)]
    together = pgd_attack(
        StackedModels(models), images.expand(2, *images.shape), labels.expand(2, -1), 0.1, 5, 0.03, generator=generators
    )
    for k, model in enumerate(models):
        alone = pgd_attack(model, images, labels, 0.1, 5, 0.03, generator=torch.Generator().manual_seed(10 + k))
        torch.testing.assert_close(together[k], alone, rtol=0, atol=1e-5)


def test_stacking_refuses_mixed_architectures_and_miscounted_seeds(mnist_cpu):
    with pytest.raises(ValueError, match="one architecture"):
        StackedModels([build_model("mlp", 8), build_model("mlp", 16)])
    with pytest.raises(ValueError, match="2 seeds for 3 models"):
        train_models(
            fresh("mlp", 8),
            mnist_cpu.train_images[:256],
            mnist_cpu.train_labels[:256],
            TrainingSetup(),
            [0, 1],
            progress=False,
        )


def assert_same_sweep_records(first: list[dict], second: list[dict], lipschitz: bool) -> None:
    """The tiny sweep's records agree key by key, their numbers within the
    measured float-order spread of this very sweep (module docstring)."""
    for one, other in zip(first, second, strict=True):
        assert one["key"] == other["key"]
        a, b = one["result"], other["result"]
        assert a["clean_accuracy"] == pytest.approx(
            b["clean_accuracy"], abs=measured_bound("sweep", "clean_accuracy", floor=2 / 10_000)
        )
        robust_bound = measured_bound("sweep", "robust_accuracy", floor=2 / 200)
        assert [r["accuracy"] for r in a["robust"]] == pytest.approx(
            [r["accuracy"] for r in b["robust"]], abs=robust_bound
        )
        if lipschitz:
            lipschitz_bound = measured_bound("sweep", "lipschitz_local_mean", "rel")
            assert a["lipschitz"]["local_mean"] == pytest.approx(b["lipschitz"]["local_mean"], rel=lipschitz_bound)


@pytest.mark.smoke
def test_a_stacked_sweep_gives_the_records_of_one_model_at_a_time(tmp_path):
    """Chapter 1 end to end: the seeds trained and attacked as one stack give
    each config the numbers it gets alone (to float-order noise)."""
    from gobig.studies import mnist

    tiny = tiny_sweep()
    stacked = mnist.run({**tiny, "STACK_SEEDS": "always", "RESULTS_DIR": str(tmp_path / "stacked")}, progress=False)
    alone = mnist.run({**tiny, "STACK_SEEDS": "never", "RESULTS_DIR": str(tmp_path / "alone")}, progress=False)
    assert [r["provenance"].get("computed_together") for r in stacked] == [2, 2]
    assert [r["provenance"].get("computed_together") for r in alone] == [None, None]
    assert_same_sweep_records(stacked, alone, lipschitz=True)


@pytest.mark.smoke
def test_a_compiled_sweep_gives_the_eager_records(tmp_path):
    """Chapter 1 with COMPILE=True: the same keys and numbers (to float-order
    noise), and each record says it was compiled."""
    from gobig.studies import mnist

    tiny = {**tiny_sweep(), "STACK_SEEDS": "always"}
    eager = mnist.run({**tiny, "RESULTS_DIR": str(tmp_path / "eager")}, progress=False)
    compiled = mnist.run({**tiny, "COMPILE": True, "RESULTS_DIR": str(tmp_path / "compiled")}, progress=False)
    assert [r["provenance"]["compiled"] for r in eager] == [False, False]
    assert [r["provenance"]["compiled"] for r in compiled] == [True, True]
    # Compiled kernels sum in another order: the same measured float-order bounds as stacking's.
    assert_same_sweep_records(eager, compiled, lipschitz=False)


def test_a_stack_computes_in_the_autocast_dtype_like_one_model():
    """Autocast does not reach inside vmap; the stack casts by hand, so a
    stack in bf16 autocast (what CUDA runs) computes in bf16 like each model."""
    models = fresh("madry", 1, [0, 1])
    images = torch.rand(2, 16, 1, 28, 28)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        alone = torch.stack([model(images[k]) for k, model in enumerate(models)])
        stack = StackedModels(models)
        together = stack(images)
    assert alone.dtype == together.dtype == torch.bfloat16
    torch.testing.assert_close(together.float(), alone.float(), rtol=0.05, atol=0.05)
    together.float().sum().backward()
    assert all(
        p.grad is not None and p.grad.dtype == torch.float32 for p in stack.parameters
    )  # fp32 leaves still learn


@pytest.mark.parametrize("count", [1, 2])
def test_compiled_training_and_attacks_equal_eager_ones(mnist_cpu, count):
    """``compile=True`` (chapter 1's COMPILE) runs the same arithmetic
    through torch.compile: PGD training and a stacked attack end where the
    eager ones end, for one plain model and for a stack."""
    from gobig.methods.robustness.attacks import robust_accuracy

    images, labels = mnist_cpu.train_images[:640], mnist_cpu.train_labels[:640]
    setup = TrainingSetup(mode="pgd", epochs=1, batch_size=128, learning_rate=2e-3, pgd_steps=2)
    seeds = SEEDS[:count]
    eager, compiled = fresh("mlp", 8, seeds), fresh("mlp", 8, seeds)
    eager_history = train_models(eager, images, labels, setup, seeds, progress=False)
    from torch._dynamo.utils import counters  # dynamo's own tally: a silent fall back to eager would capture nothing

    torch._dynamo.reset()  # compile afresh, even if another test compiled this model in this process
    counters.clear()
    compiled_history = train_models(compiled, images, labels, setup, seeds, progress=False, compile=True)
    captured = counters["stats"]["calls_captured"] > 0
    for one, other in zip(eager_history, compiled_history):
        assert [row["train_loss"] for row in other] == pytest.approx([row["train_loss"] for row in one], rel=1e-4)
    for one, other in zip(eager, compiled):
        for p, q in zip(one.parameters(), other.parameters()):
            torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-4)
    test_images, test_labels = mnist_cpu.test_images[:300], mnist_cpu.test_labels[:300]
    stack = StackedModels(compiled, compile=True).requires_grad_(False)
    assert stack.compiled
    attacked = robust_accuracy(
        StackedModels(eager).requires_grad_(False), test_images, test_labels, 0.1, 5, 0.03, seed=seeds
    )
    attacked_compiled = robust_accuracy(stack, test_images, test_labels, 0.1, 5, 0.03, seed=seeds)
    assert attacked_compiled == pytest.approx(attacked, abs=2 / 300)
    # torch 2.4's dynamo cannot trace the vmap-ed stack (the plain model it can), and falls back to
    # eager: right answers, nothing compiled. CI's torch and the GPU tier (tests/test_gpu.py) must capture.
    if not captured and count > 1 and torch.__version__ < "2.11":
        pytest.skip(f"torch {torch.__version__}: dynamo traced no stacked forward; COMPILE runs eager here")
    assert captured, "torch.compile captured no graph"
