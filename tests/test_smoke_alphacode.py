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
    # Per split a baseline record; a fine-tuning record per model, a sampling record per model that samples.
    stages = sorted((r["config"]["stage"], r["config"]["split"]) for r in records)
    assert [s for s in stages if s[0] != "baseline"] == [
        ("curve", "date-curve"),
        ("finetune", "random"),
        ("finetune", "random-untwinned"),
        ("finetune", "temporal"),
        ("finetune", "twin-aware"),
        ("sample", "random"),
        ("sample", "temporal"),
        ("sample", "twin-aware"),
    ]
    views = alphacode.typed_records(records)
    names = sorted(v.name if isinstance(v, alphacode.SplitRecord) else "date-curve" for v in views)
    assert names == ["date-curve", "random-0", "random-0-untwinned", "temporal", "temporal-cut", "twin-aware-0"]
    splits = {v.name: v for v in views if isinstance(v, alphacode.SplitRecord)}
    temporal, random = splits["temporal"], splits["random-0"]
    assert {v.name: v.config.role for v in splits.values()} == {
        "random-0": "sample",
        "random-0-untwinned": "loss",
        "temporal": "sample",
        "temporal-cut": None,
        "twin-aware-0": "sample",
    }
    # Every split has the temporal split's validation size, and the prose quotes it.
    assert {len(v.split.valid) for v in splits.values()} == {int(glued["n_valid"])}
    assert int(glued["n_problems"]) == 300
    assert int(glued["n_twin_groups"]) == len(temporal.twin_groups) == 28
    # The twin-aware and untwinned splits separate no twin group.
    assert splits["twin-aware-0"].crossing_twin_groups == () == splits["random-0-untwinned"].crossing_twin_groups
    # Every judged problem of a sampled split has its samples' outcome, and the counts add up.
    for view in (temporal, random):
        assert sorted(view.model.outcomes) == sorted(view.trusted()) == sorted(b.valid for b in view.baseline)
        for outcome in view.model.outcomes.values():
            assert outcome.samples == 4 and 0 <= outcome.correct <= outcome.public_passing <= outcome.syntax_ok <= 4
    frame = alphacode.splits_frame(records)
    assert float(glued["temporal_baseline"]) == pytest.approx(
        frame.loc[frame["split"] == "temporal", "baseline_rate"].iloc[0]
    )
    assert glued["device"].strip("'") == records[0]["provenance"]["device_name"]
    assert glued["model_params"].strip("'") == alphacode.format_count(temporal.model.parameters)
    # The sentences that read the results are the records' own.
    for name, sentence in readings.alphacode_readings(records).items():
        assert ast.literal_eval(glued[name]) == sentence
