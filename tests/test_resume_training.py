"""A chapter 1 run stopped after training but before its record is written
resumes at the evaluation: the trained weights wait beside the records
(``compute.pending_path``) until the record exists."""

import pytest

from gobig.studies import mnist
from gobig.studies.mnist import compute
from tiny_sweeps import tiny_sweep

pytestmark = pytest.mark.unit

TINY = tiny_sweep(SEEDS=[0], TRAIN_SUBSET=500, ROBUST_EVAL_SUBSET=50, LIPSCHITZ_POINTS=50)


def test_a_run_stopped_during_evaluation_resumes_without_training(tmp_path, monkeypatch):
    params = {**TINY, "RESULTS_DIR": str(tmp_path / "results")}
    (config,) = mnist.expand_configs(mnist.validate_parameters(params))
    pending = compute.pending_path(config, tmp_path / "results")

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt("stopped during the evaluation")

    monkeypatch.setattr(compute, "evaluate", stopped)
    with pytest.raises(KeyboardInterrupt):
        mnist.run(params, progress=False)
    assert pending.is_file()

    def must_not_train(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.undo()
    # Another results folder never sees this one's waiting weights.
    assert not compute.pending_path(config, tmp_path / "elsewhere").exists()
    monkeypatch.setattr(compute, "train_models", must_not_train)
    (record,) = mnist.run(params, progress=False)
    assert record["result"]["history"] and record["result"]["clean_accuracy"] > 0.1
    assert not pending.parent.exists()  # the record is written; no scratch copy or folder is left


def test_the_resumed_record_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    params = dict(TINY)
    (straight,) = mnist.run({**params, "RESULTS_DIR": str(tmp_path / "straight")}, progress=False)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(compute, "evaluate", stopped)
        with pytest.raises(KeyboardInterrupt):
            mnist.run({**params, "RESULTS_DIR": str(tmp_path / "resumed")}, progress=False)
    (resumed,) = mnist.run({**params, "RESULTS_DIR": str(tmp_path / "resumed")}, progress=False)

    def untimed(history):
        return [{k: v for k, v in epoch.items() if k != "train_time_s"} for epoch in history]

    assert untimed(resumed["result"]["history"]) == untimed(straight["result"]["history"])
    assert resumed["result"]["clean_accuracy"] == straight["result"]["clean_accuracy"]
    assert resumed["result"]["robust"] == straight["result"]["robust"]
