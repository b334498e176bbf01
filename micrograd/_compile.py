"""``micrograd.compile``: PyTorch's ``torch.compile``, which here compiles nothing.

micrograd runs every model eagerly, one NumPy operation after another, so ``compile`` returns
the model (or function) itself: calling it computes what it computed before, and a model's
``state_dict()`` keeps its keys (PyTorch's compiled module adds ``_orig_mod.`` to each, which
nanoGPT strips when it loads). It takes PyTorch's arguments and checks them as PyTorch does,
so scripts that call ``torch.compile(model)`` or decorate with ``@torch.compile`` run as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from micrograd import _validate

__all__ = ["compile"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(
    model: Callable[..., Any] | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable[..., Any] | None = None,
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Any:
    """``model`` itself, unchanged: micrograd is eager and compiles nothing (see the module).

    ``compile(model)`` and ``@compile`` return it; ``compile(mode=...)`` with no model returns
    a decorator that does. ``mode`` must be one of PyTorch's (``'default'``,
    ``'reduce-overhead'``, ``'max-autotune'``...), and not given with ``options``.

    >>> def f(x): return x + 1
    >>> compile(f) is f, compile(mode="max-autotune")(f) is f
    (True, True)
    """
    _validate.flag("compile: fullgraph", fullgraph)
    _validate.flag("compile: disable", disable)
    if dynamic is not None:
        _validate.flag("compile: dynamic", dynamic)
    if not (backend is None or isinstance(backend, str) or callable(backend)):
        raise TypeError(f"compile: backend must be a name or a callable, got {backend!r}")
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"compile: options must be a dict, got {type(options).__name__}")
    if model is None:  # @compile(mode=...): the decorator
        return lambda fn: compile(fn)
    if not callable(model):
        raise TypeError(f"compile expects a model or a function, got {type(model).__name__}")
    return model
