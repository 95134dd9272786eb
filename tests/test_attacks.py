"""PGD validity: a weak attack makes every robustness number meaningless."""

import pytest
import torch

from gobig.methods.robustness.attacks import accuracy, pgd_attack, robust_accuracy

pytestmark = pytest.mark.unit

COUNT = 300  # one batch: restarts then reuse the same random stream, see below


@pytest.fixture(scope="module")
def victim(trained_mlp, mnist_cpu):
    return trained_mlp, mnist_cpu.test_images[:COUNT], mnist_cpu.test_labels[:COUNT]


def robust(victim, eps, steps=40, step_size=0.01, norm="linf", restarts=1):
    model, images, labels = victim
    return robust_accuracy(model, images, labels, eps, steps, step_size, norm, restarts, batch_size=COUNT, seed=0)


def test_naturally_trained_model_falls_to_near_zero_at_eps_03(victim):
    model, images, labels = victim
    assert accuracy(model, images, labels) > 0.9
    assert robust(victim, 0.3) < 0.02


def test_robust_accuracy_never_rises_with_eps(victim):
    values = [robust(victim, eps, steps=20, step_size=eps / 8) for eps in (0.02, 0.05, 0.1, 0.2)]
    assert values == sorted(values, reverse=True)
    assert values[0] < accuracy(*victim)  # even a small radius finds some adversarial examples


def test_more_steps_never_help_the_model(victim):
    assert robust(victim, 0.05, steps=40, step_size=0.01) <= robust(victim, 0.05, steps=5, step_size=0.01)


def test_more_restarts_never_help_the_model(victim):
    # One batch and one seed: the first restart of the 3-restart run is the
    # 1-restart run exactly, so the worst case over 3 can only be lower.
    assert robust(victim, 0.05, restarts=3) <= robust(victim, 0.05, restarts=1)


def test_l2_attack_works_and_never_rises_with_eps(victim):
    values = [robust(victim, eps, step_size=eps / 16, norm="l2") for eps in (0.5, 1.0, 2.0)]
    assert values == sorted(values, reverse=True)
    assert values[-1] < 0.2


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("l2", 1.5)])
def test_adversarial_images_stay_in_the_ball_and_in_pixel_range(victim, norm, eps):
    model, images, labels = victim
    adversarial = pgd_attack(
        model,
        images[:64],
        labels[:64],
        eps,
        steps=10,
        step_size=eps / 4,
        norm=norm,
        generator=torch.Generator().manual_seed(0),
    )
    delta = (adversarial - images[:64]).flatten(1)
    size = delta.abs().max(dim=1).values if norm == "linf" else delta.norm(dim=1)
    assert (size <= eps + 1e-5).all()
    assert adversarial.min() >= 0 and adversarial.max() <= 1


def test_a_stack_of_models_is_attacked_as_each_would_be_alone(mnist_cpu):
    from gobig.core.runtime import set_seed
    from gobig.methods.robustness.models import build_model
    from gobig.methods.robustness.stacking import StackedModels
    from gobig.methods.robustness.train import TrainingSetup, train_models

    models = []
    for seed in (0, 1):
        set_seed(seed)
        models.append(build_model("mlp", 32))
    train_models(
        models,
        mnist_cpu.train_images[:4096],
        mnist_cpu.train_labels[:4096],
        TrainingSetup(epochs=1, batch_size=128, learning_rate=2e-3),
        [0, 1],
        progress=False,
    )
    for model in models:
        model.requires_grad_(False)
    images, labels = mnist_cpu.test_images[:COUNT], mnist_cpu.test_labels[:COUNT]
    alone = [
        robust_accuracy(m, images, labels, 0.1, 10, 0.02, "linf", 1, batch_size=128, seed=s)
        for m, s in zip(models, (5, 6))
    ]
    together = robust_accuracy(
        StackedModels(models).requires_grad_(False),
        images,
        labels,
        0.1,
        10,
        0.02,
        "linf",
        1,
        batch_size=128,
        seed=[5, 6],
    )
    assert 0 < min(alone) and max(alone) < accuracy(models[0], images, labels) + 0.05  # the attack bites
    assert together == pytest.approx(alone, abs=2 / COUNT)  # float-order noise may flip a sign step, not more
    l2_alone = [
        robust_accuracy(m, images, labels, 1.0, 10, 0.25, "l2", 1, batch_size=128, seed=s)
        for m, s in zip(models, (5, 6))
    ]
    l2_together = robust_accuracy(
        StackedModels(models).requires_grad_(False), images, labels, 1.0, 10, 0.25, "l2", 1, batch_size=128, seed=[5, 6]
    )
    assert l2_together == pytest.approx(l2_alone, abs=2 / COUNT)


@pytest.mark.parametrize("norm,eps,step_size", [("linf", 0.1, 0.02), ("l2", 1.0, 0.25)])
def test_the_batch_size_never_changes_an_images_random_start(victim, norm, eps, step_size):
    """Each restart's starts are drawn for the whole set, then cut into
    batches: batches of 7 attack exactly the starts one batch does, so the
    masks agree but for float order (none on this model)."""
    from gobig.methods.robustness.attacks import robust_mask

    model, images, labels = victim
    masks = [
        robust_mask(model, images, labels, eps, 5, step_size, norm, restarts=2, batch_size=size, seed=3)
        for size in (COUNT, 7, None)
    ]
    assert torch.equal(masks[0], masks[1]) and torch.equal(masks[0], masks[2])
    assert 0 < int(masks[0].sum()) < COUNT  # the attack broke some images and not all, so the test can fail
