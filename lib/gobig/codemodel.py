"""Chapter 3's code model: a small decoder-only transformer that writes a
Python solution for a problem statement, after AlphaCode (Li et al. 2022).

The pieces, in the order the chapter uses them:

* a byte-level BPE tokenizer (``train_tokenizer``), so that any Python
  source, tabs and unicode included, round-trips exactly;
* the fine-tuning format ``<|statement|>S<|solution|>P<|eos|>`` with a loss
  only on the solution (``encode_examples``) and packed ``<|bos|>T<|eos|>``
  blocks for pre-training (``pack_blocks``);
* ``GPT``: pre-LayerNorm, learned positions, tied embeddings, causal
  ``scaled_dot_product_attention``;
* ``generate``: many samples of one prompt with a preallocated KV cache;
* ``train_lm`` / ``evaluate_loss``: AdamW, warm-up + cosine, bf16 autocast
  on CUDA, throughput and MFU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from torch import nn

from gobig.runtime import autocast

# ---- tokenizer ---------------------------------------------------------------

#: Special tokens, in id order: the trainer gives them ids 0..4.
SPECIAL_TOKENS = ("<|pad|>", "<|bos|>", "<|statement|>", "<|solution|>", "<|eos|>")
PAD_ID, BOS_ID, STATEMENT_ID, SOLUTION_ID, EOS_ID = range(len(SPECIAL_TOKENS))


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """Byte-level BPE: every byte is in the alphabet, so nothing is ever
    unknown and ``decode(encode(s)) == s`` for any string. BPE training has
    no randomness (ties between merges break on the pair), so the same texts
    give the same tokenizer."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    check_special_tokens(tokenizer)
    return tokenizer


def check_special_tokens(tokenizer: Tokenizer) -> None:
    """The module's id constants hold only for tokenizers made here; check a
    loaded one (``Tokenizer.from_str``) before use."""
    for expected, token in enumerate(SPECIAL_TOKENS):
        if tokenizer.token_to_id(token) != expected:
            raise ValueError(f"tokenizer: {token!r} has id {tokenizer.token_to_id(token)}, expected {expected}")


# ---- examples ----------------------------------------------------------------


def format_example(statement: str, solution: str | None = None) -> str:
    """The text form of an example; without a solution, the prompt."""
    prompt = f"{SPECIAL_TOKENS[STATEMENT_ID]}{statement}{SPECIAL_TOKENS[SOLUTION_ID]}"
    return prompt if solution is None else f"{prompt}{solution}{SPECIAL_TOKENS[EOS_ID]}"


class Example(NamedTuple):
    ids: list[int]
    mask: list[int]  # 1 where the token is a target of the loss: solution and eos
    truncated: bool  # the statement lost tokens to make the solution fit


def _truncate_middle(ids: list[int], budget: int) -> list[int]:
    """Keep the start (the story and the task) and the end (input/output
    format and examples) of a statement; drop the middle."""
    if len(ids) <= budget:
        return ids
    head = (budget + 1) // 2
    return ids[:head] + ids[len(ids) - (budget - head) :]


def encode_example(tokenizer: Tokenizer, statement: str, solution: str, max_len: int, min_statement_tokens: int = 0) -> Example | None:
    """Ids of ``format_example(statement, solution)`` in at most ``max_len``
    tokens, the loss mask on the solution and eos only (AlphaCode fine-tunes
    p(solution | statement)). The statement is cut in the middle to make
    room; None when the solution (with at least ``min_statement_tokens`` of
    statement) does not fit: a cut solution would teach unfinished code."""
    solution_ids = tokenizer.encode(solution).ids
    budget = max_len - 3 - len(solution_ids)  # 3: statement, solution and eos tokens
    if budget < min_statement_tokens:
        return None
    statement_ids = tokenizer.encode(statement).ids
    kept = _truncate_middle(statement_ids, budget)
    prompt = [STATEMENT_ID, *kept, SOLUTION_ID]
    target = [*solution_ids, EOS_ID]
    return Example(prompt + target, [0] * len(prompt) + [1] * len(target), len(kept) < len(statement_ids))


def encode_examples(tokenizer: Tokenizer, pairs: Iterable[tuple[str, str]], max_len: int, min_statement_tokens: int = 0) -> tuple[list[Example], dict]:
    """``encode_example`` over (statement, solution) pairs, with counts of
    kept, truncated and dropped examples (dropping is never silent)."""
    examples, dropped = [], 0
    for statement, solution in pairs:
        example = encode_example(tokenizer, statement, solution, max_len, min_statement_tokens)
        if example is None:
            dropped += 1
        else:
            examples.append(example)
    counts = {"kept": len(examples), "truncated": sum(e.truncated for e in examples), "dropped": dropped}
    return examples, counts


def encode_prompt(tokenizer: Tokenizer, statement: str, max_seq_len: int, max_new_tokens: int) -> list[int]:
    """Ids of ``format_example(statement)``, the statement cut in the middle
    so that the prompt and ``max_new_tokens`` fit in the model's context."""
    budget = max_seq_len - max_new_tokens - 2
    if budget < 0:
        raise ValueError(f"max_new_tokens={max_new_tokens} leaves no room for a prompt in {max_seq_len} tokens")
    return [STATEMENT_ID, *_truncate_middle(tokenizer.encode(statement).ids, budget), SOLUTION_ID]


def pack_blocks(tokenizer: Tokenizer, texts: Iterable[str], block_len: int) -> torch.Tensor:
    """Pre-training data: ``<|bos|>text<|eos|>`` for each file, concatenated
    and cut into rows of ``block_len + 1`` tokens that overlap by one, so
    that every token but the first is a target exactly once. The tail that
    does not fill a row is dropped."""
    stream: list[int] = []
    for text in texts:
        stream += [BOS_ID, *tokenizer.encode(text).ids, EOS_ID]
    tokens = torch.tensor(stream, dtype=torch.long)
    n_blocks = (len(tokens) - 1) // block_len
    if n_blocks < 1:
        raise ValueError(f"{len(tokens)} tokens do not fill one block of {block_len}")
    return tokens[: n_blocks * block_len + 1].unfold(0, block_len + 1, block_len).contiguous()


# ---- batches -----------------------------------------------------------------

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


def example_sampler(examples: Sequence[tuple[Sequence[int], Sequence[int]]], batch_size: int, generator: torch.Generator, pad_to: int | None = None) -> Callable[[int], Batch]:
    """Fine-tuning batches: a fresh shuffle of the examples each epoch (a
    batch larger than the data set spans several epochs)."""
    order: list[int] = []

    def sample(step: int) -> Batch:
        nonlocal order
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


# ---- model -------------------------------------------------------------------


@dataclass
class GPTConfig:
    vocab_size: int
    n_layer: int
    n_head: int
    d_model: int
    max_seq_len: int
    dropout: float = 0.0


class KVCache:
    """Keys and values of every layer, preallocated for ``max_len``
    positions: fixed shapes, no concatenation per token."""

    def __init__(self, config: GPTConfig, batch_size: int, max_len: int, device: torch.device, dtype: torch.dtype = torch.float32):
        shape = (config.n_layer, batch_size, config.n_head, max_len, config.d_model // config.n_head)
        self.k = torch.empty(shape, device=device, dtype=dtype)
        self.v = torch.empty(shape, device=device, dtype=dtype)


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(nn.Linear(config.d_model, 4 * config.d_model), nn.GELU(), nn.Linear(4 * config.d_model, config.d_model))
        self.drop = nn.Dropout(config.dropout)

    def attention(self, x: torch.Tensor, cache: KVCache | None, layer: int, start_pos: int) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
        mask, causal = None, T > 1
        if cache is not None:
            end = start_pos + T
            # A batch of one (the prompt) broadcasts into every row of the cache.
            cache.k[layer, :, :, start_pos:end] = k
            cache.v[layer, :, :, start_pos:end] = v
            k, v = cache.k[layer, :B, :, :end].to(q.dtype), cache.v[layer, :B, :, :end].to(q.dtype)
            if start_pos > 0:
                # Query i sits at position start_pos + i; is_causal would align it to key i.
                causal = False
                if T > 1:
                    mask = torch.ones(T, end, dtype=torch.bool, device=x.device).tril(diagonal=start_pos)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal)
        return self.drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0, start_pos: int = 0) -> torch.Tensor:
        x = x + self.attention(self.ln_1(x), cache, layer, start_pos)
        return x + self.drop(self.mlp(self.ln_2(x)))


class GPT(nn.Module):
    """GPT-2's layout at small scale; the output layer is the token
    embedding (tied), which saves vocab x d_model parameters."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.d_model)
        self.wpe = nn.Embedding(config.max_seq_len, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        for block in self.blocks:  # GPT-2: residual writes scaled so depth does not grow the stream
            for linear in (block.proj, block.mlp[2]):
                nn.init.normal_(linear.weight, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_parameters(self) -> int:
        """Each tensor once: ``parameters()`` already skips the tied head."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self, seq_len: int | None = None) -> float:
        """Training FLOPs per token, PaLM's 6N + 12·L·d·T (Chowdhery et al.
        2022, appendix B): N without the position table (a lookup), with the
        token table (it is also the output matmul); the attention term counts
        the full T x T score matrix, as PaLM's MFU does."""
        c = self.config
        n = self.num_parameters() - self.wpe.weight.numel()
        return 6 * n + 12 * c.n_layer * c.d_model * (seq_len or c.max_seq_len)

    def forward(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None, loss_mask: torch.Tensor | None = None, kv_cache: KVCache | None = None, start_pos: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) and, with targets, the mean cross-entropy over
        the tokens where ``loss_mask`` is 1 (all tokens without a mask)."""
        T = ids.shape[1]
        if start_pos + T > self.config.max_seq_len:
            raise ValueError(f"positions up to {start_pos + T} exceed max_seq_len={self.config.max_seq_len}")
        positions = torch.arange(start_pos, start_pos + T, device=ids.device)
        x = self.drop(self.wte(ids) + self.wpe(positions))
        for layer, block in enumerate(self.blocks):
            x = block(x, kv_cache, layer, start_pos)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        losses = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
        if loss_mask is None:
            return logits, losses.mean()
        mask = loss_mask.flatten().to(losses.dtype)
        return logits, (losses * mask).sum() / mask.sum().clamp(min=1)


# ---- generation --------------------------------------------------------------


def sample_next(logits: torch.Tensor, temperature: float, generator: torch.Generator, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
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
) -> list[list[int]]:
    """``num_samples`` continuations of one prompt, without prompt and eos.
    Per batch the prompt is run once (a batch of one whose keys and values
    fill every row of the cache), then one token per step for all rows; a
    row stops at eos and the batch when every row has."""
    config = model.config
    if not prompt_ids or max_new_tokens < 1:
        raise ValueError("generate needs a non-empty prompt and max_new_tokens >= 1")
    if len(prompt_ids) + max_new_tokens > config.max_seq_len:
        raise ValueError(f"prompt of {len(prompt_ids)} + {max_new_tokens} new tokens exceed max_seq_len={config.max_seq_len}")
    device = next(model.parameters()).device
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32  # what autocast computes in
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
    with autocast(device):
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


# ---- training ----------------------------------------------------------------


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
) -> dict:
    """Train in place for ``steps`` batches (from an iterable, or a function
    of the step). Weight decay applies to matrices only, not to biases and
    LayerNorm gains. Returns the history (mean loss since the last row) and
    throughput; the clock starts after the first step, which pays for
    allocation and compilation; tokens count padding, which the hardware
    computes all the same. MFU needs CUDA and ``peak_flops`` (989e12
    for an H100's dense bf16)."""
    model.to(device).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), **({"fused": True} if device.type == "cuda" else {}))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(step, steps, warmup, min_lr_ratio))
    forward = torch.compile(model) if compile else model
    source = None if callable(batches) else iter(batches)
    history, tokens, seq_len = [], 0, 0
    running, since = torch.zeros((), device=device), 0
    start = time.perf_counter()
    for step in range(steps):
        ids, targets, mask = batches(step) if source is None else next(source)
        ids, targets, mask = (t.to(device, non_blocking=True) for t in (ids, targets, mask))
        with autocast(device):
            _, loss = forward(ids, targets, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        schedule.step()
        running += loss.detach()
        since += 1
        if step == 0:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        else:
            tokens += ids.numel()
            seq_len = ids.shape[1]
        if (step + 1) % log_every == 0 or step == steps - 1:
            history.append({"step": step + 1, "loss": running.item() / since, "lr": schedule.get_last_lr()[0]})
            running.zero_()
            since = 0
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    tokens_per_s = tokens / seconds if tokens else None
    mfu = None
    if device.type == "cuda" and peak_flops and tokens_per_s:
        mfu = model.flops_per_token(seq_len) * tokens_per_s / peak_flops
    return {"history": history, "tokens_per_s": tokens_per_s, "mfu": mfu, "timed_steps": steps - 1, "timed_seconds": seconds}


@torch.no_grad()
def evaluate_loss(model: GPT, examples: Sequence[tuple[Sequence[int], Sequence[int]]], batch_size: int, device: torch.device) -> float:
    """Mean loss per masked token over all examples (token-weighted, so long
    solutions count for more, as in training)."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=device, dtype=torch.float64)
    count = 0
    for first in range(0, len(examples), batch_size):
        ids, targets, mask = (t.to(device) for t in pad_batch(examples[first : first + batch_size]))
        with autocast(device):
            _, loss = model(ids, targets, mask)
        n = int(mask.sum())
        total += loss.double() * n
        count += n
    model.train(was_training)
    return total.item() / count if count else math.nan
