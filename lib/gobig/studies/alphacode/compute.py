"""Computing chapter 3's records: ``Computer`` builds one stage's record of
a split (its leakage, trust and baseline; its model's fine-tuning; its
model's samples, judged) or the date curve's; ``run`` loads or computes
every config."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from gobig.core import checkpoints, paths
from gobig.core.runtime import provenance, set_seed
from gobig.core.store import ResultStore, write_json
from gobig.core.sweep import run_from_params
from gobig.data import codecontests
from gobig.methods.code import judge, leakage, splits
from gobig.studies.alphacode import model as stage
from gobig.studies.alphacode.baseline import baseline_from_matrix, curve_rows, matrix_cost, passing_owners
from gobig.studies.alphacode.configs import (
    BaselineConfig,
    CurveConfig,
    FinetuneConfig,
    FinetuneSpec,
    JudgeSpec,
    Machine,
    ModelSpec,
    SampleConfig,
    SplitSpec,
    stage_config,
)
from gobig.studies.alphacode.params import STUDY, TEMPORAL_VARIANTS, VERSION, expand_configs, validate_parameters
from gobig.studies.alphacode.pretrain import load_or_pretrain

# ---- the computation of one split ------------------------------------------


#: A split's config as the context and split methods read it (any stage's).
AnyStage = BaselineConfig | FinetuneConfig | SampleConfig


class Computer:
    """Computes one config's record from the config and the machine alone;
    loads data, runs the pass matrix and pre-trains once per process (per
    problem set and spec) and reuses them across splits. ``store`` (the
    sweep's) is read, never written: a sampling stage takes its split's
    trust from the baseline record there when it is stored (else computes
    it, the same way)."""

    def __init__(self, machine: Machine, store: ResultStore | None = None):
        self.machine = machine
        self.store = store
        self.device = machine.device
        self.progress = machine.progress
        self._contexts: dict = {}
        self._matrices: dict = {}
        self._pretrained: dict = {}

    # -- shared, lazily -------------------------------------------------------

    def context(self, config: AnyStage) -> dict:
        """The problems, their index, twin groups and temporal splits: what
        every split of one problem set under one ``SplitSpec`` shares."""
        spec: SplitSpec = config.splits
        if (config.problems, spec) not in self._contexts:
            problems = codecontests.load(self.machine.problems_path(config.problems))
            index = leakage.Index(problems)
            groups = leakage.twin_groups(problems, index, spec.twin_threshold)
            cutoff = spec.cutoff or splits.quantile_cutoff(problems, spec.valid_fraction)
            temporal = {
                name: dataclasses.replace(splits.temporal_split(problems, cutoff, groups, policy), name=name, kind=name)
                for policy, name in TEMPORAL_VARIANTS.items()
            }
            self._contexts[config.problems, spec] = {
                "list": problems,
                "problems": {p.key: p for p in problems},
                "index": index,
                "groups": groups,
                "temporal": temporal,
            }
        return self._contexts[config.problems, spec]

    def main_temporal(self, config: AnyStage) -> splits.Split:
        return self.context(config)["temporal"][TEMPORAL_VARIANTS[config.splits.temporal_twins]]

    def split(self, config: AnyStage) -> splits.Split:
        context = self.context(config)
        problems, groups = context["list"], context["groups"]
        size = len(self.main_temporal(config).valid)
        kind, seed = config.split, config.seed
        if kind in context["temporal"]:
            return context["temporal"][kind]
        if kind == "random":
            return splits.random_split(problems, size, seed)
        if kind == "random-untwinned":
            return splits.without_crossing_twins(splits.random_split(problems, size, seed), groups)
        if kind == "twin-aware":
            return splits.twin_aware_split(problems, size, seed, groups)
        raise ValueError(f"split: unknown kind {kind!r}")

    @staticmethod
    def limits(spec: JudgeSpec):
        return judge.limits_for(spec.time_limit_s, spec.memory_mb)

    def matrix(self, config: BaselineConfig | SampleConfig) -> dict:
        """Every training solution on every problem's tests, once (or, with
        BASELINE_NEAREST = k > 0, each problem's k nearest by statement:
        a labelled speed-up), cached on disk and shared by every split."""
        spec: JudgeSpec = config.judge
        if (config.problems_sha256, config.splits, spec) not in self._matrices:
            context = self.context(config)
            problems = context["list"]
            candidates = None
            nearest = spec.baseline_nearest
            keys = [p.key for p in problems]
            if nearest:
                index = context["index"]
                candidates = {k: {k, *index.ranked_neighbours(k, [o for o in keys if o != k], nearest)} for k in keys}
            tag = hashlib.sha256(
                json.dumps([config.problems_sha256, nearest, spec.time_limit_s, spec.memory_mb, spec.compare]).encode()
            ).hexdigest()[:16]
            cache = paths.cache_dir() / "alphacode" / f"pass-matrix-{tag}.jsonl"
            self._matrices[config.problems_sha256, config.splits, spec] = judge.pass_matrix(
                problems,
                self.limits(spec),
                spec.compare,
                cache=cache,
                candidates=candidates,
                progress=self.progress,
                chunk=50,
            )
        return self._matrices[config.problems_sha256, config.splits, spec]

    def pretrained(self, spec: FinetuneSpec) -> tuple[object, dict, dict]:
        """(tokenizer, state_dict, stats), cached on disk by its inputs."""
        pretrain = spec.pretrain()
        if pretrain not in self._pretrained:
            self._pretrained[pretrain] = load_or_pretrain(pretrain, self.device, self.machine.data_root)
        return self._pretrained[pretrain]

    # -- one config ------------------------------------------------------------

    def __call__(self, config: dict) -> tuple[dict, dict]:
        config = stage_config(config)
        if isinstance(config, CurveConfig):
            return self.date_curve(config), provenance(self.device)
        if isinstance(config, FinetuneConfig):
            return self.finetune(config), provenance(self.device)
        if isinstance(config, SampleConfig):
            return self.sample(config), provenance(self.device)
        return self.baseline(config), provenance(self.device)

    def baseline(self, config: BaselineConfig) -> dict:
        """The split, its leakage, the judge's trust and the baseline read off the pass matrix."""
        context = self.context(config)
        problems, index = context["problems"], context["index"]
        split = self.split(config)
        timings: dict[str, float] = {}

        start = time.perf_counter()
        nearest = index.nearest(list(split.valid), list(split.train))
        crossing = splits.crossing_groups(split, context["groups"])
        timings["leakage_s"] = time.perf_counter() - start

        start = time.perf_counter()
        matrix = self.matrix(config)
        baseline, trust = baseline_from_matrix(matrix, [problems[k] for k in split.valid], set(split.train))
        timings["baseline_lookup_s"] = time.perf_counter() - start
        return {
            "split": {
                "name": split.name,
                "kind": split.kind,
                "seed": split.seed,
                "cutoff": split.cutoff,
                "train": list(split.train),
                "valid": list(split.valid),
            },
            "twin_groups": [sorted(g) for g in context["groups"]],
            "crossing_twin_groups": [sorted(g) for g in crossing],
            "nearest": [asdict(n) for n in nearest],
            "trust": trust,
            "baseline": baseline,
            "baseline_cost": matrix_cost(matrix, config.judge.baseline_nearest),
            "timings": timings,
        }

    def finetune(self, config: FinetuneConfig) -> dict:
        """Fine-tune on the split's training problems; per-problem validation
        loss. The weights, the random generator's state after fine-tuning
        (where the sampling goes on from) and the result go to one cache
        file, keyed by the config and the device (``weights_path``)."""
        return self._finetuned(config)["result"]

    def _finetuned(self, config: FinetuneConfig) -> dict:
        """The fine-tuned weights file's contents: loaded when the cache holds
        them, else copied from the committed weights of these inputs
        (``results/alphacode/weights/``, ``keep_weights``), else computed
        and saved. Under a file lock: a sampling unit of the same split
        running at once (WORKERS > 1) waits for these weights instead of
        fine-tuning a second time."""
        path = self.weights_path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            kept = self.kept_weights_info(config)
            if not path.is_file() and kept is not None:
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(checkpoints.load_bytes(self.kept_weights_folder(), kept))
                tmp.replace(path)
            if path.is_file():
                saved = torch.load(path, map_location="cpu", weights_only=False)
                if saved["inputs"] != self.weights_inputs(config):
                    raise ValueError(f"{path}: weights of other inputs than {self.weights_inputs(config)}")
                return saved
            saved = self._finetune_uncached(config)
            tmp = path.with_suffix(".tmp")
            torch.save(saved, tmp)
            tmp.replace(path)
            return saved

    def _finetune_uncached(self, config: FinetuneConfig) -> dict:
        spec, problems = config.finetune, self.context(config)["problems"]
        split = self.split(config)
        tokenizer, pretrained_state, pretrain_stats = self.pretrained(spec)
        generator = set_seed(spec.model_seed)
        network, result = stage.finetune(
            spec,
            tokenizer,
            pretrained_state,
            pretrain_stats,
            [problems[k] for k in split.train],
            [problems[k] for k in split.valid],
            generator,
            self.device,
            progress=self.progress,
            # Beside the weights' cache file, under its lock: a stopped fine-tuning goes on from here.
            snapshot=self.weights_path(config).with_suffix(".snapshot.pt"),
        )
        result["timings"] = {"finetune_s": result.pop("finetune_s")}
        if "resumed_at_step" in result:  # its finetune_s counts only the steps after it
            result["timings"]["resumed_at_step"] = result.pop("resumed_at_step")
        result["token_lengths"] = stage.pool_token_lengths(tokenizer, self.context(config)["list"])
        return {
            "inputs": self.weights_inputs(config),
            "result": result,
            "state_dict": {k: v.detach().cpu() for k, v in network.state_dict().items()},
            "generator": generator.get_state(),
            "tokenizer": tokenizer.to_str(),
        }

    def kept_weights_folder(self) -> Path:
        return (self.store.folder if self.store is not None else paths.results_dir() / STUDY) / "weights"

    def kept_weights_info(self, config: FinetuneConfig) -> dict | None:
        """The committed weights of these inputs (their file, parts and SHA-256), or None."""
        info = self.kept_weights_folder() / f"{self.weights_key(config)}.json"
        if not info.is_file():
            return None
        kept = json.loads(info.read_text())
        return kept if kept["inputs"] == self.weights_inputs(config) else None

    def keep_weights(self, config: FinetuneConfig) -> dict:
        """Commit the cached fine-tuned weights of ``config`` beside the
        records (``results/alphacode/weights/KEY.pt``, in parts of at most
        4 MB, with their SHA-256), so a fresh clone samples from them instead
        of fine-tuning again."""
        path = self.weights_path(config)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no cached weights of {config.to_dict()} to keep; fine-tune first")
        key = self.weights_key(config)
        info = checkpoints.save_bytes(path.read_bytes(), self.kept_weights_folder() / f"{key}.pt")
        kept = {**info, "inputs": self.weights_inputs(config)}
        write_json(self.kept_weights_folder() / f"{key}.json", kept)
        return kept

    def weights_inputs(self, config: FinetuneConfig) -> dict:
        """What the fine-tuned weights depend on: the fine-tuning's config, and the device they were trained on."""
        return {"finetune": config.to_dict(), "device": self.device.type}

    def weights_key(self, config: FinetuneConfig) -> str:
        return hashlib.sha256(json.dumps(self.weights_inputs(config), sort_keys=True).encode()).hexdigest()[:16]

    def weights_path(self, config: FinetuneConfig) -> Path:
        """The fine-tuned weights' cache file, keyed by ``weights_inputs``."""
        return paths.cache_dir() / "alphacode" / f"finetuned-{self.weights_key(config)}.pt"

    def sample(self, config: SampleConfig) -> dict:
        """The fine-tuned model's samples for the split's trusted validation
        problems, judged as AlphaCode judges them. The weights (and the
        generator's state) come from the fine-tuning's cache file, or the
        committed weights (``keep_weights``); without either the split
        is fine-tuned again, as its fine-tuning stage would, and the time it
        took is in the timings as ``refinetune_s``. Sampling starts from the
        saved weights and generator state either way: the same bits as
        sampling right after fine-tuning."""
        start = time.perf_counter()
        finetune = config.finetune_config()
        # In the cache, or committed beside the records (then copied into the cache): not fine-tuned again.
        cached = self.weights_path(finetune).is_file() or self.kept_weights_info(finetune) is not None
        saved = self._finetuned(finetune)
        timings: dict[str, float] = {} if cached else {"refinetune_s": time.perf_counter() - start}
        spec = ModelSpec.of(config.finetune, config.sampling)
        tokenizer = stage.tokenizer_from_str(saved["tokenizer"])
        network = stage.load_finetuned(spec, tokenizer, saved["state_dict"], self.device)
        generator = torch.Generator()  # the CPU generator fine-tuning drew from, where it stopped
        generator.set_state(saved["generator"])

        problems = self.context(config)["problems"]
        trusted = [problems[k] for k in self.trusted(config)]
        limits, compare = self.limits(config.judge), config.judge.compare
        start = time.perf_counter()
        samples, cut_off, sample_tokens = stage.sample_programs(
            spec, network, tokenizer, trusted, generator, progress=self.progress
        )
        timings["sampling_s"] = time.perf_counter() - start

        start = time.perf_counter()
        judged = stage.judge_programs(trusted, samples, limits, compare)
        timings["execution_s"] = time.perf_counter() - start
        executed = sum(o.unique for o in judged.values())
        return {
            "samples_per_s": sum(len(s) for s in samples.values()) / timings["sampling_s"]
            if samples and timings["sampling_s"]
            else None,
            "sample_tokens": sample_tokens,
            "programs_executed": executed,
            "programs_per_s": executed / timings["execution_s"] if executed and timings["execution_s"] else None,
            "outcomes": {k: asdict(o) for k, o in judged.items()},
            "cut_off": cut_off,
            # A few samples per problem for the chapter to show (not all: records stay small).
            "examples_of_samples": {k: v[:2] for k, v in samples.items()},
            "timings": timings,
        }

    def trusted(self, config: SampleConfig) -> list[str]:
        """The split's validation problems the judge trusts (the pass
        matrix's diagonal), in the split's order: from the split's baseline
        record when the store holds it, else computed as it computes them."""
        baseline = config.baseline_config().to_dict()
        if self.store is not None and self.store.exists(baseline):
            trust = self.store.load(baseline)["result"]["trust"]
        else:
            trust = self.baseline(config.baseline_config())["trust"]
        return [key for key, verdict in trust.items() if verdict["trusted"]]

    # -- the date curve ------------------------------------------------------------

    def date_curve(self, config: CurveConfig) -> dict:
        """Every problem of the pool against the main temporal split's
        training side, by contest id: its nearest training statement (itself
        excluded) and whether a training solution (its own excluded) passes
        all its tests. Before the cutoff this is leave-one-out contamination
        (a twin in training); after it, the temporal validation side.
        With OUT_OF_PERIOD, later problems (public tests only, under
        ``judge.public_only_trust``) are judged against the same training side."""
        context, leak_threshold = self.context(config), config.splits.leak_threshold
        split = self.main_temporal(config)
        train = set(split.train)
        problems = context["list"]
        matrix = self.matrix(config)
        start = time.perf_counter()
        rows = curve_rows(problems, problems, train, context["index"], matrix, leak_threshold, "validation")
        result = {
            "cutoff": split.cutoff,
            "train": sorted(train),
            "rows": rows,
            "out_of_period": None,
            "baseline_cost": matrix_cost(matrix, config.judge.baseline_nearest),
            # The pass matrix, sparse: per problem, the problems whose solution passes
            # all its tests (its own included when trusted). Enough to redraw splits.
            "passes": {p.key: passing_owners(matrix, p.key) for p in problems},
            "valid_size": len(split.valid),
            "test_counts": {p.key: _test_counts(p) for p in problems},
        }
        later_config = config.out_of_period
        if later_config:
            later, trust, later_matrix = self.later_matrix(config)
            joint = leakage.Index(problems + later)
            later_rows = curve_rows(later, problems, train, joint, later_matrix, leak_threshold, "out of period", trust)
            reasons: dict[str, int] = {}
            for verdict in trust.values():
                reason = "trusted" if verdict["trusted"] else verdict["reason"]
                if reason.startswith("only "):
                    reason = f"fewer than {judge.PUBLIC_TRUST_AGREEING} of its first {judge.PUBLIC_TRUST_TRIES} solutions pass its public tests"
                reasons[reason] = reasons.get(reason, 0) + 1
            result["out_of_period"] = {
                "problems": later_config["problems"],
                "rows": later_rows,
                "trust_reasons": reasons,
                "trust_rule": {
                    "tries": judge.PUBLIC_TRUST_TRIES,
                    "agreeing": judge.PUBLIC_TRUST_AGREEING,
                    "several_answers": judge.SEVERAL_ANSWERS.pattern,
                },
                "baseline_cost": {
                    "test_runs": later_matrix["test_runs"],
                    "wall_s": later_matrix["wall_s"],
                    "pairs": sum(len(c) for c in later_matrix["cells"].values()),
                },
            }
        result["timings"] = {"curve_s": time.perf_counter() - start}
        return result

    def later_matrix(self, config: CurveConfig) -> tuple[list, dict, dict]:
        """The later problems, their trust under the public-tests-only rule,
        and the main temporal split's training solutions on the trusted ones."""
        later_config, spec = config.out_of_period, config.judge
        train = set(self.main_temporal(config).train)
        later = codecontests.load(self.machine.mirror(later_config["problems"]))
        trust = judge.public_only_trust(later, self.limits(spec), spec.compare)
        trusted = [p for p in later if trust[p.key]["trusted"]]
        solvers = [p for p in self.context(config)["list"] if p.key in train]
        tag = hashlib.sha256(
            json.dumps(
                [
                    later_config["problems_sha256"],
                    sorted(train),
                    spec.time_limit_s,
                    spec.memory_mb,
                    spec.compare,
                ]
            ).encode()
        ).hexdigest()[:16]
        cache = paths.cache_dir() / "alphacode" / f"pass-matrix-later-{tag}.jsonl"
        return (
            later,
            trust,
            judge.pass_matrix(
                trusted,
                self.limits(spec),
                spec.compare,
                cache=cache,
                solvers=solvers,
                progress=self.progress,
                chunk=50,
            ),
        )


def _test_counts(problem) -> list[int]:
    """[tests, the statement's examples among them, distinct expected outputs
    (compared token by token)]: how much a problem's tests can tell apart."""
    tests = problem.all_tests
    examples = {test_input for test_input, _ in problem.public_tests}
    outputs = {tuple(expected.split()) for _, expected in tests}
    return [len(tests), sum(test_input in examples for test_input, _ in tests), len(outputs)]


# ---- running ------------------------------------------------------------------

#: Per model stage, the fields that set how much work it does: fine-tuning steps, and samples per problem.
#: A split's kind and seed change its problems, not its cost (every split validates the same share).
WORK_FIELDS = {"finetune": ("finetune", "finetune_steps"), "sample": ("sampling", "samples_per_problem")}


def work_scale(config: dict) -> tuple[str, float] | None:
    """A model stage's kin (its config without its split, seeds and amount of
    work; a sample stage's also without the fine-tuning steps, which change
    the weights it samples from, not the work) and its work, so that a
    rerun with other steps or samples is estimated from the records there
    (``gobig.core.progress``). None for the other stages."""
    if config["stage"] not in WORK_FIELDS:
        return None
    section, field = WORK_FIELDS[config["stage"]]
    kin = {k: v for k, v in config.items() if k not in ("seed", "split")}
    kin[section] = {k: v for k, v in config[section].items() if k != field}
    if config["stage"] == "sample":
        kin["finetune"] = {k: v for k, v in config["finetune"].items() if k != "finetune_steps"}
    return json.dumps(kin, sort_keys=True), float(config[section][field])


def run(values: dict, progress: bool = True) -> list[dict]:
    """Validate, then load or compute every split's record."""
    params = validate_parameters(values)
    store = ResultStore.for_params(STUDY, VERSION, params)
    configs = expand_configs(params)
    # Progress bars of several worker processes would interleave; the sweep shows one bar of units instead.
    computer = Computer(Machine.from_params(params, progress=progress and params["WORKERS"] == 1), store)
    gpus_per_task = 1 if computer.device.type == "cuda" else 0
    return run_from_params(
        configs, computer, store, params, progress=progress, gpus_per_task=gpus_per_task, scale=work_scale
    )
