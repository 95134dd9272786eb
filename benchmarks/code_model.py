"""Chapter 3's code model: training tokens/s and MFU, and sampling
samples/s, each against a plain baseline in the same process.

What is measured
----------------
A ``gobig.methods.code.codemodel.GPT`` of the given size (default on CUDA: chapter 3's
full profile, ``lib/gobig/profiles/alphacode_full.yaml``: its layers, heads,
width, context, batch, vocabulary, samples per problem and new tokens; on
CPU a small one) on random token ids: throughput does not depend on what
the tokens say, and random ids need no tokenizer or corpus.

Training, ``--steps`` steps after one untimed step:

* **baseline**: a plain fp32 loop: forward, loss, backward, ``AdamW``
  (not fused), no autocast, no compile;
* **ours**: ``gobig.methods.code.codemodel.train_lm``, what chapter 3 runs: bf16
  autocast, fused AdamW on CUDA, gradient clipping, schedule;
* **ours, compiled** (with ``--compile``): the same under ``torch.compile``,
  beside the eager row, so one record says whether compiling pays. Its
  compile time is its untimed first step, reported apart (``first_step_s``,
  next to the eager first step's allocation and warm-up).

Throughput is tokens/s (padding included: none here); MFU is training
FLOPs per token (``GPT.flops_per_token``, PaLM's 6N + 12·L·d·T) times
tokens/s over the GPU's dense bf16 peak (``gobig.core.runtime.PEAK_BF16_FLOPS``,
989 TFLOP/s for the H100 and H200), on CUDA only.

Sampling ``--samples`` continuations of ``--new-tokens`` tokens from one
prompt of ``--prompt-tokens`` (no end token, so every row runs to full
length):

* **baseline**: no cache: every step reruns the model over the whole
  sequence so far, for all rows at once;
* **ours**: ``gobig.methods.code.codemodel.generate``: the prompt once, then one token
  per step with a preallocated KV cache.

Run it
------
``make bench``, or::

    .venv/bin/python benchmarks/code_model.py                 # auto: CUDA if present
    .venv/bin/python benchmarks/code_model.py --compile
    .venv/bin/python benchmarks/code_model.py --layers 2 --dim 128 --context 256 --batch 8   # quick

Each run writes ``benchmarks/results/code_model-<device>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gobig.core.runtime import DEVICE_CHOICES, autocast, peak_bf16_flops, resolve_device
from gobig.methods.code import codemodel
from gobig.report import benchmarking
from gobig.studies import alphacode

NO_EOS = -1  # never sampled: every row runs to full length


def random_batches(vocab: int, batch: int, context: int, device: torch.device, seed: int):
    generator = torch.Generator(device=device).manual_seed(seed)

    def sample(step: int):
        ids = torch.randint(0, vocab, (batch, context + 1), generator=generator, device=device)
        return ids[:, :-1], ids[:, 1:], torch.ones(batch, context, device=device)

    return sample


def train_baseline(model: codemodel.GPT, batches, steps: int, device: torch.device) -> float:
    """Plain fp32 training; seconds for steps 2..steps (the first is untimed)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    model.train()
    start = None
    for step in range(steps):
        ids, targets, _ = batches(step)
        _, loss = model(ids, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step == 0:
            start = benchmarking.clock(device)
    return benchmarking.clock(device) - start


@torch.no_grad()
def sample_without_cache(
    model: codemodel.GPT, prompt: list[int], rows: int, new_tokens: int, generator: torch.Generator
) -> torch.Tensor:
    device = next(model.parameters()).device
    model.eval()
    ids = torch.tensor([prompt], device=device).expand(rows, -1)
    with autocast(device):
        for _ in range(new_tokens):
            logits = model(ids)[0][:, -1]
            token = codemodel.sample_next(logits, 0.8, generator)
            ids = torch.cat([ids, token[:, None]], dim=1)
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument("--layers", type=int, default=None, help="default: the full profile's on CUDA, 4 on CPU")
    parser.add_argument("--heads", type=int, default=None, help="default: the full profile's on CUDA, 4 on CPU")
    parser.add_argument("--dim", type=int, default=None, help="default: the full profile's on CUDA, 256 on CPU")
    parser.add_argument("--context", type=int, default=None, help="default: the full profile's on CUDA, 256 on CPU")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="training sequences per step (default: the full profile's on CUDA, 8 on CPU)",
    )
    parser.add_argument("--vocab", type=int, default=None, help="default: the full profile's VOCAB_SIZE")
    parser.add_argument(
        "--steps", type=int, default=None, help="training steps per side (default 30 on CUDA, 6 on CPU)"
    )
    parser.add_argument(
        "--samples", type=int, default=None, help="default: the full profile's samples per problem on CUDA, 32 on CPU"
    )
    parser.add_argument(
        "--prompt-tokens", type=int, default=None, help="default: the context less the new tokens on CUDA, 64 on CPU"
    )
    parser.add_argument(
        "--new-tokens", type=int, default=None, help="default: the full profile's MAX_NEW_TOKENS on CUDA, 64 on CPU"
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also train ours under torch.compile, beside the eager run (compile time reported apart)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile 3 training steps and 16 sampling steps of ours (torch.profiler)",
    )
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    full = alphacode.load_profile("full")
    layers, heads, dim = (
        args.layers or (full["MODEL_LAYERS"] if cuda else 4),
        args.heads or (full["MODEL_HEADS"] if cuda else 4),
        args.dim or (full["MODEL_DIM"] if cuda else 256),
    )
    context, batch, steps = (
        args.context or (full["CONTEXT"] if cuda else 256),
        args.batch or (full["BATCH_SIZE"] if cuda else 8),
        args.steps or (30 if cuda else 6),
    )
    new_tokens = args.new_tokens or (full["MAX_NEW_TOKENS"] if cuda else 64)
    samples, prompt_tokens = (
        args.samples or (full["SAMPLES_PER_PROBLEM"] if cuda else 32),
        args.prompt_tokens or (context - new_tokens if cuda else 64),
    )
    args.vocab = args.vocab or full["VOCAB_SIZE"]
    config = codemodel.GPTConfig(vocab_size=args.vocab, n_layer=layers, n_head=heads, d_model=dim, max_seq_len=context)
    peak = peak_bf16_flops(device)

    def fresh() -> codemodel.GPT:
        torch.manual_seed(args.seed)
        return codemodel.GPT(config).to(device)

    model = fresh()
    parameters = model.num_parameters()
    flops_per_token = model.flops_per_token(context)
    tokens = (steps - 1) * batch * context

    def mfu(tokens_per_s: float) -> float | None:
        return flops_per_token * tokens_per_s / peak if peak else None

    baseline_s = train_baseline(model, random_batches(args.vocab, batch, context, device, args.seed), steps, device)
    stages = [
        benchmarking.stage(
            "training: fp32, plain AdamW", baseline_s, tokens, "tokens/s", baseline_s, mfu=mfu(tokens / baseline_s)
        )
    ]

    def train_ours(compile_model: bool) -> dict:
        start = benchmarking.clock(device)
        trained = codemodel.train_lm(
            fresh(),
            random_batches(args.vocab, batch, context, device, args.seed),
            steps,
            lr=3e-4,
            warmup=1,
            weight_decay=0.1,
            device=device,
            log_every=steps,
            peak_flops=peak,
            compile=compile_model,
        )
        # The untimed first step: allocation and warm-up, and with compile_model the compilation.
        first_step_s = benchmarking.clock(device) - start - trained["timed_seconds"]
        label = (
            "training: gobig train_lm"
            + (", bf16 autocast, fused AdamW" if cuda else " (fp32 on CPU)")
            + (", torch.compile" if compile_model else "")
        )
        return benchmarking.stage(
            label,
            trained["timed_seconds"],
            tokens,
            "tokens/s",
            baseline_s,
            mfu=trained["mfu"],
            first_step_s=first_step_s,
            compiled=compile_model,
        )

    ours = train_ours(False)
    stages.append(ours)
    compile_errors = []
    if args.compile:
        compiled = benchmarking.compiled_or_error(lambda: train_ours(True), compile_errors)
        if compiled is not None:
            stages.append(compiled)
            print(
                f"torch.compile: {ours['seconds'] / compiled['seconds']:.2f}x the eager steps' speed; "
                f"first step {compiled['first_step_s']:.1f} s compiled (compilation included), {ours['first_step_s']:.1f} s eager",
                flush=True,
            )

    prompt = torch.randint(5, args.vocab, (prompt_tokens,), generator=torch.Generator().manual_seed(args.seed)).tolist()
    model = fresh()
    generator = torch.Generator(device=device).manual_seed(args.seed)
    sample_without_cache(model, prompt, min(samples, 4), 2, generator)  # untimed warm-up
    _, no_cache_s = benchmarking.timed(device, sample_without_cache, model, prompt, samples, new_tokens, generator)
    stages.append(
        benchmarking.stage(
            f"sampling: no KV cache, {samples} rows at once", no_cache_s, samples, "samples/s", no_cache_s
        )
    )
    codemodel.generate(
        model, prompt, min(samples, 4), 2, 0.8, generator, batch_size=samples, eos_id=NO_EOS
    )  # untimed warm-up
    _, cached_s = benchmarking.timed(
        device,
        lambda: codemodel.generate(
            model, prompt, samples, new_tokens, 0.8, generator, batch_size=samples, eos_id=NO_EOS
        ),
    )
    cached = benchmarking.stage(
        f"sampling: gobig generate, KV cache, {samples} rows at once", cached_s, samples, "samples/s", no_cache_s
    )
    stages.append(cached)

    if args.profile:
        ours["profile"] = benchmarking.profile_top(
            lambda: codemodel.train_lm(
                fresh(),
                random_batches(args.vocab, batch, context, device, args.seed),
                3,
                lr=3e-4,
                warmup=1,
                weight_decay=0.1,
                device=device,
                log_every=3,
            ),
            device,
        )
        cached["profile"] = benchmarking.profile_top(
            lambda: codemodel.generate(model, prompt, samples, 16, 0.8, generator, batch_size=samples, eos_id=NO_EOS),
            device,
        )
        for row in (ours, cached):
            benchmarking.print_profile(row["stage"], row["profile"])

    title = (
        f"Code model: {layers} layers, {heads} heads, width {dim}, {parameters / 1e6:.1f}M params, context {context}, batch {batch}; "
        f"sampling {samples} x {new_tokens} new tokens after {prompt_tokens} on {device.type.upper()}"
    )
    benchmarking.print_table(title, stages)
    for row in stages:
        if row.get("mfu") is not None:
            print(f"MFU {row['stage']}: {row['mfu']:.1%} of {peak / 1e12:.0f} TFLOP/s")
    if not cuda:
        print("CPU run: no bf16, no fused optimizer, no MFU; these numbers check the script, not the GPU targets.")
    path = benchmarking.write_record(
        "code_model",
        device,
        vars(args),
        stages,
        parameters=parameters,
        flops_per_token=flops_per_token,
        peak_flops=peak,
        model={"layers": layers, "heads": heads, "dim": dim, "context": context, "batch": batch, "vocab": args.vocab},
        compile_errors=compile_errors,
    )
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
