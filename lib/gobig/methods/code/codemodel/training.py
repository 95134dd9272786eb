"""Training and sampling the code model: batches, ``train_lm`` /
``evaluate_loss`` (AdamW, warm-up + cosine, bf16 autocast on CUDA,
throughput and MFU), and ``generate`` (many samples of one prompt with the
KV cache)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch

from gobig.core.runtime import autocast
from gobig.methods.code.codemodel.model import GPT, KVCache
from gobig.methods.code.codemodel.tokenizer import EOS_ID, PAD_ID

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # ids, targets, loss mask


def pad_batch(examples: Sequence[tuple[Sequence[int], Sequence[int]]], pad_to: int | None = None) -> Batch:
    """Right-padded (ids, targets, mask) from variable-length examples, each
    (ids, mask, ...): targets are ids shifted by one, mask 0 on padding.
    ``pad_to`` (the examples' max_len) gives fixed shapes, which the GPU
    prefers; otherwise the batch is as long as its longest example."""
    width = max(len(e[0]) for e in examples) if pad_to is None else pad_to
    ids = torch.full((len(examples), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (seq, seq_mask, *_) in enumerate(examples):
        if len(seq) > width:
            raise ValueError(f"example of {len(seq)} tokens does not fit pad_to={pad_to}")
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = torch.tensor(seq_mask)
    return ids[:, :-1], ids[:, 1:], mask[:, 1:]


#: Length grouping sorts windows of this many batches by length (a window, not
#: the epoch, so that batches stay shuffled).
GROUP_WINDOW = 8


def length_grouped_batches(lengths: Sequence[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """One epoch of batches, each example once: a shuffle, cut into windows
    of ``GROUP_WINDOW`` batches, each window sorted by length and cut into
    batches, the batches shuffled again. Batches then hold examples of
    similar length, so right-padding wastes little compute (solutions run
    from tens to over a thousand tokens); the last batch of an epoch may be
    smaller."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = batch_size * GROUP_WINDOW
    batches = []
    for first in range(0, len(order), window):
        chunk = sorted(order[first : first + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def example_sampler(
    examples: Sequence[tuple[Sequence[int], Sequence[int]]],
    batch_size: int,
    generator: torch.Generator,
    pad_to: int | None = None,
    group_by_length: bool = False,
) -> Callable[[int], Batch]:
    """Fine-tuning batches: a fresh shuffle of the examples each epoch (a
    batch larger than the data set spans several epochs). With
    ``group_by_length`` (and a batch smaller than the data set), an epoch's
    batches come from ``length_grouped_batches``."""
    if not examples:
        raise ValueError("example_sampler: no examples to draw batches from")
    order: list[int] = []
    queue: list[list[int]] = []
    grouped = group_by_length and batch_size < len(examples)
    lengths = [len(e[0]) for e in examples]

    def sample(step: int) -> Batch:
        nonlocal order
        if grouped:
            if not queue:
                queue.extend(length_grouped_batches(lengths, batch_size, generator))
            return pad_batch([examples[i] for i in queue.pop(0)], pad_to)
        while len(order) < batch_size:
            order += torch.randperm(len(examples), generator=generator).tolist()
        chosen, order = order[:batch_size], order[batch_size:]
        return pad_batch([examples[i] for i in chosen], pad_to)

    return sample


def block_sampler(blocks: torch.Tensor, batch_size: int, generator: torch.Generator) -> Callable[[int], Batch]:
    """Pre-training batches: random rows of ``pack_blocks``; every token is a
    target."""

    def sample(step: int) -> Batch:
        rows = blocks[torch.randint(len(blocks), (batch_size,), generator=generator)]
        return rows[:, :-1], rows[:, 1:], torch.ones_like(rows[:, 1:])

    return sample


def sample_next(
    logits: torch.Tensor,
    temperature: float,
    generator: torch.Generator,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """One token per row of (B, vocab) logits. Temperature 0 is greedy."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs > top_p  # keeps the token that crosses top_p
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs.masked_fill(outside, 0.0))
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


@torch.no_grad()
def generate(
    model: GPT,
    prompt_ids: Sequence[int],
    num_samples: int,
    max_new_tokens: int,
    temperature: float,
    generator: torch.Generator,
    batch_size: int,
    eos_id: int = EOS_ID,
    top_k: int | None = None,
    top_p: float | None = None,
    bf16_on_cpu: bool = False,
) -> list[list[int]]:
    """``num_samples`` continuations of one prompt, without prompt and eos.
    Per batch the prompt is run once (a batch of one whose keys and values
    fill every row of the cache), then one token per step for all rows; a
    row stops at eos and the batch when every row has."""
    config = model.config
    if not prompt_ids or max_new_tokens < 1:
        raise ValueError("generate needs a non-empty prompt and max_new_tokens >= 1")
    if len(prompt_ids) + max_new_tokens > config.max_seq_len:
        raise ValueError(
            f"prompt of {len(prompt_ids)} + {max_new_tokens} new tokens exceed max_seq_len={config.max_seq_len}"
        )
    device = next(model.parameters()).device
    dtype = torch.bfloat16 if device.type == "cuda" or bf16_on_cpu else torch.float32  # what autocast computes in
    if generator.device != device:
        # Drawing on the host would copy every step's probabilities off the
        # GPU; a device generator seeded from the caller's keeps it on the GPU
        # and still reproducible from the caller's seed.
        seed = int(torch.randint(0, 2**62, (), generator=generator, device=generator.device))
        generator = torch.Generator(device=device).manual_seed(seed)
    was_training = model.training
    model.eval()
    prompt = torch.tensor([list(prompt_ids)], dtype=torch.long, device=device)
    samples: list[list[int]] = []
    with autocast(device, cpu=bf16_on_cpu):
        for first in range(0, num_samples, batch_size):
            rows = min(batch_size, num_samples - first)
            cache = KVCache(config, rows, prompt.shape[1] + max_new_tokens, device, dtype)
            logits = model(prompt, kv_cache=cache)[0][:, -1].expand(rows, -1)
            out = torch.full((rows, max_new_tokens), eos_id, dtype=torch.long, device=device)
            finished = torch.zeros(rows, dtype=torch.bool, device=device)
            for step in range(max_new_tokens):
                token = sample_next(logits, temperature, generator, top_k, top_p).masked_fill(finished, eos_id)
                out[:, step] = token
                finished |= token == eos_id
                if step == max_new_tokens - 1 or bool(finished.all()):
                    break
                logits = model(token[:, None], kv_cache=cache, start_pos=prompt.shape[1] + step)[0][:, -1]
            for row in out.tolist():
                samples.append(row[: row.index(eos_id)] if eos_id in row else row)
    model.train(was_training)
    return samples


def _lr_factor(step: int, steps: int, warmup: int, min_ratio: float) -> float:
    """Linear warm-up, then cosine decay to ``min_ratio`` of the peak."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_lm(
    model: GPT,
    batches: Iterable[Batch] | Callable[[int], Batch],
    steps: int,
    lr: float,
    warmup: int,
    weight_decay: float,
    device: torch.device,
    grad_clip: float = 1.0,
    log_every: int = 50,
    peak_flops: float | None = None,
    min_lr_ratio: float = 0.1,
    compile: bool = False,
    bf16_on_cpu: bool = False,
    on_log: Callable[[dict], None] | None = None,
    snapshot: Path | None = None,
    snapshot_every_s: float = 300.0,
) -> dict:
    """Train in place for ``steps`` batches (from an iterable, or a function
    of the step). Weight decay applies to matrices only, not to biases and
    LayerNorm gains. Returns the history (mean loss since the last row) and
    throughput; the clock starts after the first step, which pays for
    allocation and compilation; tokens count padding, which the hardware
    computes all the same. MFU needs CUDA and ``peak_flops`` (989e12
    for an H100's dense bf16).

    With ``snapshot`` (a file path), the training state (weights, AdamW,
    schedule, history, torch's random state) is written there at a history
    row at most every ``snapshot_every_s`` seconds, and a run that finds one
    for the same training goes on from it: the batches already trained are
    drawn again without training (so the batch source's generator ends where
    an uninterrupted run's does) and the end state is the uninterrupted
    run's. Throughput counts only this run's steps (``resumed_at``). The
    file is removed when training ends."""
    model.to(device).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(
        groups, lr=lr, betas=(0.9, 0.95), **({"fused": True} if device.type == "cuda" else {})
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(step, steps, warmup, min_lr_ratio))
    forward = torch.compile(model) if compile else model
    source = None if callable(batches) else iter(batches)
    history, tokens, seq_len = [], 0, 0
    identity = {
        "steps": steps,
        "lr": lr,
        "warmup": warmup,
        "weight_decay": weight_decay,
        "grad_clip": grad_clip,
        "min_lr_ratio": min_lr_ratio,
        "log_every": log_every,
        "shapes": [list(p.shape) for p in model.parameters()],
    }
    first_step = 0
    if snapshot is not None and snapshot.is_file():
        history, first_step = _resume_lm(snapshot, identity, model, optimizer, schedule)
        for step in range(first_step):  # the batches already trained on, drawn again
            batches(step) if source is None else next(source)
    last_snapshot = time.monotonic()
    running, since = torch.zeros((), device=device), 0
    start = time.perf_counter()
    for step in range(first_step, steps):
        ids, targets, mask = batches(step) if source is None else next(source)
        ids, targets, mask = (t.to(device, non_blocking=True) for t in (ids, targets, mask))
        with autocast(device, cpu=bf16_on_cpu):
            _, loss = forward(ids, targets, mask, loss_only=True)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        schedule.step()
        running += loss.detach()
        since += 1
        if step == first_step:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        else:
            tokens += ids.numel()
            seq_len = ids.shape[1]
        if (step + 1) % log_every == 0 or step == steps - 1:
            history.append({"step": step + 1, "loss": running.item() / since, "lr": schedule.get_last_lr()[0]})
            if on_log is not None:
                on_log(history[-1])
            running.zero_()
            since = 0
            if snapshot is not None and step + 1 < steps and time.monotonic() - last_snapshot >= snapshot_every_s:
                _save_lm_snapshot(snapshot, identity, model, optimizer, schedule, history, step + 1)
                last_snapshot = time.monotonic()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    tokens_per_s = tokens / seconds if tokens else None
    mfu = None
    if device.type == "cuda" and peak_flops and tokens_per_s:
        mfu = model.flops_per_token(seq_len) * tokens_per_s / peak_flops
    if snapshot is not None:
        snapshot.unlink(missing_ok=True)
    return {
        "history": history,
        "tokens_per_s": tokens_per_s,
        "mfu": mfu,
        "timed_steps": steps - first_step - 1,
        "timed_seconds": seconds,
        **({"resumed_at": first_step} if first_step else {}),
    }


def _resume_lm(path: Path, identity: dict, model, optimizer, schedule) -> tuple[list, int]:
    """Load a snapshot of this training into the model, optimizer, schedule
    and torch's random state; its history and step, or ([], 0) when it is of
    another training (then it is ignored and overwritten)."""
    saved = torch.load(path, map_location="cpu", weights_only=False)
    if saved.get("identity") != identity:
        return [], 0
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"])
    return saved["history"], saved["step"]


def _save_lm_snapshot(path: Path, identity: dict, model, optimizer, schedule, history: list, step: int) -> None:
    """``train_lm``'s state after ``step`` steps, written atomically (a crash leaves the last whole snapshot)."""
    payload = {
        "identity": identity,
        "step": step,
        "history": history,
        "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "rng": torch.get_rng_state(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    torch.save(payload, partial)
    partial.replace(path)


@torch.no_grad()
def evaluate_loss(
    model: GPT,
    examples: Sequence[tuple[Sequence[int], Sequence[int]]],
    batch_size: int,
    device: torch.device,
    bf16_on_cpu: bool = False,
) -> float:
    """Mean loss per masked token over all examples (token-weighted, so long
    solutions count for more, as in training)."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=device, dtype=torch.float64)
    count = 0
    for first in range(0, len(examples), batch_size):
        ids, targets, mask = (t.to(device) for t in pad_batch(examples[first : first + batch_size]))
        with autocast(device, cpu=bf16_on_cpu):
            _, loss = model(ids, targets, mask, loss_only=True)
        n = int(mask.sum())
        total += loss.double() * n
        count += n
    model.train(was_training)
    return total.item() / count if count else math.nan
