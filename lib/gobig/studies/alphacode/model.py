"""The model stage of a split: the pre-trained model fine-tuned on the
split's training problems until it fits their solutions, its loss on each
validation problem, and its samples judged as AlphaCode judges them.

Each function reads the stage's own inputs (the ``ModelSpec``, the judge's
limits and comparison, the problems of the split) and nothing else of a
record's config, so that the stage can be keyed on its own.

Statements are cut to one budget, ``CONTEXT - MAX_NEW_TOKENS - 2`` tokens
(their start and end kept, ``codemodel.prompt_budget``), in training and in
the prompt alike, so that a validation problem whose twin was trained on is
prompted with exactly the text the model learnt the twin's solution from. A
training solution enters fine-tuning only if it fits in ``MAX_NEW_TOKENS``
with its end token, the length a sample may reach.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from gobig.core.params import ParameterError
from gobig.core.progress import duration, say
from gobig.core.runtime import peak_bf16_flops
from gobig.data.codecontests import Problem
from gobig.methods.code import codemodel, judge
from gobig.studies.alphacode.configs import FinetuneSpec, ModelSpec
from gobig.studies.alphacode.pretrain import gpt_config, sample_batch

#: No weight decay in fine-tuning: the model is meant to fit its training solutions.
FINETUNE_WEIGHT_DECAY = 0.0

#: How often, at most, sampling says how far it is (``sample_programs``).
PROGRESS_EVERY_S = 60.0


def statement_budget(spec: FinetuneSpec | ModelSpec) -> int:
    """Statement tokens kept in every example and prompt."""
    return codemodel.prompt_budget(spec.context, spec.max_new_tokens)


def pool_token_lengths(tokenizer, problems: list[Problem]) -> dict[str, list[int | None]]:
    """Per problem, [statement tokens, first solution's tokens] (None without
    a solution), in the model's tokenizer: what the context and the
    generation length must hold."""
    statements = codemodel.token_lengths(tokenizer, [p.description for p in problems])
    solutions = codemodel.token_lengths(tokenizer, [p.solutions[0] if p.solutions else "" for p in problems])
    return {
        p.key: [statement, solution if p.solutions else None]
        for p, statement, solution in zip(problems, statements, solutions)
    }


def _encode(spec: FinetuneSpec, tokenizer, problem: Problem):
    return codemodel.encode_example(
        tokenizer, problem.description, problem.solutions[0], spec.context, statement_budget=statement_budget(spec)
    )


def finetune(
    spec: FinetuneSpec,
    tokenizer,
    pretrained_state: dict,
    pretrain_stats: dict,
    train: list[Problem],
    valid: list[Problem],
    generator: torch.Generator,
    device: torch.device,
    progress: bool = False,
    snapshot: Path | None = None,
) -> tuple[codemodel.GPT, dict]:
    """Fine-tune the pre-trained model on the training problems' first
    solutions (those that fit); per-problem validation loss (nats per token
    of the reference solution given its statement), the token-weighted
    validation and training losses on the same footing (eval mode), and
    which training problems were left out because their solution is longer
    than a sample may be. ``snapshot``: where the fine-tuning's state waits
    every few minutes, so a stopped run goes on from there (``train_lm``)."""
    start = time.perf_counter()
    model = codemodel.GPT(gpt_config(spec, tokenizer)).to(device)
    model.load_state_dict(pretrained_state)
    train_keys, train_examples, train_counts, train_dropped = _encoded(spec, tokenizer, train)
    valid_keys, valid_examples, valid_counts, _ = _encoded(spec, tokenizer, valid)
    if not train_examples:
        raise ParameterError(
            f"MAX_NEW_TOKENS: no training solution of this split fits in {spec.max_new_tokens} tokens, so there is "
            "nothing to fine-tune on; allowed values: a MAX_NEW_TOKENS (and a CONTEXT above it) that holds some of "
            "the training solutions (the chapter's cpu profile holds 95% of them with 1408)"
        )
    bf16 = spec.bf16_on_cpu
    loss_before = codemodel.evaluate_loss(model, valid_examples, spec.batch_size, device, bf16)
    sampler = codemodel.example_sampler(
        train_examples,
        spec.batch_size,
        generator,
        pad_to=spec.context if device.type == "cuda" else None,
        group_by_length=device.type != "cuda",
    )
    training = codemodel.train_lm(
        model,
        sampler,
        spec.finetune_steps,
        spec.learning_rate,
        warmup=max(1, spec.finetune_steps // 20),
        weight_decay=FINETUNE_WEIGHT_DECAY,
        device=device,
        peak_flops=peak_bf16_flops(device),
        bf16_on_cpu=bf16,
        on_log=(lambda row: print(f"fine-tuning: step {row['step']}, loss {row['loss']:.3f}", flush=True))
        if progress
        else None,
        snapshot=snapshot,
    )
    finetune_s = time.perf_counter() - start
    per_problem, valid_loss = _validation_losses(model, valid_keys, valid_examples, device, bf16)
    train_loss = codemodel.evaluate_loss(model, train_examples, spec.batch_size, device, bf16)
    result = {
        "parameters": model.num_parameters(),
        "pretrain": pretrain_stats,
        "examples": {"train": train_counts, "valid": valid_counts},
        "train_dropped": train_dropped,
        "valid_loss_before": loss_before,
        "valid_loss": valid_loss,
        "train_loss": train_loss,
        "valid_loss_per_problem": per_problem,
        "history": training["history"],
        "train_tokens_per_s": training["tokens_per_s"],
        "mfu": training["mfu"],
        "epochs": spec.finetune_steps * spec.batch_size / max(1, len(train_examples)),
        **({"resumed_at_step": training["resumed_at"]} if "resumed_at" in training else {}),
    }
    return model, {**result, "finetune_s": finetune_s}


def _encoded(spec: FinetuneSpec, tokenizer, problems: list[Problem]) -> tuple[list[str], list, dict, list[str]]:
    """The problems' first solutions encoded as fine-tuning examples: the
    keys and examples of those that fit, their counts (kept, with the
    statement cut, dropped), and the keys dropped for a solution too long."""
    encoded = {p.key: _encode(spec, tokenizer, p) for p in problems if p.solutions}
    keys = [k for k, e in encoded.items() if e is not None]
    examples = [encoded[k] for k in keys]
    counts = {
        "kept": len(examples),
        "truncated": sum(e.truncated for e in examples),
        "dropped": len(encoded) - len(examples),
    }
    return keys, examples, counts, sorted(set(encoded) - set(keys))


def _validation_losses(model, keys: list[str], examples: list, device: torch.device, bf16: bool) -> tuple[dict, float]:
    """Each validation problem's loss (nats per token of its solution) and
    the split's, token-weighted as ``evaluate_loss`` weighs it (no second pass)."""
    per_problem = {
        key: codemodel.evaluate_loss(model, [example], 1, device, bf16) for key, example in zip(keys, examples)
    }
    targets = {key: sum(example.mask) for key, example in zip(keys, examples)}
    return per_problem, sum(per_problem[k] * targets[k] for k in keys) / max(1, sum(targets.values()))


def tokenizer_from_str(saved: str):
    """The tokenizer a fine-tuned weights file holds (as ``Tokenizer.to_str`` wrote it)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(saved)
    codemodel.check_special_tokens(tokenizer)
    return tokenizer


def load_finetuned(spec: ModelSpec | FinetuneSpec, tokenizer, state_dict: dict, device: torch.device) -> codemodel.GPT:
    """The fine-tuned model from its saved weights, on ``device``."""
    model = codemodel.GPT(gpt_config(spec, tokenizer)).to(device)
    model.load_state_dict(state_dict)
    return model


def sample_programs(
    spec: ModelSpec,
    model: codemodel.GPT,
    tokenizer,
    problems: list[Problem],
    generator: torch.Generator,
    progress: bool = False,
) -> tuple[dict[str, list[str]], dict[str, int], int]:
    """``SAMPLES_PER_PROBLEM`` programs per problem; per problem, how many
    reached ``MAX_NEW_TOKENS`` without an end token (cut off: never a whole
    program); and the tokens sampled. With ``progress``, a line at most
    every minute says how far it is (sampling on a CPU takes an hour)."""
    device = next(model.parameters()).device
    samples, cut_off, tokens = {}, {}, 0
    start = last = time.perf_counter()
    for index, problem in enumerate(problems, 1):
        prompt = codemodel.encode_prompt(tokenizer, problem.description, spec.context, spec.max_new_tokens)
        outputs = codemodel.generate(
            model,
            prompt,
            spec.samples_per_problem,
            spec.max_new_tokens,
            spec.temperature,
            generator,
            batch_size=min(spec.samples_per_problem, sample_batch(device)),
            bf16_on_cpu=spec.bf16_on_cpu,
        )
        tokens += sum(len(o) for o in outputs)
        # generate drops the end token; a sample as long as the cap never produced one.
        cut_off[problem.key] = sum(len(o) >= spec.max_new_tokens for o in outputs)
        samples[problem.key] = [tokenizer.decode(o) for o in outputs]
        now = time.perf_counter()
        if progress and (now - last >= PROGRESS_EVERY_S or index == len(problems)):
            last = now
            say(
                f"sampled {index} of {len(problems)} problems ({index * spec.samples_per_problem} programs) "
                f"in {duration(now - start)}"
            )
    return samples, cut_off, tokens


def judge_programs(
    problems: list[Problem], samples: dict[str, list[str]], limits, compare: str
) -> dict[str, judge.SampleOutcome]:
    """Each problem's samples judged: syntax, public tests, then all tests."""
    return {p.key: judge.judge_samples(p, samples[p.key], limits, compare) for p in problems}
