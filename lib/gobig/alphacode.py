"""Chapter 3's study: AlphaCode's temporal vs random split, rerun small.

Li et al. 2022 (Appendix B.3) found that a random train/validation split of
Codeforces problems leaks solutions: submitting training solutions solved
4.1% of validation problems on a random split and 0% on a temporal one, and
a 1B model solved 0.8% vs 0% (13k samples per problem). This module reruns
both on real CodeContests problems, one result record per split:

1. splits: a temporal split at a contest-id cutoff and random splits of
   the same sizes (``gobig.splits``), with the twin groups (the same problem
   under two contest ids) found by statement similarity (``gobig.leakage``);
2. leakage: each validation problem's nearest training problem by
   statement and by solution (MinHash);
3. trust: only problems whose own reference solution passes their tests
   under our judge enter the solve rates (``gobig.judge``);
4. baseline: submit training problems' solutions;
5. model: one BPE tokenizer and one pre-trained model per corpus cutoff,
   fine-tuned on each split's training problems with the same budget;
   validation loss; k samples per problem, judged, n@k (``gobig.passk``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gobig import codemodel, judge, leakage, passk, paths, splits
from gobig import params as params_module
from gobig.data import codecontests, python_corpus
from gobig.params import ParameterError, Spec, validate
from gobig.runtime import DEVICE_CHOICES, peak_bf16_flops, provenance, resolve_device, set_seed
from gobig.store import ResultStore
from gobig.sweep import SWEEP_DEFAULTS, SWEEP_PARAMETERS, run_sweep

STUDY = "alphacode"
VERSION = 1
#: The profile whose records are committed and whose values the chapter uses.
DEFAULT_PROFILE = "cpu"
#: AlphaCode's numbers (Appendix B.3), percent of validation problems solved.
PAPER = {
    ("baseline", "random"): 4.1,
    ("baseline", "temporal"): 0.0,
    ("model", "random"): 0.8,
    ("model", "temporal"): 0.0,
}
PAPER_MODEL = "1B parameters, 13k samples per problem, 13,328 training / 117 validation problems"

PARAMETERS = {
    "PROBLEMS": Spec(str, "problems: a mirror name (codecontests_mini, neocoder_codeforces) or a parquet/JSONL file or folder"),
    "VALID_FRACTION": Spec(float, "share of problems in validation (sets the temporal cutoff when CUTOFF is None)", above=0, maximum=0.5),
    "CUTOFF": Spec(int, "first contest id of the temporal validation side (None: from VALID_FRACTION)", minimum=1, optional=True),
    "TEMPORAL_TWINS": Spec(str, "simultaneous twins: move to their earliest member's side, or leave as the cutoff falls", allowed=splits.TWIN_POLICIES),
    "SPLIT_SEEDS": Spec(int, "one random split per seed", is_list=True, minimum=0),
    "TWIN_THRESHOLD": Spec(float, "statement similarity (MinHash Jaccard) at which two problems are twins", above=0, maximum=1),
    "LEAK_THRESHOLD": Spec(float, "similarity at which a validation problem has a near duplicate in training", above=0, maximum=1),
    "TIME_LIMIT_S": Spec(float, "CPU seconds per test in the sandbox", above=0, maximum=60),
    "MEMORY_MB": Spec(int, "address-space limit per program in the sandbox", minimum=64, maximum=16384),
    "COMPARE": Spec(str, "output check: exact lines, or Codeforces-style tokens (integers exact, floats to 1e-6)", allowed=("exact", "tokens")),
    "BASELINE_NEAREST": Spec(int, "training solutions tried per validation problem, most similar statements first (0: all)", minimum=0),
    "CORPUS_CUTOFF": Spec(str, "pre-training uses corpus files added before this date (YYYY-MM-DD)"),
    "VOCAB_SIZE": Spec(int, "BPE vocabulary size", minimum=300, maximum=100_000),
    "MODEL_LAYERS": Spec(int, "transformer layers", minimum=1, maximum=64),
    "MODEL_HEADS": Spec(int, "attention heads", minimum=1, maximum=64),
    "MODEL_DIM": Spec(int, "model width (a multiple of MODEL_HEADS)", minimum=16, maximum=8192),
    "CONTEXT": Spec(int, "tokens per sequence (statement + solution)", minimum=64, maximum=8192),
    "PRETRAIN_STEPS": Spec(int, "pre-training steps on the dated corpus (0 skips pre-training)", minimum=0),
    "FINETUNE_STEPS": Spec(int, "fine-tuning steps on each split's training problems", minimum=1),
    "BATCH_SIZE": Spec(int, "sequences per step", minimum=1, maximum=4096),
    "LEARNING_RATE": Spec(float, "peak AdamW learning rate", above=0, maximum=1),
    "SAMPLES_PER_PROBLEM": Spec(int, "k: programs sampled per validation problem", minimum=1, maximum=1_000_000),
    "TEMPERATURE": Spec(float, "sampling temperature", above=0, maximum=10),
    "MAX_NEW_TOKENS": Spec(int, "longest sampled program, in tokens", minimum=8, maximum=8192),
    "SUBMISSIONS": Spec(int, "n of n@k", is_list=True, minimum=1),
    "MODEL_SEED": Spec(int, "seed of initialisation, batches and sampling", minimum=0),
    "DEVICE": Spec(str, "where to train and sample", allowed=DEVICE_CHOICES),
    "DATA_DIR": Spec(str, "data folder (None: gobig.paths.data_dir())", optional=True),
    **SWEEP_PARAMETERS,
}


def load_profile(name: str) -> dict:
    return params_module.load_profile(STUDY, name)


def validate_parameters(values: dict) -> dict:
    """Every parameter checked before any compute, plus the checks that
    involve two parameters."""
    portable = {"DEVICE": "auto", "DATA_DIR": None, **SWEEP_DEFAULTS}
    params = validate(PARAMETERS, {**portable, **values})
    if params["MODEL_DIM"] % params["MODEL_HEADS"]:
        raise ParameterError(f"MODEL_DIM: {params['MODEL_DIM']} is not a multiple of MODEL_HEADS={params['MODEL_HEADS']}")
    if params["MAX_NEW_TOKENS"] >= params["CONTEXT"]:
        raise ParameterError(f"MAX_NEW_TOKENS: {params['MAX_NEW_TOKENS']} leaves no room for a statement in CONTEXT={params['CONTEXT']}")
    try:
        python_corpus.parse_date(params["CORPUS_CUTOFF"])
    except ValueError:
        raise ParameterError(f"CORPUS_CUTOFF: got {params['CORPUS_CUTOFF']!r}; expected a date YYYY-MM-DD") from None
    if params["PROBLEMS"] not in codecontests.MIRRORS and not Path(params["PROBLEMS"]).expanduser().exists():
        raise ParameterError(f"PROBLEMS: {params['PROBLEMS']!r} is neither a mirror ({', '.join(codecontests.MIRRORS)}) nor an existing path")
    return params


def _data_root(params: dict) -> Path:
    return Path(params["DATA_DIR"]).expanduser() if params["DATA_DIR"] else paths.data_dir()


def problems_path(params: dict) -> Path:
    name = params["PROBLEMS"]
    if name in codecontests.MIRRORS:
        return _data_root(params) / "codecontests" / f"{name}.jsonl.gz"
    return Path(name).expanduser()


def _sha256(path: Path) -> str:
    # An absent mirror file stands for its published checksum, so loading committed
    # records needs no data; a present file is hashed (and checked against SHA256SUMS on load).
    if not path.exists() and path.name in codecontests.MIRROR_SHA256:
        return codecontests.MIRROR_SHA256[path.name]
    if path.is_dir():
        return hashlib.sha256("".join(_sha256(f) for f in sorted(path.rglob("*.parquet"))).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


SPLIT_KEYS = ("VALID_FRACTION", "CUTOFF", "TEMPORAL_TWINS", "TWIN_THRESHOLD", "LEAK_THRESHOLD")
JUDGE_KEYS = ("TIME_LIMIT_S", "MEMORY_MB", "COMPARE", "BASELINE_NEAREST")
MODEL_KEYS = (
    "CORPUS_CUTOFF", "VOCAB_SIZE", "MODEL_LAYERS", "MODEL_HEADS", "MODEL_DIM", "CONTEXT", "PRETRAIN_STEPS",
    "FINETUNE_STEPS", "BATCH_SIZE", "LEARNING_RATE", "SAMPLES_PER_PROBLEM", "TEMPERATURE", "MAX_NEW_TOKENS",
    "SUBMISSIONS", "MODEL_SEED",
)


def expand_configs(params: dict) -> list[dict]:
    """One config per split: the temporal one, then one per random seed.
    Configs hold what changes the result, including the data's sha256."""
    shared = {
        "problems": params["PROBLEMS"] if params["PROBLEMS"] in codecontests.MIRRORS else str(problems_path(params)),
        "problems_sha256": _sha256(problems_path(params)),
        "splits": {k.lower(): params[k] for k in SPLIT_KEYS},
        "judge": {k.lower(): params[k] for k in JUDGE_KEYS},
        "model": {k.lower(): params[k] for k in MODEL_KEYS},
    }
    return [{"split": "temporal", "seed": None, **shared}] + [{"split": "random", "seed": s, **shared} for s in params["SPLIT_SEEDS"]]


# ---- the computation of one split ------------------------------------------


class _Computer:
    """Computes one split's record; loads data, judges and pre-trains once
    per process and reuses them across splits."""

    def __init__(self, params: dict, progress: bool):
        self.params = params
        self.progress = progress
        self.device = resolve_device(params["DEVICE"])
        self._context = None
        self._pretrained = None

    # -- shared, lazily -------------------------------------------------------

    def context(self) -> dict:
        if self._context is None:
            problems = codecontests.load(problems_path(self.params))
            index = leakage.Index(problems)
            groups = leakage.twin_groups(problems, index, self.params["TWIN_THRESHOLD"])
            cutoff = self.params["CUTOFF"] or splits.quantile_cutoff(problems, self.params["VALID_FRACTION"])
            temporal = splits.temporal_split(problems, cutoff, groups, self.params["TEMPORAL_TWINS"])
            self._context = {"problems": {p.key: p for p in problems}, "index": index, "groups": groups, "temporal": temporal}
        return self._context

    def split(self, config: dict) -> splits.Split:
        context = self.context()
        if config["split"] == "temporal":
            return context["temporal"]
        return splits.random_split(list(context["problems"].values()), len(context["temporal"].valid), config["seed"])

    def limits(self):
        return judge.limits_for(self.params["TIME_LIMIT_S"], self.params["MEMORY_MB"])

    def pretrained(self) -> tuple[object, dict, dict]:
        """(tokenizer, state_dict, stats), cached on disk by its inputs."""
        if self._pretrained is None:
            self._pretrained = _pretrain(self.params, self.device, _data_root(self.params))
        return self._pretrained

    # -- one split ------------------------------------------------------------

    def __call__(self, config: dict) -> tuple[dict, dict]:
        params, context = self.params, self.context()
        problems, index = context["problems"], context["index"]
        split = self.split(config)
        timings: dict[str, float] = {}

        start = time.perf_counter()
        nearest = index.nearest(list(split.valid), list(split.train))
        crossing = splits.crossing_groups(split, context["groups"])
        timings["leakage_s"] = time.perf_counter() - start

        start = time.perf_counter()
        valid = [problems[k] for k in split.valid]
        trust = judge.verify_references(valid, self.limits(), params["COMPARE"])
        eligible = [p for p in valid if trust[p.key]["trusted"]]
        timings["verify_s"] = time.perf_counter() - start

        start = time.perf_counter()
        baseline = judge.submit_training_solutions(
            eligible, [problems[k] for k in split.train], index, params["BASELINE_NEAREST"], self.limits(), params["COMPARE"]
        )
        timings["baseline_s"] = time.perf_counter() - start

        model_result = self.model(split, valid, eligible, timings)
        result = {
            "split": {"name": split.name, "kind": split.kind, "seed": split.seed, "cutoff": split.cutoff, "train": list(split.train), "valid": list(split.valid)},
            "twin_groups": [sorted(g) for g in context["groups"]],
            "crossing_twin_groups": [sorted(g) for g in crossing],
            "nearest": [asdict(n) for n in nearest],
            "trust": trust,
            "baseline": [asdict(b) for b in baseline],
            "model": model_result,
            "timings": timings,
        }
        return result, provenance(self.device)

    def model(self, split: splits.Split, valid: list, eligible: list, timings: dict) -> dict:
        params, problems = self.params, self.context()["problems"]
        tokenizer, pretrained_state, pretrain_stats = self.pretrained()
        model = codemodel.GPT(_gpt_config(params, tokenizer)).to(self.device)
        model.load_state_dict(pretrained_state)
        generator = set_seed(params["MODEL_SEED"])

        start = time.perf_counter()
        train_pairs = [(problems[k].description, s) for k in split.train for s in problems[k].solutions[:1]]
        train_examples, train_counts = codemodel.encode_examples(tokenizer, train_pairs, params["CONTEXT"])
        # Validation examples one by one, to keep each problem's key with its example.
        encoded = {p.key: codemodel.encode_example(tokenizer, p.description, p.solutions[0], params["CONTEXT"]) for p in valid if p.solutions}
        valid_keys = [k for k, e in encoded.items() if e is not None]
        valid_examples = [encoded[k] for k in valid_keys]
        valid_counts = {"kept": len(valid_examples), "truncated": sum(e.truncated for e in valid_examples), "dropped": len(encoded) - len(valid_examples)}
        loss_before = codemodel.evaluate_loss(model, valid_examples, params["BATCH_SIZE"], self.device)
        sampler = codemodel.example_sampler(train_examples, params["BATCH_SIZE"], generator, pad_to=params["CONTEXT"] if self.device.type == "cuda" else None)
        training = codemodel.train_lm(
            model, sampler, params["FINETUNE_STEPS"], params["LEARNING_RATE"], warmup=max(1, params["FINETUNE_STEPS"] // 20),
            weight_decay=0.1, device=self.device, peak_flops=peak_bf16_flops(self.device),
        )
        timings["finetune_s"] = time.perf_counter() - start
        # Per-problem validation loss (one example each), to compare twins with the rest.
        per_problem_loss = {key: codemodel.evaluate_loss(model, [example], 1, self.device) for key, example in zip(valid_keys, valid_examples)}
        # The split's loss is token-weighted, as evaluate_loss weighs it: no second pass.
        targets = {key: sum(example.mask) for key, example in zip(valid_keys, valid_examples)}
        loss_after = sum(per_problem_loss[k] * targets[k] for k in valid_keys) / max(1, sum(targets.values()))

        start = time.perf_counter()
        samples = {}
        sample_tokens = 0
        for problem in eligible:
            prompt = codemodel.encode_prompt(tokenizer, problem.description, params["CONTEXT"], params["MAX_NEW_TOKENS"])
            outputs = codemodel.generate(
                model, prompt, params["SAMPLES_PER_PROBLEM"], params["MAX_NEW_TOKENS"], params["TEMPERATURE"], generator,
                batch_size=min(params["SAMPLES_PER_PROBLEM"], _sample_batch(self.device)),
            )
            sample_tokens += sum(len(o) for o in outputs)
            samples[problem.key] = [tokenizer.decode(o) for o in outputs]
        timings["sampling_s"] = time.perf_counter() - start

        start = time.perf_counter()
        judged = {p.key: judge.judge_samples(p, samples[p.key], self.limits(), params["COMPARE"]) for p in eligible}
        timings["execution_s"] = time.perf_counter() - start
        executed = sum(o.unique for o in judged.values())
        return {
            "parameters": model.num_parameters(),
            "pretrain": pretrain_stats,
            "examples": {"train": train_counts, "valid": valid_counts},
            "valid_loss_before": loss_before,
            "valid_loss": loss_after,
            "valid_loss_per_problem": per_problem_loss,
            "history": training["history"],
            "train_tokens_per_s": training["tokens_per_s"],
            "mfu": training["mfu"],
            "samples_per_s": sum(len(s) for s in samples.values()) / timings["sampling_s"] if samples and timings["sampling_s"] else None,
            "sample_tokens": sample_tokens,
            "programs_executed": executed,
            "programs_per_s": executed / timings["execution_s"] if executed and timings["execution_s"] else None,
            "outcomes": {k: asdict(o) for k, o in judged.items()},
            # A few samples per problem for the chapter to show (not all: records stay small).
            "examples_of_samples": {k: v[:2] for k, v in samples.items()},
        }


def _gpt_config(params: dict, tokenizer) -> codemodel.GPTConfig:
    return codemodel.GPTConfig(
        vocab_size=tokenizer.get_vocab_size(), n_layer=params["MODEL_LAYERS"], n_head=params["MODEL_HEADS"],
        d_model=params["MODEL_DIM"], max_seq_len=params["CONTEXT"],
    )


def _sample_batch(device: torch.device) -> int:
    return 512 if device.type == "cuda" else 32


def _pretrain(params: dict, device: torch.device, data_root: Path) -> tuple[object, dict, dict]:
    """Tokenizer and pre-trained weights for one corpus cutoff, shared by
    every split so that the splits differ only in their problems. Cached
    under the cache folder by a hash of everything that determines them."""
    from tokenizers import Tokenizer

    corpus_path = data_root / "python-corpus" / "leetcode_python.jsonl.gz"
    inputs = {k: params[k] for k in ("CORPUS_CUTOFF", "VOCAB_SIZE", "MODEL_LAYERS", "MODEL_HEADS", "MODEL_DIM", "CONTEXT", "PRETRAIN_STEPS", "BATCH_SIZE", "LEARNING_RATE", "MODEL_SEED")}
    inputs["corpus_sha256"] = _sha256(corpus_path)
    inputs["device"] = device.type
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    cache = paths.cache_dir() / "alphacode" / f"pretrain-{key}.pt"
    cache.parent.mkdir(parents=True, exist_ok=True)
    # The workers of one sweep (WORKERS > 1) start together: the first to get
    # the lock pre-trains, the others wait and load its weights.
    with open(cache.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.is_file():
            saved = torch.load(cache, map_location=device, weights_only=False)
            tokenizer = Tokenizer.from_str(saved["tokenizer"])
            codemodel.check_special_tokens(tokenizer)
            return tokenizer, saved["state_dict"], saved["stats"]
        return _pretrain_uncached(params, device, corpus_path, inputs, cache)


def _pretrain_uncached(params: dict, device: torch.device, corpus_path: Path, inputs: dict, cache: Path) -> tuple[object, dict, dict]:
    start = time.perf_counter()
    files = python_corpus.before(python_corpus.load(corpus_path), python_corpus.parse_date(params["CORPUS_CUTOFF"]))
    if not files:
        raise ParameterError(f"CORPUS_CUTOFF: no corpus file was added before {params['CORPUS_CUTOFF']}")
    texts = [f.text for f in files]
    # The tokenizer learns from the pre-training corpus only: text on the
    # training side of every split, so no split's validation text shapes it.
    tokenizer = codemodel.train_tokenizer(texts, params["VOCAB_SIZE"])
    generator = set_seed(params["MODEL_SEED"])
    model = codemodel.GPT(_gpt_config(params, tokenizer)).to(device)
    stats = {"corpus_files": len(files), "corpus_bytes": sum(len(t.encode()) for t in texts), "steps": params["PRETRAIN_STEPS"]}
    if params["PRETRAIN_STEPS"]:
        blocks = codemodel.pack_blocks(tokenizer, texts, params["CONTEXT"])
        training = codemodel.train_lm(
            model, codemodel.block_sampler(blocks, params["BATCH_SIZE"], generator), params["PRETRAIN_STEPS"], params["LEARNING_RATE"],
            warmup=max(1, params["PRETRAIN_STEPS"] // 20), weight_decay=0.1, device=device, peak_flops=peak_bf16_flops(device),
        )
        stats.update(corpus_tokens=int(blocks[:, 1:].numel()), history=training["history"], tokens_per_s=training["tokens_per_s"], mfu=training["mfu"])
    stats["seconds"] = time.perf_counter() - start
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    tmp = cache.with_suffix(".tmp")
    torch.save({"tokenizer": tokenizer.to_str(), "state_dict": state, "stats": stats, "inputs": inputs}, tmp)
    tmp.replace(cache)
    return tokenizer, state, stats


# ---- running ------------------------------------------------------------------


def run(values: dict, progress: bool = True) -> list[dict]:
    """Validate, then load or compute every split's record."""
    params = validate_parameters(values)
    store = ResultStore(STUDY, VERSION, params["RESULTS_DIR"] or paths.results_dir())
    configs = expand_configs(params)
    # Progress bars of several worker processes would interleave; the sweep shows one bar of units instead.
    computer = _Computer(params, progress and params["WORKERS"] == 1)
    gpus_per_task = 1 if computer.device.type == "cuda" else 0
    return run_sweep(configs, computer, store, params["EXECUTOR"], params["COMPUTE_MISSING"], progress, params["RAY_ADDRESS"], gpus_per_task, workers=params["WORKERS"])



# ---- tables for the chapter ---------------------------------------------------


def _eligible(record: dict) -> list[str]:
    return [k for k, t in record["result"]["trust"].items() if t["trusted"]]


def splits_frame(records: list[dict], leak_threshold: float | None = None) -> pd.DataFrame:
    """One row per split: sizes, leakage, trust, baseline and model solve
    rates (percent, with 90% bootstrap intervals over problems)."""
    rows = []
    for record in records:
        result = record["result"]
        threshold = leak_threshold or record["config"]["splits"]["leak_threshold"]
        nearest = result["nearest"]
        eligible = _eligible(record)
        baseline = np.array([b["solved"] for b in result["baseline"]], dtype=float)
        base, base_lo, base_hi = passk.solve_rate_interval(baseline)
        model_rates = _per_problem_n_at_k(record, n=1, k=record["config"]["model"]["samples_per_problem"])
        model, model_lo, model_hi = passk.solve_rate_interval(model_rates)
        pass_k = _per_problem_pass_at_k(record, record["config"]["model"]["samples_per_problem"])
        rows.append({
            "split": result["split"]["name"],
            "kind": result["split"]["kind"],
            "train": len(result["split"]["train"]),
            "valid": len(result["split"]["valid"]),
            "crossing_twins": len(result["crossing_twin_groups"]),
            "near_duplicate_share": 100 * np.mean([n["statement_similarity"] >= threshold for n in nearest]),
            "trusted_valid": len(eligible),
            "baseline_solved": int(baseline.sum()),
            "baseline_rate": 100 * base, "baseline_low": 100 * base_lo, "baseline_high": 100 * base_hi,
            "model_rate": 100 * model, "model_low": 100 * model_lo, "model_high": 100 * model_hi,
            "model_pass_at_k": 100 * float(np.mean(pass_k)) if len(pass_k) else float("nan"),
            "valid_loss": result["model"]["valid_loss"],
            "device": record["provenance"]["device_name"],
        })
    return pd.DataFrame(rows)


def _per_problem_n_at_k(record: dict, n: int, k: int) -> np.ndarray:
    outcomes = record["result"]["model"]["outcomes"]
    return np.array([passk.n_at_k(o["samples"], o["public_passing"], o["correct"], n, k) for o in outcomes.values()])


def _per_problem_pass_at_k(record: dict, k: int) -> np.ndarray:
    outcomes = record["result"]["model"]["outcomes"]
    return np.array([passk.pass_at_k(o["samples"], o["correct"], k) for o in outcomes.values()])


def solve_rate_vs_k(records: list[dict], submissions: list[int] | None = None) -> pd.DataFrame:
    """n@k and pass@k for k = 1, 2, 4, ... K, per split (percent)."""
    rows = []
    for record in records:
        K = record["config"]["model"]["samples_per_problem"]
        ks = sorted({2**i for i in range(int(np.log2(K)) + 1)} | {K})
        for n in submissions or record["config"]["model"]["submissions"]:
            for k in ks:
                rate = _per_problem_n_at_k(record, min(n, k), k)
                rows.append({"split": record["result"]["split"]["name"], "kind": record["result"]["split"]["kind"], "metric": f"{n}@k", "k": k, "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan")})
        for k in ks:
            rate = _per_problem_pass_at_k(record, k)
            rows.append({"split": record["result"]["split"]["name"], "kind": record["result"]["split"]["kind"], "metric": "pass@k", "k": k, "solve_rate": 100 * float(rate.mean()) if rate.size else float("nan")})
    return pd.DataFrame(rows)


def nearest_frame(records: list[dict]) -> pd.DataFrame:
    """Every validation problem's nearest training problem, per split."""
    rows = []
    for record in records:
        result = record["result"]
        solved_by = {b["valid"]: b["solved_by"] for b in result["baseline"]}
        crossing = {k for g in result["crossing_twin_groups"] for k in g}
        twins = {k for g in result["twin_groups"] for k in g}
        losses = result["model"]["valid_loss_per_problem"]
        for n in result["nearest"]:
            rows.append({
                "split": result["split"]["name"], "kind": result["split"]["kind"], **n,
                "has_twin": n["valid"] in twins,
                "twin_in_train": n["valid"] in crossing,
                "trusted": result["trust"][n["valid"]]["trusted"],
                "baseline_solved_by": solved_by.get(n["valid"]),
                "valid_loss": losses.get(n["valid"]),
            })
    return pd.DataFrame(rows)


def crossing_frame(records: list[dict]) -> pd.DataFrame:
    """The twin pairs that a split puts on both sides, and what happened to them."""
    rows = []
    for record in records:
        result = record["result"]
        valid = set(result["split"]["valid"])
        solved_by = {b["valid"]: b["solved_by"] for b in result["baseline"]}
        for group in result["crossing_twin_groups"]:
            for key in sorted(set(group) & valid):
                rows.append({
                    "split": result["split"]["name"], "validation problem": key,
                    "twin in training": ", ".join(sorted(set(group) - valid)),
                    "trusted": result["trust"][key]["trusted"],
                    "solved by baseline": solved_by.get(key) is not None,
                    "solved by model (1@k)": result["model"]["outcomes"].get(key, {}).get("correct", 0) > 0,
                })
    return pd.DataFrame(rows)


def exclusions_frame(records: list[dict]) -> pd.DataFrame:
    """Validation problems left out of the solve rates, and why."""
    rows = []
    for record in records:
        for key, trust in record["result"]["trust"].items():
            if not trust["trusted"]:
                rows.append({"split": record["result"]["split"]["name"], "problem": key, "reason": trust["reason"]})
    return pd.DataFrame(rows, columns=["split", "problem", "reason"])


def _rates(frame: pd.DataFrame, kind: str, column: str) -> str:
    values = frame.loc[frame["kind"] == kind, column].to_numpy()
    if len(values) == 1:
        return f"{values[0]:.1f}%"
    return f"{values.mean():.1f}% (seeds {', '.join(f'{v:.1f}' for v in values)})"


def twin_density(records: list[dict]) -> str:
    """How many twin groups the problem pool holds, e.g. "28 groups among 300 problems"."""
    result = records[0]["result"]
    return f"{len(result['twin_groups'])} groups among {len(result['split']['train']) + len(result['split']['valid'])} problems"


def split_verdict(temporal: float, random: np.ndarray) -> tuple[str, str]:
    """Whether solve rates have the paper's shape (random > 0 on every seed,
    temporal = 0), and why."""
    if temporal == 0 and (random == 0).all():
        return "inconclusive", "nothing is solved on either split, so the splits cannot be told apart at this scale"
    if temporal == 0 and (random > 0).all():
        return "supported", "solved on every random split, none on the temporal split"
    if random.mean() > temporal:
        return "partly", "higher on random splits on average, but not on every seed, or the temporal split is not at 0"
    return "not supported", "not higher on random splits than on the temporal split"


def claims_table(records: list[dict]) -> pd.DataFrame:
    """AlphaCode's Appendix B.3 claims with our numbers and a verdict each,
    in the ledger's columns (claim, source, measured, verdict, why)."""
    frame = splits_frame(records)
    temporal = frame[frame["kind"] == "temporal"].iloc[0]
    random = frame[frame["kind"] == "random"]
    rows = []
    leak_random = random["near_duplicate_share"].to_numpy()
    shape = temporal["near_duplicate_share"] < leak_random.min()
    rows.append({
        "claim": "a random split puts near duplicates of training problems in validation; a temporal split does not",
        "source": "Li et al. 2022, App. B.3",
        "measured": f"near duplicates: temporal {temporal['near_duplicate_share']:.1f}%, random {_rates(frame, 'random', 'near_duplicate_share')}; twin groups across the split: temporal {temporal['crossing_twins']}, random {', '.join(str(v) for v in random['crossing_twins'])}",
        "verdict": "supported" if shape and temporal["crossing_twins"] == 0 else ("partly" if shape else "not supported"),
        "why": "the twins are Div. 1 / Div. 2 copies of one problem under adjacent contest ids; a random split separates some, a temporal split (twins kept together) none",
    })
    for what, column, paper_random, source in (
        ("submitting training solutions", "baseline_rate", PAPER[("baseline", "random")], "Li et al. 2022, App. B.3"),
        ("a model", "model_rate", PAPER[("model", "random")], "Li et al. 2022, App. B.3; blog"),
    ):
        verdict, why = split_verdict(float(temporal[column]), random[column].to_numpy())
        if what == "submitting training solutions" and verdict == "supported":
            why += f"; the random-split rate differs from {paper_random}% because this pool is dense in twins ({twin_density(records)}): the direction carries over, the size is the pool's"
        scale = ""
        if what == "a model":
            model = records[0]["result"]["model"]
            scale = f" ({model['parameters'] / 1e6:.1f}M parameters, {records[0]['config']['model']['samples_per_problem']} samples per problem vs {PAPER_MODEL})"
        rows.append({
            "claim": f"{what} solves {paper_random}% of validation problems on a random split and 0% on a temporal split",
            "source": source,
            "measured": f"temporal {temporal[column]:.1f}%, random {_rates(frame, 'random', column)} of {temporal['trusted_valid']} / {', '.join(str(v) for v in random['trusted_valid'])} judged problems{scale}",
            "verdict": verdict,
            "why": why,
        })
    return pd.DataFrame(rows)
