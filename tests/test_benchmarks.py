"""Benchmark records and the Performance page's tables; and every script in
benchmarks/ still runs (tiny sizes, records in a temporary folder)."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from gobig.core import paths
from gobig.report import benchmarking


def fake_record(folder, benchmark, device, timestamp, stages, name=None):
    record = {
        "benchmark": benchmark,
        "provenance": {
            "device": device,
            "device_name": "NVIDIA H100 80GB HBM3" if device == "cuda" else "CPU (x86_64, 2 cores)",
            "timestamp": timestamp,
        },
        "stages": stages,
    }
    (folder / (name or f"{benchmark}-{device}-{timestamp}.json")).write_text(json.dumps(record))


@pytest.mark.unit
def test_stage_computes_throughput_and_ratio():
    row = benchmarking.stage("ours", 2.0, 1000, "images/s", 10.0)
    assert (row["throughput"], row["ratio"]) == (500.0, 5.0)
    assert benchmarking.stage("no baseline", 2.0, None, "-")["ratio"] is None


@pytest.mark.unit
def test_a_record_without_the_stage_fields_is_refused(tmp_path):
    import torch

    with pytest.raises(ValueError, match="ratio"):
        benchmarking.write_record(
            "x", torch.device("cpu"), {}, [{"stage": "a", "seconds": 1, "throughput": 1, "unit": "u"}], tmp_path
        )
    path = benchmarking.write_record(
        "x", torch.device("cpu"), {"n": 1}, [benchmarking.stage("a", 1.0, 5, "u")], tmp_path
    )
    assert json.loads(path.read_text())["provenance"]["device"] == "cpu"


@pytest.mark.unit
def test_performance_table_keeps_the_newest_record_per_benchmark_and_device(tmp_path):
    old = [benchmarking.stage("base", 4.0, 8, "u", 4.0), benchmarking.stage("ours", 2.0, 8, "u", 4.0)]
    new = [benchmarking.stage("base", 4.0, 8, "u", 4.0), benchmarking.stage("ours", 1.0, 8, "u", 4.0)]
    fake_record(tmp_path, "b", "cpu", "2026-01-01T00:00:00+00:00", old)
    fake_record(tmp_path, "b", "cpu", "2026-02-01T00:00:00+00:00", new)
    fake_record(tmp_path, "b", "cuda", "2026-01-15T00:00:00+00:00", old)
    (tmp_path / "legacy.json").write_text(json.dumps({"benchmark": "b", "results": []}))  # no stage table: skipped
    table = benchmarking.performance_table(tmp_path)
    assert len(table) == 4
    assert table[(table.device.str.startswith("CPU")) & (table.stage == "ours")].ratio.tolist() == [4.0]
    assert table[(table.device.str.startswith("NVIDIA")) & (table.stage == "ours")].ratio.tolist() == [2.0]


@pytest.mark.unit
def test_stage_labels_are_unique_and_name_what_differs(tmp_path):
    """stacked_training attacks the models of each training mode with the
    same attack: records written before the rows named the mode repeat the
    label, and the page must still tell the rows apart."""

    def stages(with_trained):
        rows = []
        for mode in ("natural", "pgd"):
            rows.append(benchmarking.stage(f"{mode} mlp:8 x3, one at a time", 1.0, 1, "u", 1.0, mode=mode))
            extra = {"trained": mode} if with_trained else {}
            context = benchmarking.trained_context(mode) if with_trained else ""
            rows.append(
                benchmarking.stage(f"PGD-10 on 100 test images, mlp:8 x3, stacked{context}", 1.0, 1, "u", 1.0, **extra)
            )
        return rows

    legacy, current = stages(False), stages(True)
    assert len({row["stage"] for row in legacy}) == 3, "the legacy record repeats a label"
    for rows in (legacy, current):
        labels = benchmarking.unique_stage_labels(rows)
        assert len(set(labels)) == len(labels)
        assert labels[1] == "PGD-10 on 100 test images, mlp:8 x3, stacked (models from natural training)"
        assert labels[3] == "PGD-10 on 100 test images, mlp:8 x3, stacked (models from pgd training)"
        assert labels[0] == "natural mlp:8 x3, one at a time", "a label that does not repeat is kept"
    # Repeats with nothing to tell them apart are numbered.
    same = [benchmarking.stage("x", 1.0, 1, "u"), benchmarking.stage("x", 2.0, 1, "u")]
    assert benchmarking.unique_stage_labels(same) == ["x (#1)", "x (#2)"]
    fake_record(tmp_path, "stacked_training", "cpu", "2026-01-01T00:00:00+00:00", legacy)
    table = benchmarking.performance_table(tmp_path)
    assert not table.duplicated(["benchmark", "stage", "device"]).any()


@pytest.mark.unit
def test_the_committed_performance_tables_label_every_row_uniquely():
    for table in (benchmarking.performance_table(), benchmarking.bounds_table()):
        assert not table.empty
        repeated = table[table.duplicated(["benchmark", "stage", "device"], keep=False)]
        assert repeated.empty, repeated[["benchmark", "stage", "device"]].to_string()


@pytest.mark.unit
def test_bounds_table_says_what_bounded_each_profiled_stage(tmp_path):
    def profile(busy, *ops):
        return {
            "wall_s": 0.5,
            "time_field": "self_device_time_total",
            "busy_share": busy,
            "top_ops": [{"op": op, "self_ms": 1.0, "share": share, "calls": 1} for op, share in ops],
        }

    stages = [
        benchmarking.stage("one at a time", 4.0, 8, "u", 4.0, profile=profile(0.2, ("aten::convolution", 0.4))),
        benchmarking.stage("stacked", 1.0, 8, "u", 4.0, profile=profile(0.9, ("aten::bmm", 0.7), ("aten::add", 0.1))),
        benchmarking.stage("not profiled", 1.0, 8, "u", 4.0),
    ]
    fake_record(tmp_path, "b", "cuda", "2026-02-01T00:00:00+00:00", stages)
    fake_record(tmp_path, "b", "cuda", "2026-01-01T00:00:00+00:00", stages[:1])  # older: not shown
    cpu = [
        benchmarking.stage(
            "ours", 1.0, 8, "u", 1.0, profile={**profile(None, ("aten::mm", 0.55)), "time_field": "self_cpu_time_total"}
        )
    ]
    fake_record(tmp_path, "b", "cpu", "2026-02-01T00:00:00+00:00", cpu)
    table = benchmarking.bounds_table(tmp_path).set_index("stage")
    assert list(table.index) == ["ours", "one at a time", "stacked"]  # by benchmark, then device name
    assert table.loc["one at a time", "bound by"] == "the host: the GPU idles 80% of the time"
    assert table.loc["stacked", "bound by"] == "GPU time in aten::bmm (70%)"
    assert table.loc["stacked", "top ops"] == "aten::bmm 70%, aten::add 10%"
    assert table.loc["ours", "bound by"] == "CPU time in aten::mm (55%)" and pd.isna(table.loc["ours", "GPU busy"])


@pytest.mark.unit
def test_targets_count_gpu_records_only(tmp_path):
    studies = tmp_path / "no-study-records"
    fast = [benchmarking.stage("baseline", 30.0, 1, "u", 30.0), benchmarking.stage("ours", 1.0, 1, "u", 30.0)]
    fake_record(tmp_path, "mnist_time_to_99", "cpu", "2026-01-01T00:00:00+00:00", fast)
    table = benchmarking.targets_table(tmp_path, studies).set_index("target")
    assert set(table.status) == {"not measured on a GPU"}, "a CPU record must never meet a GPU target"

    fake_record(tmp_path, "mnist_time_to_99", "cuda", "2026-01-01T00:00:00+00:00", fast)
    slow_mfu = [
        benchmarking.stage("baseline", 1.0, 1, "u", 1.0, mfu=0.1),
        benchmarking.stage("ours", 1.0, 1, "u", 1.0, mfu=0.25),
    ]
    fake_record(tmp_path, "code_model", "cuda", "2026-01-01T00:00:00+00:00", slow_mfu)
    table = benchmarking.targets_table(tmp_path, studies)
    status = dict(zip(table.target.str.split(":").str[0], table.status))
    assert status["MNIST to 99%"] == "met"
    assert status["Code model training"] == "not met"
    assert status["Chapter 1 full sweep"] == "not measured on a GPU"  # no full-profile records there


@pytest.mark.unit
def test_the_mnist_target_reads_our_fastest_row_that_reached_99(tmp_path):
    studies = tmp_path / "no-study-records"

    def mnist_status(stages) -> tuple[str, str]:
        for path in tmp_path.glob("*.json"):
            path.unlink()
        fake_record(tmp_path, "mnist_time_to_99", "cuda", "2026-01-01T00:00:00+00:00", stages)
        row = benchmarking.targets_table(tmp_path, studies).iloc[0]
        return row.status, row.measured

    baseline = benchmarking.stage("baseline", 30.0, 1, "u", 30.0)
    eager = benchmarking.stage("ours", 3.0, 1, "u", 30.0)
    assert mnist_status([baseline, eager]) == ("not met", "10.0x, 3.00 s")
    # With --compile the record has a compiled row beside the eager one; the faster one counts.
    compiled = benchmarking.stage("ours, compiled", 1.0, 1, "u", 30.0, compile_s=20.0)
    assert mnist_status([baseline, eager, compiled]) == ("met", "30.0x, 1.00 s")
    # A row that did not reach 99% has no ratio and never counts, however fast.
    not_reached = benchmarking.stage("ours, compiled (did not reach 99%)", 0.5, 1, "u", None)
    assert mnist_status([baseline, eager, not_reached]) == ("not met", "10.0x, 3.00 s")


SCRIPTS = {
    "stacked_training.py": ["--models", "mlp:8", "--train-subset", "512", "--pgd-steps", "2"],
    "pgd_throughput.py": ["--model", "mlp:16", "--images", "256", "--steps", "3"],
    "code_model.py": [
        "--layers",
        "1",
        "--heads",
        "2",
        "--dim",
        "32",
        "--context",
        "32",
        "--batch",
        "2",
        "--steps",
        "3",
        "--samples",
        "4",
        "--prompt-tokens",
        "8",
        "--new-tokens",
        "8",
    ],
    "mnist_time_to_99.py": ["--train-subset", "512", "--max-epochs", "1", "--model", "mlp:16", "--profile"],
    "code_execution.py": ["--problems", "2", "--copies", "1"],
    "cpu_adversarial_training.py": [
        "--models",
        "madry:1",
        "--train-images",
        "200",
        "--eval-images",
        "32",
        "--repeats",
        "1",
    ],
    "evaluation_vs_autoattack.py": [
        "--records",
        "1da6848681d4c461",
        "--images",
        "4",
        "--attacks",
        "apgd-ce",
        "--seeds",
        "0",
    ],
    "training_vs_fast_adversarial.py": ["--models", "madry:1", "--train-images", "200", "--repeats", "1"],
    "sweep_workers.py": [
        "--models",
        "madry:1",
        "--modes",
        "natural",
        "--seeds",
        "2",
        "--train-subset",
        "256",
        "--eval-images",
        "32",
        "--workers",
        "1,2",
    ],
}


@pytest.mark.smoke
def test_every_benchmark_script_is_exercised_here():
    assert set(SCRIPTS) == {p.name for p in (paths.ROOT / "benchmarks").glob("*.py")}


@pytest.mark.smoke
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_runs_and_writes_a_stage_table(tmp_path, script):
    environment = {**os.environ, "GOBIG_BENCHMARK_RESULTS_DIR": str(tmp_path)}
    command = [sys.executable, str(paths.ROOT / "benchmarks" / script), "--device", "cpu", *SCRIPTS[script]]
    if script == "code_execution.py":
        command.remove("--device"), command.remove("cpu")  # it always runs on the host's cores
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (path,) = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    assert record["provenance"]["device"] == "cpu"
    assert record["stages"] and all(set(benchmarking.STAGE_FIELDS) <= set(row) for row in record["stages"])
    assert record["stages"][0]["ratio"] == pytest.approx(1.0) or record["stages"][0]["ratio"] is None
    labels = [row["stage"] for row in record["stages"]]
    assert len(set(labels)) == len(labels), f"the Performance page cannot tell these rows apart: {labels}"
    if "--profile" in SCRIPTS[script]:
        assert not benchmarking.bounds_table(tmp_path).empty, "--profile records what bounds a stage"


@pytest.mark.smoke
@pytest.mark.parametrize("script", ["code_model.py", "mnist_time_to_99.py"])
def test_compile_adds_a_compiled_row_beside_the_eager_one(tmp_path, script):
    """``--compile`` runs ours eager and compiled in one record, so the record
    alone says whether compiling pays; compile time is reported apart."""
    environment = {**os.environ, "GOBIG_BENCHMARK_RESULTS_DIR": str(tmp_path)}
    command = [
        sys.executable,
        str(paths.ROOT / "benchmarks" / script),
        "--device",
        "cpu",
        *SCRIPTS[script],
        "--compile",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (path,) = tmp_path.glob("*.json")
    stages = json.loads(path.read_text())["stages"]
    ours = [row for row in stages if "gobig" in row["stage"] and "sampling" not in row["stage"]]
    assert len(ours) == 2, [row["stage"] for row in stages]
    eager, compiled = ours
    assert "compile" in compiled["stage"] and "compile" not in eager["stage"]
    if script == "code_model.py":
        assert compiled["compiled"] and not eager["compiled"]
        assert compiled["first_step_s"] > 0 and compiled["ratio"] > 0
    else:
        assert compiled["compile_s"] > 0 and eager["compile_s"] is None


@pytest.mark.smoke
def test_stacked_training_compile_rows_capture_graphs(tmp_path):
    """``--compile`` adds a compiled stack beside the eager one, for training
    and for the attack; dynamo must have captured graphs for it (0 would be
    a silent fall back to eager), with compile time apart."""
    import torch

    environment = {**os.environ, "GOBIG_BENCHMARK_RESULTS_DIR": str(tmp_path)}
    # Four architectures in one process, as a sweep's worker meets them: each needs graphs of its own, and
    # dynamo's default of 8 variants per function would be spent before the last (it then runs eager).
    command = [
        sys.executable,
        str(paths.ROOT / "benchmarks" / "stacked_training.py"),
        "--device",
        "cpu",
        *SCRIPTS["stacked_training.py"],
        "--models",
        "mlp:8,mlp:16,madry:1,mlp:32",
        "--train-subset",
        "600",
        "--modes",
        "natural",
        "--eval-images",
        "100",
        "--compile",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (path,) = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    compiled = [row for row in record["stages"] if "torch.compile" in row["stage"]]
    assert len(compiled) == 8 and record["compile_errors"] == []  # training and attack of each model
    assert all(row["compile_s"] > 0 and row["ratio"] > 0 for row in compiled)
    if torch.__version__ >= "2.11":  # torch 2.4's dynamo cannot trace the stack (tests/test_train.py)
        training = [row for row in compiled if not row["stage"].startswith("PGD")]
        assert all(row["calls_captured"] > 0 for row in training), [
            (row["stage"], row["calls_captured"]) for row in training
        ]


@pytest.mark.smoke
@pytest.mark.parametrize("script", ["code_model.py", "mnist_time_to_99.py", "stacked_training.py"])
def test_a_compiler_failure_loses_only_the_compiled_row(tmp_path, monkeypatch, script):
    """A GPU image whose compiler fails must not cost the eager measurements
    of the same run: the record keeps them and names the error."""
    import importlib.util

    import torch

    def failing_compile(*args, **kwargs):
        raise RuntimeError("no working compiler on this machine")

    monkeypatch.setattr(torch, "compile", failing_compile)
    monkeypatch.setenv("GOBIG_BENCHMARK_RESULTS_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location(f"benchmark_{script[:-3]}", paths.ROOT / "benchmarks" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--device", "cpu", *SCRIPTS[script], "--compile"]) == 0
    (path,) = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    assert set(record["compile_errors"]) == {"RuntimeError: no working compiler on this machine"}
    assert not any("torch.compile" in row["stage"] or "compiled" in row["stage"] for row in record["stages"])
    assert len(record["stages"]) == {"code_model.py": 4, "mnist_time_to_99.py": 2, "stacked_training.py": 8}[script], (
        "the eager rows are kept"
    )


def evaluation_rows(model, ours_s, reference_s, ours_robust, reference_robust, disagreement, ours_cpu_s=None):
    """An evaluation_vs_autoattack record's rows for one model, the reference
    first; CPU times equal wall times unless ``ours_cpu_s`` says otherwise."""
    runs = [{"load_before": [3.0, 2.0, 1.0], "load_after": [4.0, 2.0, 1.0]}]
    common = {"model": model, "images": 200, "runs": runs}
    reference = benchmarking.stage(
        "reference", reference_s, 200, "images/s", reference_s, side="reference", cpu_s=reference_s, **common
    )
    verdict = {
        "peer_robust": reference_robust,
        "peer_disagreement": disagreement,
        "at_least_as_strong": max(ours_robust) <= min(reference_robust) + disagreement,
    }
    ours = benchmarking.stage(
        "ours",
        ours_s,
        200,
        "images/s",
        reference_s,
        side="ours",
        cpu_s=ours_cpu_s or ours_s,
        robust=ours_robust,
        versus={"reference": verdict},
        **common,
    )
    return [reference, ours]


@pytest.mark.unit
def test_peer_targets_need_speed_and_strength(tmp_path):
    assert set(benchmarking.peer_targets_table(tmp_path).status) == {"not measured"}
    stages = evaluation_rows("madry:4", 100.0, 300.0, [180, 181], [181, 182], 1)  # 3x, as strong
    stages += evaluation_rows("madry:16", 100.0, 150.0, [180, 180], [180, 181], 0)  # 1.5x
    stages += evaluation_rows("madry:8", 100.0, 300.0, [185, 185], [180, 181], 2)  # 3x, but weaker
    # 3x in wall time (the reference ran while the machine was busier), 1.5x in CPU time: not met.
    stages += evaluation_rows("madry:2", 100.0, 300.0, [180, 180], [180, 181], 0, ours_cpu_s=200.0)
    fake_record(tmp_path, "evaluation_vs_autoattack", "cpu", "2026-01-01T00:00:00+00:00", stages)
    runs = [{"load_before": [5.0, 0, 0], "load_after": [6.0, 0, 0]}]
    training = [
        benchmarking.stage("peer", 60.0, 60000, "images/s", 60.0, side="peer", model="madry:4", runs=runs),
        benchmarking.stage(
            "ours",
            30.0,
            60000,
            "images/s",
            60.0,
            side="ours",
            model="madry:4",
            runs=runs,
            cpu_ratio=1.9,
            train_images=60000,
            extrapolated=False,
        ),
        benchmarking.stage(
            "ours",
            50.0,
            10000,
            "images/s",
            60.0,
            side="ours",
            model="madry:16",
            runs=runs,
            cpu_ratio=1.2,
            train_images=10000,
            extrapolated=True,
        ),
        benchmarking.stage("peer", 60.0, 10000, "images/s", 60.0, side="peer", model="madry:16", runs=runs),
    ]
    fake_record(tmp_path, "training_vs_fast_adversarial", "cpu", "2026-01-01T00:00:00+00:00", training)
    table = benchmarking.peer_targets_table(tmp_path)
    status = dict(zip(table.target.str.split(":").str[0] + " " + table.model, table.status))
    assert status == {
        "Worst-case evaluation madry:4": "met",
        "Worst-case evaluation madry:16": "not met",
        "Worst-case evaluation madry:8": "not met (weaker)",
        "Worst-case evaluation madry:2": "not met",
        "PGD adversarial training madry:4": "met",
        "PGD adversarial training madry:16": "not met",  # 1.2x
    }
    row = table[table.model == "madry:4"].iloc[0]
    assert (
        row.ratio,
        row["CPU-time ratio"],
        row["ours robust"],
        row["peer robust"],
        row["peer disagreement"],
        row.load,
    ) == (
        3.0,
        3.0,
        "180, 181",
        "181, 182",
        1,
        "3.0-4.0",
    )
    assert table[table.model == "madry:16"].images.iloc[1] == "10,000 (extrapolated)"
    assert set(table[table.target.str.startswith("Worst")]["peer's model"]) == {"ours (channels-last)"}
    # A newer record with the peers on the default layout adds its rows; the older record's rows stay.
    newer = evaluation_rows("madry:4", 100.0, 250.0, [180, 181], [181, 182], 1)
    for row in newer:
        row["peer_model"] = "default"
    fake_record(tmp_path, "evaluation_vs_autoattack", "cpu", "2026-02-01T00:00:00+00:00", newer)
    table = benchmarking.peer_targets_table(tmp_path)
    evaluation = table[table.target.str.startswith("Worst")].set_index(["model", "peer's model"])
    assert len(evaluation) == 5
    assert evaluation.loc[("madry:4", "default layout"), "ratio"] == 2.5
    assert evaluation.loc[("madry:4", "ours (channels-last)"), "ratio"] == 3.0


def load_script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", paths.ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.unit
def test_strength_allows_the_peers_own_disagreement():
    import torch

    script = load_script("evaluation_vs_autoattack")
    mask = lambda bits: torch.tensor([bit == "1" for bit in bits])  # noqa: E731
    peer = [mask("110110"), mask("111100")]  # 4 robust each; the seeds disagree on images 2 and 4
    assert script.disagreement(peer) == 2 and script.disagreement(peer[:1]) is None
    assert script.strength([mask("111110")], peer)["at_least_as_strong"]  # 5 robust: one more than 4, within 2
    verdict = script.strength([mask("100111"), mask("110101")], peer)
    assert verdict["at_least_as_strong"] and verdict["peer_disagreement"] == 2
    assert verdict["only_peer_breaks"] == 1  # image 5: left robust by ours once, broken in every peer run
    assert verdict["only_ours_breaks"] == 1  # image 1: robust in every peer run, broken by ours once
    assert not script.strength([mask("111110")], peer[:1])["at_least_as_strong"]  # one peer run: no slack


def test_a_stage_whose_record_voids_its_wall_time_shows_no_time_and_says_why(tmp_path):
    from gobig.report import benchmarking

    stage = {"stage": "peer", "seconds": 1000.0, "throughput": 0.2, "unit": "images/s", "ratio": 0.5}
    record = {
        "benchmark": "demo",
        "provenance": {"device": "cpu", "device_name": "CPU", "timestamp": "2026-12-07T00:00:00"},
        "stages": [
            {"stage": "baseline", "seconds": 500.0, "throughput": 0.4, "unit": "images/s", "ratio": 1.0},
            {**stage, "wall_time_void": "paused"},
        ],
    }
    (tmp_path / "demo.json").write_text(json.dumps(record))
    table = benchmarking.performance_table(tmp_path).set_index("stage")
    assert table.loc["baseline", "seconds"] == 500.0
    voided = table.loc["peer (wall time not comparable: paused)"]
    assert voided[["seconds", "throughput", "ratio"]].isna().all()
