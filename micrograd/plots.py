"""Pictures of training: decision boundaries, loss and accuracy curves, confusion matrices.

Each function returns a ``matplotlib.figure.Figure`` drawn with the Agg renderer, built
directly rather than through ``pyplot``: nothing here selects a backend, opens a window or
registers the figure with ``pyplot``, so a notebook's own matplotlib setup is left alone and
figures are freed as soon as they are dropped. A notebook shows the returned figure inline;
:func:`png_bytes` gives the PNG file's contents, to be written wherever the caller likes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn import metrics

__all__ = ["confusion_matrix", "decision_boundary", "loss_curves", "png_bytes", "training_curves"]

# One colour per class, colour-blind safe (Okabe-Ito), for up to eight classes.
_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000"]


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself as fig.canvas: Agg, whatever pyplot's backend is
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as a PNG file's bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 200,
    title: str = "Decision boundary",
) -> Figure:
    """The classes ``predict`` assigns over the plane, with the points ``(X, y)`` on top.

    ``X`` is (N, 2), ``y`` (N,) class indices; ``predict`` maps an (M, 2) array of points to
    their (M,) class indices. It is called once, on a ``resolution`` x ``resolution`` grid
    covering the points with a margin.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points, X of shape (N, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = 0.15 * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution)
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    zone = np.asarray(predict(grid)).reshape(gx.shape)

    classes = int(max(y.max(initial=0), zone.max(initial=0))) + 1
    colors = [_COLORS[k % len(_COLORS)] for k in range(classes)]
    fig = _figure(5.5, 5)
    ax = fig.add_subplot()
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(gx, gy, zone, levels=levels, colors=colors, alpha=0.25)
    for k in range(classes):
        mine = y == k
        if mine.any():
            ax.scatter(*X[mine].T, s=22, color=colors[k], edgecolors="k", linewidths=0.5)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title(title)
    return fig


def training_curves(
    loss: Sequence[float],
    train_accuracy: Sequence[float],
    test_accuracy: Sequence[float] | None = None,
    *,
    xlabel: str = "epoch",
) -> Figure:
    """Loss (left) and accuracy (right) per epoch; accuracies are fractions in [0, 1]."""
    fig = _figure(10, 4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    steps = np.arange(1, len(loss) + 1)
    ax_loss.plot(steps, loss, color=_COLORS[0])
    ax_loss.set_xlabel(xlabel)
    ax_loss.set_ylabel("loss")
    if len(loss) and min(loss) > 0 and max(loss) / min(loss) > 100:
        ax_loss.set_yscale("log")
    ax_loss.set_title("Loss")
    ax_acc.plot(steps, 100 * np.asarray(train_accuracy), color=_COLORS[0], label="train")
    if test_accuracy is not None and len(test_accuracy):
        ax_acc.plot(steps, 100 * np.asarray(test_accuracy), color=_COLORS[1], label="test")
    ax_acc.set_xlabel(xlabel)
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_ylim(0, 101)
    ax_acc.legend(loc="lower right")
    ax_acc.set_title("Accuracy")
    return fig


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, *, labels: Sequence[str] | None = None
) -> Figure:
    """How often each true class (row) was predicted as each class (column), counts shown."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    counts = metrics.confusion_matrix(y_true, y_pred, labels=np.arange(k))
    names = list(labels) if labels is not None else [str(i) for i in range(k)]
    fig = _figure(6, 5.5)
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = counts.max() / 2 if counts.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if counts[i, j] > threshold else "black",
            )
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"Confusion matrix (accuracy {100 * accuracy:.1f}%)")
    return fig


def loss_curves(
    step_loss: Sequence[float],
    eval_steps: Sequence[int],
    train_loss: Sequence[float],
    test_loss: Sequence[float],
    *,
    title: str = "Loss",
) -> Figure:
    """A language model's training: the loss of each step's batch (steps 1, 2, ..., faint,
    with its moving average over 100 steps) and the train and test losses evaluated at
    ``eval_steps``."""
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    losses = np.asarray(step_loss, dtype=float)
    steps = np.arange(1, len(losses) + 1)
    if len(losses):
        ax.plot(steps, losses, color=_COLORS[0], alpha=0.25, linewidth=0.8, label="batch")
        window = min(100, len(losses))
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1 :], smooth, color=_COLORS[0], label=f"batch, mean of {window}")
    if len(eval_steps):
        ax.plot(eval_steps, train_loss, "o-", color=_COLORS[1], label="train")
        ax.plot(eval_steps, test_loss, "s-", color=_COLORS[2], label="test")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return fig
