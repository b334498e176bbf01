"""The two kinds of error the tensor engine raises for data that does not fit an operation.

PyTorch raises RuntimeError for both; Python's own names for them are ValueError (a shape)
and TypeError (a dtype). Each class here is both, as ``nn.StateDictError`` is, so code
written for PyTorch (``except RuntimeError``) and code written for Python catches them:

>>> from micrograd import zeros
>>> try:
...     zeros(2, 3) @ zeros(2, 3)
... except RuntimeError as error:
...     print(type(error).__name__, isinstance(error, ValueError))
ShapeError True
"""

from __future__ import annotations

__all__ = ["DTypeError", "ShapeError", "broadcast_error"]


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit: operands that do not broadcast, a matmul's inner sizes, a
    ``view`` of another size, ``cat`` of different shapes, a loss's input and target."""


class DTypeError(TypeError, RuntimeError):
    """A dtype an operation cannot take: ``softmax`` of integers, ``requires_grad`` on an
    integer tensor, a float mask, class targets that are not integers."""


def broadcast_error(op: str, *shapes: tuple[int, ...]) -> ShapeError:
    """The error for operands of ``shapes`` that do not broadcast together, naming the first
    dim (counted from the end, as broadcasting aligns shapes) where they clash."""
    ndim = max(len(shape) for shape in shapes)
    padded = [(1,) * (ndim - len(shape)) + tuple(shape) for shape in shapes]
    for d in range(ndim):
        sizes = {shape[d] for shape in padded} - {1}
        if len(sizes) > 1:
            break
    listed = " and ".join(str(tuple(shape)) for shape in shapes)
    return ShapeError(
        f"{op}: shapes {listed} do not broadcast: at dim {d - ndim} the sizes are "
        f"{sorted(sizes)}, and only equal sizes or 1 broadcast"
    )
