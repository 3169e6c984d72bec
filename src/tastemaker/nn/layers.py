"""Shared layers of the neural models."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["CausalSelfAttention", "TransformerBlock", "causal_padding_mask"]


def causal_padding_mask(valid: torch.Tensor) -> torch.Tensor:
    """Which key each query position may attend to, ``(batch, length, length)`` bool:
    itself and the earlier positions that are not padding (``valid`` is
    ``(batch, length)`` bool). A padding position attends to itself only, so that no
    row of the softmax is empty (its output is never read)."""
    length = valid.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool, device=valid.device).tril()
    allowed = causal[None, :, :] & valid[:, None, :]
    return allowed | torch.eye(length, dtype=torch.bool, device=valid.device)[None]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention under a given mask, returning its weights on request."""

    def __init__(self, width: int, n_heads: int, dropout: float):
        super().__init__()
        if width % n_heads:
            raise ValueError(f"width {width} is not a multiple of n_heads {n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, allowed: torch.Tensor, weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length, width = x.shape
        heads = self.n_heads
        q, k, v = self.qkv(x).view(batch, length, 3, heads, width // heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (batch, heads, length, d)
        if not weights:
            p = self.dropout.p if self.training else 0.0
            mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed[:, None], dropout_p=p)
            return self.out(mixed.transpose(1, 2).reshape(batch, length, width)), None
        logits = (q @ k.transpose(-1, -2)) / math.sqrt(width // heads)
        logits = logits.masked_fill(~allowed[:, None], float("-inf"))
        attention = F.softmax(logits, dim=-1)
        mixed = (self.dropout(attention) @ v).transpose(1, 2).reshape(batch, length, width)
        return self.out(mixed), attention


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: masked self-attention and a position-wise
    feed-forward layer, each with dropout and a residual connection."""

    def __init__(self, width: int, n_heads: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = CausalSelfAttention(width, n_heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.feed_forward = nn.Sequential(
            nn.Linear(width, width),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(width, width),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, allowed: torch.Tensor, weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        mixed, attention = self.attention(self.norm1(x), allowed, weights)
        x = x + self.dropout(mixed)
        x = x + self.dropout(self.feed_forward(self.norm2(x)))
        return x, attention
