"""The base ``Optimizer``: parameter groups, ``zero_grad``, ``step``'s loop and ``state_dict``.

Each optimizer (:mod:`micrograd.optim.sgd`, :mod:`micrograd.optim.adam`) only says how much
one parameter moves (``_update``); everything around it is here, with PyTorch's API. The same
code serves both engines:

* a ``Tensor`` parameter's arrays (``_data``, ``_grad``, what ``.data`` and ``.grad`` show) are
  read as they are, and ``_data`` is updated in place, so anything holding it sees the new
  values, and the dtype (float32 or float64) is kept;
* a ``Value`` parameter's ``.data`` and ``.grad`` are floats. The data is read into a 0-d
  array so the formulas run unchanged, and written back as a plain float.

Parameter groups, as PyTorch's: ``params`` is a list of parameters, or a list of dicts, each
with its own ``"params"`` and any hyper-parameters that differ from the defaults::

    opt = SGD([{"params": model[0].parameters()},
               {"params": model[2].parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from micrograd import _validate
from micrograd.engine import Value
from micrograd.tensors import Tensor
from micrograd.tensors.dtypes import is_float

Parameter = Value | Tensor
Check = Callable[[str, Any], Any]


class Optimizer:
    """Base class: the parameter groups, each parameter's state, and the loop over them.

    ``param_groups`` is a list of dicts, each holding ``"params"`` (a list) and that group's
    hyper-parameters; a learning-rate schedule changes ``group["lr"]`` in place and the next
    ``step`` uses it. ``state`` maps ``id(parameter)`` to that parameter's buffers (PyTorch
    keys it by the parameter itself; ``state_dict`` numbers parameters as PyTorch does).
    ``defaults`` holds the hyper-parameters given to the constructor.

    Subclasses set ``_checks`` (hyper-parameter name -> check returning the normalised
    value) and define ``_update``.
    """

    _checks: dict[str, Check] = {}
    # Options a saved group may lack (PyTorch added them over its versions): filled in with
    # these defaults on load, as PyTorch's __setstate__ does.
    _option_defaults: dict[str, Any] = {}

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        owner = type(self).__name__
        self.defaults = {name: self._checks[name](name, value) for name, value in defaults.items()}
        self._check_group(self.defaults, "")
        self.state: dict[int, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        for group in _as_groups(params, owner):
            self.add_param_group(group)

    # ----------------------------------------------------------------- groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group: a dict with ``"params"`` and any hyper-parameters to override.

        Hyper-parameters not given take the optimizer's defaults. A parameter may belong to
        one group only. Useful to train layers at their own rate, or to add layers that were
        frozen so far.
        """
        owner = type(self).__name__
        where = f"{owner}: param_groups[{len(self.param_groups)}]"
        if not isinstance(param_group, dict):
            raise TypeError(f"{where} must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{where} has no 'params' entry")
        params = _check_params(param_group["params"], where)
        group = dict(param_group)
        for name, value in group.items():
            if name in self._checks:
                group[name] = self._checks[name](f"{where}: {name}", value)
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._check_group(group, f"{where}: ")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{owner}: some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        """Checks across a group's hyper-parameters (SGD: nesterov needs momentum)."""
        _check_implementation(group, where)

    # ----------------------------------------------------------------- the step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient before the next ``backward``.

        A Tensor's grad becomes None (``set_to_none=True``, PyTorch's default) or is zeroed in
        place (the same array, so anything holding it sees zeros); a Value's grad, a float
        that backward accumulates into, becomes 0.0 either way.
        """
        _validate.flag("set_to_none", set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none or p._grad is None:
                    p.grad = None
                else:
                    p._grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (a Tensor whose grad is None is skipped).

        ``closure``, as in PyTorch, recomputes and returns the loss (zero_grad, forward,
        backward); it runs first and its loss is returned. Without it, returns None.
        """
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):  # a 0-d array, so in-place updates work as on a Tensor
                    data, grad = np.array(p.data), np.float64(p.grad)
                elif p._grad is None:
                    continue
                else:
                    data, grad = p._data, p._grad
                    if grad.shape != data.shape:
                        raise ValueError(
                            f"{type(self).__name__}.step: a parameter of shape {data.shape} has "
                            f"a gradient of shape {grad.shape}"
                        )
                state = self.state.get(id(p), {})
                data -= self._update(data, grad, state, group)  # in place: keeps identity, dtype
                if state:  # plain SGD keeps none, and then has no entry (as in PyTorch)
                    self.state[id(p)] = state
                if isinstance(p, Value):
                    p.data = float(data)
                else:  # an in-place write: a graph built before it can no longer backward
                    p._bump_version()
        return loss

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        """How much to subtract from ``param`` this step. May update ``param`` in place first."""
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    # ----------------------------------------------------------------- saving and loading

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out, to save and load back later.

        ``{"state": {index: {"step": ..., "exp_avg": array, ...}}, "param_groups": [{"lr": ...,
        "params": [index, ...]}, ...]}``: parameters are numbered 0, 1, ... across the groups
        in order, and only those with state appear in ``"state"``. Arrays are copies (PyTorch
        shares its tensors with the optimizer; here a state_dict is a snapshot that later
        steps do not change).
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {name: value for name, value in group.items() if name != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[key]: {name: _copy(value) for name, value in buffers.items()}
            for key, buffers in self.state.items()
            if key in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what ``state_dict()`` returned, for an optimizer over the same parameters.

        Groups must match in number and size, as in PyTorch; the hyper-parameters come from
        the saved groups, the parameters stay this optimizer's. Arrays are copied and cast to
        their parameter's dtype. Anything that does not fit is a ValueError (or TypeError)
        naming it, and the optimizer is left unchanged.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(f"{owner}: expected a dict with 'state' and 'param_groups'")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict):
            raise TypeError(f"{owner}: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{owner}: loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}, this optimizer has {len(self.param_groups)})"
            )
        by_index: dict[int, Parameter] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            where = f"{owner}: param_groups[{i}]"
            if not isinstance(saved, dict) or not isinstance(saved.get("params"), (list, tuple)):
                raise TypeError(f"{where} must be a dict with a 'params' list")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{where} has {len(saved['params'])} parameters, this optimizer's group "
                    f"has {len(group['params'])}"
                )
            for index, p in zip(saved["params"], group["params"], strict=True):
                index = _validate.integer(f"{where}: a parameter index", index, minimum=0)
                if index in by_index:
                    raise ValueError(f"{where}: parameter index {index} is listed twice")
                by_index[index] = p
            new = {name: value for name, value in saved.items() if name != "params"}
            for name, value in self._option_defaults.items():
                new.setdefault(name, value)
            missing = [name for name in self._checks if name not in new]
            if missing:
                raise ValueError(
                    f"{where} has no {', '.join(missing)}: is it another optimizer's state?"
                )
            for name in self._checks:
                new[name] = self._checks[name](f"{where}: {name}", new[name])
            self._check_group(new, f"{where}: ")
            self._check_loaded_group(new, where)
            new_groups.append(new)
        state = {}
        for index, buffers in saved_state.items():
            p = by_index.get(index) if _validate.is_integer(index) else None
            if p is None:
                raise ValueError(f"{owner}: state for parameter {index!r}, which no group lists")
            if not isinstance(buffers, dict):
                raise TypeError(f"{owner}: state[{index}] must be a dict")
            state[id(p)] = {
                name: _load_buffer(name, value, p, f"{owner}: state[{index}]")
                for name, value in buffers.items()
            }
        # Everything checked: now change the optimizer, editing the groups in place (a
        # schedule or the user may hold them).
        for group, new in zip(self.param_groups, new_groups, strict=True):
            params = group["params"]
            group.clear()
            group.update(new, params=params)
        self.state = state

    def _check_loaded_group(self, group: dict[str, Any], where: str) -> None:
        """Adjust or refuse a loaded group's options beyond their own checks (AdamW's weight
        decay is always decoupled)."""

    def __repr__(self) -> str:
        parts = []
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v!r}" for k, v in group.items() if k != "params")
            shown = f"{len(group['params'])} parameters, {settings}"
            parts.append(shown if len(self.param_groups) == 1 else f"group {i}: {shown}")
        return f"{type(self).__name__}({'; '.join(parts)})"


# --------------------------------------------------------------------- helpers

# PyTorch's options that choose how a step is computed rather than what it computes. On a CPU,
# in NumPy, micrograd has one way:
# - foreach (one kernel over all parameters) and fused (one kernel per step, which PyTorch has
#   on CPUs too) compute the step the for-loop computes: accepted, kept in the groups as given,
#   and the numbers are the same;
# - capturable (a step CUDA graphs can record) is for GPU parameters: PyTorch refuses it for
#   parameters on the CPU at the first step, micrograd at once;
# - differentiable (a step recorded in the graph, for parameters computed from others):
#   micrograd's optimizers update leaf tensors in place, outside any graph, so it is refused.
IMPLEMENTATION_OPTIONS = {
    "foreach": _validate.optional_flag,
    "capturable": _validate.flag,
    "differentiable": _validate.flag,
    "fused": _validate.optional_flag,
}


def _check_implementation(group: dict[str, Any], where: str) -> None:
    if group.get("fused") and group.get("differentiable"):
        raise RuntimeError(f"{where}`fused` does not support `differentiable`")
    if group.get("fused") and group.get("foreach"):
        raise RuntimeError(f"{where}`fused` and `foreach` cannot be `True` together.")
    if group.get("capturable"):
        raise RuntimeError(
            f"{where}capturable=True needs parameters on a GPU (CUDA graphs); micrograd's are "
            "on the CPU, where PyTorch refuses it too: leave capturable=False"
        )
    if group.get("differentiable"):
        raise RuntimeError(
            f"{where}differentiable=True is not supported: micrograd's optimizers update leaf "
            "tensors in place, outside the graph; write the update as tensor operations to "
            "differentiate through it"
        )


def _copy(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _load_buffer(name: str, value: Any, p: Parameter, where: str) -> Any:
    """One saved state entry, checked against its parameter: counts as ints, arrays cast to
    the parameter's dtype and required to have its shape."""
    if name == "step":
        step = np.asarray(value)
        if step.shape != () or not np.isfinite(step) or step < 0 or step != np.floor(step):
            raise ValueError(f"{where}['step'] must be a whole number >= 0, got {value!r}")
        return int(step)
    if isinstance(value, (bool, str)) or value is None:
        return value  # not a buffer: kept as saved
    dtype, shape = (np.float64, ()) if isinstance(p, Value) else (p.dtype, p.shape)
    array = np.asarray(value).astype(dtype, copy=True)
    if array.shape != shape:
        raise ValueError(
            f"{where}['{name}'] has shape {array.shape}, its parameter has shape {shape}"
        )
    return array


def _as_groups(params: object, owner: str) -> list[dict[str, Any]]:
    """``params`` as a list of group dicts: a list of parameters is one group."""
    if isinstance(params, (Value, Tensor)):
        raise TypeError(
            f"{owner}: params must be an iterable of parameters, got a single "
            f"{type(params).__name__}; pass [param] or model.parameters()"
        )
    if hasattr(params, "parameters") and not isinstance(params, (list, tuple)):
        raise TypeError(
            f"{owner}: params must be an iterable of parameters, got a "
            f"{type(params).__name__}; pass model.parameters()"
        )
    try:
        items = list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Value or Tensor parameters (or of "
            f"parameter groups), got {type(params).__name__}"
        ) from None
    if not items:
        raise ValueError(f"{owner}: got an empty parameter list; nothing to optimize")
    dicts = [isinstance(item, dict) for item in items]
    if all(dicts):
        return items
    if any(dicts):
        raise TypeError(f"{owner}: params mixes parameter groups (dicts) and parameters")
    return [{"params": items}]


def _check_params(params: object, where: str) -> list[Parameter]:
    """A group's ``params`` as a list of distinct Values or leaf Tensors. A frozen tensor
    (``requires_grad=False``) is welcome, as in PyTorch: it gets no gradient, and ``step``
    skips a parameter whose grad is None, so a layer frozen now can be unfrozen later."""
    if isinstance(params, (Value, Tensor)):
        return [params]  # PyTorch accepts a single parameter in a group
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{where}: params must be an ordered collection such as a list, not a set "
            "(a set's order changes from run to run, and state_dict relies on the order)"
        )
    try:
        params = list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"{where}: params must be an iterable of Value or Tensor parameters, "
            f"got {type(params).__name__}"
        ) from None
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(
                f"{where}: params[{i}] is a {type(p).__name__}; "
                "every parameter must be a Value or a Tensor"
            )
        if isinstance(p, Tensor):
            if p._prev:
                raise ValueError(
                    f"{where}: params[{i}] is computed from other tensors (op "
                    f"{p._op!r}); only leaf tensors can be optimized"
                )
            if not is_float(p.dtype):
                raise TypeError(f"{where}: params[{i}] has dtype {p.dtype}; it must be float")
        if id(p) in seen:
            raise ValueError(
                f"{where}: params[{i}] appears more than once; it would be updated twice per step"
            )
        seen.add(id(p))
    return params
