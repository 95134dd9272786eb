"""Smoke tier for chapter 3: papermill with the smoke parameters on CPU
into a temporary results folder; the glued numbers agree with the records."""

import ast
import json

import pytest
from notebook_runs import run_chapter

from gobig import alphacode, paths, readings

pytestmark = pytest.mark.smoke

CHAPTER = paths.ROOT / "chapters" / "03_alphacode_split.ipynb"
PARAMS = paths.ROOT / "tests" / "params" / "03_alphacode_split.yaml"


def test_chapter_3_smoke_run(tmp_path):
    glued = run_chapter(CHAPTER, PARAMS, tmp_path / "out.ipynb", tmp_path / "results")
    records = sorted((json.loads(p.read_text()) for p in (tmp_path / "results" / "alphacode").glob("*.json")), key=lambda r: r["config"]["split"] != "temporal")
    assert [r["config"]["split"] for r in records] == ["temporal", "random"]
    temporal, random = (r["result"] for r in records)
    # Both splits have the same sizes, and the prose quotes them.
    assert len(temporal["split"]["valid"]) == len(random["split"]["valid"]) == int(glued["n_valid"])
    assert int(glued["n_problems"]) == 300
    assert int(glued["n_twin_groups"]) == len(temporal["twin_groups"]) == 28
    # Every judged problem has its samples' outcome, and the counts add up.
    for result in (temporal, random):
        trusted = [k for k, t in result["trust"].items() if t["trusted"]]
        assert sorted(result["model"]["outcomes"]) == sorted(trusted) == sorted(b["valid"] for b in result["baseline"])
        for outcome in result["model"]["outcomes"].values():
            assert outcome["samples"] == 4 and 0 <= outcome["correct"] <= outcome["public_passing"] <= outcome["syntax_ok"] <= 4
    frame = alphacode.splits_frame(records)
    assert float(glued["temporal_baseline"]) == pytest.approx(frame.loc[0, "baseline_rate"])
    assert glued["device"].strip("'") == records[0]["provenance"]["device_name"]
    # The sentences that read the results are the records' own.
    for name, sentence in readings.alphacode_readings(records).items():
        assert ast.literal_eval(glued[name]) == sentence
