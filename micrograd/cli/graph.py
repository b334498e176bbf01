"""``micrograd graph EXPR --set NAME=NUMBER ...``: draw an expression's graph after backward."""

from __future__ import annotations

import argparse
import os

import graphviz

from micrograd.cli.expr import ExpressionError, build
from micrograd.cli.files import prepare_folder, write_atomically
from micrograd.cli.usage import CommandFailed, UsageError
from micrograd.draw import draw_dot


def run(args: argparse.Namespace) -> int:
    values: dict[str, float] = {}
    for name, value in args.assignments:
        if name in values:
            raise UsageError(f"--set {name}: given twice")
        values[name] = value
    extension = os.path.splitext(args.out)[1].lower()
    if extension not in (".svg", ".png"):
        raise UsageError(f"--out {args.out}: the drawing must be a .svg or .png file")
    try:
        root, leaves = build(args.expression, values)
    except ExpressionError as e:
        raise UsageError(str(e)) from None
    folder = os.path.dirname(args.out)
    if folder:
        prepare_folder(folder)
    drawing = render(draw_dot(root, rankdir=args.rankdir), extension[1:])
    write_atomically(args.out, drawing)
    print(f"value {root.data:.6g}")
    for name, leaf in leaves.items():
        print(f"d/d{name} {leaf.grad:.6g}")
    print(f"wrote {args.out}")
    return 0


def render(dot: graphviz.Digraph, format: str) -> bytes:
    """The drawing's bytes; a missing or failing renderer is a CommandFailed, not a traceback."""
    try:
        return dot.pipe(format=format, quiet=True)
    except graphviz.ExecutableNotFound as e:  # micrograd.render.RendererNotFound included
        raise CommandFailed(str(e)) from None
    except graphviz.CalledProcessError as e:
        detail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit status {e.returncode}"
        raise CommandFailed(f"the renderer failed: {reason}") from None
