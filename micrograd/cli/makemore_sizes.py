"""How much memory a ``micrograd makemore`` run needs, estimated before anything is built.

A mistyped size should be refused at once, with the limit in the message, not end in a
MemoryError (or a machine swapping) minutes later. What a run holds at most:

* the model: four numbers per parameter (the weights, their gradients and AdamW's two
  moments) and the causal masks (``block_size``² numbers in each Transformer block and in
  the BoW's);
* the data: every word as two rows of ``block_size`` int64 indices (``x`` and ``y``);
* the largest of a training step (``--batch-size`` rows, whose graph holds each operation's
  output until backward, and their gradients during it), an evaluation (up to
  ``EVAL_BATCH`` rows, no graph) and the sampling (``--num-samples`` rows, no graph).

:func:`forward_numbers` counts the numbers one row's forward pass makes, model by model, from
the shapes of its operations; ``STEP_HOLDS`` and ``NO_GRAD_HOLDS`` turn that count into what
is held. They were measured with tracemalloc on the six models at four sizes each (float32
and float64): a step held 1.1 to 2.2 times the count, a pass without a graph 0.1 to 1.0
times; ``tests/cli/test_makemore.py`` checks that the estimate stays above what each model
holds, and within a few times of it for a step.
"""

from __future__ import annotations

from micrograd.cli.usage import MAX_MEMORY, UsageError
from micrograd.models import ModelConfig

NUMBERS_PER_PARAMETER = 4  # weight, gradient, AdamW's exp_avg and exp_avg_sq
INDEX_BYTES = 8  # int64 token indices
# What a step holds per number its forward pass makes (the outputs, kept for backward, then
# their gradients and the temporaries of backward), and what a pass without a graph holds
# (the largest few outputs alive at once, and the softmax inside cross_entropy).
STEP_HOLDS = 2.5
NO_GRAD_HOLDS = 1.25
# the options that size each model, named in the advice of a refusal
SIZE_OPTIONS = {
    "bigram": "vocabulary",
    "mlp": "--n-embd or --n-embd2",
    "rnn": "--n-embd or --n-embd2",
    "gru": "--n-embd or --n-embd2",
    "bow": "--n-embd or --n-embd2",
    "transformer": "--n-layer or --n-embd",
}


def parameter_count(model_type: str, c: ModelConfig) -> int:
    """The number of parameters of :func:`micrograd.models.build_model`'s ``model_type``."""
    V, T, E, E2 = c.vocab_size, c.block_size, c.n_embd, c.n_embd2

    def linear(n_in: int, n_out: int) -> int:
        return n_in * n_out + n_out

    if model_type == "bigram":
        return V * V
    if model_type == "mlp":
        return (V + 1) * E + linear(T * E, E2) + linear(E2, V)
    if model_type in ("rnn", "gru"):
        gates = 3 if model_type == "gru" else 1
        return E2 + V * E + gates * linear(E + E2, E2) + linear(E2, V)
    if model_type == "bow":
        return V * E + T * E + linear(E, E2) + linear(E2, E) + linear(E, V)
    # transformer: embeddings; per block two LayerNorms, attention (q, k, v and the output
    # projection) and the 4x MLP; the final LayerNorm and the head (no bias)
    block = 2 * 2 * E + linear(E, 3 * E) + linear(E, E) + linear(E, 4 * E) + linear(4 * E, E)
    return V * E + T * E + c.n_layer * block + 2 * E + E * V


def buffer_count(model_type: str, c: ModelConfig) -> int:
    """The numbers of the model's buffers: the causal masks, (block_size, block_size) each."""
    masks = {"transformer": c.n_layer, "bow": 1}.get(model_type, 0)
    return masks * c.block_size**2


def forward_numbers(model_type: str, c: ModelConfig, length: int, graph: bool = True) -> int:
    """How many numbers a forward pass (with its loss) makes for one row of ``length``
    positions: the sum of its operations' output sizes, rounded to the larger terms. Without
    a ``graph`` a Transformer block's outputs are freed once the next block has read them,
    so only one block counts."""
    V, T, E, E2, H = c.vocab_size, length, c.n_embd, c.n_embd2, c.n_head
    logits_and_loss = 3 * T * V  # the logits, the log-softmax, its exp
    if model_type == "bigram":
        per_position = 0
    elif model_type == "mlp":
        # block_size embeddings of every position, side by side, then the hidden layer
        per_position = 2 * c.block_size * E + 2 * E2
    elif model_type == "rnn":
        per_position = E + (E + E2) + 2 * E2 + E2
    elif model_type == "gru":
        per_position = E + 2 * (E + E2) + 10 * E2 + E2
    elif model_type == "bow":
        per_position = 7 * E + 2 * E2
    else:
        # per block (views such as the heads' split and transposes make no numbers): the
        # two LayerNorms (E each), q k v (3 E), the heads' output and merged copy, the
        # projection, the two residual sums (E each), the MLP (4 E in, 4 E from GELU, E
        # out); and each head's T scores, scaled, masked and softmaxed (4 T per head)
        block = 2 * E + 3 * E + 3 * E + 2 * E + (4 * E + 4 * E + E) + 4 * H * T
        per_position = 3 * E + (c.n_layer if graph else 1) * block + 4 * E
    return T * per_position + logits_and_loss


def memory_needed(
    model_type: str,
    c: ModelConfig,
    *,
    itemsize: int,
    words: int,
    batch_size: int,
    eval_rows: int,
    num_samples: int,
) -> dict[str, float]:
    """Bytes held at most by each part of a run, by name (the largest part is what to
    shrink): ``"model"``, ``"data"``, ``"step"``, ``"evaluation"``, ``"sampling"``."""
    row = forward_numbers(model_type, c, c.block_size)
    row_no_grad = forward_numbers(model_type, c, c.block_size, graph=False)
    return {
        "model": itemsize
        * (NUMBERS_PER_PARAMETER * parameter_count(model_type, c) + buffer_count(model_type, c)),
        "data": 2 * INDEX_BYTES * words * c.block_size,
        "step": itemsize * STEP_HOLDS * batch_size * row,
        "evaluation": itemsize * NO_GRAD_HOLDS * eval_rows * row_no_grad,
        "sampling": itemsize * NO_GRAD_HOLDS * num_samples * row_no_grad,
    }


def check_memory(
    model_type: str,
    c: ModelConfig,
    *,
    itemsize: int,
    words: int,
    batch_size: int,
    eval_rows: int,
    num_samples: int,
) -> None:
    """A UsageError naming the largest part and what to shrink, if the run would need more
    than ``MAX_MEMORY`` (pass 0 rows for what the run does not do)."""
    parts = memory_needed(
        model_type,
        c,
        itemsize=itemsize,
        words=words,
        batch_size=batch_size,
        eval_rows=eval_rows,
        num_samples=num_samples,
    )
    work = max(("step", "evaluation", "sampling"), key=parts.__getitem__)
    total = parts["model"] + parts["data"] + parts[work]
    if total <= MAX_MEMORY:
        return
    largest = max(("model", "data", work), key=parts.__getitem__)
    T = c.block_size
    longest = f"shorter words (the longest has {T - 1:,} characters)"
    smaller = SIZE_OPTIONS[model_type]
    if largest == "model" and buffer_count(model_type, c) > parameter_count(model_type, c):
        what, advice = f"the causal masks, {T:,} x {T:,} numbers each", longest
    elif largest == "model" and model_type == "bigram":
        what = f"the model's {parameter_count(model_type, c):,} parameters"
        advice = f"words of fewer distinct characters (its table is {c.vocab_size:,} squared)"
    elif largest == "model":
        what = f"the model's {parameter_count(model_type, c):,} parameters"
        advice = f"a smaller {smaller}"
    elif largest == "data":
        what, advice = f"{words:,} words as rows of {T:,} positions", f"fewer or {longest}"
    elif largest == "step":
        what = f"a training step on --batch-size {batch_size:,} rows of {T:,} positions"
        advice = f"a smaller --batch-size or {smaller}, or {longest}"
    elif largest == "evaluation":
        what = f"evaluating {eval_rows:,} rows of {T:,} positions at a time"
        advice = f"a smaller {smaller}, or {longest}"
    else:
        what = f"sampling --num-samples {num_samples:,} rows of {T:,} positions"
        advice = f"a smaller --num-samples or {smaller}, or {longest}"
    raise UsageError(
        f"this run would need about {_gib(total)} GiB, more than the {_gib(MAX_MEMORY)} GiB "
        f"allowed; the most goes to {what} ({_gib(parts[largest])} GiB): use {advice}"
    )


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f}".removesuffix(".0")
