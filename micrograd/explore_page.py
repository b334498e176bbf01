"""The name the Value page's drawing had before ``micrograd.explore`` became a package; it lives
in ``micrograd.explore.scalar_page`` now, and this keeps old imports working."""

from micrograd.explore.scalar_page import layout_cost, render

__all__ = ["layout_cost", "render"]
