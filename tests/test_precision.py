"""TRAIN_PRECISION: bf16 training on a CPU when asked for, float32 attacks
at evaluation always, and old records' keys untouched."""

import functools

import pytest
import torch
from torch import nn

from gobig.core.params import ParameterError
from gobig.core.store import config_key
from gobig.methods.robustness.attacks import robust_accuracy
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.studies import mnist

pytestmark = pytest.mark.unit


class DtypeSpy(nn.Module):
    """Records the dtype of the activations that pass through it."""

    def __init__(self):
        super().__init__()
        self.seen = set()

    def forward(self, x):
        self.seen.add(x.dtype)
        return x


def _model():
    spy = DtypeSpy()
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), spy, nn.ReLU(), nn.Linear(32, 10)), spy


@pytest.mark.parametrize("precision,trained_in", [("auto", torch.float32), ("bfloat16", torch.bfloat16)])
def test_training_runs_in_the_precision_asked_for_and_attacks_stay_float32(mnist_cpu, precision, trained_in):
    model, spy = _model()
    setup = TrainingSetup(mode="pgd", epochs=1, batch_size=100, pgd_steps=2, precision=precision)
    (history,) = train_models(
        [model], mnist_cpu.train_images[:300], mnist_cpu.train_labels[:300], setup, [0], progress=False
    )
    assert spy.seen == {trained_in}
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast, not a bf16 model
    assert torch.isfinite(torch.tensor(history[-1]["train_loss"]))
    spy.seen.clear()
    model.requires_grad_(False)
    robust_accuracy(model, mnist_cpu.test_images[:50], mnist_cpu.test_labels[:50], 0.3, 3, 0.1)
    assert spy.seen == {torch.float32}


def test_an_unknown_precision_is_refused_before_training(mnist_cpu):
    model, _ = _model()
    with pytest.raises(ValueError, match="precision 'fp8'"):
        train_models(
            [model],
            mnist_cpu.train_images[:100],
            mnist_cpu.train_labels[:100],
            TrainingSetup(precision="fp8"),
            [0],
            progress=False,
        )
    with pytest.raises(ParameterError, match="TRAIN_PRECISION.*auto.*bfloat16"):
        mnist.validate_parameters({**mnist.load_profile("smoke"), "TRAIN_PRECISION": "fp16"})


def test_bf16_training_gets_its_own_keys():
    profile = mnist.validate_parameters(mnist.load_profile("cpu60k"))
    auto = mnist.expand_configs(profile)
    bf16 = mnist.expand_configs({**profile, "TRAIN_PRECISION": "bfloat16"})
    assert all(c["training"]["precision"] == "auto" for c in auto)
    key = functools.partial(config_key, mnist.STUDY, mnist.VERSION)
    assert {key(c) for c in auto}.isdisjoint(key(c) for c in bf16)
    assert all(c["training"]["precision"] == "bfloat16" for c in bf16)
    assert mnist.expand_configs({**profile, "TRAIN_PRECISION": "auto"}) == auto
