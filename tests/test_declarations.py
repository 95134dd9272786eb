"""A chapter-1 parameter is declared once: its spec says where its value
goes in a config, and the configs, the training setup and the typed view
follow. Adding one touches the declaration, the code that uses it and the
chapter's cell; here, MONITOR_PGD_STEPS (a TrainingSetup field no
parameter sets yet) is added the documented way, in a test."""

import pytest

from gobig.core.params import Spec
from gobig.studies import mnist
from gobig.studies.mnist import params as mnist_params
from gobig.studies.mnist.compute import training_setup
from gobig.studies.mnist.views import from_record

pytestmark = pytest.mark.unit


def test_every_config_field_is_declared_by_a_parameter_or_a_rule():
    params = mnist.validate_parameters(mnist.load_profile("cpu60k"))
    declared = {spec.config for spec in mnist.PARAMETERS.values() if spec.config}
    for config in mnist.expand_configs(params):
        if config["family"] == "blog":
            continue  # its epochs, batch size and rate are the BLOG_* rule's
        found = {f"training.{k}" for k in config["training"]} | {f"evaluation.{k}" for k in config["evaluation"]}
        rules = {"evaluation.attacks", "evaluation.half_weights"}  # the worst-case evaluation's rule
        assert found - rules <= declared, sorted(found - rules - declared)


def test_a_new_training_parameter_needs_only_its_declaration(monkeypatch):
    new = Spec(
        int,
        "PGD steps of the training monitor",
        minimum=1,
        default=40,
        config="training.monitor_pgd_steps",
        only_for=mnist_params.ADVERSARIAL,
    )
    monkeypatch.setitem(mnist_params.PARAMETERS, "MONITOR_PGD_STEPS", new)
    params = mnist.validate_parameters(mnist.load_profile("smoke"))  # a profile without it takes the default
    configs = mnist.expand_configs(params)
    pgd = next(c for c in configs if c["mode"] == "pgd")
    natural = next(c for c in configs if c["mode"] == "natural")
    assert pgd["training"]["monitor_pgd_steps"] == 40 and "monitor_pgd_steps" not in natural["training"]
    assert training_setup(pgd).monitor_pgd_steps == 40  # the code that uses it reads it from the config
    record = {"config": pgd, "result": _result(pgd)}
    assert from_record(record).training.pgd_steps == pgd["training"]["pgd_steps"]  # the view reads the record


def test_a_training_field_no_parameter_declares_is_refused():
    config = next(c for c in mnist.expand_configs(mnist.validate_parameters(mnist.load_profile("smoke"))))
    config = {**config, "training": {**config["training"], "momentum": 0.9}}
    with pytest.raises(ValueError, match="momentum"):
        training_setup(config)
    with pytest.raises(Exception, match="momentum"):
        from_record({"config": config, "result": _result(config)})


def _result(config: dict) -> dict:
    return {
        "family": config["family"],
        "size": config["size"],
        "mode": config["mode"],
        "seed": config["seed"],
        "num_params": 1,
        "clean_accuracy": 0.9,
        "robust": [],
        "robust_eval_images": None,
        "robust_subset_clean_accuracy": 0.9,
        "majority_class_share": 0.1,
        "lipschitz": {"local_mean": 1.0, "local_max": 1.0, "local_median": 1.0, "points": 1, "spectral_bound": 1.0},
        "history": [],
        "train_time_s": 1.0,
        "eval_time_s": 1.0,
    }
