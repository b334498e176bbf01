"""makemore's character-level language models, on micrograd's ``nn``, and sampling from them.

Six models of increasing power, each ``forward(idx, targets=None) -> (logits, loss)`` with
(B, T) int64 ``idx`` and (B, T, vocab_size) logits, as in karpathy/makemore (same
architectures, parameter names and initialisation; written here for micrograd):

========== ==========================================================================
bigram     :class:`~micrograd.models.ngram.Bigram`: a table of next-token logits
mlp        :class:`~micrograd.models.ngram.MLP`: Bengio et al. 2003 over ``block_size`` tokens
rnn, gru   :class:`~micrograd.models.rnn.RNN`: a vanilla RNN or a GRU cell along the word
bow        :class:`~micrograd.models.bow.BoW`: averages of the embeddings so far, plus an MLP
transformer :class:`~micrograd.models.transformer.Transformer`: a GPT-2 style decoder
========== ==========================================================================

:func:`build_model` makes one by name; :func:`generate` continues token sequences.
"""

from __future__ import annotations

import micrograd
from micrograd import nn
from micrograd.models.base import ModelConfig, next_token_loss
from micrograd.models.bow import BoW
from micrograd.models.ngram import MLP, Bigram
from micrograd.models.rnn import RNN
from micrograd.models.transformer import Transformer
from micrograd.tensors import Tensor

__all__ = [
    "MODEL_TYPES",
    "MLP",
    "RNN",
    "Bigram",
    "BoW",
    "ModelConfig",
    "Transformer",
    "build_model",
    "generate",
    "next_token_loss",
]

MODEL_TYPES = ("bigram", "mlp", "rnn", "gru", "bow", "transformer")


def build_model(model_type: str, config: ModelConfig) -> nn.Module:
    """The model called ``model_type`` (one of :data:`MODEL_TYPES`), with fresh weights drawn
    from micrograd's global generator (seed it with ``micrograd.manual_seed``)."""
    if model_type == "transformer":
        return Transformer(config)
    if model_type == "bigram":
        return Bigram(config)
    if model_type == "mlp":
        return MLP(config)
    if model_type in ("rnn", "gru"):
        return RNN(config, cell_type=model_type)
    if model_type == "bow":
        return BoW(config)
    raise ValueError(f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}")


@micrograd.no_grad()
def generate(
    model: nn.Module,
    idx: Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    do_sample: bool = False,
    top_k: int | None = None,
    generator: micrograd.Generator | None = None,
) -> Tensor:
    """``idx`` (B, T) int64 with ``max_new_tokens`` tokens appended: (B, T + max_new_tokens).

    Each new token comes from the model's scores for the last position, divided by
    ``temperature`` and, with ``top_k``, kept to the ``top_k`` best (the rest can never be
    drawn); then drawn from their softmax (``do_sample``, with ``generator`` if given) or the
    most likely one taken. The model reads at most its ``get_block_size()`` latest tokens.
    Call ``model.eval()`` first if it behaves differently in training.
    """
    block_size = model.get_block_size()
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :] / temperature  # (B, vocab_size)
        if top_k is not None:
            v, _ = micrograd.topk(logits, top_k)
            logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
        probs = micrograd.softmax(logits, dim=-1)
        if do_sample:
            idx_next = micrograd.multinomial(probs, num_samples=1, generator=generator)
        else:
            _, idx_next = micrograd.topk(probs, k=1, dim=-1)
        idx = micrograd.cat((idx, idx_next), dim=1)
    return idx
