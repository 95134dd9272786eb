"""Smoke tier for chapter 2: papermill with the smoke parameters into a
temporary results folder; glued numbers equal the law's arithmetic and the
record's fits."""

import ast
import json

import pytest

from gobig.core import paths
from gobig.report import readings
from gobig.studies import gpt3
from notebook_runs import run_chapter

pytestmark = pytest.mark.smoke

CHAPTER = paths.ROOT / "chapters" / "02_gpt3_extrapolation.ipynb"
PARAMS = paths.ROOT / "tests" / "params" / "02_gpt3_extrapolation.yaml"


def test_chapter_2_smoke_run(tmp_path):
    glued = run_chapter(CHAPTER, PARAMS, tmp_path / "out.ipynb", tmp_path / "results")
    records = [json.loads(p.read_text()) for p in (tmp_path / "results" / "gpt3").glob("*.json")]
    assert len(records) == 1
    record = records[0]
    # The blog's and the corrected arithmetic (Bubeck & Sellke 2021, Sec. 1.1; Brown et al. 2020, Table 2.1).
    assert float(glued["blog_mnist"]) == pytest.approx(1e9)
    assert float(glued["mnist_nd"]) == pytest.approx(4.704e7)
    assert float(glued["gpt3_d1"]) == pytest.approx(3e11)
    assert float(glued["blog_dimension"]) == pytest.approx(583.333, rel=1e-5)
    # The counts the prose quotes: the series below the target at 175B in
    # the paper's numbers, out of the fitted ones.
    fits = gpt3.fits_frame(record)
    observed = gpt3.observations_frame(record)
    below = observed[(observed.params == 175e9) & (observed.accuracy < float(glued["target_accuracy"]))]
    assert len(below) == len(gpt3.lacking_fits(record)[["benchmark", "setting"]].drop_duplicates())
    assert len(fits[["benchmark", "setting"]].drop_duplicates()) == 2 * 2
    expected = readings.gpt3_readings(record)
    reading = ast.literal_eval(glued["lacking_reading"])
    assert reading == expected["lacking_reading"]
    assert reading.startswith(f"{len(below)} of the 4 fitted" if len(below) else "none of the 4 fitted")
    # Every sentence the prose quotes is the record's (gobig.report.readings).
    assert set(expected) == {name for name in glued if name.endswith("_reading")}
    for name in expected:
        assert ast.literal_eval(glued[name]) == expected[name]
    summary = gpt3.backtest_summary(record)
    row = summary[(summary.kind == "log-linear") & (summary.series == "adequate")].iloc[0]
    assert f"miss by {row.mae:.1f} points" in expected["backtest_reading"]
    assert f"capped at 100 they miss by {row.mae_capped:.1f}" in expected["backtest_reading"]
    assert int(glued["claims_total"]) == len(gpt3.claims_table(record))
    assert glued["device"].strip("'") == record["provenance"]["device_name"]
