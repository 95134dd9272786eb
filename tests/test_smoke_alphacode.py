"""Smoke tier for chapter 3: papermill with the smoke parameters on CPU
into a temporary results folder; the glued numbers agree with the records."""

import ast
import json

import pytest

from gobig.core import paths
from gobig.report import readings
from gobig.studies import alphacode
from notebook_runs import run_chapter

pytestmark = pytest.mark.smoke

CHAPTER = paths.ROOT / "chapters" / "03_alphacode_split.ipynb"
PARAMS = paths.ROOT / "tests" / "params" / "03_alphacode_split.yaml"


def test_chapter_3_smoke_run(tmp_path):
    glued = run_chapter(CHAPTER, PARAMS, tmp_path / "out.ipynb", tmp_path / "results")
    records = [json.loads(p.read_text()) for p in (tmp_path / "results" / "alphacode").glob("*.json")]
    names = sorted(
        r["result"]["split"]["name"] if r["config"]["split"] != "date-curve" else "date-curve" for r in records
    )
    assert names == ["date-curve", "random-0", "random-0-untwinned", "temporal", "temporal-cut", "twin-aware-0"]
    splits = {r["result"]["split"]["name"]: r for r in records if r["config"]["split"] != "date-curve"}
    temporal, random = splits["temporal"]["result"], splits["random-0"]["result"]
    # Every split has the temporal split's validation size, and the prose quotes it.
    assert {len(r["result"]["split"]["valid"]) for r in splits.values()} == {int(glued["n_valid"])}
    assert int(glued["n_problems"]) == 300
    assert int(glued["n_twin_groups"]) == len(temporal["twin_groups"]) == 28
    # The twin-aware and untwinned splits separate no twin group.
    assert (
        splits["twin-aware-0"]["result"]["crossing_twin_groups"]
        == []
        == splits["random-0-untwinned"]["result"]["crossing_twin_groups"]
    )
    # Every judged problem of a sampled split has its samples' outcome, and the counts add up.
    for result in (temporal, random):
        trusted = [k for k, t in result["trust"].items() if t["trusted"]]
        assert sorted(result["model"]["outcomes"]) == sorted(trusted) == sorted(b["valid"] for b in result["baseline"])
        for outcome in result["model"]["outcomes"].values():
            assert (
                outcome["samples"] == 4
                and 0 <= outcome["correct"] <= outcome["public_passing"] <= outcome["syntax_ok"] <= 4
            )
    frame = alphacode.splits_frame(records)
    assert float(glued["temporal_baseline"]) == pytest.approx(
        frame.loc[frame["split"] == "temporal", "baseline_rate"].iloc[0]
    )
    assert glued["device"].strip("'") == records[0]["provenance"]["device_name"]
    assert glued["model_params"].strip("'") == alphacode.format_count(temporal["model"]["parameters"])
    # The sentences that read the results are the records' own.
    for name, sentence in readings.alphacode_readings(records).items():
        assert ast.literal_eval(glued[name]) == sentence
