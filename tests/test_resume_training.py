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


def test_a_run_stopped_mid_training_goes_on_from_its_last_epoch_to_the_same_record(tmp_path, monkeypatch):
    """Training snapshots each epoch (``compute.training_snapshot_path``): a
    run stopped after epoch 2 of 3 trains only epoch 3 when rerun, and its
    record equals an uninterrupted run's (the weights, optimizer, schedule and
    attack generators are restored exactly), with no snapshot left behind."""
    from gobig.methods.robustness import train

    params = {**TINY, "EPOCHS": 3, "MONITOR_IMAGES": 20}
    (straight,) = mnist.run({**params, "RESULTS_DIR": str(tmp_path / "straight")}, progress=False)
    resumed_dir = tmp_path / "resumed"
    (config,) = mnist.expand_configs(mnist.validate_parameters({**params, "RESULTS_DIR": str(resumed_dir)}))
    snapshot = compute.training_snapshot_path([config], resumed_dir)
    real_save, epochs_trained = train._save_snapshot, []

    def save_then_stop(*args, **kwargs):
        real_save(*args, **kwargs)
        if args[7] == 2:  # the epoch just saved
            raise KeyboardInterrupt("stopped after epoch 2")

    real_epoch = train._train_epoch

    def counted_epoch(*args, **kwargs):
        epochs_trained.append(args[7])
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train, "_train_epoch", counted_epoch)
    with monkeypatch.context() as patch:
        patch.setattr(train, "_save_snapshot", save_then_stop)
        with pytest.raises(KeyboardInterrupt):
            mnist.run({**params, "RESULTS_DIR": str(resumed_dir)}, progress=False)
    assert snapshot.is_file() and epochs_trained == [1, 2]
    (resumed,) = mnist.run({**params, "RESULTS_DIR": str(resumed_dir)}, progress=False)
    assert epochs_trained == [1, 2, 3]  # only the last epoch trained again

    def untimed(history):
        return [{k: v for k, v in epoch.items() if k != "train_time_s"} for epoch in history]

    assert untimed(resumed["result"]["history"]) == untimed(straight["result"]["history"])
    assert resumed["result"]["robust"] == straight["result"]["robust"]
    assert resumed["result"]["lipschitz"] == straight["result"]["lipschitz"]
    assert not snapshot.exists()


def test_a_snapshot_of_another_setup_is_not_resumed(tmp_path):
    """A snapshot whose setup, seeds or shapes differ is ignored: training starts over."""
    import torch

    from gobig.methods.robustness.models import build_model
    from gobig.methods.robustness.train import TrainingSetup, train_models

    images, labels = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    snapshot = tmp_path / "unit.training.pt"
    torch.manual_seed(0)
    model = build_model("mlp", 8)
    first = TrainingSetup(epochs=3, batch_size=32)
    state = train_models([model], images, labels, first, [0], progress=False, snapshot=snapshot)
    assert len(state[0]) == 3 and not snapshot.exists()
    # A stale snapshot of another setup sits there: it is not loaded.
    torch.save({"identity": {"setup": {}, "seeds": [0], "shapes": []}, "epoch": 2}, snapshot)
    histories = train_models([build_model("mlp", 8)], images, labels, first, [0], progress=False, snapshot=snapshot)
    assert [row["epoch"] for row in histories[0]] == [1, 2, 3]
