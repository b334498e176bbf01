"""``micrograd graph EXPR --set NAME=NUMBER ...``: draw an expression's graph after backward.

``--html PAGE`` writes ``micrograd.explore``'s page instead, which steps through the backward
pass (and the drawing too when ``--out`` is also given)."""

from __future__ import annotations

import argparse
import os

import graphviz

from micrograd.cli.expr import ExpressionError, build
from micrograd.cli.files import prepare_folder, write_atomically
from micrograd.cli.output import printable
from micrograd.cli.usage import DEFAULT_OUT, CommandFailed, UsageError
from micrograd.draw import draw_dot
from micrograd.explore import GraphTooLarge, explore


def run(args: argparse.Namespace) -> int:
    values: dict[str, float] = {}
    for name, value in args.assignments:
        if name in values:
            raise UsageError(f"--set {name}: given twice")
        values[name] = value
    out = args.out if args.out is not None or args.html else f"{DEFAULT_OUT}/graph.svg"
    extension = os.path.splitext(out or "")[1].lower()
    if out is not None and extension not in (".svg", ".png"):
        raise UsageError(f"--out {out}: the drawing must be a .svg or .png file")
    if args.html and os.path.splitext(args.html)[1].lower() not in (".html", ".htm"):
        raise UsageError(f"--html {args.html}: the page must be an .html file")
    try:
        root, leaves = build(args.expression, values)
    except ExpressionError as e:
        raise UsageError(str(e)) from None
    files: dict[str, bytes] = {}
    if args.html:
        try:
            files[args.html] = explore(root).html.encode("utf-8")
        except GraphTooLarge as e:
            raise UsageError(str(e)) from None
    if out is not None:
        files[out] = render(draw_dot(root, rankdir=args.rankdir), extension[1:])
    for path, payload in files.items():
        folder = os.path.dirname(path)
        if folder:
            prepare_folder(folder, "--html" if path == args.html else "--out")
        write_atomically(path, payload)
    print(f"value {root.data:.6g}")
    for name, leaf in leaves.items():
        print(f"d/d{name} {leaf.grad:.6g}")
    for path in files:
        print(f"wrote {printable(path)}")
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
