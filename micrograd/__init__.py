"""micrograd: a small autograd engine, scalar (``Value``) and tensor (``Tensor``).

The tensor API follows PyTorch's names, so course code runs with ``import micrograd as
torch``, ``import micrograd.nn as nn`` and ``from micrograd.nn import functional as F``.
"""

import numpy as _np

# amp, backends, cuda, distributed, compile, serialization: a CPU library's answers to
# PyTorch's GPU, distributed, compiler and checkpoint calls (distributed imports nn.parallel,
# so torch.nn.parallel.DistributedDataParallel resolves); autograd: backward() and grad()
from micrograd import amp, autograd, backends, cuda, distributed, nn, optim, serialization, utils
from micrograd._compile import compile
from micrograd.amp import autocast
from micrograd.backends import get_float32_matmul_precision, set_float32_matmul_precision
from micrograd.draw import draw_dot
from micrograd.engine import Value, paused_gc
from micrograd.explore import explore

# Function forms of the tensor methods (torch.exp(t) is t.exp())
from micrograd.functions import (
    abs,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    chunk,
    clamp,
    clip,
    cumsum,
    eq,
    exp,
    flatten,
    gather,
    ge,
    gt,
    le,
    log,
    log10,
    logical_not,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    ne,
    norm,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    roll,
    sigmoid,
    split,
    sqrt,
    squeeze,
    std,
    sum,
    t,
    tanh,
    transpose,
    unbind,
    unsqueeze,
    var,
)
from micrograd.gradcheck import gradcheck
from micrograd.memory import tune_malloc
from micrograd.serialization import load, save
from micrograd.tensors import Size, Tensor

# Making tensors
from micrograd.tensors.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)

# dtypes and the device
from micrograd.tensors.dtypes import (
    bool_,
    device,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)

# Random numbers: where they come from (generators, seeds)
from micrograd.tensors.generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

# Whether operations record a graph, and autocast's state
from micrograd.tensors.grad_mode import (
    enable_grad,
    get_autocast_dtype,
    inference_mode,
    is_autocast_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# Histograms, for plots
from micrograd.tensors.histogram import histogram

# Joining
from micrograd.tensors.joining import cat, concat, concatenate, stack

# Random numbers: what is drawn
from micrograd.tensors.random import (
    bernoulli,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)

# Picking entries: where, triangles, sorting
from micrograd.tensors.selection import argsort, sort, topk, tril, triu, where

# Top-level functions that are no single method
from micrograd.toplevel import (
    allclose,
    equal,
    is_tensor,
    isclose,
    log_softmax,
    result_type,
    softmax,
)

# PyTorch's short dtype names. They shadow builtins (float, int, bool...) in this module's
# namespace only, as in PyTorch's; nothing below uses the builtins.
float = float32
double = float64
half = float16
short = int16
int = int32
long = int64
bool = bool_
dtype = _np.dtype  # the type of every dtype: isinstance(t.dtype, micrograd.dtype)

__all__ = [
    # the engines and their tools
    "Size",
    "Tensor",
    "Value",
    "autograd",
    # a CPU library's answers to GPU, distributed, compiler and checkpoint calls
    "amp",
    "backends",
    "compile",
    "cuda",
    "distributed",
    "get_float32_matmul_precision",
    "serialization",
    "set_float32_matmul_precision",
    "draw_dot",
    "explore",
    "gradcheck",
    "load",
    "nn",
    "optim",
    "paused_gc",
    "save",
    "tune_malloc",
    "utils",
    # grad modes and mixed precision
    "autocast",
    "get_autocast_dtype",
    "is_autocast_enabled",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    # dtypes and the device
    "bfloat16",
    "bool",
    "bool_",
    "device",
    "double",
    "dtype",
    "finfo",
    "float",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "half",
    "iinfo",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_floating_point",
    "long",
    "set_default_dtype",
    "short",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    # making tensors
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "tensor",
    "zeros",
    "zeros_like",
    # random numbers
    "Generator",
    "bernoulli",
    "default_generator",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "multinomial",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
    # joining and picking
    "argsort",
    "cat",
    "concat",
    "concatenate",
    "sort",
    "stack",
    "topk",
    "tril",
    "triu",
    "where",
    # function forms of the methods
    "abs",
    "all",
    "any",
    "allclose",
    "argmax",
    "chunk",
    "clamp",
    "clip",
    "equal",
    "exp",
    "flatten",
    "gather",
    "is_tensor",
    "isclose",
    "log",
    "log_softmax",
    "masked_fill",
    "matmul",
    "max",
    "mean",
    "min",
    "numel",
    "permute",
    "pow",
    "prod",
    "relu",
    "reshape",
    "result_type",
    "roll",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "std",
    "sum",
    "t",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    # the course's extras: log10, unbind, histogram
    "histogram",
    "log10",
    "unbind",
    # sums and norms
    "cumsum",
    "logsumexp",
    "norm",
    # comparisons and elementwise extremes
    "amax",
    "amin",
    "argmin",
    "eq",
    "ge",
    "gt",
    "le",
    "logical_not",
    "lt",
    "maximum",
    "minimum",
    "ne",
]
__version__ = "1.0.0"


def __getattr__(name: str) -> object:
    """``micrograd.bfloat16``: ``micrograd.tensors.dtypes.bfloat16``, made on first use (its
    ml_dtypes import takes longer than micrograd's own)."""
    if name == "bfloat16":
        from micrograd.tensors import dtypes

        return dtypes.bfloat16
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")
