"""The page ``micrograd.explore`` writes for a graph of tensors: Graphviz's layout, the graph as
SVG, every array the steps read or write, and the steps as data.

``render(trace, title)`` fills the template ``tensor.html`` (its CSS, and the JavaScript that
replays the steps and draws the heatmaps). The graph is laid out left to right by Graphviz
(graphviz-pure or the system's ``dot``) asked for positions only (``-Tjson0``), one box per
tensor holding its name and, below, its op, shape and dtype; the SVG is written here, so each
tensor's element carries the attributes of the page's contract (see
:mod:`micrograd.explore.tensor`).

The arrays travel as base64 of their bytes (little-endian float64, or float32 for float32
tensors; other dtypes as float64): about 11 characters a float64 where decimal text takes 20,
and the page decodes them into typed arrays without parsing. An array shared by several
steps (``+`` hands the same gradient to both operands) is written once.
"""

from __future__ import annotations

import base64
import html
import json
import subprocess
from typing import Any

import numpy as np

from micrograd.explore.page import fill_template
from micrograd.render import RendererNotFound, find_renderer

# Heatmaps show every entry up to this many (64×64), and up to 180 columns or 120 rows; a
# larger array shows as a histogram with its statistics.
FULL_ENTRIES = 4096

FONT_SIZE = 12  # px, monospace in the browser
CHAR_WIDTH = 7.5  # px per character: DejaVu Sans Mono's 0.602 em at 12 px, plus slack
PAD = 8  # px of space either side of a box's text
BOX_HEIGHT = 36  # two lines: the name; the op, shape and dtype


class _Arrays:
    """The page's table of arrays: each written once, found again by identity."""

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.kinds: list[str] = []
        self.index: dict[int, int] = {}
        self.kept: list[Any] = []  # holds each array alive, so that no id is reused

    def add(self, array: np.ndarray | None) -> int:
        if array is None:
            return -1
        known = self.index.get(id(array))
        if known is not None:
            return known
        kind = "<f4" if array.dtype == np.float32 else "<f8"
        data = np.ascontiguousarray(array, dtype=kind)
        self.index[id(array)] = len(self.encoded)
        self.kept.append(array)
        self.encoded.append(base64.b64encode(data.tobytes()).decode("ascii"))
        self.kinds.append(kind[1:])
        return len(self.encoded) - 1


def _op_text(node: Any) -> str:
    if node._prev:
        return str(node._op)
    return "leaf" if node.requires_grad else "data"


def _second_line(node: Any) -> str:
    shape = "×".join(str(n) for n in node._data.shape) or "scalar"
    return f"{_op_text(node)} · {shape} · {node._data.dtype}"


def _layout(t: Any, widths: list[float]) -> dict[str, Any]:
    """Positions from Graphviz (``-Tjson0``) for boxes as wide as we say."""
    index = {id(node): i for i, node in enumerate(t.nodes)}
    lines = [
        "digraph {",
        "graph [rankdir=LR ranksep=0.35 nodesep=0.18]",
        f'node [shape=box fixedsize=true height={BOX_HEIGHT / 72:.4f} label=""]',
    ]
    for i, node in enumerate(t.nodes):
        lines.append(f"v{i} [width={widths[i] / 72:.4f}]")
        seen = set()
        for operand in node._prev:
            j = index[id(operand)]
            if j not in seen:  # x * x: one edge
                seen.add(j)
                lines.append(f"v{j} -> v{i}")
    lines.append("}")
    renderer = find_renderer()
    if renderer is None:
        raise RendererNotFound()
    done = subprocess.run(
        [renderer, "-Tjson0"], input="\n".join(lines).encode(), capture_output=True
    )
    if done.returncode:
        raise RuntimeError(f"explore: the layout failed: {done.stderr.decode(errors='replace')}")
    return json.loads(done.stdout)


def _svg(t: Any, layout: dict[str, Any]) -> str:
    """The graph as SVG: one ``<g class="tensor">`` per tensor carrying the contract's data-*."""
    x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
    margin = 4.0

    def point(x: float, y: float) -> str:  # Graphviz's y grows upwards, SVG's downwards
        return f"{x - x0 + margin:.2f},{y1 - y + margin:.2f}"

    objects = layout.get("objects", [])
    width, height = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.2f} {height:.2f}">'
    ]
    for edge in layout.get("edges", []):
        tail, head = objects[edge["tail"]]["name"][1:], objects[edge["head"]]["name"][1:]
        tokens = edge["pos"].split(";")[0].split()
        tip = next((tok[2:] for tok in tokens if tok.startswith("e,")), None)
        pts = [tuple(map(float, tok.split(","))) for tok in tokens if tok[:2] not in ("e,", "s,")]
        path = f"M{point(*pts[0])}C" + " ".join(point(*p) for p in pts[1:])
        arrow = ""
        if tip is not None:
            (bx, by), (tx, ty) = pts[-1], tuple(map(float, tip.split(",")))
            norm = float(np.hypot(tx - bx, ty - by)) or 1.0
            nx, ny = (by - ty) / norm * 3.5, (tx - bx) / norm * 3.5
            corners = (point(tx, ty), point(bx + nx, by + ny), point(bx - nx, by - ny))
            arrow = f'<polygon points="{" ".join(corners)}"/>'
        out.append(
            f'<g class="edge" data-from="{tail}" data-to="{head}"><path d="{path}"/>{arrow}</g>'
        )
    for obj in objects:
        i = int(obj["name"][1:])
        node, name = t.nodes[i], t.names[i]
        x, y = map(float, obj["pos"].split(","))
        w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
        left, top = point(x - w / 2, y + h / 2).split(",")
        shape = ",".join(str(n) for n in node._data.shape)
        anon = " anon" if name == f"#{i}" else ""  # no name of its own: its place
        nograd = "" if node.requires_grad else " nograd"
        out.append(
            f'<g class="tensor{nograd}" data-node-id="{i}" data-label="{html.escape(name)}" '
            f'data-shape="{shape}" data-dtype="{node._data.dtype}" data-grad="null" '
            f'transform="translate({left},{top})">'
            f'<rect width="{w:.2f}" height="{h:.2f}" rx="4"/>'
            f'<text class="name{anon}" x="{w / 2:.2f}" y="{h * 0.3:.2f}">{html.escape(name)}</text>'
            f'<text class="info" x="{w / 2:.2f}" y="{h * 0.72:.2f}">'
            f"{html.escape(_second_line(node))}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def render(t: Any, title: str) -> str:
    """The whole page for the trace ``t`` (a ``micrograd.explore.TensorTrace``)."""
    arrays = _Arrays()
    tensors = []
    for i, node in enumerate(t.nodes):
        tensors.append(
            {
                "name": t.names[i],
                "shape": list(node._data.shape),
                "dtype": str(node._data.dtype),
                "op": _op_text(node),
                "data": arrays.add(node._data),
                "grad": node.requires_grad,
            }
        )
    index = {id(node): i for i, node in enumerate(t.nodes)}
    final = [0] * len(t.nodes)  # the step after which each grad no longer changes
    steps = []
    for k, step in enumerate(t.steps, start=1):
        final[step.node] = max(final[step.node], k)
        lines = []
        for c in step.contributions:
            final[c.operand] = k
            lines.append(
                {
                    "operand": c.operand,
                    "text": c.text,
                    "shapes": c.shapes,
                    "notes": list(c.notes),
                    "count": c.count,
                    "before": arrays.add(c.before),
                    "amount": arrays.add(c.amount),
                    "after": arrays.add(c.after),
                }
            )
        operands = [index[id(o)] for o in t.nodes[step.node]._prev] if k > 1 else []
        steps.append({"node": step.node, "text": step.text, "operands": operands, "lines": lines})
    widths = []
    for i, node in enumerate(t.nodes):
        longest = max(len(t.names[i]), len(_second_line(node)))
        widths.append(longest * CHAR_WIDTH + 2 * PAD)
    layout = _layout(t, widths)
    data = {
        "tensors": tensors,
        "steps": steps,
        "final": final,
        "arrays": arrays.encoded,
        "kinds": arrays.kinds,
        "full": FULL_ENTRIES,
    }
    ops = sum(1 for node in t.nodes if node._prev)
    held = sum(array.size for array in arrays.kept)  # the numbers the page holds
    summary = f"{len(t.nodes)} tensors, {ops} ops, {len(t.steps)} steps, {held:,} numbers"
    return fill_template(
        "tensor.html",
        {
            "title": html.escape(title),
            "summary": html.escape(summary),
            "svg": _svg(t, layout),
            "data": json.dumps(data, separators=(",", ":")).replace("<", "\\u003c"),
        },
    )
