"""Chapter 1's one record migration (version 1 to 2): keys recomputed, every
file keyed by a record moved with it, nothing recomputed, and nothing left
to migrate in the committed results."""

import json
from pathlib import Path

import pytest

from gobig.core.store import ResultStore, config_key
from gobig.studies.mnist import params
from gobig.studies.mnist.migration import OLD_VERSION, migrate_config, migrate_records

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
TRAINING = {"batch_size": 100, "epochs": 5, "eps": 0.3, "eps_warmup": 0.2, "learning_rate": 0.005,
            "pgd_step_size": 0.1, "pgd_steps": 5, "train_subset": None}  # fmt: skip
EVALUATION = {"eps_list": [0.3], "pgd_steps": 40}


def _write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def _old_record(folder: Path, seed: int, checkpoint: bool, result: dict) -> str:
    config = {"family": "madry", "size": 1, "mode": "pgd", "seed": seed, "training": TRAINING, "evaluation": EVALUATION}
    if checkpoint:
        config["checkpoint"] = True
    key = config_key("mnist", OLD_VERSION, config)
    _write(folder / f"{key}.json", {"key": key, "study": "mnist", "version": OLD_VERSION, "config": config,
                                    "result": result, "provenance": {"device_name": "test"}})  # fmt: skip
    return key


def test_a_version_1_sweep_moves_to_version_2_with_its_checkpoint_and_re_attacks(tmp_path):
    folder = tmp_path / "mnist"
    training_config = {"family": "madry", "size": 1, "mode": "pgd", "seed": 1, "training": TRAINING}
    old_training_key = config_key("mnist-trained", OLD_VERSION, training_config)
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / f"{old_training_key}.pt").write_bytes(b"weights")
    info = {"file": f"{old_training_key}.pt", "parts": 1, "bytes": 7, "sha256": "abc", "dtype": "float16"}
    _write(folder / "checkpoints" / f"{old_training_key}.json",
           {"key": old_training_key, "study": "mnist", "version": OLD_VERSION, "config": training_config,
            "checkpoint": info})  # fmt: skip
    without = _old_record(folder, 1, False, {"clean_accuracy": 0.98})
    kept = _old_record(
        folder, 1, True, {"clean_accuracy": 0.97, "checkpoint": {**info, "training_key": old_training_key}}
    )
    _write(folder / "evaluations" / f"{kept}.square.json", {"key": kept, "correct": 690})

    keys = migrate_records(tmp_path)

    assert keys[without] == keys[kept]  # one computation, one key: the record with the checkpoint wins
    new = keys[kept]
    store = ResultStore("mnist", params.VERSION, tmp_path)
    config = migrate_config(json.loads(json.dumps({"family": "madry", "size": 1, "mode": "pgd", "seed": 1,
                                                     "training": TRAINING, "evaluation": EVALUATION})))  # fmt: skip
    record = store.load({**config, "extras": ["checkpoint"]})
    assert record["key"] == new and record["result"]["clean_accuracy"] == 0.97
    assert (
        record["config"]["training"]["lr_schedule"] == "cosine" and record["config"]["training"]["precision"] == "auto"
    )
    assert record["config"]["training"]["monitor_images"] == 0
    training_key = record["result"]["checkpoint"]["training_key"]
    assert (folder / "checkpoints" / f"{training_key}.pt").read_bytes() == b"weights"
    assert json.loads((folder / "checkpoints" / f"{training_key}.json").read_text())["version"] == params.VERSION
    assert json.loads((folder / "evaluations" / f"{new}.square.json").read_text()) == {"key": new, "correct": 690}
    assert sorted(p.name for p in folder.glob("*.json")) == [f"{new}.json"]
    assert (
        not list((folder / "evaluations").glob(f"{kept}.*"))
        and not (folder / "checkpoints" / f"{old_training_key}.pt").exists()
    )
    assert migrate_records(tmp_path) == {}  # a second run finds nothing to do


def test_the_committed_results_hold_no_record_left_to_migrate():
    for path in sorted((ROOT / "results" / "mnist").rglob("*.json")):
        record = json.loads(path.read_text())
        if "version" in record:
            assert record["version"] == params.VERSION, path
