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

The file is safetensors (https://github.com/huggingface/safetensors; read and written in
``_safetensors.py``): 8 bytes giving the length of a JSON header, the header (each tensor's
dtype, shape and byte range), then the raw bytes. Reading one runs nothing, unlike the pickles
``torch.save`` writes. The tensors of a checkpoint are named by where they sit
(``model.transformer.wte.weight``, ``optimizer.state.0.exp_avg``), and the rest of the
structure is JSON kept in the header's ``__metadata__`` (``_structure.py``), so
``safetensors.torch.load_file`` reads the tensors too, and a plain state dict is saved under
its own names, as PyTorch's ``safetensors.torch`` would.

A tensor stored twice (the same object, or two tensors viewing the same memory, as tied
weights in a state dict are) is written once, and loads back as one object under both keys
(safetensors itself refuses such tensors). Views that overlap only in part are written as
copies. Other repeated objects (a list held twice) come back as two equal copies.

Dataclasses are rebuilt only from classes the user has allowed, with PyTorch's call,
``micrograd.serialization.add_safe_globals([GPTConfig])``: loading never imports a module or
calls a class that the file names, so a file cannot make you run code you did not choose.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from micrograd._files import write_atomically
from micrograd.nn.module import Module
from micrograd.serialization._safetensors import file_parts, read_file
from micrograd.serialization._structure import FORMAT, Packer, Unpacker, global_name
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
_METADATA = {"format": "np", "library": "micrograd"}


# --------------------------------------------------------------------- allowed dataclasses

_safe_globals: dict[str, Any] = {}  # the name a file uses -> what add_safe_globals was given


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allow these classes to be rebuilt by ``load``, as PyTorch's function of this name.

    Each item is a class, or ``(cls, "module.Name")`` to give the name it was saved under
    (a class defined in a script is saved as ``__main__.GPTConfig``; the script that loads it
    may import it from elsewhere). micrograd rebuilds dataclasses only; other items (NumPy's
    functions, which PyTorch needs allowed to load arrays) are accepted and not needed here.
    """
    names = {}
    for item in safe_globals:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            names[item[1]] = item
        elif callable(item) and hasattr(item, "__qualname__"):
            names[global_name(item)] = item
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
    packer = Packer()
    root = packer.encode(obj, "obj", "", 0)
    structure = json.dumps({"format": FORMAT, "root": root}, allow_nan=False, ensure_ascii=False)
    metadata = {**_METADATA, _STRUCTURE_KEY: structure}
    write_atomically(path, file_parts(packer.arrays, metadata))


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
    return Unpacker(path, arrays, _safe_globals).load(metadata[_STRUCTURE_KEY])


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
