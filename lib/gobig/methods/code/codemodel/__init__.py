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

The parts: ``tokenizer`` (tokenizer, examples, prompts, blocks), ``model``
(``GPT``) and ``training`` (batches, training, sampling); every name is
importable from ``gobig.methods.code.codemodel``.
"""

from __future__ import annotations

# Every public name, importable from gobig.methods.code.codemodel as before the split.
from gobig.methods.code.codemodel.model import (
    GPT,
    Block,
    GPTConfig,
    KVCache,
)
from gobig.methods.code.codemodel.tokenizer import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    SOLUTION_ID,
    SPECIAL_TOKENS,
    STATEMENT_ID,
    Example,
    check_special_tokens,
    encode_example,
    encode_examples,
    encode_prompt,
    fits,
    format_example,
    pack_blocks,
    prompt_budget,
    token_lengths,
    train_tokenizer,
)
from gobig.methods.code.codemodel.training import (
    Batch,
    block_sampler,
    evaluate_loss,
    example_sampler,
    generate,
    length_grouped_batches,
    pad_batch,
    sample_next,
    train_lm,
)

__all__ = [
    "BOS_ID",
    "Batch",
    "Block",
    "EOS_ID",
    "Example",
    "GPT",
    "GPTConfig",
    "KVCache",
    "PAD_ID",
    "SOLUTION_ID",
    "SPECIAL_TOKENS",
    "STATEMENT_ID",
    "block_sampler",
    "check_special_tokens",
    "encode_example",
    "encode_examples",
    "encode_prompt",
    "evaluate_loss",
    "example_sampler",
    "fits",
    "format_example",
    "generate",
    "length_grouped_batches",
    "pack_blocks",
    "pad_batch",
    "prompt_budget",
    "sample_next",
    "token_lengths",
    "train_lm",
    "train_tokenizer",
]
