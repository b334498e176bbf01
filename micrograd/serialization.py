"""Checkpoints without pickle: ``micrograd.save(obj, path)`` and ``micrograd.load(path)``.

``obj`` is what training scripts save with ``torch.save``: a state dict, or a checkpoint such as
nanoGPT's ``{'model': model.state_dict(), 'optimizer': optimizer.state_dict(), 'model_args':
{...}, 'iter_num': 5, 'best_val_loss': loss, 'config': {...}}`` or build-nanogpt's, which holds
its ``GPTConfig`` dataclass. It may nest dicts (``OrderedDict`` too; keys str, int, float, bool
or None), lists and tuples of tensors, NumPy arrays and scalars, ints, floats, bools, strings,
None, dataclass instances and ``argparse.Namespace``. Everything comes back as it went in, as
the same Python types: an optimizer's integer keys stay ints, ``betas`` stays a tuple, ``step``
an int, a float array a float array, a Tensor a Tensor of its dtype (a Parameter a Parameter).
Anything else is a TypeError naming where it sits: ``obj['config']['fn']: a function cannot be
saved``. A Module given as ``obj`` is saved as its ``state_dict()``.

The file is safetensors (https://github.com/huggingface/safetensors): 8 bytes giving the
length of a JSON header, the header (each tensor's dtype, shape and byte range), then the raw
bytes. Reading one runs nothing, unlike the pickles ``torch.save`` writes. The tensors of a
checkpoint are named by where they sit (``model.transformer.wte.weight``,
``optimizer.state.0.exp_avg``), and the rest of the structure is JSON kept in the header's
``__metadata__`` (see ``_Packer``), so ``safetensors.torch.load_file`` reads the tensors too,
and a plain state dict is saved under its own names, as PyTorch's ``safetensors.torch`` would.

A tensor stored twice (the same object, or two tensors viewing the same memory, as tied
weights in a state dict are) is written once, and loads back as one object under both keys
(safetensors itself refuses such tensors). Views that overlap only in part are written as
copies. Other repeated objects (a list held twice) come back as two equal copies.

Dataclasses are rebuilt only from classes the user has allowed, with PyTorch's call,
``micrograd.serialization.add_safe_globals([GPTConfig])``: loading never imports a module or
calls a class that the file names, so a file cannot make you run code you did not choose.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from micrograd._files import write_atomically
from micrograd._safetensors import DTYPE_NAMES, file_parts, read_file
from micrograd.engine import Value
from micrograd.nn.module import Module
from micrograd.nn.parameter import Parameter
from micrograd.tensors import Tensor, dtypes
from micrograd.tensors.creation import from_numpy

__all__ = [
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "safe_globals",
    "save",
]

_STRUCTURE_KEY = "micrograd"  # where in the header's __metadata__ the structure is kept
_FORMAT = 1  # the structure's layout; a later change to it would bump this
_METADATA = {"format": "np", "library": "micrograd"}
_MAX_DEPTH = 100  # levels of nesting; a checkpoint has about four
_SAVABLE = (
    "tensors, NumPy arrays, numbers, strings, None, and dicts, lists, tuples and dataclasses "
    "of them"
)


# --------------------------------------------------------------------- allowed dataclasses

_safe_globals: dict[str, Any] = {}  # the name a file uses -> what add_safe_globals was given


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allow these classes to be rebuilt by ``load``, as PyTorch's function of this name.

    Each item is a class, or ``(cls, "module.Name")`` to give the name it was saved under
    (a class defined in a script is saved as ``__main__.GPTConfig``; the script that loads it
    may import it from elsewhere). micrograd rebuilds dataclasses only; other items (NumPy's
    functions, which PyTorch needs allowed to load arrays) are accepted and not needed here.
    """
    items = list(safe_globals)
    names = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            names[item[1]] = item
        elif callable(item) and hasattr(item, "__qualname__"):
            names[_global_name(item)] = item
        else:
            raise TypeError(
                "add_safe_globals expects a list of classes or (class, 'module.Name') pairs, "
                f"got {item!r}"
            )
    _safe_globals.update(names)


def get_safe_globals() -> list[Any]:
    """The classes (and ``(cls, name)`` pairs) ``add_safe_globals`` has allowed."""
    return list(_safe_globals.values())


def clear_safe_globals() -> None:
    """Forget every class ``add_safe_globals`` allowed."""
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: Iterable[Any]) -> Iterator[None]:
    """``with safe_globals([GPTConfig]): ...`` allows the classes inside the block only."""
    before = dict(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals.clear()
        _safe_globals.update(before)


def _global_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


# --------------------------------------------------------------------- save


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (a checkpoint, a state dict, any of what the module docstring lists; a
    Module is saved as its ``state_dict()``) to ``path`` as safetensors.

    The file is written to a temporary file in the same folder and renamed over ``path`` only
    once complete, so a failure (full disk, interruption) never leaves a half-written file and
    never damages an existing one (:mod:`micrograd._files`). Something that cannot be saved
    is a TypeError naming where it sits, before anything is written.
    """
    if isinstance(obj, Module):
        obj = obj.state_dict()
    packer = _Packer()
    root = packer.encode(obj, "obj", "", 0)
    structure = json.dumps({"format": _FORMAT, "root": root}, allow_nan=False, ensure_ascii=False)
    metadata = {**_METADATA, _STRUCTURE_KEY: structure}
    write_atomically(path, file_parts(packer.arrays, metadata))


class _Packer:
    """Turns a Python object into JSON, setting its arrays aside under names of their own.

    The JSON: None, bools, ints, strings and finite floats are themselves; a list is a list;
    everything else is an object with one tag: ``{"tuple": [...]}``, ``{"dict": [[key, value],
    ...]}`` (``"ordered_dict"`` for an OrderedDict), ``{"float": "nan"}`` (also ``"inf"``,
    ``"-inf"``), ``{"tensor": name}`` (``"parameter"``, with ``"requires_grad"`` where it is not
    the default), ``{"ndarray": name}``, ``{"numpy": name}`` (a NumPy scalar, stored 0-d),
    ``{"dataclass": "module.Name", "fields": [[name, value], ...]}``, ``{"namespace": [[name,
    value], ...]}``.
    """

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
            return {"dataclass": _global_name(type(obj)), "fields": fields}
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
        if array.dtype not in DTYPE_NAMES:
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
        what = f"a {_global_name(type(obj))}"
    return f"{what} cannot be saved (save takes {_SAVABLE})"


# --------------------------------------------------------------------- load


def load(
    f: str | os.PathLike[str] | Module,
    map_location: Any = None,
    weights_only: bool | None = True,
    *,
    strict: bool | None = None,
) -> Any:
    """Read what ``save`` wrote to the file ``f``, as ``torch.load(f, map_location,
    weights_only)`` does.

    Tensors come back as micrograd Tensors of their dtype, NumPy arrays as arrays, and the rest
    as saved (see the module docstring). A plain safetensors file, as PyTorch's
    ``safetensors.torch.save_file`` writes, loads as ``{name: Tensor}``.

    ``map_location``: None, ``'cpu'`` or ``micrograd.device('cpu')`` (or a dict mapping
    ``'cpu'`` to one of them). micrograd has one device, so asking for another (``'cuda'``)
    is the RuntimeError PyTorch raises on a machine without CUDA. ``weights_only``: True and
    False do the same, since nothing is ever unpickled; in particular False does not lift the
    rule that dataclasses are rebuilt only once allowed (``add_safe_globals``).

    ``load(module, path)``, micrograd's older form, loads the state dict in ``path`` into
    ``module`` (with ``strict``, as ``load_state_dict``) and returns the module; a file that
    does not fit is a ValueError naming it, and leaves the module unchanged.

    Errors name the file: FileNotFoundError and IsADirectoryError as ``open`` gives them,
    ValueError for a device or pipe (only regular files are read), for a file written by
    ``torch.save`` (with how to bring it over) and for anything not valid safetensors (the
    header is checked before any array is read, so a huge or endless file is refused at once),
    and for a dataclass whose class was not allowed (with the call that allows it).
    """
    if isinstance(f, Module):
        return _load_into(f, map_location, True if strict is None else strict)
    if strict is not None:
        raise TypeError("load(path): strict= goes with load(module, path) only")
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"load expects a path (or a Module and a path), got {type(f).__name__}; "
            "micrograd reads files by name"
        )
    _check_map_location(map_location)
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    path = os.fspath(f)
    arrays, metadata = read_file(path)
    if _STRUCTURE_KEY not in metadata:  # a plain state dict: safetensors' own or older micrograd
        return {name: from_numpy(array) for name, array in arrays.items()}
    return _Unpacker(path, arrays).load(metadata[_STRUCTURE_KEY])


def _load_into(module: Module, path: Any, strict: bool) -> Module:
    if path is None:
        raise TypeError("load(module, path): the path is missing")
    path = os.fspath(path)
    state = load(path)
    is_state_dict = isinstance(state, Mapping) and all(
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray)) for k, v in state.items()
    )
    if not is_state_dict:
        raise ValueError(
            f"{path}: holds a {type(state).__name__}, not a state dict of tensors; read it with "
            "micrograd.load(path) and give the state dict in it (nanoGPT's checkpoint['model'])"
            " to module.load_state_dict"
        )
    try:
        module.load_state_dict(state, strict=strict)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
    return module


def _check_map_location(map_location: Any) -> None:
    """Refuse anything but the CPU, as PyTorch does on a machine without CUDA."""
    if callable(map_location) and not isinstance(map_location, (str, dtypes.device)):
        raise TypeError(
            "load: map_location as a function is not supported: micrograd has one device; "
            "pass map_location='cpu' or leave it out"
        )
    target = map_location.get("cpu") if isinstance(map_location, Mapping) else map_location
    try:
        dtypes.as_device(target)
    except (RuntimeError, TypeError):
        raise RuntimeError(
            f"load: map_location={map_location!r} asks for a device micrograd does not have "
            "(it runs on the CPU only); pass map_location='cpu' or leave it out"
        ) from None


class _Unpacker:
    """Rebuilds what ``_Packer`` encoded, from the JSON and the file's arrays."""

    def __init__(self, path: str, arrays: dict[str, np.ndarray]) -> None:
        self.path = path
        self.arrays = arrays
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
        try:
            document = json.loads(structure)
        except (ValueError, RecursionError) as e:
            raise self._damaged(f"its structure is not JSON ({e})") from None
        if not isinstance(document, dict) or not isinstance(document.get("format"), int):
            raise self._damaged("its structure has no format number")
        if document["format"] > _FORMAT:
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
        cls = _allowed_class(self.path, name, where)
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


def _allowed_class(path: str, name: str, where: str) -> type:
    """The dataclass allowed under ``name``, or a ValueError saying how to allow it."""
    cls = _safe_globals.get(name)
    if isinstance(cls, tuple):
        cls = cls[0]
    if cls is None:
        short = name.rpartition(".")[2]
        hint = ""
        for other in _safe_globals:
            if other.rpartition(".")[2] == short:
                hint = (
                    f" (the class allowed as {other} has another module; allow it under the "
                    f"saved name with add_safe_globals([({short}, {name!r})]))"
                )
        raise ValueError(
            f"{path}: {where} is a {name}, which load rebuilds only once allowed: call "
            f"micrograd.serialization.add_safe_globals([{short}]) first{hint}"
        )
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"{path}: {where} is a {name}, which is allowed but not a dataclass")
    return cls
