"""Computing chapter 3's records: ``_Computer`` builds one split's record
(leakage, trust, baseline, model) or the date curve's; ``run`` loads or
computes every config."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

from gobig.core import paths
from gobig.core.runtime import provenance, set_seed
from gobig.core.store import ResultStore
from gobig.core.sweep import run_from_params
from gobig.data import codecontests
from gobig.methods.code import judge, leakage, splits
from gobig.studies.alphacode import model as stage
from gobig.studies.alphacode.baseline import _baseline_from_matrix, _curve_rows, _matrix_cost, _passing_owners
from gobig.studies.alphacode.configs import CurveConfig, JudgeSpec, Machine, ModelSpec, SplitConfig, SplitSpec
from gobig.studies.alphacode.params import STUDY, TEMPORAL_VARIANTS, VERSION, expand_configs, validate_parameters
from gobig.studies.alphacode.pretrain import _pretrain

# ---- the computation of one split ------------------------------------------


class _Computer:
    """Computes one config's record from the config and the machine alone;
    loads data, runs the pass matrix and pre-trains once per process (per
    problem set and spec) and reuses them across splits."""

    def __init__(self, machine: Machine):
        self.machine = machine
        self.device = machine.device
        self.progress = machine.progress
        self._contexts: dict = {}
        self._matrices: dict = {}
        self._pretrained: dict = {}

    # -- shared, lazily -------------------------------------------------------

    def context(self, config: SplitConfig) -> dict:
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

    def main_temporal(self, config: SplitConfig) -> splits.Split:
        return self.context(config)["temporal"][TEMPORAL_VARIANTS[config.splits.temporal_twins]]

    def split(self, config: SplitConfig) -> splits.Split:
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

    def matrix(self, config: SplitConfig) -> dict:
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

    def pretrained(self, spec: ModelSpec) -> tuple[object, dict, dict]:
        """(tokenizer, state_dict, stats), cached on disk by its inputs."""
        pretrain = spec.pretrain()
        if pretrain not in self._pretrained:
            self._pretrained[pretrain] = _pretrain(pretrain, self.device, self.machine.data_root)
        return self._pretrained[pretrain]

    # -- one config ------------------------------------------------------------

    def __call__(self, config: dict) -> tuple[dict, dict]:
        config = SplitConfig.from_dict(config)
        if isinstance(config, CurveConfig):
            return self.date_curve(config), provenance(self.device)
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
        baseline, trust = _baseline_from_matrix(matrix, [problems[k] for k in split.valid], set(split.train))
        timings["baseline_lookup_s"] = time.perf_counter() - start

        # The model samples for the problems the judge trusts (the pass matrix's diagonal).
        trusted = [k for k in split.valid if trust[k]["trusted"]]
        model_result = self.model(config, split, timings, trusted) if config.role else None
        result = {
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
            "baseline_cost": _matrix_cost(matrix, config.judge.baseline_nearest),
            "model": model_result,
            "timings": timings,
        }
        return result, provenance(self.device)

    def model(self, config: SplitConfig, split: splits.Split, timings: dict, trusted: list[str]) -> dict:
        """Fine-tune on the split's training problems; per-problem validation
        loss; with role ``sample``, samples judged as AlphaCode judges them.
        Cached on disk by everything that determines it."""
        inputs = {
            "model": config.model.cache_inputs(),
            "problems_sha256": config.problems_sha256,
            "train": list(split.train),
            "valid": list(split.valid),
            "role": config.role,
            "device": self.device.type,
            "judge": config.judge.limits_inputs(),
        }
        key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
        cache = paths.cache_dir() / "alphacode" / f"model-{key}.json"
        if cache.is_file():
            saved = json.loads(cache.read_text())
            timings.update(saved["timings"])
            return saved["model"]
        own: dict[str, float] = {}
        result = self._model_uncached(config, split, own, trusted)
        timings.update(own)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"inputs": inputs, "timings": own, "model": result}))
        tmp.replace(cache)
        return result

    def _model_uncached(self, config: SplitConfig, split: splits.Split, timings: dict, trusted: list[str]) -> dict:
        """The model stage (``alphacode.model``) on this split's problems:
        fine-tuned on its training side, its loss on every validation
        problem, and with role ``sample`` its samples judged."""
        spec, role, problems = config.model, config.role, self.context(config)["problems"]
        limits, compare = self.limits(config.judge), config.judge.compare
        tokenizer, pretrained_state, pretrain_stats = self.pretrained(spec)
        generator = set_seed(spec.model_seed)
        valid = [problems[k] for k in split.valid]
        network, result = stage.finetune(
            spec,
            tokenizer,
            pretrained_state,
            pretrain_stats,
            [problems[k] for k in split.train],
            valid,
            generator,
            self.device,
            progress=self.progress,
        )
        timings["finetune_s"] = result.pop("finetune_s")
        result["token_lengths"] = stage.pool_token_lengths(tokenizer, self.context(config)["list"])
        if role != "sample":
            return result

        eligible = [problems[k] for k in trusted]
        start = time.perf_counter()
        samples, cut_off, sample_tokens = stage.sample_programs(spec, network, tokenizer, eligible, generator)
        timings["sampling_s"] = time.perf_counter() - start

        start = time.perf_counter()
        judged = stage.judge_programs(eligible, samples, limits, compare)
        timings["execution_s"] = time.perf_counter() - start
        executed = sum(o.unique for o in judged.values())
        result.update(
            {
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
            }
        )
        return result

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
        rows = _curve_rows(problems, problems, train, context["index"], matrix, leak_threshold, "validation")
        result = {
            "cutoff": split.cutoff,
            "train": sorted(train),
            "rows": rows,
            "out_of_period": None,
            "baseline_cost": _matrix_cost(matrix, config.judge.baseline_nearest),
            # The pass matrix, sparse: per problem, the problems whose solution passes
            # all its tests (its own included when trusted). Enough to redraw splits.
            "passes": {p.key: _passing_owners(matrix, p.key) for p in problems},
            "valid_size": len(split.valid),
            "test_counts": {p.key: _test_counts(p) for p in problems},
        }
        later_config = config.out_of_period
        if later_config:
            later, trust, later_matrix = self.later_matrix(config)
            joint = leakage.Index(problems + later)
            later_rows = _curve_rows(
                later, problems, train, joint, later_matrix, leak_threshold, "out of period", trust
            )
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


def amend_test_counts(results_dir=None, data_root=None) -> list[str]:
    """Give a stored date curve of this version that predates ``test_counts``
    the field, computed as ``date_curve`` computes it: from the problems file
    alone (its sha256 checked against the config's), no program run. The
    rest of the record stays as computed; its provenance says what was added.
    Returns the keys amended. (Recomputing the curve would judge the whole
    pass matrix again, 48 minutes on 2 CPU cores.)"""
    store = ResultStore(STUDY, VERSION, results_dir or paths.results_dir())
    machine = Machine(device=None, data_root=Path(data_root) if data_root else paths.data_dir())
    amended = []
    for path in sorted(store.folder.glob("*.json")):
        record = json.loads(path.read_text())
        config = record["config"]
        if record.get("version") != VERSION or config.get("split") != "date-curve" or "test_counts" in record["result"]:
            continue
        problems_file = machine.problems_path(config["problems"])
        if hashlib.sha256(problems_file.read_bytes()).hexdigest() != config["problems_sha256"]:
            raise ValueError(f"{problems_file}: not the problems file record {path.stem} was computed from")
        problems = codecontests.load(problems_file)
        record["result"]["test_counts"] = {p.key: _test_counts(p) for p in problems}
        record["provenance"]["amended"] = (
            "result.test_counts added from the problems file (counts of tests, examples and distinct outputs; "
            "no program run) by gobig.studies.alphacode.compute.amend_test_counts; the rest as computed"
        )
        store.save(
            config,
            record["result"],
            {k: v for k, v in record["provenance"].items() if k != "wall_time_s"},
            record["provenance"]["wall_time_s"],
        )
        amended.append(path.stem)
    return amended


# ---- running ------------------------------------------------------------------


def run(values: dict, progress: bool = True) -> list[dict]:
    """Validate, then load or compute every split's record."""
    params = validate_parameters(values)
    store = ResultStore.for_params(STUDY, VERSION, params)
    configs = expand_configs(params)
    # Progress bars of several worker processes would interleave; the sweep shows one bar of units instead.
    computer = _Computer(Machine.from_params(params, progress=progress and params["WORKERS"] == 1))
    gpus_per_task = 1 if computer.device.type == "cuda" else 0
    return run_from_params(configs, computer, store, params, progress=progress, gpus_per_task=gpus_per_task)
