"""Computing chapter 1's records: one config, or a model's seeds stacked into
one model; its checkpoint and training record; ``run``, which loads or
computes every config of the chapter's parameters."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import time
from pathlib import Path

import torch

from gobig.core import checkpoints, paths
from gobig.core.params import ParameterError
from gobig.core.runtime import provenance, resolve_device, set_seed
from gobig.core.store import EXTRAS, ResultStore, extras_of, write_json
from gobig.core.sweep import run_from_params
from gobig.methods.robustness.models import build_model, num_params, to_device
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.studies.mnist.evaluation import crosscheck_with_torchattacks, evaluate, evaluate_worst_case
from gobig.studies.mnist.params import CHECKPOINT, CROSSCHECK, STUDY, VERSION, expand_configs, validate_parameters


@dataclasses.dataclass(frozen=True)
class Machine:
    """Where and how a config is computed. Nothing here changes a record's
    numbers beyond float order (the device and compilation go into its
    provenance), so none of it is part of a record's key; a config is the
    computation's only other input."""

    device: torch.device
    data_dir: str | None = None
    download: bool = False
    compile: bool = False
    results_dir: str | None = None
    progress: bool = False

    #: The parameters a machine is made of (the sweep's own are in gobig.core.sweep).
    PARAMETERS = ("DEVICE", "DATA_DIR", "DOWNLOAD", "COMPILE", "RESULTS_DIR")

    @classmethod
    def from_params(cls, params: dict, progress: bool = False) -> Machine:
        return cls(
            device=resolve_device(params["DEVICE"]),
            data_dir=params["DATA_DIR"],
            download=params["DOWNLOAD"],
            compile=params["COMPILE"],
            results_dir=params["RESULTS_DIR"],
            progress=progress,
        )


class Computer:
    """Computes one config on a ``Machine``; loads MNIST once, and only if
    something is missing."""

    def __init__(self, machine: Machine, store: ResultStore | None = None):
        """``store``: the sweep's record store (the records an extension
        reads); by default the machine's results folder's."""
        self.machine = machine
        self.store = store or ResultStore(STUDY, VERSION, machine.results_dir or paths.results_dir())
        self.progress = machine.progress
        self.device = machine.device
        self._data = None

    def data(self):
        if self._data is None:
            from gobig.data.mnist import load_mnist

            self._data = load_mnist(self.machine.data_dir, self.device, download=self.machine.download)
        return self._data

    def __call__(self, config: dict) -> tuple[dict, dict]:
        return self.compute_together([config])[0]

    def compute_together(self, configs: list[dict]) -> list[tuple[dict, dict]]:
        """Configs that differ only in their seed (see ``seedless``): their
        models train together as one stacked model and are attacked together
        (the cross-check, when asked for, runs on its model alone).

        A model whose checkpoint (and training record) exists already, from
        an earlier run of the same training config, is loaded, not trained
        again: evaluations can change without retraining. A stored record
        that lacks only the cross-check is extended by it, from its checkpoint."""
        if len({seedless(config) for config in configs}) != 1:
            raise ValueError("compute_together: configs must differ only in their seed")
        stored = self.extendable(configs)
        if stored is not None:
            return [self.extend(config, record) for config, record in zip(configs, stored)]
        models, histories, reused = self.trained_models(configs)
        results, eval_time_s = self.evaluate_models(configs, models)
        # Not part of the config (like stacking, it changes at most the kernels' rounding), so the record says it.
        made = {**provenance(self.device), "compiled": self.machine.compile, "threads": torch.get_num_threads()}
        outputs = []
        for config, model, history, result, reused_key in zip(configs, models, histories, results, reused):
            result = self.completed(config, model, history, result, eval_time_s)
            if reused_key:
                result["trained_in"] = reused_key  # trained by an earlier run (its training record names the device)
            outputs.append((result, made))
        pending = [pending_path(config, self.machine.results_dir) for config in configs]
        for path in pending:
            path.unlink(missing_ok=True)  # the record is about to be written
        try:
            pending[0].parent.rmdir()  # no folder left behind once nothing waits
        except OSError:
            pass  # absent, or another run's model still waits there
        return outputs

    def trained_models(self, configs: list[dict]) -> tuple[list, list[list[dict]], list[str | None]]:
        """The configs' models trained (together), with their histories, or
        loaded when trained before: by a run that kept a checkpoint (reused,
        and its key returned so the record says so), or by one stopped before
        its records were written (its weights wait in .pending)."""
        data = self.data()
        first = configs[0]
        subset = first["training"]["train_subset"] or len(data.train_images)
        models = []
        for config in configs:
            set_seed(config["seed"])  # each model's initial weights are those it gets alone
            models.append(to_device(build_model(config["family"], config["size"]), self.device))
        trained = [self.trained_record(config) for config in configs]
        pending = [pending_path(config, self.machine.results_dir) for config in configs]
        if all(record is not None or path.is_file() for record, path in zip(trained, pending)):
            histories, reused = [], []
            for model, record, path in zip(models, trained, pending):
                if record is not None:
                    checkpoints.load(model, self.checkpoint_folder(), record["checkpoint"]).to(self.device)
                    histories.append(record["history"])
                    reused.append(record["key"])
                else:
                    saved = torch.load(path, map_location=self.device, weights_only=True)
                    model.load_state_dict(saved["weights"])
                    histories.append(saved["history"])
                    reused.append(None)
            return models, histories, reused
        histories = train_models(
            models,
            data.train_images[:subset],
            data.train_labels[:subset],
            training_setup(first),
            [config["seed"] for config in configs],
            data.test_images,
            data.test_labels,
            self.progress,
            self.machine.compile,
            snapshot=training_snapshot_path(configs, self.machine.results_dir),
        )
        for config, model, history, path in zip(configs, models, histories, pending):
            if CHECKPOINT in extras_of(config):
                self.save_trained(config, model, history)
            else:
                # Kept until this config's record exists, so a stopped run never trains it again.
                path.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"weights": model.state_dict(), "history": history}, path)
        return models, histories, [None] * len(configs)

    def evaluate_models(self, configs: list[dict], models: list) -> tuple[list[dict], float]:
        """The models' evaluation (PGD, or the per-example worst case with
        AutoAttack's components), all at once, and its wall time."""
        data, first = self.data(), configs[0]
        subset = first["training"]["train_subset"] or len(data.train_images)
        seeds = [config["seed"] for config in configs]
        if first["evaluation"].get("half_weights", False):
            for model in models:
                checkpoints.round_to_half(model)  # what a checkpoint holds, so re-attacks see this model
        start = time.perf_counter()
        if "attacks" in first["evaluation"]:
            train_points = first["evaluation"]["lipschitz_points"]
            results = evaluate_worst_case(
                models,
                data.test_images,
                data.test_labels,
                first["evaluation"],
                seeds,
                [c["mode"] for c in configs],
                data.train_images[: min(subset, train_points)],
                data.train_labels[: min(subset, train_points)],
                self.machine.compile,
            )
        else:
            results = evaluate(
                models, data.test_images, data.test_labels, first["evaluation"], seeds, self.machine.compile
            )
        return results, round(time.perf_counter() - start, 3)  # of the whole stack, like train_time_s

    def completed(self, config: dict, model, history: list[dict], result: dict, eval_time_s: float) -> dict:
        """One model's evaluation made a record's result: the cross-check and
        the checkpoint where the config asks for them, and what was trained."""
        data = self.data()
        if CROSSCHECK in extras_of(config):
            result["crosscheck"] = crosscheck_with_torchattacks(
                model, data.test_images, data.test_labels, config["evaluation"], config["seed"]
            )
        result.update(
            family=config["family"],
            size=config["size"],
            mode=config["mode"],
            seed=config["seed"],
            num_params=num_params(model),
            history=history,
            train_time_s=history[-1]["train_time_s"],
            eval_time_s=eval_time_s,
        )
        if CHECKPOINT in extras_of(config):
            record = self.trained_record(config)
            result["checkpoint"] = {
                **record["checkpoint"],
                "training_key": record["key"],
                "folder": f"{STUDY}/checkpoints",
            }
        return result

    # ---- a stored result extended by the cross-check ----

    def extendable(self, configs: list[dict]) -> list[dict] | None:
        """The stored records of ``configs`` when each lacks nothing its
        config asks for but the cross-check, and keeps the weights to run it
        on (so that asking for it, e.g. because a rerun's largest scale is
        smaller, trains and evaluates nothing again); else None."""
        stored = []
        for config in configs:
            if not self.store.path(config).is_file():
                return None
            record = self.store.load_any(config)
            lacking = extras_of(config) - extras_of(record["config"])
            if not lacking <= {CROSSCHECK} or (lacking and self.trained_record(config) is None):
                return None
            stored.append(record)
        return stored

    def extend(self, config: dict, record: dict) -> tuple[dict, dict]:
        """``record``'s result and provenance, with the cross-check added when
        its config asks for it (run on the model's checkpoint, float16 as evaluated)."""
        result, made = dict(record["result"]), dict(record["provenance"])
        if CROSSCHECK in extras_of(config) - extras_of(record["config"]):
            data = self.data()
            model = to_device(build_model(config["family"], config["size"]), self.device)
            checkpoints.load(model, self.checkpoint_folder(), self.trained_record(config)["checkpoint"])
            model.to(self.device)
            start = time.perf_counter()
            result["crosscheck"] = crosscheck_with_torchattacks(
                model, data.test_images, data.test_labels, config["evaluation"], config["seed"]
            )
            made["extended"] = {
                CROSSCHECK: {**provenance(self.device), "wall_time_s": round(time.perf_counter() - start, 3)}
            }
        return result, made

    # ---- trained models: checkpoints keyed by the training config alone ----

    def checkpoint_folder(self):
        return checkpoint_folder(self.machine.results_dir)

    def trained_record(self, config: dict) -> dict | None:
        return trained_record(config, self.machine.results_dir)

    def save_trained(self, config: dict, model, history: list[dict]) -> None:
        key = training_key(config)
        info = checkpoints.save(model, self.checkpoint_folder() / f"{key}.pt")
        record = {
            "key": key,
            "study": STUDY,
            "version": VERSION,
            "config": training_config(config),
            "checkpoint": info,
            "history": history,
            "num_params": num_params(model),
            "provenance": provenance(self.device),
        }
        write_json(self.checkpoint_folder() / f"{key}.json", record)


#: Training fields a config holds that are not ``TrainingSetup``'s: the data they train on.
DATA_FIELDS = ("train_subset",)


def training_setup(config: dict) -> TrainingSetup:
    """The ``TrainingSetup`` a config's training section describes: each of
    its fields is a ``TrainingSetup`` field of that name, so a declared
    training parameter needs no line here; one that is neither is refused."""
    setup_fields = {f.name for f in dataclasses.fields(TrainingSetup)}
    training = {k: v for k, v in config["training"].items() if k not in DATA_FIELDS}
    unknown = sorted(set(training) - setup_fields)
    if unknown:
        raise ValueError(f"training field(s) {unknown} are not TrainingSetup fields; add them there")
    return TrainingSetup(mode=config["mode"], **training)


def training_config(config: dict) -> dict:
    """What a trained model depends on: not how it is evaluated."""
    return {k: config[k] for k in ("family", "size", "mode", "seed", "training")}


def training_key(config: dict) -> str:
    from gobig.core.store import config_key

    return config_key(f"{STUDY}-trained", VERSION, training_config(config))


def pending_path(config: dict, results_dir=None):
    """Where a trained model without a committed checkpoint waits for its
    evaluation (float32 weights and training history, keyed by its training
    config): a run stopped during a long evaluation resumes there, not from
    training. It lives beside the records it is for (``.pending``, ignored
    by git), so runs into other results folders never see it."""
    return Path(results_dir or paths.results_dir()) / STUDY / ".pending" / f"{training_key(config)}.pt"


def training_snapshot_path(configs: list[dict], results_dir=None) -> Path:
    """Where a unit's training state waits between epochs (``train_models``'
    snapshot), keyed by its configs' training keys, beside ``pending_path``:
    a run stopped mid-training goes on from its last whole epoch."""
    keys = "-".join(training_key(config) for config in configs)
    name = hashlib.sha256(keys.encode()).hexdigest()[:16] if len(configs) > 1 else keys
    return Path(results_dir or paths.results_dir()) / STUDY / ".pending" / f"{name}.training.pt"


def checkpoint_folder(results_dir=None):
    from pathlib import Path

    return Path(results_dir or paths.results_dir()) / STUDY / "checkpoints"


def trained_record(config: dict, results_dir=None) -> dict | None:
    """The training record (history, checkpoint hash) of a config's
    training, when it and its checkpoint exist."""
    path = checkpoint_folder(results_dir) / f"{training_key(config)}.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    if record.get("config") != training_config(config):
        raise ValueError(f"training record {path} does not match its key; delete it to retrain")
    return record


def seedless(config: dict) -> str:
    """What a config is apart from its seed (and the cross-check, which only
    adds an evaluation): configs equal here can train as one stacked model."""
    return json.dumps({k: v for k, v in config.items() if k not in ("seed", EXTRAS)}, sort_keys=True)


def run(values: dict, progress: bool = True) -> list[dict]:
    """Validate, then load or compute every config's record."""
    params = validate_parameters(values)
    store = ResultStore.for_params(STUDY, VERSION, params)
    configs = expand_configs(params)
    if params["CROSSCHECK"] and any(CROSSCHECK in extras_of(c) and not store.exists(c) for c in configs):
        # Fail now, not after training the largest model (e.g. on a GPU box without it).
        import importlib.util

        if importlib.util.find_spec("torchattacks") is None:
            raise ParameterError(
                "CROSSCHECK: True needs the torchattacks package (pip install torchattacks); install it or set CROSSCHECK=False"
            )
    if not params["DOWNLOAD"] and not all(store.exists(c) for c in configs):
        # Missing data stops the run here, in one line, before a progress bar or a worker starts.
        from gobig.data.mnist import load_mnist

        load_mnist(params["DATA_DIR"], "cpu")
    # Progress bars of several worker processes would interleave; the sweep shows one bar of units instead.
    computer = Computer(Machine.from_params(params, progress=progress and params["WORKERS"] == 1), store)
    gpus_per_task = 1 if computer.device.type == "cuda" else 0
    # Stacking pays on a GPU, where a small model alone leaves it idle; on a
    # CPU (already busy with one model) it costs 20-30% (benchmarks/stacked_training.py).
    stack = params["STACK_SEEDS"] == "always" or (params["STACK_SEEDS"] == "auto" and computer.device.type == "cuda")
    stacking = {"together": seedless, "compute_together": computer.compute_together} if stack else {}
    return run_from_params(
        configs,
        computer,
        store,
        params,
        progress=progress,
        gpus_per_task=gpus_per_task,
        # Longest units first only where several run at once; one at a time, the
        # configs' order (smallest models first) finishes the most records soonest.
        cost=training_cost if params["WORKERS"] > 1 or params["EXECUTOR"] == "ray" else None,
        scale=work_scale,
        **stacking,
    )


def training_cost(config: dict) -> float:
    """A config's rough relative cost, so that a sweep starts its longest
    units first. Chapter 1's models are small: a forward-backward pass costs
    about what its process spends launching kernels, however small the
    model, so the cost is the number of passes (training steps, times one
    plus the PGD steps of adversarial training), weighted up a little for
    the largest models, whose arithmetic also counts (on one GPU, a pass of
    madry:32 at batch 256 is about as long in bf16 arithmetic as in
    launches). The blog's model (180,000 steps at batch 5) then starts
    first in the full profile."""
    training = config["training"]
    steps = training["epochs"] * math.ceil((training["train_subset"] or 60_000) / training["batch_size"])
    passes = {"natural": 1, "pgd": 1 + training.get("pgd_steps", 0), "fgsm": 2}[config["mode"]]
    return steps * passes * (1 + _parameter_count(config["family"], config["size"]) / 1e7)


#: The training fields that change how much work a config does, not what it is (``work_scale``).
WORK_FIELDS = ("epochs", "train_subset", "pgd_steps", "monitor_images")


def work_scale(config: dict) -> tuple[str, float]:
    """A config's kin (everything but its seeds, extras and WORK_FIELDS) and
    its training work (``training_cost``), so that a run with more epochs
    (e.g. the collapse profile's longer control) is estimated from the
    records of fewer. Evaluation time does not scale, so this over-estimates
    a little where evaluation is a large share."""
    training = {k: v for k, v in config["training"].items() if k not in WORK_FIELDS}
    kin = {k: v for k, v in config.items() if k not in ("seed", EXTRAS, "training")}
    return json.dumps({**kin, "training": training}, sort_keys=True), training_cost(config)


@functools.cache
def _parameter_count(family: str, size: int) -> int:
    return num_params(build_model(family, size))
