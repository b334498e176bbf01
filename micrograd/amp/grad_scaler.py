"""``GradScaler``: loss scaling for float16 training, as ``torch.amp.GradScaler``.

float16 cannot hold gradients much smaller than 6e-5 (they round to zero), so the scaler
multiplies the loss by a large factor before ``backward`` (``scale``: 65536 to start), which
makes every gradient that much larger; divides the gradients back before the optimizer steps
(``unscale_``, which ``step`` calls if you did not); and skips any step whose gradients
overflowed to inf or nan. ``update`` then halves the factor after a skipped step, and doubles
it after 2000 steps in a row without one::

    scaler = GradScaler("cpu")
    for x, y in batches:
        optimizer.zero_grad()
        scaler.scale(loss_fn(model(x), y)).backward()
        scaler.unscale_(optimizer)                  # only to clip: the gradients are true size
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)                      # skipped if a gradient is inf or nan
        scaler.update()

On micrograd, as in PyTorch on a machine without CUDA:

* ``GradScaler('cuda')`` (PyTorch's default device; also ``micrograd.cuda.amp.GradScaler``,
  which nanoGPT makes with ``enabled=(dtype == 'float16')``) warns and disables itself if it is
  enabled. A disabled scaler changes nothing: ``scale(loss)`` returns ``loss`` itself,
  ``step(optimizer)`` returns ``optimizer.step()``, ``unscale_`` and ``update`` do nothing,
  ``get_scale()`` is 1.0, ``state_dict()`` is ``{}`` and ``load_state_dict`` ignores its
  argument. A training loop written for the GPU runs unchanged and trains as without it.
* ``GradScaler('cpu')`` scales, as PyTorch's CPU scaler does, with the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from micrograd import _validate
from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import as_device

__all__ = ["GradScaler"]

# Where each optimizer is in the current iteration (as PyTorch's OptState).
_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Scales the loss, unscales the gradients, skips overflowing steps; see the module.

    ``device``: ``'cuda'`` (disabled on micrograd, with a warning if ``enabled``) or
    ``'cpu'``. ``init_scale``: the first factor. After a skipped step the factor is multiplied
    by ``backoff_factor`` (< 1); after ``growth_interval`` steps without one, by
    ``growth_factor`` (> 1). ``enabled=False`` makes a scaler that changes nothing.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if not isinstance(device, str):
            raise TypeError(f"GradScaler: device must be a string, got {device!r}")
        self._device = device
        self._enabled = _validate.flag("GradScaler: enabled", enabled)
        if device.partition(":")[0] == "cuda":
            if self._enabled:
                warnings.warn(
                    "GradScaler is enabled, but CUDA is not available (micrograd runs on the "
                    "CPU). Disabling: scale() returns the loss as is and step() just steps.",
                    UserWarning,
                    # the caller's line, through micrograd.cuda.amp.GradScaler's __init__ or not
                    stacklevel=2 if type(self).__init__ is GradScaler.__init__ else 3,
                )
            self._enabled = False
        else:
            as_device(device)  # 'cpu' only: another device is a clear error
        self._init_scale = _validate.real("GradScaler: init_scale", init_scale)
        self._growth_factor = _validate.real("GradScaler: growth_factor", growth_factor)
        self._backoff_factor = _validate.real("GradScaler: backoff_factor", backoff_factor)
        self._growth_interval = _validate.positive_int(
            "GradScaler: growth_interval", growth_interval
        )
        if self._enabled and self._growth_factor <= 1.0:
            raise ValueError(f"GradScaler: growth_factor must be > 1.0, got {growth_factor}")
        if self._enabled and not 0.0 < self._backoff_factor < 1.0:
            raise ValueError(f"GradScaler: backoff_factor must be < 1.0, got {backoff_factor}")
        self._scale: np.float32 | None = None  # set by the first scale(), as in PyTorch
        self._growth_tracker = 0  # steps in a row without inf or nan
        self._optimizers: dict[int, dict[str, Any]] = {}  # id -> stage and found_inf this step

    # ----------------------------------------------------------------- the iteration

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or a list, tuple or iterable of tensors) times the scale,
        keeping each tensor's dtype; unchanged, the same object, if the scaler is disabled."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = np.float32(self._init_scale)
        factor = float(self._scale)  # a Python float: the tensor keeps its dtype

        def apply(value: Any) -> Any:
            if isinstance(value, Tensor):
                return value * factor
            if isinstance(value, (list, tuple)):
                return type(value)(apply(v) for v in value)
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return map(apply, value)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def unscale_(self, optimizer: Any) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and note
        whether any is inf or nan. At most once per optimizer between two ``update()``s."""
        if not self._enabled:
            return
        self._require_scale("unscale_")
        state = self._optimizers.setdefault(id(optimizer), {"stage": _READY})
        if state["stage"] is _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / float(self._scale))  # the reciprocal in float64, as PyTorch
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if not isinstance(p, Tensor):
                    raise TypeError(
                        f"GradScaler works on Tensor parameters, got a {type(p).__name__}"
                    )
                grad = p._grad  # the gradient's own memory: unscaled in place
                if grad is None:
                    continue
                if grad.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                found_inf = found_inf or not np.isfinite(grad).all()
                np.multiply(grad, inv_scale, out=grad)
        state.update(stage=_UNSCALED, found_inf=found_inf)

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (unless ``unscale_`` did), then ``optimizer.step(*args, **kwargs)`` unless
        a gradient is inf or nan; returns what it returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._require_scale("step")
        state = self._optimizers.setdefault(id(optimizer), {"stage": _READY})
        if state["stage"] is _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Set the scale for the next iteration: ``new_scale`` if given; else the scale times
        ``backoff_factor`` if a step found inf or nan, times ``growth_factor`` after
        ``growth_interval`` clean steps in a row, unchanged otherwise."""
        if not self._enabled:
            return
        self._require_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise ValueError(
                        "new_scale should be a float or a 1-element tensor with "
                        "requires_grad=False."
                    )
                new_scale = new_scale.item()
            self._scale = np.float32(_validate.real("update: new_scale", new_scale))
        else:
            checked = [s["found_inf"] for s in self._optimizers.values() if "found_inf" in s]
            if not checked:
                raise RuntimeError("No inf checks were recorded prior to update.")
            # The products in float64, stored in float32: PyTorch's _amp_update_scale_.
            if any(checked):
                self._scale = np.float32(float(self._scale) * self._backoff_factor)
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = np.float32(float(self._scale) * self._growth_factor)
                if np.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._optimizers = {}

    def _require_scale(self, method: str) -> None:
        if self._scale is None:
            raise RuntimeError(
                f"Attempted {method} but the scale is not set. This may indicate your script "
                "did not use scaler.scale(loss or outputs) earlier in the iteration."
            )

    # ----------------------------------------------------------------- settings and state

    def get_scale(self) -> float:
        """The current scale (``init_scale`` before the first ``scale``); 1.0 if disabled."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = _validate.real("set_growth_factor", new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = _validate.real("set_backoff_factor", new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = _validate.positive_int("set_growth_interval", new_interval)

    def state_dict(self) -> dict[str, Any]:
        """``{"scale", "growth_factor", "backoff_factor", "growth_interval",
        "_growth_tracker"}``, as PyTorch's; ``{}`` if disabled. Take it after ``update()``."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what ``state_dict()`` returned; nothing to do if disabled."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        missing = [key for key in self.state_dict() if key not in state_dict]
        if missing:
            raise ValueError(f"GradScaler.load_state_dict: the state dict has no {missing}")
        self._init_scale = _validate.real("scale", state_dict["scale"])
        if self._scale is not None:
            self._scale = np.float32(self._init_scale)
        self._growth_factor = _validate.real("growth_factor", state_dict["growth_factor"])
        self._backoff_factor = _validate.real("backoff_factor", state_dict["backoff_factor"])
        self._growth_interval = _validate.positive_int(
            "growth_interval", state_dict["growth_interval"]
        )
        self._growth_tracker = _validate.integer(
            "_growth_tracker", state_dict["_growth_tracker"], minimum=0
        )
