"""The page ``micrograd.explore`` writes for a graph of Values: Graphviz's layout, the graph as
SVG, the steps as data.

``render(trace, title)`` returns one self-contained HTML document: the template
``scalar.html`` (its CSS and the JavaScript that replays the steps) with the graph and the
steps filled in. The graph is laid out as ``draw_dot`` lays it out (left to right, a box per
value, an ellipse per operation), by Graphviz (graphviz-pure or the system's ``dot``) asked
for positions only (``-Tjson0``); the SVG is written here, so each value's element carries the
attributes of the page's contract (see :mod:`micrograd.explore.scalar`).

Boxes hold monospace text, and Graphviz does not know the browser's fonts, so each box's width
is computed here, from the longest text it will ever show (its grad changes as the steps
run), and given to Graphviz as a fixed size.
"""

from __future__ import annotations

import html
import json
import math
import subprocess
from typing import Any

from micrograd.draw import RendererNotFound, find_renderer
from micrograd.explore.page import fill_template

FONT_SIZE = 12  # px, monospace in the browser
CHAR_WIDTH = 7.5  # px per character: DejaVu Sans Mono's 0.602 em at 12 px, plus slack
PAD = 6  # px of space either side of a field's text
BOX_HEIGHT = 24


def _label(node: Any) -> str:
    return " ".join(str(getattr(node, "label", "") or "").split())


def _short(x: float) -> str:
    """A number in a box: 4 decimals as in ``draw_dot``, unless that would hide it."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4g}"


def layout_cost(nodes: list[Any]) -> tuple[int, int]:
    """How slow Graphviz's layout of these nodes (in topological order) will be, and the node
    most to blame (its index), from the graph's shape alone.

    Graphviz places every node in a column (a rank) and routes an edge that spans k columns
    through k - 1 hidden points it must also place. A value used near its source and again far
    downstream (``x`` in ``x + x + ... + x``) pulls many such edges across the graph, and the
    layout time grows with the square of how many columns each value's edges span in all: this
    is the sum of those squares, with each value in the last column before its first use.
    """
    rank = [0] * len(nodes)
    spans = [0] * len(nodes)
    index = {id(node): i for i, node in enumerate(nodes)}
    uses: list[list[int]] = [[] for _ in nodes]  # the columns of the op nodes using each value
    rank[-1] = 2 * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        if uses[i]:
            rank[i] = min(uses[i]) - 1
        for operand in nodes[i]._prev:
            uses[index[id(operand)]].append(rank[i] - 1)
    for i, columns in enumerate(uses):
        spans[i] = sum(column - rank[i] - 1 for column in columns)
    worst = max(range(len(nodes)), key=spans.__getitem__)
    return sum(s * s for s in spans), worst


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _layout(nodes: list[Any], index: dict[int, int], widths: list[float]) -> dict[str, Any]:
    """Positions from Graphviz (``-Tjson0``): boxes as wide as we say, ops sized by Courier."""
    lines = [
        "digraph {",
        "graph [rankdir=LR ranksep=0.3 nodesep=0.15]",  # tighter than draw_dot: more fits a screen
        f'node [fontname=Courier fontsize={FONT_SIZE} width=0.3 height=0.3 margin="0.08,0.02"]',
    ]
    for i, node in enumerate(nodes):
        size = f"width={widths[i] / 72:.4f} height={BOX_HEIGHT / 72:.4f}"
        lines.append(f'v{i} [shape=box fixedsize=true {size} label=""]')
        if node._prev:
            lines.append(f'v{i}_op [label="{_quote(str(node._op))}"]')
            lines.append(f"v{i}_op -> v{i}")
            lines.extend(f"v{index[id(o)]} -> v{i}_op" for o in node._prev)
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


def _svg(t: Any, layout: dict[str, Any], fields: list[list[str]], widths: list[list[float]]) -> str:
    """The graph as SVG: one ``<g class="value">`` per value carrying the contract's data-*."""
    x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
    margin = 4.0

    def point(x: float, y: float) -> str:  # Graphviz's y grows upwards, SVG's downwards
        return f"{x - x0 + margin:.2f},{y1 - y + margin:.2f}"

    objects = layout.get("objects", [])
    width, height = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.2f} {height:.2f}" '
        f'style="min-width: {0.75 * width:.0f}px">'
    ]
    for edge in layout.get("edges", []):
        tail, head = objects[edge["tail"]]["name"], objects[edge["head"]]["name"]
        op = (head if head.endswith("_op") else tail)[1:-3]
        tokens = edge["pos"].split(";")[0].split()
        tip = next((tok[2:] for tok in tokens if tok.startswith("e,")), None)
        pts = [tuple(map(float, tok.split(","))) for tok in tokens if tok[:2] not in ("e,", "s,")]
        path = f"M{point(*pts[0])}C" + " ".join(point(*p) for p in pts[1:])
        arrow = ""
        if tip is not None:
            (bx, by), (tx, ty) = pts[-1], tuple(map(float, tip.split(",")))
            norm = math.hypot(tx - bx, ty - by) or 1.0
            nx, ny = (by - ty) / norm * 3.5, (tx - bx) / norm * 3.5
            corners = (point(tx, ty), point(bx + nx, by + ny), point(bx - nx, by - ny))
            arrow = f'<polygon points="{" ".join(corners)}"/>'
        kind = "in" if head.endswith("_op") else "out"
        out.append(f'<g class="edge {kind}" data-op="{op}"><path d="{path}"/>{arrow}</g>')
    for obj in objects:
        x, y = map(float, obj["pos"].split(","))
        w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
        name = obj["name"]
        if name.endswith("_op"):
            cx, cy = point(x, y).split(",")
            label = html.escape(str(t.nodes[int(name[1:-3])]._op))
            out.append(
                f'<g class="op" data-op="{name[1:-3]}"><ellipse cx="{cx}" cy="{cy}" '
                f'rx="{w / 2:.2f}" ry="{h / 2:.2f}"/><text x="{cx}" y="{cy}">{label}</text></g>'
            )
            continue
        i = int(name[1:])
        node = t.nodes[i]
        left, top = point(x - w / 2, y + h / 2).split(",")
        label = html.escape(str(getattr(node, "label", "") or ""), quote=True)
        shapes, texts, at = [f'<rect width="{w:.2f}" height="{h:.2f}" rx="3"/>'], [], 0.0
        for k, (text, field) in enumerate(zip(fields[i], widths[i])):
            if k:
                shapes.append(f'<line x1="{at:.2f}" x2="{at:.2f}" y2="{h:.2f}"/>')
            kind = ("label anon" if not label else "label", "data", "grad")[k]
            texts.append(
                f'<text class="{kind}" x="{at + field / 2:.2f}" y="{h / 2:.2f}">'
                f"{html.escape(text)}</text>"
            )
            at += field
        out.append(
            f'<g class="value" data-node-id="{i}" data-label="{label}" '
            f'data-data="{node.data!r}" data-grad="0.0" transform="translate({left},{top})">'
            + "".join(shapes + texts)
            + "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def render(t: Any, title: str) -> str:
    """The whole page for the trace ``t`` (a ``micrograd.explore.Trace``), titled ``title``."""
    index = {id(node): i for i, node in enumerate(t.nodes)}
    shown_grads: list[set[str]] = [{_short(0.0)} for _ in t.nodes]
    final = [0] * len(t.nodes)  # the step after which each grad no longer changes
    steps = []
    for k, step in enumerate(t.steps, start=1):
        final[step.node] = max(final[step.node], k)
        updates = []
        for c in step.contributions:
            shown_grads[c.operand].add(_short(c.after))
            final[c.operand] = k
            updates.append(
                [c.operand, repr(c.before), _short(c.before), repr(c.after), _short(c.after)]
            )
        operands = sorted({index[id(o)] for o in t.nodes[step.node]._prev}) if k > 1 else []
        lines = [c.text for c in step.contributions]
        steps.append(
            {
                "node": step.node,
                "operands": operands,
                "text": step.text,
                "lines": lines,
                "updates": updates,
            }
        )
    fields, widths = [], []
    for i, node in enumerate(t.nodes):
        grad = max(shown_grads[i], key=len)
        row = [_label(node) or f"#{i}", f"data {_short(node.data)}", f"grad {grad}"]
        fields.append([row[0], row[1], f"grad {_short(0.0)}"])
        widths.append([len(text) * CHAR_WIDTH + 2 * PAD for text in row])
    layout = _layout(t.nodes, index, [sum(w) for w in widths])
    data = json.dumps({"steps": steps, "final": final}).replace("<", "\\u003c")
    return fill_template(
        "scalar.html",
        {
            "title": html.escape(title),
            "summary": html.escape(f"{len(t.nodes)} values, {len(t.steps)} steps"),
            "svg": _svg(t, layout, fields, widths),
            "data": data,
        },
    )
