"""Smoke tier: papermill runs chapter 1 with the tiny CPU profile into a
temporary results folder, then the glued values are checked against the
records it wrote, and a second run reuses them."""

import ast
import json

import pytest

from gobig.core import paths
from gobig.methods.stats import intervals
from gobig.report import readings
from gobig.studies import mnist
from notebook_runs import run_chapter

pytestmark = pytest.mark.smoke

CHAPTER = paths.ROOT / "chapters" / "01_mnist_capacity.ipynb"
PARAMS = paths.ROOT / "tests" / "params" / "01_mnist_capacity.yaml"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smoke")
    results = folder / "results"
    glued = run_chapter(CHAPTER, PARAMS, folder / "first.ipynb", results)
    records = [json.loads(p.read_text()) for p in sorted((results / "mnist").glob("*.json"))]
    return folder, results, glued, records


def test_records_cover_the_smoke_configs(smoke_run):
    _, _, glued, records = smoke_run
    profile = mnist.validate_parameters(mnist.load_profile("smoke"))
    assert len(records) == len(mnist.expand_configs(profile)) == int(glued["num_runs"])
    assert all(r["provenance"]["device"] == "cpu" for r in records)
    assert glued["devices"].strip("'") == records[0]["provenance"]["device_name"]


def test_glued_values_match_the_records(smoke_run):
    _, results, glued, records = smoke_run
    assert float(glued["n_times_d"]) == 47_040_000
    blog = next(r for r in records if r["result"]["family"] == "blog")
    # The blog model's accuracy with its seeds and its exact interval.
    row = mnist.runs_frame([blog]).iloc[0]  # the count, also for records that store the rate alone
    low, high = intervals.clopper_pearson(int(row.clean_correct), int(row.clean_images))
    assert ast.literal_eval(glued["blog_accuracy"]) == (
        f"{blog['result']['clean_accuracy']:.2%} clean accuracy (1 seed; exact 95% interval {100 * low:.2f}-{100 * high:.2f}%)"
    )
    # Read from the run's own results folder, as the chapter does (the collapse profile is looked up there).
    loaded = mnist.load_results(records, results)
    claims = mnist.claims_table(loaded)
    assert int(glued["claims_total"]) == len(claims) == 13
    assert int(glued["claims_supported"]) == (claims["verdict"] == "supported").sum()
    # The sentences that read the results are the records' own.
    for name, sentence in readings.mnist_readings(loaded, claims).items():
        assert ast.literal_eval(glued[name]) == sentence


def test_attacks_in_the_records_are_valid(smoke_run):
    _, _, _, records = smoke_run
    for record in records:
        result = record["result"]
        linf = sorted((r for r in result["robust"] if r["norm"] == "linf"), key=lambda r: r["eps"])
        # Rounded: a rate stored in float32 and the same count stored exactly differ in the 9th digit.
        accuracies = [round(a, 6) for a in [result["robust_subset_clean_accuracy"]] + [r["accuracy"] for r in linf]]
        assert accuracies == sorted(accuracies, reverse=True), (
            f"robust accuracy rose with eps: {result['family']} {result['size']}"
        )
        assert result["lipschitz"]["local_max"] <= result["lipschitz"]["spectral_bound"]
    crosscheck = next(r["result"]["crosscheck"] for r in records if "crosscheck" in r["result"])
    assert crosscheck["eps"] == 0.3


def test_a_second_run_reuses_every_record(smoke_run):
    folder, results, glued, _ = smoke_run
    before = {p.name: p.stat().st_mtime_ns for p in (results / "mnist").glob("*.json")}
    again = run_chapter(CHAPTER, PARAMS, folder / "second.ipynb", results)
    assert {p.name: p.stat().st_mtime_ns for p in (results / "mnist").glob("*.json")} == before
    assert again == glued
