"""``python -m gobig evaluate mnist KEY --attack NAME`` on a tiny trained
model: a sweep keeps the first seed's checkpoint, re-attacks of it chain
(each starts from what every earlier one left robust and skips what they
ran), and the chapter's frame reads the worst case over all of them."""

import json

import numpy as np
import pytest

from gobig.core.params import ParameterError
from gobig.studies import mnist
from gobig.studies.mnist.evaluation import mask_from_hex
from tiny_sweeps import tiny_sweep

pytestmark = pytest.mark.unit

TINY = tiny_sweep(SEEDS=[0], CHECKPOINTS="first_seed", ATTACKS=["apgd-ce"])


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    records = mnist.run({**TINY, "RESULTS_DIR": str(results)}, progress=False)
    assert len(records) == 1
    return results, records[0]


def _linf(record):
    return next(r for r in record["result"]["robust"] if r["norm"] == "linf" and r["eps"] == 0.3)


def test_the_sweep_keeps_the_first_seeds_checkpoint_and_names_its_hash(swept):
    results, record = swept
    checkpoint = record["result"]["checkpoint"]
    assert (results / checkpoint["folder"] / checkpoint["file"]).is_file()
    assert len(checkpoint["sha256"]) == 64


def test_reattacks_chain_and_the_frame_reads_their_worst_case(swept):
    results, record = swept
    key, entry = record["key"], _linf(record)
    count = entry["images"]
    square = mnist.reattack(key, "square", results_dir=results, device="cpu")
    assert square["start"]["robust"] == entry["correct"]
    assert [stage["attack"] for stage in square["stages"]] == ["square"]
    # Only ever removes examples from the record's robust set.
    before, after = mask_from_hex(entry["mask"], count), mask_from_hex(square["mask"], count)
    assert not (after & ~before).any()

    # The full suite skips what the record (apgd-ce) and the square re-attack ran, and starts where square ended.
    suite = mnist.reattack(key, "autoattack", results_dir=results, device="cpu")
    assert suite["start"]["robust"] == square["correct"]
    assert [stage["attack"] for stage in suite["stages"]] == ["apgd-t", "fab-t"]
    assert not (mask_from_hex(suite["mask"], count) & ~after).any()

    strongest = mnist.strongest_evaluation(key, record["result"]["checkpoint"]["sha256"], results)
    assert strongest["correct"] == suite["correct"] <= square["correct"] <= entry["correct"]
    row = mnist.runs_frame(mnist.load_results([record], results).records).iloc[0]
    assert row["robust_correct"] == strongest["correct"]
    assert row["robust_attacks"].endswith("+square+apgd-t+fab-t")


def test_masks_of_separate_reattacks_are_combined_example_by_example(swept, tmp_path):
    """Two re-attacks that each broke different examples: the worst case
    counts an example robust only if both left it robust."""
    results, record = swept
    key, sha = record["key"], record["result"]["checkpoint"]["sha256"]
    folder = tmp_path / "mnist" / "evaluations"
    folder.mkdir(parents=True)
    first = np.array([True, True, False, True] * 25)
    second = np.array([True, False, True, True] * 25)
    for name, mask in (("fab-t", first), ("square", second)):
        bits = "".join("1" if v else "0" for v in mask)
        hex_mask = "".join(f"{int(bits[k : k + 4], 2):x}" for k in range(0, len(bits), 4))
        (folder / f"{key}.{name}.json").write_text(
            json.dumps(
                {
                    **{"eps": 0.3, "images": 100, "correct": int(mask.sum()), "mask": hex_mask},
                    **{"stages": [{"attack": name}], "checkpoint_sha256": sha, "attack": name},
                }
            )
        )
    combined = mnist.strongest_evaluation(key, sha, tmp_path)
    assert combined["correct"] == 50 < 75
    assert [stage["attack"] for stage in combined["stages"]] == ["fab-t", "square"]


def test_a_bad_attack_or_key_is_refused_before_any_compute(swept):
    results, record = swept
    with pytest.raises(ParameterError, match="--attack.*allowed values: apgd-ce"):
        mnist.reattack(record["key"], "cw", results_dir=results)
    with pytest.raises(ParameterError, match="KEY: no record"):
        mnist.reattack("0" * 16, "square", results_dir=results)


def test_square_strong_on_the_first_images_leaves_the_others_as_they_were(swept):
    results, record = swept
    key, entry = record["key"], _linf(record)
    count = entry["images"]
    before = mask_from_hex(
        mnist.strongest_evaluation(key, record["result"]["checkpoint"]["sha256"], results)["mask"], count
    )
    strong = mnist.reattack(key, "square-strong", results_dir=results, device="cpu", images=20)
    assert strong["attacked_images"] == 20
    assert [stage["attack"] for stage in strong["stages"]] == ["square-strong"]
    after = mask_from_hex(strong["mask"], count)
    assert (after[20:] == before[20:]).all()  # not attacked: as every earlier attack left them
    assert not (after & ~before).any()
    row = mnist.runs_frame(mnist.load_results([record], results).records).iloc[0]
    assert row["robust_attacks"].endswith("+square-strong")
    with pytest.raises(ParameterError, match="--images: 0 is not allowed; allowed values: 1 to"):
        mnist.reattack(key, "square-strong", results_dir=results, images=0)


def test_the_eps_sweep_starts_from_the_records_radii_resumes_and_stays_out_of_the_worst_case(swept):
    results, record = swept
    key = record["key"]
    sha = record["result"]["checkpoint"]["sha256"]
    headline = mnist.strongest_evaluation(key, sha, results)
    radii = (0.05, 0.3)
    first = mnist.eps_sweep(key, results_dir=results, device="cpu", images=40, eps_list=radii)
    assert [entry["eps"] for entry in first["entries"]] == list(radii)
    assert all(entry["images"] == 40 for entry in first["entries"])
    by_eps = {entry["eps"]: entry for entry in first["entries"]}
    # At 0.3 the record ran PGD and APGD-CE: the sweep adds APGD-T only, from the record's robust examples.
    assert by_eps[0.3]["start"]["attacks"] == [stage["attack"] for stage in _linf(record)["stages"]]
    assert [stage["attack"] for stage in by_eps[0.3]["stages"]] == ["apgd-t"]
    record_mask = mask_from_hex(_linf(record)["mask"], _linf(record)["images"])[:40]
    assert not (mask_from_hex(by_eps[0.3]["mask"], 40) & ~record_mask).any()
    # A radius the record never saw gets the whole chain, PGD with the record's settings first.
    assert [stage["attack"] for stage in by_eps[0.05]["stages"]] == ["pgd-10x1", "apgd-ce", "apgd-t"]
    # Nothing left to do on a rerun (it would recompute a radius in seconds otherwise); the
    # headline worst case does not read the sweep.
    again = mnist.eps_sweep(key, results_dir=results, device="cpu", images=40, eps_list=radii)
    assert again["entries"] == first["entries"]
    assert mnist.strongest_evaluation(key, sha, results) == headline
    with pytest.raises(ParameterError, match="--images"):
        mnist.reattack(key, "eps-sweep", results_dir=results, images=10)  # another subset than the stored sweep's


# ---- `gobig retrain` and `gobig evaluate --profile` -------------------------------

#: The tiny sweep without kept weights: its record names no checkpoint.
UNKEPT = tiny_sweep(SEEDS=[0], CHECKPOINTS="none", ATTACKS=["apgd-ce"])


@pytest.fixture(scope="module")
def unkept(tmp_path_factory):
    results = tmp_path_factory.mktemp("unkept")
    records = mnist.run({**UNKEPT, "RESULTS_DIR": str(results)}, progress=False)
    assert len(records) == 1 and "checkpoint" not in records[0]["result"]
    return results, records[0]


def test_retrain_reproduces_a_record_without_checkpoint_on_the_machine_that_made_it(unkept):
    """On the CPU that made the record, in its thread count, retraining
    retraces every epoch's loss and accuracy, so the weights are kept and
    the record can be re-attacked."""
    results, record = unkept
    key = record["key"]
    assert mnist.record_checkpoint(record, results) is None
    with pytest.raises(ParameterError, match="has no checkpoint"):
        mnist.reattack(key, "square", results_dir=results, device="cpu")
    trained = mnist.retrain(key, results_dir=results)
    assert mnist.same_training(trained["history"], record["result"]["history"])
    checkpoint = mnist.record_checkpoint(record, results)
    assert checkpoint is not None and checkpoint["sha256"] == trained["checkpoint"]["sha256"]
    square = mnist.reattack(key, "square", results_dir=results, device="cpu")
    assert square["checkpoint_sha256"] == checkpoint["sha256"] and square["start"]["robust"] == _linf(record)["correct"]
    # A second call finds the weights and trains nothing.
    assert mnist.retrain(key, results_dir=results)["checkpoint"] == trained["checkpoint"]


def test_retrain_refuses_a_record_whose_history_it_does_not_reproduce(unkept, tmp_path):
    """A record whose history differs from what retraining gives (another
    CPU's rounding, here an edited loss) gets no checkpoint: weights that
    are not the record's model would be attacked in its name."""
    import shutil

    from gobig.core.checkpoints import CheckpointError

    results, record = unkept
    copied = tmp_path / "results"
    shutil.copytree(results / "mnist", copied / "mnist", ignore=shutil.ignore_patterns("checkpoints", "evaluations"))
    path = copied / "mnist" / f"{record['key']}.json"
    changed = json.loads(path.read_text())
    changed["result"]["history"][0]["train_loss"] += 1e-6
    path.write_text(json.dumps(changed))
    with pytest.raises(CheckpointError, match="did not reproduce its history"):
        mnist.retrain(record["key"], results_dir=copied)
    assert not (copied / "mnist" / "checkpoints").exists() or not any((copied / "mnist" / "checkpoints").iterdir())
    assert mnist.record_checkpoint(changed, copied) is None


def test_evaluate_profile_reattacks_every_record_that_kept_its_weights(swept, capsys):
    """``gobig evaluate mnist --profile NAME --set ...`` re-attacks each
    adversarially trained record of the profile's configs that keeps a
    checkpoint; one that has faced the attack already costs a check."""
    from gobig.__main__ import main

    results, record = swept
    overrides = {name: value for name, value in TINY.items() if mnist.load_profile("smoke").get(name) != value}
    arguments = [f"{name}={json.dumps(value)}" for name, value in overrides.items()]  # JSON is YAML
    sets = [part for argument in arguments for part in ("--set", argument)]
    command = ["evaluate", "mnist", "--profile", "smoke", *sets, "--attack", "square", "--device", "cpu"]
    assert main([*command, "--results-dir", str(results)]) == 0
    out = capsys.readouterr().out
    assert (
        f"{record['key']} (madry 1, seed 0):" in out and "1 record(s) of profile smoke re-attacked with square" in out
    )
    # A bad attack is refused before any compute, naming the allowed values.
    assert main([*command[:-4], "--attack", "cw", "--results-dir", str(results)]) == 2
    assert "--attack: 'cw' is not allowed; allowed values: apgd-ce" in capsys.readouterr().err
