"""micrograd: a small autograd engine, scalar (``Value``) and tensor (``Tensor``)."""

from micrograd.engine import Value

__all__ = ["Value"]
__version__ = "1.0.0"
