"""micrograd.training (one loop, both engines) and micrograd.plots (figures without pyplot)."""

import subprocess
import sys

import numpy as np
import pytest

import micrograd as mg
from micrograd import data, plots, training
from micrograd.engine import Value
from micrograd.nn.build import build_mlp
from micrograd.nn.convert import tensor_copy
from micrograd.optim import SGD, Adam

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------- predictions


def test_predict_and_accuracy():
    model = build_mlp("value", 2, [4], 1, seed=0)
    X = np.random.default_rng(1).normal(size=(30, 2))
    s = training.scores(model, X)
    assert s.shape == (30,)
    np.testing.assert_array_equal(training.predict(model, X), (s > 0).astype(int))
    y = training.predict(model, X)
    assert training.accuracy(model, X, y) == 1.0
    assert training.accuracy(model, X, 1 - y) == 0.0
    multi = build_mlp("tensor", 2, [4], 3, seed=0)
    s3 = training.scores(multi, X)
    assert s3.shape == (30, 3)
    np.testing.assert_array_equal(training.predict(multi, X), s3.argmax(axis=1))


# --------------------------------------------------------------------- the loop


@pytest.mark.parametrize("loss", ["hinge", "cross_entropy"])
def test_value_and_tensor_engines_train_identically(loss):
    """The same initial network on both engines follows the same losses step by step."""
    if loss == "hinge":
        X, y = data.moons(n_samples=40, noise=0.1, seed=1)
        nout = 1
    else:
        X, y = data.blobs(n_samples=40, centers=3, seed=1)
        X = X / 5
        nout = 3
    scalar = build_mlp("value", 2, [8, 8], nout, seed=2)
    tensor = tensor_copy(scalar)
    histories = []
    for model in (scalar, tensor):
        opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        histories.append(
            training.fit(model, X, y, opt, loss=loss, epochs=6, batch_size=16, l2=1e-3, seed=4)
        )
    np.testing.assert_allclose(histories[0].loss, histories[1].loss, rtol=1e-9)
    assert histories[0].train_accuracy == histories[1].train_accuracy
    np.testing.assert_allclose(
        training.scores(scalar, X), training.scores(tensor, X), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("loss, nout", [("hinge", 1), ("cross_entropy", 2)])
def test_tensor_models_compute_in_their_parameters_dtype(loss, nout, monkeypatch):
    """The data sets are float64; a float32 model (the default) gets float32 rows, as a
    PyTorch user converts them, so its forward, loss and scores stay float32."""
    X, y = data.moons(n_samples=40, noise=0.1, seed=0)
    model = build_mlp("tensor", 2, [8], nout, seed=0)
    seen = []
    forward = type(model).forward
    monkeypatch.setattr(
        type(model), "forward", lambda self, x: seen.append(x.dtype) or forward(self, x)
    )
    total, _ = training._tensor_loss(model, X, y, loss, 1e-4)
    assert total.dtype == model.parameters()[0].dtype == mg.float32
    assert training.scores(model, X).dtype == np.float32
    assert set(seen) == {mg.float32}


def test_hinge_loss_is_the_original_demo_formula():
    X, y = data.moons(n_samples=10, noise=0.1, seed=0)
    model = build_mlp("value", 2, [4], 1, seed=0)
    inputs = [list(map(Value, row)) for row in X]  # the original demo's lines
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y * 2 - 1, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    expected = (data_loss + reg_loss).data
    opt = SGD(model.parameters(), lr=0.0)
    history = training.fit(model, X, y, opt, loss="hinge", epochs=1, l2=1e-4)
    assert history.loss == [pytest.approx(expected, rel=1e-12)]


def test_fit_learns_and_records_history():
    X_train, X_test, y_train, y_test = data.split(*data.blobs(n_samples=120, seed=0), seed=0)
    model = build_mlp("tensor", 2, [16], 3, seed=0)
    seen = []
    history = training.fit(
        model,
        X_train,
        y_train,
        Adam(model.parameters(), lr=0.05),
        epochs=15,
        batch_size=32,
        seed=0,
        X_test=X_test,
        y_test=y_test,
        on_epoch=seen.append,
    )
    assert [e.epoch for e in seen] == list(range(1, 16)) and history.epochs == seen
    assert history.loss[-1] < history.loss[0]
    assert history.test_accuracy[-1] == training.accuracy(model, X_test, y_test) >= 0.9
    assert all(0 <= a <= 1 for a in history.train_accuracy)
    assert all(e.lr == 0.05 for e in seen)


def test_fit_is_reproducible_with_a_seed():
    X, y = data.moons(n_samples=50, seed=0)
    runs = []
    for _ in range(2):
        model = build_mlp("tensor", 2, [8], 1, seed=0)
        opt = SGD(model.parameters(), lr=0.1)
        runs.append(training.fit(model, X, y, opt, loss="hinge", epochs=3, batch_size=8, seed=9))
    assert runs[0].loss == runs[1].loss


@pytest.mark.parametrize(
    "bad", [dict(loss="mse"), dict(epochs=0), dict(epochs=2.5), dict(epochs=True), dict(l2=-1.0)]
)
def test_fit_rejects(bad):
    model = build_mlp("value", 2, [2], 1, seed=0)
    kwargs = dict(loss="hinge", epochs=1) | bad
    with pytest.raises(ValueError):
        training.fit(model, np.zeros((4, 2)), np.zeros(4), SGD(model.parameters(), 0.1), **kwargs)


# --------------------------------------------------------------------- plots


def test_decision_boundary_calls_predict_once_on_a_grid():
    X, y = data.blobs(n_samples=30, seed=0)
    calls = []

    def predict(points):
        calls.append(points.shape)
        return (points[:, 0] > 0).astype(int)

    fig = plots.decision_boundary(predict, X, y, resolution=50, title="t")
    assert calls == [(2500, 2)]
    assert plots.png_bytes(fig).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="2-D"):
        plots.decision_boundary(predict, np.zeros((3, 3)), np.zeros(3))


def test_training_curves_and_confusion_matrix():
    fig = plots.training_curves([1.0, 0.5, 0.25], [0.5, 0.75, 1.0], [0.4, 0.6, 0.9])
    assert plots.png_bytes(fig).startswith(PNG_MAGIC)
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    fig = plots.confusion_matrix(y_true, y_pred)
    ax = fig.axes[0]
    shown = [int(t.get_text()) for t in ax.texts]
    assert shown == [1, 1, 0, 0, 2, 0, 1, 0, 2]  # row by row: true class, then predicted
    assert "71.4%" in ax.get_title()
    assert plots.png_bytes(fig).startswith(PNG_MAGIC)


def test_plots_leave_pyplot_alone():
    code = (
        "import sys, numpy as np\n"
        "from micrograd import plots\n"
        "plots.png_bytes(plots.training_curves([1.0], [0.5]))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_detects_the_engine_once(monkeypatch):
    X_train, X_test, y_train, y_test = data.split(*data.moons(n_samples=40, seed=0), seed=0)
    model = build_mlp("value", 2, [4], 1, seed=0)
    calls = []
    real = training.engine_of
    monkeypatch.setattr(training, "engine_of", lambda m: calls.append(m) or real(m))
    opt = SGD(model.parameters(), lr=0.1)
    training.fit(model, X_train, y_train, opt, loss="hinge", epochs=3, X_test=X_test, y_test=y_test)
    assert len(calls) == 1
