"""Chapter 3's fine-tuned weights kept beside the records: a fresh clone's
sampling stage starts from them instead of fine-tuning again, and the
committed ones are those of the committed fine-tuning record's inputs."""

import pytest
import torch

from gobig.core import paths
from gobig.core.store import ResultStore
from gobig.studies import alphacode
from gobig.studies.alphacode.compute import Computer
from gobig.studies.alphacode.configs import Machine, stage_config

pytestmark = pytest.mark.unit


def _finetune_config(results_dir=None):
    params = alphacode.validate_parameters(alphacode.load_profile(alphacode.DEFAULT_PROFILE))
    (config,) = [c for c in alphacode.expand_configs(params) if c.get("stage") == "finetune"]
    computer = Computer(Machine.from_params(params), ResultStore(alphacode.STUDY, alphacode.VERSION, results_dir))
    return computer, stage_config(config)


def test_kept_weights_are_used_instead_of_fine_tuning_again(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path / "cache")
    computer, config = _finetune_config(tmp_path / "results")
    saved = {
        "inputs": computer.weights_inputs(config),
        "result": {"train_loss": 1.0},
        "state_dict": {"w": torch.ones(3)},
    }
    computer.weights_path(config).parent.mkdir(parents=True)
    torch.save(saved, computer.weights_path(config))
    kept = computer.keep_weights(config)
    assert (tmp_path / "results" / "alphacode" / "weights" / kept["file"]).is_file()
    computer.weights_path(config).unlink()  # a fresh clone: no cache

    def refuse(_config):
        raise AssertionError("fine-tuned again although weights were kept")

    monkeypatch.setattr(computer, "_finetune_uncached", refuse)
    loaded = computer._finetuned(config)
    assert loaded["result"] == saved["result"] and torch.equal(loaded["state_dict"]["w"], torch.ones(3))


def test_the_committed_weights_are_the_default_fine_tunings_and_intact():
    from gobig.core import checkpoints

    computer, config = _finetune_config(paths.ROOT / "results")
    kept = computer.kept_weights_info(config)
    assert kept is not None, "commit the default fine-tuning's weights: Computer.keep_weights"
    data = checkpoints.load_bytes(computer.kept_weights_folder(), kept)  # checks the SHA-256
    assert len(data) == kept["bytes"]
