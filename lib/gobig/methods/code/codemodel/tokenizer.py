"""The code model's text side: a byte-level BPE tokenizer (any Python
source, tabs and unicode included, round-trips exactly), the fine-tuning
format ``<|statement|>S<|solution|>P<|eos|>`` with a loss only on the
solution, prompts, and packed ``<|bos|>T<|eos|>`` blocks for pre-training."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

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


def encode_example(
    tokenizer: Tokenizer,
    statement: str,
    solution: str,
    max_len: int,
    min_statement_tokens: int = 0,
    statement_budget: int | None = None,
) -> Example | None:
    """Ids of ``format_example(statement, solution)`` in at most ``max_len``
    tokens, the loss mask on the solution and eos only (AlphaCode fine-tunes
    p(solution | statement)). The statement is cut in the middle to make
    room; None when the solution (with at least ``min_statement_tokens`` of
    statement) does not fit: a cut solution would teach unfinished code.
    With ``statement_budget`` the statement is cut to that many tokens
    whatever the solution's length, exactly as ``encode_prompt`` cuts it
    (``prompt_budget``), so that the model sees at sampling the prompt it was
    trained on; the solution must then fit beside a full budget, whatever
    this statement's length (the same rule for every problem)."""
    solution_ids = tokenizer.encode(solution).ids
    budget = max_len - 3 - len(solution_ids)  # 3: statement, solution and eos tokens
    if budget < (min_statement_tokens if statement_budget is None else statement_budget):
        return None
    statement_ids = tokenizer.encode(statement).ids
    kept = _truncate_middle(statement_ids, budget if statement_budget is None else statement_budget)
    prompt = [STATEMENT_ID, *kept, SOLUTION_ID]
    target = [*solution_ids, EOS_ID]
    return Example(prompt + target, [0] * len(prompt) + [1] * len(target), len(kept) < len(statement_ids))


def encode_examples(
    tokenizer: Tokenizer,
    pairs: Iterable[tuple[str, str]],
    max_len: int,
    min_statement_tokens: int = 0,
    statement_budget: int | None = None,
) -> tuple[list[Example], dict]:
    """``encode_example`` over (statement, solution) pairs, with counts of
    kept, truncated and dropped examples (dropping is never silent)."""
    examples, dropped = [], 0
    for statement, solution in pairs:
        example = encode_example(tokenizer, statement, solution, max_len, min_statement_tokens, statement_budget)
        if example is None:
            dropped += 1
        else:
            examples.append(example)
    counts = {"kept": len(examples), "truncated": sum(e.truncated for e in examples), "dropped": dropped}
    return examples, counts


def prompt_budget(max_seq_len: int, max_new_tokens: int) -> int:
    """Statement tokens a prompt keeps so that it and ``max_new_tokens`` fit
    in ``max_seq_len`` (2: the statement and solution tokens)."""
    budget = max_seq_len - max_new_tokens - 2
    if budget < 0:
        raise ValueError(f"max_new_tokens={max_new_tokens} leaves no room for a prompt in {max_seq_len} tokens")
    return budget


def encode_prompt(tokenizer: Tokenizer, statement: str, max_seq_len: int, max_new_tokens: int) -> list[int]:
    """Ids of ``format_example(statement)``, the statement cut in the middle
    so that the prompt and ``max_new_tokens`` fit in the model's context."""
    budget = prompt_budget(max_seq_len, max_new_tokens)
    return [STATEMENT_ID, *_truncate_middle(tokenizer.encode(statement).ids, budget), SOLUTION_ID]


def token_lengths(tokenizer: Tokenizer, texts: Iterable[str]) -> list[int]:
    """Tokens per text, without special tokens."""
    return [len(tokenizer.encode(text).ids) for text in texts]


def fits(solution_tokens: int, max_new_tokens: int) -> bool:
    """Whether a solution of this many tokens can be generated whole: it and
    its eos within ``max_new_tokens`` (a sample that reaches the cap is cut off)."""
    return solution_tokens + 1 <= max_new_tokens


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
