"""``autocast``: mixed precision on the CPU, as ``torch.autocast`` (``torch.amp.autocast``).

Inside ``with autocast('cpu'):`` (bfloat16 unless ``dtype`` says float16) the ops follow
PyTorch's CPU autocast lists:

* lower precision: ``@`` / ``matmul``, ``linear`` (``nn.Linear``) and
  ``scaled_dot_product_attention`` take their operands rounded to 16 bits, compute in float32
  and return the 16-bit dtype (operands of float64 or of integers leave them as they are);
* float32: the losses (``cross_entropy``, ``nll_loss``, ``mse_loss``, ``l1_loss``,
  ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``) and ``prod`` take 16-bit
  operands up to float32 and return float32;
* every other op follows its operands, with PyTorch's promotion: bfloat16 with float32 gives
  float32 (a residual ``x + attn(x)`` stays float32), bfloat16 alone stays bfloat16.

Each rounding is a cast node in the graph, so gradients flow back through it and reach every
parameter in the parameter's own dtype: float32 parameters get float32 gradients. Nothing is
cached between calls (PyTorch's ``cache_enabled`` keeps the rounded weights; here they are
rounded again at each call, which gives the same numbers).

micrograd runs on the CPU only, so as PyTorch on a machine without a GPU,
``autocast('cuda')`` (and ``micrograd.cuda.amp.autocast()``) warns and does nothing; autocast
for any other device type changes nothing on the CPU. The state is per thread and lives beside
the grad mode (``micrograd.tensors.grad_mode._autocast``), where the ops read it.

>>> import micrograd as torch
>>> x, w = torch.ones(2, 3, dtype=torch.float32), torch.ones(4, 3, dtype=torch.float32)
>>> with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
...     y = torch.nn.functional.linear(x, w)
...     z = y + torch.zeros(4, dtype=torch.float32)
>>> y.dtype, z.dtype
(dtype(bfloat16), dtype('float32'))
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from micrograd import _validate
from micrograd.tensors import dtypes
from micrograd.tensors.dtypes import as_dtype, device, float16
from micrograd.tensors.grad_mode import _autocast

__all__ = ["autocast"]

F = TypeVar("F", bound=Callable[..., Any])


class autocast:
    """Context manager and decorator: ops inside run in mixed precision (see the module).

    ``device_type``: ``'cpu'`` (or ``'cuda'``, which micrograd lacks: a warning, then
    nothing). ``dtype``: bfloat16 (the CPU's default) or float16; another dtype warns and
    disables, as PyTorch's. ``enabled=False`` turns autocast off inside an enclosing one.
    ``cache_enabled`` is accepted and changes nothing (see the module).
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device(device_type).type  # raises for a string that is no device
        self.fast_dtype = dtypes.bfloat16 if dtype is None else as_dtype(dtype, "autocast dtype")
        self._enabled = _validate.flag("autocast: enabled", enabled)
        _validate.optional_flag("autocast: cache_enabled", cache_enabled)
        if self.device == "cuda" and self._enabled:
            warnings.warn(
                "CUDA is not available (micrograd runs on the CPU). Disabling autocast: use "
                "autocast('cpu', dtype=micrograd.bfloat16) for mixed precision on the CPU.",
                UserWarning,
                # the caller's line, through micrograd.cuda.amp.autocast's __init__ or not
                stacklevel=2 if type(self).__init__ is autocast.__init__ else 3,
            )
            self._enabled = False
        if (
            self.device == "cpu"
            and self._enabled
            and self.fast_dtype not in (dtypes.bfloat16, float16)
        ):
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of micrograd.bfloat16, micrograd.float16 "
                f"currently (got {self.fast_dtype}).",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        self._saved: list[tuple[bool, Any]] = []  # a stack: one instance may be re-entered

    def __enter__(self) -> None:
        self._saved.append((_autocast.enabled, _autocast.dtype))
        if self.device == "cpu":  # autocast for another device leaves the CPU's ops alone
            _autocast.enabled = self._enabled
            if self._enabled:
                _autocast.dtype = self.fast_dtype

    def __exit__(self, *exc_info: object) -> None:
        _autocast.enabled, _autocast.dtype = self._saved.pop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def autocast_call(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return autocast_call  # type: ignore[return-value]
