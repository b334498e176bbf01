"""One training loop for both engines, shared by the command line and the notebooks.

A model is either the scalar ``nn.MLP`` (``Value`` parameters: each input row goes through
the network on its own, as in the original demo) or a tensor ``nn.Sequential`` (a whole batch
at once). :func:`fit` runs the same steps on either::

    for each epoch, for each minibatch:
        loss = data loss (max-margin or cross-entropy) + l2 * sum(p * p)
        optimizer.zero_grad(); loss.backward(); optimizer.step(); scheduler.step()

Two losses: ``"hinge"``, the original demo's max-margin loss ``mean(relu(1 - y * score))``
for two classes and one output (labels 0/1 become -1/+1, a score > 0 predicts class 1), and
``"cross_entropy"``, softmax cross-entropy over one output per class.

Nothing here prints; progress goes to the ``on_epoch`` callback (the command line draws a
progress bar with it). Random draws use the seeds given, never the global random state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from micrograd import _validate
from micrograd import data as datasets
from micrograd.engine import Value, paused_gc
from micrograd.nn import Module, scalar_losses
from micrograd.nn import functional as F
from micrograd.optim import LRScheduler, Optimizer
from micrograd.tensors import Tensor, no_grad

__all__ = [
    "ENGINES",
    "LOSSES",
    "Epoch",
    "History",
    "accuracy",
    "engine_of",
    "fit",
    "predict",
    "scores",
]

ENGINES = ("value", "tensor")
LOSSES = ("hinge", "cross_entropy")


def engine_of(model: Module) -> str:
    """``"value"`` or ``"tensor"``: which engine holds ``model``'s parameters."""
    params = model.parameters()
    if params and all(isinstance(p, Value) for p in params):
        return "value"
    if params and all(isinstance(p, Tensor) for p in params):
        return "tensor"
    raise TypeError(f"{type(model).__name__} has no parameters of a single engine")


# --------------------------------------------------------------------- forward and losses


def _value_outputs(model: Module, X: np.ndarray) -> list[list[Value]]:
    """The scalar network on each row: one list of output Values per row."""
    # Python floats: the fast path in Value
    return [_as_list(model(row)) for row in np.asarray(X, dtype=float).tolist()]


def scores(model: Module, X: np.ndarray) -> np.ndarray:
    """The network's outputs for the rows of ``X`` as floats: (N,) for one output, else (N, C).

    No graph is kept: the tensor engine runs under ``no_grad``; the scalar one drops each
    row's graph as it goes.
    """
    return _scores(model, X, engine_of(model))


# Rows evaluated at once outside training: enough to keep NumPy busy, few enough that a
# wide network on a decision-boundary grid or a whole data set stays small in memory.
EVAL_ROWS = 4096


def _rows(model: Module, X: np.ndarray) -> Tensor:
    """Rows of data in the dtype of the model's parameters, as a PyTorch user converts them
    (``torch.tensor(X, dtype=torch.float32)``): the data sets are float64, and float32
    layers fed float64 rows would compute in float64."""
    return Tensor(np.asarray(X, dtype=model.parameters()[0]._data.dtype))


def _scores(model: Module, X: np.ndarray, engine: str) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if len(X) == 0:
        raise ValueError("nothing to score: X has no rows")
    if engine == "tensor":
        with no_grad():
            parts = [
                model(_rows(model, X[i : i + EVAL_ROWS])).numpy()
                for i in range(0, len(X), EVAL_ROWS)
            ]
        out = np.concatenate(parts)
    else:
        with paused_gc():  # each row's graph is dropped as soon as its floats are read
            out = np.array([[v.data for v in _as_list(model(row))] for row in X.tolist()])
    out = out.reshape(len(X), -1)
    return out[:, 0] if out.shape[1] == 1 else out


def _as_list(out: Value | list[Value]) -> list[Value]:
    return out if isinstance(out, list) else [out]


def _labels_from_scores(s: np.ndarray) -> np.ndarray:
    return (s > 0).astype(np.int64) if s.ndim == 1 else s.argmax(axis=1)


def predict(model: Module, X: np.ndarray) -> np.ndarray:
    """Class indices: a single output predicts 1 where its score is > 0, else the argmax."""
    return _labels_from_scores(scores(model, X))


def accuracy(model: Module, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of rows of ``X`` whose predicted class is ``y``."""
    return _accuracy(model, X, y, engine_of(model))


def _accuracy(model: Module, X: np.ndarray, y: np.ndarray, engine: str) -> float:
    return float(np.mean(_labels_from_scores(_scores(model, X, engine)) == np.asarray(y)))


def _value_loss(
    model: Module, Xb: np.ndarray, yb: np.ndarray, loss: str, l2: float
) -> tuple[Value, np.ndarray]:
    """Loss of a batch on the scalar engine, and the batch's output scores as floats."""
    outputs = _value_outputs(model, Xb)
    if loss == "hinge":
        data_loss = scalar_losses.hinge_loss(
            [out[0] for out in outputs], datasets.signs(yb).tolist()
        )
    else:
        data_loss = scalar_losses.cross_entropy(outputs, yb.tolist())
    if l2:
        data_loss = data_loss + l2 * sum(p * p for p in model.parameters())
    s = np.array([[v.data for v in out] for out in outputs])
    return data_loss, s[:, 0] if s.shape[1] == 1 else s


def _tensor_loss(
    model: Module, Xb: np.ndarray, yb: np.ndarray, loss: str, l2: float
) -> tuple[Tensor, np.ndarray]:
    """Loss of a batch on the tensor engine, and the batch's output scores."""
    out = model(_rows(model, Xb))
    if loss == "hinge":
        out = out.reshape(-1)
        total = F.hinge_loss(out, Tensor(datasets.signs(yb).astype(out._data.dtype)))
    else:
        total = F.cross_entropy(out, yb)
    if l2:
        total = total + l2 * sum((p * p).sum() for p in model.parameters())
    return total, out.detach().numpy()


# --------------------------------------------------------------------- the loop


@dataclass
class Epoch:
    """What one epoch measured. Train accuracy is over the epoch's batches, each measured
    before that batch's update (as the original demo prints it); test accuracy after it."""

    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float | None
    lr: float


@dataclass
class History:
    """Every epoch's measurements, in order; the lists are what the plots draw."""

    epochs: list[Epoch] = field(default_factory=list)

    @property
    def loss(self) -> list[float]:
        return [e.loss for e in self.epochs]

    @property
    def train_accuracy(self) -> list[float]:
        return [e.train_accuracy for e in self.epochs]

    @property
    def test_accuracy(self) -> list[float] | None:
        values = [e.test_accuracy for e in self.epochs]
        return None if not values or values[0] is None else values


def fit(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    *,
    loss: str = "cross_entropy",
    epochs: int = 10,
    batch_size: int | None = None,
    l2: float = 0.0,
    scheduler: LRScheduler | None = None,
    seed: int | None = None,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    on_epoch: Callable[[Epoch], None] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` (class indices) and return its :class:`History`.

    ``batch_size=None`` trains on the full batch, in the data's order, as the original demo
    does; otherwise every epoch visits the rows in a new order drawn from
    ``np.random.default_rng(seed)``. ``scheduler`` (if any) steps after every optimizer step.
    ``l2`` adds ``l2 * sum(p * p)`` over the parameters (the demo uses 1e-4). With a test
    split, its accuracy is measured after every epoch. ``on_epoch`` is called after each.
    """
    _validate.choice("loss", loss, LOSSES)
    epochs = _validate.positive_int("epochs", epochs)
    l2 = _validate.non_negative("l2", l2)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.int64)
    engine = engine_of(model)  # once: the scalar MLP lists thousands of parameters
    batch_loss = _value_loss if engine == "value" else _tensor_loss
    # On the scalar engine each step builds a graph of tens of thousands of Values, all
    # alive until backward, and the cyclic collector would walk them again and again for
    # nothing: Values hold no cycles (engine.paused_gc; benchmarks/README.md measures it).
    step_context = paused_gc if engine == "value" else contextlib.nullcontext
    shuffle = batch_size is not None and batch_size < len(X)
    rng = np.random.default_rng(seed)
    history = History()
    for epoch in range(1, epochs + 1):
        total, correct, seen = 0.0, 0, 0
        lr = optimizer.param_groups[0]["lr"]
        for Xb, yb in datasets.minibatches(X, y, batch_size, shuffle=shuffle, rng=rng):
            with step_context():
                value, batch_scores = batch_loss(model, Xb, yb, loss, l2)
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                batch_mean = value.data if isinstance(value, Value) else value.item()
                del value  # free the graph inside the paused collector's block
            if scheduler is not None:
                scheduler.step()
            total += batch_mean * len(yb)
            correct += int(np.sum(_labels_from_scores(batch_scores) == yb))
            seen += len(yb)
        test = None if X_test is None else _accuracy(model, X_test, y_test, engine)
        record = Epoch(epoch, total / seen, correct / seen, test, lr)
        history.epochs.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history
