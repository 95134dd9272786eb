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
    row = mnist.runs_frame([record], results).iloc[0]
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
