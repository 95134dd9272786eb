"""``GPT``: a small decoder-only transformer (pre-LayerNorm, learned
positions, tied embeddings, causal ``scaled_dot_product_attention``) with a
preallocated KV cache for sampling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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

    def __init__(
        self, config: GPTConfig, batch_size: int, max_len: int, device: torch.device, dtype: torch.dtype = torch.float32
    ):
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
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, 4 * config.d_model), nn.GELU(), nn.Linear(4 * config.d_model, config.d_model)
        )
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
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal
        )
        return self.drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))

    def forward(
        self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0, start_pos: int = 0
    ) -> torch.Tensor:
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
        self,
        ids: torch.Tensor,
        targets: torch.Tensor | None = None,
        loss_mask: torch.Tensor | None = None,
        kv_cache: KVCache | None = None,
        start_pos: int = 0,
        loss_only: bool = False,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Logits (B, T, vocab) and, with targets, the mean cross-entropy over
        the tokens where ``loss_mask`` is 1 (all tokens without a mask).
        ``loss_only`` (with a mask): the output layer runs on the masked
        tokens alone and no logits are returned, the same loss for less
        compute (a statement's tokens and the padding are no targets)."""
        T = ids.shape[1]
        if start_pos + T > self.config.max_seq_len:
            raise ValueError(f"positions up to {start_pos + T} exceed max_seq_len={self.config.max_seq_len}")
        positions = torch.arange(start_pos, start_pos + T, device=ids.device)
        x = self.drop(self.wte(ids) + self.wpe(positions))
        for layer, block in enumerate(self.blocks):
            x = block(x, kv_cache, layer, start_pos)
        if loss_only and targets is not None and loss_mask is not None:
            chosen = loss_mask.bool()
            if not chosen.any():
                return None, x.sum() * 0.0  # no target: a zero loss that keeps the graph
            selected = self.lm_head(self.ln_f(x[chosen]))
            return None, F.cross_entropy(selected.float(), targets[chosen])
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        losses = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
        if loss_mask is None:
            return logits, losses.mean()
        mask = loss_mask.flatten().to(losses.dtype)
        return logits, (losses * mask).sum() / mask.sum().clamp(min=1)
