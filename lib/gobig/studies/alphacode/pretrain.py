"""The code model of a split: its size from the parameters, and one
pre-trained model per corpus cutoff, cached on disk under a file lock."""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from pathlib import Path

import torch

from gobig.core import paths
from gobig.core.params import ParameterError
from gobig.core.runtime import peak_bf16_flops, set_seed
from gobig.data import python_corpus
from gobig.methods.code import codemodel
from gobig.studies.alphacode.configs import ModelSpec, PretrainSpec
from gobig.studies.alphacode.params import path_sha256


def gpt_config(spec: ModelSpec | PretrainSpec, tokenizer) -> codemodel.GPTConfig:
    return codemodel.GPTConfig(
        vocab_size=tokenizer.get_vocab_size(),
        n_layer=spec.model_layers,
        n_head=spec.model_heads,
        d_model=spec.model_dim,
        max_seq_len=spec.context,
    )


def sample_batch(device: torch.device) -> int:
    return 512 if device.type == "cuda" else 32


def load_or_pretrain(spec: PretrainSpec, device: torch.device, data_root: Path) -> tuple[object, dict, dict]:
    """Tokenizer and pre-trained weights for one corpus cutoff, shared by
    every split so that the splits differ only in their problems. Cached
    under the cache folder by a hash of everything that determines them."""
    from tokenizers import Tokenizer

    corpus_path = data_root / "python-corpus" / "leetcode_python.jsonl.gz"
    inputs = spec.cache_inputs()
    inputs["corpus_sha256"] = path_sha256(corpus_path)
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
        return _pretrain_uncached(spec, device, corpus_path, inputs, cache)


def _pretrain_uncached(
    spec: PretrainSpec, device: torch.device, corpus_path: Path, inputs: dict, cache: Path
) -> tuple[object, dict, dict]:
    start = time.perf_counter()
    files = python_corpus.before(python_corpus.load(corpus_path), python_corpus.parse_date(spec.corpus_cutoff))
    if not files:
        raise ParameterError(f"CORPUS_CUTOFF: no corpus file was added before {spec.corpus_cutoff}")
    texts = [f.text for f in files]
    # The tokenizer learns from the pre-training corpus only: text on the
    # training side of every split, so no split's validation text shapes it.
    tokenizer = codemodel.train_tokenizer(texts, spec.vocab_size)
    generator = set_seed(spec.model_seed)
    model = codemodel.GPT(gpt_config(spec, tokenizer)).to(device)
    stats = {
        "corpus_files": len(files),
        "corpus_bytes": sum(len(t.encode()) for t in texts),
        "steps": spec.pretrain_steps,
    }
    if spec.pretrain_steps:
        blocks = codemodel.pack_blocks(tokenizer, texts, spec.context)
        training = codemodel.train_lm(
            model,
            codemodel.block_sampler(blocks, spec.batch_size, generator),
            spec.pretrain_steps,
            spec.learning_rate,
            warmup=max(1, spec.pretrain_steps // 20),
            weight_decay=0.1,
            device=device,
            peak_flops=peak_bf16_flops(device),
            bf16_on_cpu=spec.bf16_on_cpu,
        )
        stats.update(
            corpus_tokens=int(blocks[:, 1:].numel()),
            history=training["history"],
            tokens_per_s=training["tokens_per_s"],
            mfu=training["mfu"],
        )
    stats["seconds"] = time.perf_counter() - start
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    tmp = cache.with_suffix(".tmp")
    torch.save({"tokenizer": tokenizer.to_str(), "state_dict": state, "stats": stats, "inputs": inputs}, tmp)
    tmp.replace(cache)
    return tokenizer, state, stats
