"""``micrograd graph EXPR --set NAME=NUMBER ...``: draw an expression's graph after backward."""

from __future__ import annotations

import argparse
import os

from micrograd.cli import UsageError
from micrograd.cli.expr import ExpressionError, build
from micrograd.cli.files import prepare_folder, write_atomically
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
    drawing = draw_dot(root, rankdir=args.rankdir).pipe(format=extension[1:])
    write_atomically(args.out, drawing)
    print(f"value {root.data:.6g}")
    for name, leaf in leaves.items():
        print(f"d/d{name} {leaf.grad:.6g}")
    print(f"wrote {args.out}")
    return 0
