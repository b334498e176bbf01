"""A checkpoint's structure as JSON, its arrays set aside: what ``save`` writes in the header's
metadata and ``load`` rebuilds (:mod:`micrograd.serialization`).

``Packer.encode`` turns a Python object into JSON. None, bools, ints, strings and finite floats
are themselves; a list is a list; everything else is an object with one tag:

=========================================== ====================================================
``{"tuple": [...]}``                        a tuple
``{"dict": [[key, value], ...]}``           a dict (``"ordered_dict"``: an OrderedDict); the
                                            keys are str, int, float, bool or None
``{"float": "nan"}``                        also ``"inf"`` and ``"-inf"`` (not JSON numbers)
``{"tensor": name}``                        a Tensor (``"parameter"``: a Parameter), with
                                            ``"requires_grad"`` where it is not the default
``{"ndarray": name}``, ``{"numpy": name}``  a NumPy array, a NumPy scalar (stored 0-d)
``{"dataclass": "module.Name",              a dataclass instance
"fields": [[name, value], ...]}``
``{"namespace": [[name, value], ...]}``     an ``argparse.Namespace``
=========================================== ====================================================

An array's ``name`` is its entry in the safetensors file, named by where it sits
(``model.lm_head.weight``). ``Unpacker`` reads it all back, checking every node, since a file
may have been crafted: anything that is not what ``Packer`` writes is a ValueError.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from micrograd.engine import Value
from micrograd.nn.module import Module
from micrograd.nn.parameter import Parameter
from micrograd.serialization._safetensors import dtype_name
from micrograd.tensors import Tensor
from micrograd.tensors.creation import from_numpy

__all__ = ["FORMAT", "Packer", "Unpacker", "global_name"]

FORMAT = 1  # the structure's layout; a later change to it would bump this
_MAX_DEPTH = 100  # levels of nesting; a checkpoint has about four
_SAVABLE = (
    "tensors, NumPy arrays, numbers, strings, None, and dicts, lists, tuples and dataclasses "
    "of them"
)


class Packer:
    """Turns a Python object into the JSON above, setting its arrays aside in ``arrays``
    under names of their own; an array met again (the same object, or the same memory viewed
    the same way, as tied weights) keeps the name it got first."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}  # name in the file -> C-contiguous array
        self._by_id: dict[int, str] = {}  # id(array or tensor) -> its name
        self._by_memory: dict[tuple[Any, ...], str] = {}  # (address, shape, strides, dtype)

    def encode(self, obj: Any, where: str, name: str, depth: int) -> Any:
        """``obj``'s JSON. ``where`` is its key path for errors (``obj['model']``); ``name``
        the name its tensor would get (``model``)."""
        if depth > _MAX_DEPTH:
            raise TypeError(
                f"{where}: nested more than {_MAX_DEPTH} levels deep (does it contain itself?)"
            )
        if obj is None or type(obj) in (bool, int, str):
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"float": repr(obj)}  # nan, inf, -inf
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            node = {kind: self._array(obj, obj.detach().numpy(), where, name)}
            if obj.requires_grad != (kind == "parameter"):
                node["requires_grad"] = obj.requires_grad
            return node
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._array(obj, obj, where, name)}
        if isinstance(obj, np.generic):
            return {"numpy": self._array(obj, np.asarray(obj), where, name)}
        if type(obj) in (list, tuple):
            items = [
                self.encode(v, f"{where}[{i}]", _join(name, i), depth + 1)
                for i, v in enumerate(obj)
            ]
            return items if type(obj) is list else {"tuple": items}
        if type(obj) in (dict, OrderedDict):
            tag = "dict" if type(obj) is dict else "ordered_dict"
            return {tag: [self._item(key, value, where, name, depth) for key, value in obj.items()]}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            fields = [
                [
                    f.name,
                    self.encode(
                        getattr(obj, f.name), f"{where}.{f.name}", _join(name, f.name), depth + 1
                    ),
                ]
                for f in dataclasses.fields(obj)
            ]
            return {"dataclass": global_name(type(obj)), "fields": fields}
        if type(obj) is argparse.Namespace:
            return {
                "namespace": [self._item(k, v, where, name, depth) for k, v in vars(obj).items()]
            }
        raise TypeError(f"{where}: {_unsavable(obj)}")

    def _item(self, key: Any, value: Any, where: str, name: str, depth: int) -> list[Any]:
        """A dict entry as ``[key, value]``; keys are what JSON and Python both can hash."""
        if not (key is None or type(key) in (bool, int, float, str)):
            raise TypeError(
                f"{where}: the key {key!r} ({type(key).__name__}) cannot be saved: dict keys "
                "may be str, int, float, bool or None"
            )
        return [
            self.encode(key, where, name, 0),
            self.encode(value, f"{where}[{key!r}]", _join(name, key), depth + 1),
        ]

    def _array(self, owner: Any, array: np.ndarray, where: str, name: str) -> str:
        """Set ``array`` aside under a free name (or the name it already has); return it."""
        if dtype_name(array.dtype) is None:
            raise TypeError(
                f"{where}: a {type(owner).__name__} of dtype {array.dtype} cannot be saved "
                "(safetensors holds bool, integer and float numbers)"
            )
        interface = array.__array_interface__
        memory = (interface["data"][0], array.shape, array.strides, array.dtype)
        known = self._by_id.get(id(owner)) or self._by_memory.get(memory)
        if known is not None:
            return known
        name = name or "obj"
        free, n = name, 1
        while free in self.arrays or free == "__metadata__":  # the header's own key
            n += 1
            free = f"{name}#{n}"
        self.arrays[free] = array if array.flags.c_contiguous else array.copy(order="C")
        self._by_id[id(owner)] = self._by_memory[memory] = free
        return free


def _join(name: str, key: Any) -> str:
    return f"{name}.{key}" if name else str(key)


def _unsavable(obj: Any) -> str:
    """Why ``obj`` cannot be saved, with what to save instead where there is a way."""
    if isinstance(obj, Module):
        return f"a Module ({type(obj).__name__}) cannot be saved; save its state_dict()"
    if isinstance(obj, Value):
        return "a Value cannot be saved; save its .data (a float)"
    if isinstance(obj, (set, frozenset)):
        return f"a {type(obj).__name__} cannot be saved; save it as a sorted list"
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return f"a namedtuple ({type(obj).__name__}) cannot be saved; save tuple(x) or x._asdict()"
    if isinstance(obj, type):
        what = f"a class ({obj.__qualname__})"
    elif callable(obj):
        what = "a function"
    elif type(obj).__module__ == "builtins":
        what = f"a {type(obj).__qualname__}"
    else:
        what = f"a {global_name(type(obj))}"
    return f"{what} cannot be saved (save takes {_SAVABLE})"


class Unpacker:
    """Rebuilds what ``Packer`` encoded, from the JSON and the file's arrays."""

    def __init__(
        self, path: str, arrays: dict[str, np.ndarray], allowed: Mapping[str, Any]
    ) -> None:
        self.path = path
        self.arrays = arrays
        self.allowed = allowed  # add_safe_globals' classes, by the name a file uses
        self._loaded: dict[tuple[Any, ...], Any] = {}  # one object per stored array and kind
        self._tags: dict[str, Callable[[dict[str, Any], str, int], Any]] = {
            "tuple": self._tuple,
            "dict": self._dict,
            "ordered_dict": self._dict,
            "float": self._float,
            "tensor": self._tensor,
            "parameter": self._tensor,
            "ndarray": self._ndarray,
            "numpy": self._ndarray,
            "dataclass": self._dataclass,
            "namespace": self._namespace,
        }

    def load(self, structure: str) -> Any:
        """The object the JSON ``structure`` (``{"format": 1, "root": ...}``) describes."""
        try:
            document = json.loads(structure)
        except (ValueError, RecursionError) as e:
            raise self._damaged(f"its structure is not JSON ({e})") from None
        if not isinstance(document, dict) or not isinstance(document.get("format"), int):
            raise self._damaged("its structure has no format number")
        if document["format"] > FORMAT:
            raise ValueError(
                f"{self.path}: written by a newer micrograd (checkpoint format "
                f"{document['format']}); upgrade micrograd to read it"
            )
        obj = self.decode(document.get("root"), "obj", 0)
        unused = sorted(set(self.arrays) - {key[1] for key in self._loaded})
        if unused:
            raise self._damaged(f"the arrays {unused[:5]} are in no part of its structure")
        return obj

    def decode(self, node: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self._damaged(f"{where} is nested more than {_MAX_DEPTH} levels deep")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]
        tags = [key for key in node if key in self._tags] if type(node) is dict else []
        if len(tags) != 1:
            raise self._damaged(f"{where} is not a value micrograd wrote")
        return self._tags[tags[0]](node, where, depth)

    def _tuple(self, node: dict[str, Any], where: str, depth: int) -> tuple[Any, ...]:
        return tuple(self.decode(self._field(node, "tuple", list, where), where, depth))

    def _dict(self, node: dict[str, Any], where: str, depth: int) -> dict[Any, Any]:
        ordered = "ordered_dict" in node
        pairs = self._field(node, "ordered_dict" if ordered else "dict", list, where)
        out = OrderedDict() if ordered else {}
        for key, value in self._pairs(pairs, where):
            key = self.decode(key, where, depth + 1)
            if not (key is None or type(key) in (bool, int, float, str)):
                raise self._damaged(f"{where} has a key that is not a str, number or None")
            out[key] = self.decode(value, f"{where}[{key!r}]", depth + 1)
        return out

    def _float(self, node: dict[str, Any], where: str, depth: int) -> float:
        text = self._field(node, "float", str, where)
        if text not in ("nan", "inf", "-inf"):
            raise self._damaged(f"{where} is not a float")
        return float(text)

    def _tensor(self, node: dict[str, Any], where: str, depth: int) -> Any:
        kind = "parameter" if "parameter" in node else "tensor"
        name = self._field(node, kind, str, where)
        requires_grad = node.get("requires_grad", kind == "parameter")
        if type(requires_grad) is not bool:
            raise self._damaged(f"{where} has a requires_grad that is not true or false")

        def build(array: np.ndarray) -> Tensor:
            if kind == "parameter":
                return Parameter(array, requires_grad)
            return from_numpy(array).requires_grad_(requires_grad)

        try:
            return self._restore((kind, name, requires_grad), where, build)
        except (TypeError, ValueError, RuntimeError) as e:
            raise self._damaged(f"{where} cannot be a tensor ({e})") from None

    def _ndarray(self, node: dict[str, Any], where: str, depth: int) -> Any:
        kind = "numpy" if "numpy" in node else "ndarray"
        name = self._field(node, kind, str, where)
        if kind == "ndarray":
            return self._restore((kind, name), where, lambda array: array)
        scalar = self._restore((kind, name), where, lambda array: array[()])
        if not isinstance(scalar, np.generic):
            raise self._damaged(f"{where} is a NumPy scalar with a shape")
        return scalar

    def _dataclass(self, node: dict[str, Any], where: str, depth: int) -> Any:
        name = self._field(node, "dataclass", str, where)
        cls = self._allowed_class(name, where)
        values = dict(self._pairs(self._field(node, "fields", list, where), where, names=True))
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(map(str, set(values) - set(fields)))
        if unknown:
            raise ValueError(
                f"{self.path}: {where} holds the fields {unknown}, which {name} no longer has"
            )
        values = {k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in values.items()}
        try:
            obj = cls(**{k: v for k, v in values.items() if fields[k].init})
        except Exception as e:  # the user's own class: whatever its __init__ raises
            raise ValueError(f"{self.path}: {where}: {name}(...) failed: {e}") from None
        for k, v in values.items():
            if not fields[k].init:  # set after __init__, as unpickling would
                object.__setattr__(obj, k, v)
        return obj

    def _namespace(self, node: dict[str, Any], where: str, depth: int) -> argparse.Namespace:
        items = self._pairs(self._field(node, "namespace", list, where), where, names=True)
        values = {k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in items}
        return argparse.Namespace(**values)

    def _allowed_class(self, name: str, where: str) -> type:
        """The dataclass allowed under ``name``, or a ValueError saying how to allow it."""
        cls = self.allowed.get(name)
        if isinstance(cls, tuple):
            cls = cls[0]
        if cls is None:
            short = name.rpartition(".")[2]
            hint = ""
            for other in self.allowed:
                if other.rpartition(".")[2] == short:
                    hint = (
                        f" (the class allowed as {other} has another module; allow it under the "
                        f"saved name with add_safe_globals([({short}, {name!r})]))"
                    )
            raise ValueError(
                f"{self.path}: {where} is a {name}, which load rebuilds only once allowed: call "
                f"micrograd.serialization.add_safe_globals([{short}]) first{hint}"
            )
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError(
                f"{self.path}: {where} is a {name}, which is allowed but not a dataclass"
            )
        return cls

    # helpers

    def _field(self, node: dict[str, Any], key: str, kind: type, where: str) -> Any:
        value = node.get(key)
        if type(value) is not kind:
            raise self._damaged(f"{where} has no {key} of type {kind.__name__}")
        return value

    def _pairs(self, pairs: list[Any], where: str, names: bool = False) -> list[Any]:
        """``[[key, value], ...]`` checked; with ``names``, every key a string."""
        if not all(type(p) is list and len(p) == 2 for p in pairs):
            raise self._damaged(f"{where} is not a list of [key, value] pairs")
        if names and not all(type(p[0]) is str for p in pairs):
            raise self._damaged(f"{where} has a name that is not a string")
        return pairs

    def _restore(self, key: tuple[Any, ...], where: str, build: Callable[[Any], Any]) -> Any:
        """The object made from the array ``key[1]`` as ``key[0]``: one per array and kind, so
        an array stored once for two keys loads as one object, as it was saved."""
        if key not in self._loaded:
            if key[1] not in self.arrays:
                raise self._damaged(f"{where} names an array {key[1]!r} that is not in the file")
            self._loaded[key] = build(self.arrays[key[1]])
        return self._loaded[key]

    def _damaged(self, problem: str) -> ValueError:
        return ValueError(f"{self.path}: not a checkpoint micrograd can read: {problem}")


def global_name(obj: Any) -> str:
    """The name a class is saved and allowed under: ``module.QualName``."""
    return f"{obj.__module__}.{obj.__qualname__}"
