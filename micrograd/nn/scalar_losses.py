"""The losses of :mod:`micrograd.nn.functional`, written on scalar ``Value``s.

The scalar ``MLP`` gives one output Value per row (or a list of them, one per class); these
average a loss over a batch of such outputs, with the same definitions as their tensor
namesakes, so the two engines train the same way.

>>> from micrograd import Value
>>> loss = hinge_loss([Value(2.0), Value(-0.5)], [1.0, 1.0])  # mean(relu(1 - y * score))
>>> loss.data
0.75
"""

from __future__ import annotations

from collections.abc import Sequence

from micrograd.engine import Value

__all__ = ["cross_entropy", "hinge_loss"]


def hinge_loss(scores: Sequence[Value], y: Sequence[float]) -> Value:
    """The original demo's max-margin loss, mean of ``relu(1 - y * score)``, labels -1 or +1.

    Written as the demo writes it, ``(1 + -yi * scorei).relu()``, so its graph is the
    original's Value for Value.
    """
    if len(scores) != len(y):
        raise ValueError(f"hinge_loss: {len(scores)} scores and {len(y)} labels")
    if not scores:
        raise ValueError("hinge_loss of an empty batch")
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    return sum(losses) * (1.0 / len(losses))


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """Mean over the rows of ``-log softmax(row)[target]``: one row of C Values per example.

    The row's largest number is subtracted first (a constant, so the gradient is unchanged)
    so that ``exp`` cannot overflow, as the tensor engine's fused rule does.
    """
    if len(logits) != len(targets):
        raise ValueError(f"cross_entropy: {len(logits)} rows and {len(targets)} targets")
    if not logits:
        raise ValueError("cross_entropy of an empty batch")
    losses = []
    for row, target in zip(logits, targets, strict=True):
        if not 0 <= target < len(row):
            raise ValueError(
                f"cross_entropy target {target} is out of range for {len(row)} classes"
            )
        top = max(v.data for v in row)
        shifted = [v - top for v in row]
        losses.append(sum(v.exp() for v in shifted).log() - shifted[target])
    return sum(losses) * (1.0 / len(losses))
