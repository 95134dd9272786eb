"""What a sweep tells the person who started it (gobig.core.progress): the
plan with an estimate from like records before any compute, one line per
unit, and the terminal reached from inside a notebook's kernel."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest

from gobig.core import progress
from gobig.core.store import ResultStore
from gobig.core.sweep import run_sweep

pytestmark = pytest.mark.unit


def compute(config):
    return {"square": config["x"] ** 2}, {"device": "cpu", "device_name": "test"}


def said(terminal) -> list[str]:
    """The lines said, without the text bar's redraws around them."""
    return re.findall(r"gobig: [^\r\n]*", terminal.getvalue())


class Terminal:
    """The terminal as a test sees it: outside a kernel, stderr (pytest's capture of it)."""

    def __init__(self, capsys):
        self.capsys = capsys

    def getvalue(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress, "in_kernel", lambda: False)
    return Terminal(capsys)


def test_the_plan_and_each_unit_are_said_before_and_after_compute(tmp_path, terminal, monkeypatch):
    monkeypatch.setenv("GOBIG_RESULTS_DIR", str(tmp_path / "committed"))
    store = ResultStore("toy", 1, tmp_path / "rerun")
    run_sweep([{"x": 1, "seed": 0}, {"x": 2, "seed": 0}], compute, store)
    lines = said(terminal)
    assert lines[0].startswith("gobig: toy: 2 unit(s) (2 of 2 configs) to compute")
    assert "no record is like them, so no estimate" in lines[0]
    assert [line.split(" started")[0] for line in lines[1::2]] == [
        "gobig: toy: unit 1 of 2",
        "gobig: toy: unit 2 of 2",
    ]
    assert "x=1 seed=0" in lines[1] and "done in" in lines[2] and "(2 of 2 done)" in lines[4]


def test_the_estimate_comes_from_records_like_the_config_but_for_its_seed(tmp_path, terminal, monkeypatch):
    monkeypatch.setenv("GOBIG_RESULTS_DIR", str(tmp_path / "committed"))
    store = ResultStore("toy", 1, tmp_path / "rerun")
    # A measured seed 0 of x=3: 600 s on a cpu, as a record says.
    store.save({"x": 3, "seed": 0}, {"square": 9}, {"device": "cpu", "device_name": "test"}, 600.0)
    run_sweep([{"x": 3, "seed": 0}, {"x": 3, "seed": 1}, {"x": 4, "seed": 1}], compute, store)
    plan, first = said(terminal)[:2]
    assert "2 unit(s) (2 of 3 configs) to compute" in plan
    assert "estimate 10 min from like records' wall times (cpu), plus 1 unit(s) no record is like" in plan
    assert "x=3 seed=1" in first and "like configs took 10 min (cpu)" in first


def test_records_of_another_shape_give_no_estimate_and_no_error(tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "broken.json").write_text(json.dumps({"config": {"x": 1}}))
    (folder / "text.json").write_text("not json")
    assert progress.measured_costs([folder], progress.without_seeds) == {}


def test_in_a_kernel_the_lines_go_to_the_kernels_own_stderr(monkeypatch):
    # ipykernel forwards its process's stderr to the notebook and echoes it to the terminal that started it.
    kernel_stderr, cell_stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(sys, "__stderr__", kernel_stderr)
    monkeypatch.setattr(sys, "stderr", cell_stderr)
    progress.say("mnist: unit 1 of 3 started")
    assert kernel_stderr.getvalue() == "gobig: mnist: unit 1 of 3 started\n"
    assert cell_stderr.getvalue() == ""


def test_nothing_is_said_when_nothing_is_computed(tmp_path, terminal):
    store = ResultStore("toy", 1, tmp_path)
    run_sweep([{"x": 1}], compute, store)
    terminal.getvalue()  # what the first run said
    run_sweep([{"x": 1}], compute, store)
    assert "gobig:" not in terminal.getvalue()


@pytest.mark.parametrize(("seconds", "shown"), [(42, "42 s"), (600, "10 min"), (9000, "2.5 h")])
def test_durations_read_in_the_unit_that_fits(seconds, shown):
    assert progress.duration(seconds) == shown


def test_chapter_3_sampling_says_how_far_it_is(monkeypatch, capfd):
    """Sampling a split's problems takes an hour on a CPU: it says how many problems are done."""
    from types import SimpleNamespace

    import torch

    from gobig.methods.code import codemodel
    from gobig.studies.alphacode import model as stage

    monkeypatch.setattr(stage, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(codemodel, "encode_prompt", lambda *args: [1, 2])
    monkeypatch.setattr(codemodel, "generate", lambda model, prompt, n, *args, **kwargs: [[3, 4]] * n)
    spec = SimpleNamespace(context=8, max_new_tokens=4, samples_per_problem=2, temperature=1.0, bf16_on_cpu=False)
    network = torch.nn.Linear(1, 1)
    tokenizer = SimpleNamespace(decode=lambda tokens: "print(1)")
    problems = [SimpleNamespace(key=f"p{k}", description="add two numbers") for k in range(3)]
    samples, _, tokens = stage.sample_programs(spec, network, tokenizer, problems, torch.Generator(), progress=True)
    assert len(samples) == 3 and tokens == 12
    lines = [line for line in capfd.readouterr().err.splitlines() if "sampled" in line]
    assert lines[-1].startswith("gobig: sampled 3 of 3 problems (6 programs) in ")
    stage.sample_programs(spec, network, tokenizer, problems, torch.Generator())
    assert "sampled" not in capfd.readouterr().err  # silent unless asked


def test_a_config_no_record_is_like_is_estimated_from_records_that_did_another_amount_of_work(
    tmp_path, terminal, monkeypatch
):
    """With a study's scale, x=3 with 20 steps is estimated from x=3 with 10
    steps (600 s): 1,200 s; x=4 has no kin and stays unestimated."""
    monkeypatch.setenv("GOBIG_RESULTS_DIR", str(tmp_path / "committed"))
    store = ResultStore("toy", 1, tmp_path / "rerun")
    store.save({"x": 3, "steps": 10, "seed": 0}, {"square": 9}, {"device": "cpu", "device_name": "test"}, 600.0)

    def scale(config):
        return json.dumps({k: v for k, v in config.items() if k not in ("steps", "seed")}), config["steps"]

    run_sweep([{"x": 3, "steps": 20, "seed": 0}, {"x": 4, "steps": 20, "seed": 0}], compute, store, scale=scale)
    plan, first = said(terminal)[:2]
    assert "estimate 20 min from like records' wall times (cpu), 1 unit(s) scaled from records that did another" in plan
    assert "plus 1 unit(s) no record is like" in plan
    assert "x=3 steps=20" in first and "scaled to its amount of work, take 20 min (cpu)" in first


def test_the_studies_scale_their_model_stages_by_steps_and_samples():
    """Chapter 1's longer collapse control is kin to the collapse profile with
    4x the work; chapter 3's fine-tuning with 6,000 steps is kin to 600's."""
    from gobig.studies import alphacode, mnist
    from gobig.studies.alphacode.compute import work_scale as alphacode_scale
    from gobig.studies.mnist.compute import work_scale as mnist_scale

    def configs(study, profile, **overrides):
        return study.expand_configs(study.validate_parameters({**study.load_profile(profile), **overrides}))

    short = {(c["size"], c["seed"]): mnist_scale(c) for c in configs(mnist, "collapse")}
    for config in configs(mnist, "collapse_longer"):
        kin, work = mnist_scale(config)
        assert kin == short[(config["size"], config["seed"])][0]
        assert work == pytest.approx(4 * short[(config["size"], config["seed"])][1])
    steps = {c["split"]: alphacode_scale(c) for c in configs(alphacode, "cpu") if c["stage"] == "finetune"}
    (longer,) = [c for c in configs(alphacode, "cpu", FINETUNE_STEPS=6000) if c["stage"] == "finetune"]
    assert alphacode_scale(longer) == (steps["random"][0], 6000.0)
    assert all(alphacode_scale(c) is None for c in configs(alphacode, "cpu") if c["stage"] == "baseline")
