"""What a tensor's numbers are (dtypes) and where they live (the device): PyTorch's names.

A dtype is a NumPy dtype object, so ``t.dtype == micrograd.float32`` and
``t.dtype == np.float32`` both hold for a float32 tensor, and ``dtype=`` takes either.
``bfloat16`` is ml_dtypes' (the NumPy extension JAX uses), made on first use: importing
ml_dtypes takes about 0.6 s, twice micrograd's own import, so a program that never names
bfloat16 never pays for it. NumPy gives ml_dtypes' dtypes the kind ``'V'`` (void), so "is it a
float" is asked through ``is_float``, never ``dtype.kind == 'f'`` alone.
PyTorch's short aliases (``micrograd.float`` is float32, ``double`` float64, ``long`` int64,
``int`` int32, ``half`` float16, ``bool``) are defined in ``micrograd/__init__.py``: written
here they would shadow the builtins this module uses.

The default dtype, what Python floats become and what layers and ``zeros``, ``randn``... make,
is float32, as PyTorch's. ``set_default_dtype(micrograd.float64)`` switches: for comparing
gradients with finite differences (``gradcheck`` wants float64 inputs), where float32's
rounding could hide a wrong rule. Tensors made from NumPy arrays keep the arrays' dtype.

micrograd computes on the CPU only; ``device`` exists so that code written for PyTorch
(``device='cpu'``, ``x.to(device)``, ``torch.device('cuda' if ... else 'cpu')``) runs as is.
"""

from __future__ import annotations

import functools
import numbers
import operator
from typing import Any

import numpy as np

__all__ = [
    "bfloat16",  # noqa: F822 (made on first use by __getattr__ below)
    "bool_",
    "device",
    "finfo",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "iinfo",
    "result_type",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_floating_point",
    "set_default_dtype",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
bool_ = np.dtype(np.bool_)

SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64)
SUPPORTED += (bool_,)
_NAMES = (
    "float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8 (to uint64) and bool"
)

# PyTorch's legacy tensor type names, for Tensor.type(): 'torch.FloatTensor' and the like.
TYPE_NAMES = {
    float16: "HalfTensor",
    float32: "FloatTensor",
    float64: "DoubleTensor",
    int8: "CharTensor",
    int16: "ShortTensor",
    int32: "IntTensor",
    int64: "LongTensor",
    uint8: "ByteTensor",
    uint16: "UInt16Tensor",
    uint32: "UInt32Tensor",
    uint64: "UInt64Tensor",
    bool_: "BoolTensor",
}


def __getattr__(name: str) -> Any:
    """``bfloat16``, imported on first use (a module ``__getattr__``, PEP 562)."""
    if name == "bfloat16":
        return _bfloat16()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _bfloat16() -> np.dtype:
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def is_bfloat16(dtype: np.dtype) -> bool:
    """True for bfloat16 (checked by name: no need to import ml_dtypes to say no)."""
    return dtype.kind == "V" and dtype.name == "bfloat16"


def is_float(dtype: np.dtype) -> bool:
    """True for the floating-point dtypes: float16, bfloat16, float32, float64."""
    return dtype.kind == "f" or is_bfloat16(dtype)


def type_name(dtype: np.dtype) -> str:
    """PyTorch's legacy tensor type name of ``dtype``: ``'FloatTensor'`` for float32."""
    return "BFloat16Tensor" if is_bfloat16(dtype) else TYPE_NAMES[dtype]


class _Default:
    dtype = float32  # process-wide, as PyTorch's (not per thread)


_default = _Default()


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become, and that ``zeros``, ``randn``... make (float32 unless
    ``set_default_dtype`` changed it).

    >>> get_default_dtype()
    dtype('float32')
    """
    return _default.dtype


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (a floating-point dtype) what Python floats and the creation functions give.

    >>> set_default_dtype(float64); get_default_dtype()
    dtype('float64')
    >>> set_default_dtype(float32)
    """
    d = as_dtype(d)
    if not is_float(d):
        raise TypeError(
            f"set_default_dtype: only floating-point dtypes can be the default, got {d}"
        )
    _default.dtype = d


def as_dtype(dtype: Any, where: str = "dtype") -> np.dtype:
    """``dtype`` as a supported NumPy dtype: a micrograd dtype, a NumPy one, ``float``, ``int``
    or ``bool`` (as PyTorch reads them: float64, int64, bool). A clear TypeError otherwise."""
    if not isinstance(dtype, np.dtype):
        if dtype is None or isinstance(dtype, (list, tuple, dict)):
            d = None
        else:
            try:
                d = _bfloat16() if dtype == "bfloat16" else np.dtype(dtype)
            except (TypeError, ValueError):
                d = None
        if d is None:
            raise TypeError(
                f"{where} must be a dtype such as micrograd.float32 or micrograd.long, "
                f"got {type(dtype).__name__}: {dtype!r}"
            )
        dtype = d
    if dtype not in SUPPORTED and not is_bfloat16(dtype):
        raise TypeError(f"{where} {dtype} is not supported: micrograd's dtypes are {_NAMES}")
    return dtype


def array_from(data: Any, dtype: Any = None) -> np.ndarray:
    """``data`` copied into a new ndarray with the Tensor constructor's dtype rules.

    With ``dtype``, that dtype. Without: NumPy arrays and scalars keep theirs; data written
    in Python (numbers, nested lists) follows PyTorch: floats take the default dtype, ints
    int64, bools bool.
    """
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Tensor data must be numeric, got {type(data).__name__}: {data!r}")
    if dtype is not None:
        dtype = as_dtype(dtype)
        if dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
            return cast_numbers(array_from(data), dtype, "tensor()")  # PyTorch's range check
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(
            f"Tensor data must be a number or a (nested) sequence or array of numbers, "
            f"got {type(data).__name__}: {error}"
        ) from None
    kind = array.dtype.kind
    if not (kind in "biuf" and array.dtype in SUPPORTED or is_bfloat16(array.dtype)):
        raise TypeError(
            f"Tensor data must be numeric, got {type(data).__name__} of dtype {array.dtype}"
        )
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        if kind == "f" and array.dtype != _default.dtype:
            array = array.astype(_default.dtype)
        elif kind == "u":  # NumPy's choice for a Python int in [2**63, 2**64)
            raise TypeError(f"Tensor data holds an integer too large for int64: {data!r}")
        elif kind == "i" and array.dtype != int64:  # int32 on some platforms
            array = array.astype(int64)
    return array


def cast_numbers(values: Any, dtype: np.dtype, where: str) -> np.ndarray:
    """``values`` (a number or an array of numbers) cast into ``dtype`` as PyTorch casts the
    numbers it is given (tensor data, fill values): into an integer dtype, a number out of
    its range is a RuntimeError, except that a negative int goes into an unsigned dtype
    modulo 2**bits (-1 as uint8 is 255), as PyTorch allows; floats are truncated."""
    array = np.asarray(values)
    if dtype.kind in "iu" and array.dtype.kind in "iuf" and array.size:
        info = np.iinfo(dtype)
        low = -int(info.max) if dtype.kind == "u" and array.dtype.kind != "f" else int(info.min)
        if not (low <= array.min() and array.max() <= info.max):  # False for nan too
            bad = array[(array < low) | (array > info.max) | (array != array)].flat[0]
            raise RuntimeError(
                f"{where}: value {bad} cannot be converted to type {dtype} without overflow"
            )
        if array.dtype.kind == "i" and dtype.kind == "u":
            return array.astype(np.int64).astype(dtype)  # wraps, as a C cast does
    return array.astype(dtype)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes: bool < integers < floats, and an integer with a float gives
    the float (NumPy would widen int64 + float32 to float64)."""
    if is_float(a) != is_float(b):
        return a if is_float(a) else b
    return np.result_type(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    # A lower tier changes the result only if it brings a higher category (bool -> int ->
    # float): PyTorch's combine_categories.
    if higher is None or lower is None:
        return lower if higher is None else higher
    if is_float(higher):
        return higher
    if higher.kind == "b" or is_float(lower):
        return _promote(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an op on ``operands`` (arrays, NumPy scalars or Python
    numbers): arrays with dimensions decide first, then 0-d arrays, then Python numbers, and
    a lower tier counts only if its category (bool, integer, float) is higher. So a float32
    tensor stays float32 with a 0.5 or an int64 tensor, and an int64 tensor with 0.5 takes
    the default dtype.

    >>> result_type(np.zeros(2, np.float32), np.zeros(2, np.int64), 0.5)
    dtype('float32')
    >>> result_type(np.zeros(2, np.int64), 0.5)
    dtype('float32')
    """
    tiers: list[np.dtype | None] = [None, None, None]  # dimensioned, 0-d, Python numbers
    for x in operands:
        if isinstance(x, (np.ndarray, np.generic)):
            tier, d = (0 if x.ndim else 1), x.dtype
        elif isinstance(x, (bool, np.bool_)):
            tier, d = 2, bool_
        elif isinstance(x, numbers.Integral):
            tier, d = 2, int64
        elif isinstance(x, numbers.Real):
            tier, d = 2, _default.dtype
        else:
            raise TypeError(f"expected a tensor or a number, got {type(x).__name__}: {x!r}")
        tiers[tier] = d if tiers[tier] is None else _promote(tiers[tier], d)
    result = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    if result is None:
        raise TypeError("result_type() needs at least one operand")
    return result


def is_floating_point(input: Any) -> bool:
    """True if ``input`` (a tensor) holds floating-point numbers (PyTorch's
    ``torch.is_floating_point``)."""
    dtype = getattr(input, "dtype", None)
    if not isinstance(dtype, np.dtype):
        raise TypeError(
            f"is_floating_point() needs a tensor, got {type(input).__name__}: {input!r}"
        )
    return is_float(dtype)


def finfo(dtype: Any = None) -> np.finfo:
    """Limits of a floating-point dtype (the default one if None): ``eps``, ``max``, ``min``,
    ``tiny``, ``bits``, ``resolution``, as NumPy's ``finfo`` gives them.

    >>> float(finfo(float32).eps)
    1.1920928955078125e-07
    """
    d = _default.dtype if dtype is None else as_dtype(dtype)
    if not is_float(d):
        raise TypeError(f"finfo needs a floating-point dtype, got {d}; use iinfo for integers")
    return np.finfo(d)


def iinfo(dtype: Any) -> np.iinfo:
    """Limits of an integer dtype: ``max``, ``min``, ``bits``.

    >>> int(iinfo(int64).max)
    9223372036854775807
    """
    d = as_dtype(dtype)
    if d.kind not in "iu":
        raise TypeError(f"iinfo needs an integer dtype, got {d}; use finfo for floats")
    return np.iinfo(d)


# --------------------------------------------------------------------- devices

# PyTorch's device types: any of these names a device, which micrograd then lacks unless it
# is the CPU; any other string is a typo, reported as such.
_DEVICE_TYPES = (
    "cpu cuda ipu xpu mkldnn opengl opencl ideep hip ve fpga maia xla lazy vulkan mps meta "
    "hpu mtia privateuseone"
).split()


builtin_type = type  # device.__init__ takes PyTorch's parameter name, ``type``


class device:
    """Where a tensor's numbers live, as ``torch.device``: ``device('cpu')``,
    ``device('cuda:0')``, ``device('cuda', 0)``. Any PyTorch device type makes a device
    object (so ``device('cuda' if cuda.is_available() else 'cpu')`` runs), but tensors
    exist only on the CPU: asking for another device raises, naming what exists.

    >>> device("cpu"), str(device("cpu", 0))
    (device(type='cpu'), 'cpu:0')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): give an index only with a device type string")
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(
                f"device() takes a device string such as 'cpu', got {builtin_type(type).__name__}"
            )
        name, colon, number = type.partition(":")
        if name not in _DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                f"string: {type}"
            )
        if colon:
            if index is not None:
                raise RuntimeError(f"device(): the string {type!r} already holds an index")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if index is not None:
            index = operator.index(index)
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def as_device(spec: Any) -> device:
    """``spec`` (a string, a ``device`` or None) as the device micrograd has, the CPU; a
    clear RuntimeError for any other (``'cuda'``, ``'mps'``...)."""
    if spec is None:
        return CPU
    d = spec if isinstance(spec, device) else device(spec)
    if d.type != "cpu":
        raise RuntimeError(
            f"micrograd runs on the CPU only: device={str(d)!r} is not available; use 'cpu'"
        )
    return CPU
