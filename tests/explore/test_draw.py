"""draw_dot: the lecture's drawing, its structure, and rendering without a system Graphviz."""

import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from graphviz.backend import dot_command

from micrograd import Value
from micrograd.draw import GraphDrawing, RendererNotFound, draw_dot, find_renderer
from micrograd.tensors import Tensor

SVG = "{http://www.w3.org/2000/svg}"
NODE_LINE = re.compile(r'^\t(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
EDGE_LINE = re.compile(r"^\t(\w+) -> (\w+)$")


def parse(dot):
    """The drawing's nodes ({name: (label, attributes)}) and edges [(tail, head)], from .source."""
    nodes, edges = {}, []
    for line in dot.source.splitlines()[1:-1]:
        if match := NODE_LINE.match(line):
            nodes[match[1]] = (match[2], match[3])
        elif match := EDGE_LINE.match(line):
            edges.append((match[1], match[2]))
        else:
            assert line == "\tgraph [rankdir=LR]", line
    return nodes, edges


def lecture_graph():
    """The lecture's first example, labelled as it labels it."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L, dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L)


@pytest.fixture
def pure_renderer(monkeypatch):
    """Render with graphviz-pure even where a system dot exists; returns its path."""
    real_which = __import__("shutil").which
    monkeypatch.setattr(
        "micrograd.render.shutil.which",
        lambda name, path=None: None if name == "dot" else real_which(name, path=path),
    )
    path = find_renderer()
    assert path is not None and os.path.basename(path).startswith("graphviz-pure")
    return path


@pytest.fixture
def no_renderer(monkeypatch, tmp_path):
    """Nothing to render with: an empty PATH and a Python with no graphviz-pure beside it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("micrograd.render.sys.executable", str(tmp_path / "python"))
    assert find_renderer() is None


# --------------------------------------------------------------------- structure


def test_lecture_example_structure_and_labels():
    L, v = lecture_graph()
    L.backward()
    dot = draw_dot(L)
    assert isinstance(dot, graphviz.Digraph) and dot.format == "svg"
    nodes, edges = parse(dot)

    # The lecture's numbers, written out: forward values and dL/d(value).
    expected = {
        "a": (2.0, 6.0),
        "b": (-3.0, -4.0),
        "c": (10.0, -2.0),
        "e": (-6.0, -2.0),
        "d": (4.0, -2.0),
        "f": (-2.0, 4.0),
        "L": (-8.0, 1.0),
    }
    for name, (data, grad) in expected.items():
        label, attributes = nodes[f"v{id(v[name])}"]
        assert label == f"{{ {name} | data {data:.4f} | grad {grad:.4f} }}"  # the lecture's
        assert attributes == " shape=record"
    ops = {name: label for name, (label, _) in nodes.items() if name.endswith("_op")}
    assert ops == {f"v{id(v['e'])}_op": "*", f"v{id(v['d'])}_op": "+", f"v{id(v['L'])}_op": "*"}
    assert len(nodes) == 7 + 3  # values + op nodes

    def op(name):
        return f"v{id(v[name])}_op"

    def node(name):
        return f"v{id(v[name])}"

    assert sorted(edges) == sorted(
        [
            (op("e"), node("e")),
            (node("a"), op("e")),
            (node("b"), op("e")),
            (op("d"), node("d")),
            (node("e"), op("d")),
            (node("c"), op("d")),
            (op("L"), node("L")),
            (node("d"), op("L")),
            (node("f"), op("L")),
        ]
    )


def test_every_value_and_operation_is_drawn_once_with_one_edge_per_operand():
    x = Value(0.5, label="x")
    y = (x * x + x).tanh() ** 2 - x.exp()  # x is used four times
    y.backward()
    nodes, edges = parse(draw_dot(y))
    values, op_nodes, walked = 0, 0, {}
    stack = [y]
    while stack:
        node = stack.pop()
        if id(node) in walked:
            continue
        walked[id(node)] = node
        values += 1
        op_nodes += bool(node._prev)
        stack.extend(node._prev)
    assert len(nodes) == values + op_nodes
    assert len(edges) == sum(len(n._prev) + 1 for n in walked.values() if n._prev)
    assert edges.count((f"v{id(x)}", f"v{id(y._prev[0]._prev[0]._prev[0]._prev[0])}_op")) == 2
    assert nodes[f"v{id(x)}"][0] == f"{{ x | data 0.5000 | grad {x.grad:.4f} }}"


def test_before_backward_grads_show_zero_and_unlabelled_values_an_empty_field():
    a = Value(3.0)
    nodes, _ = parse(draw_dot(a * 2))
    labels = sorted(label for label, _ in nodes.values())
    assert labels == [
        "*",
        "{  | data 2.0000 | grad 0.0000 }",
        "{  | data 3.0000 | grad 0.0000 }",
        "{  | data 6.0000 | grad 0.0000 }",
    ]


def test_tensor_graph_shows_shapes_and_summaries():
    w = Tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], requires_grad=True)
    w.label = "w"
    x = Tensor([1.0, 2.0, 3.0])
    x.label = "x"
    y = (w @ x).sum()
    y.label = "y"
    y.retain_grad()  # a non-leaf's grad is kept only when asked, as in PyTorch
    y.backward()
    nodes, edges = parse(draw_dot(y))
    labels = {label.split(" | ")[0][2:]: label for label, _ in nodes.values()}
    w_grad = "float32 in [1.0000, 3.0000]"  # x, broadcast over w's rows
    assert (
        labels["w"] == f"{{ w | shape (2, 3) | data float32 in [-2.0000, 3.0000] | grad {w_grad} }}"
    )
    assert labels["x"] == "{ x | shape (3,) | data float32 in [1.0000, 3.0000] | grad None }"
    total = float((w.data @ x.data).sum())
    assert labels["y"] == f"{{ y | shape () | data {total:.4f} | grad 1.0000 }}"
    assert sorted(label for label, _ in nodes.values() if "{" not in label) == ["@", "sum"]
    assert len(nodes) == 4 + 2 and len(edges) == 2 + 3


def test_duck_typed_nodes_need_only_data_grad_label_prev_op():
    class Node:
        def __init__(self, data, prev=(), op="", label=""):
            self.data, self.grad, self._prev, self._op, self.label = data, None, prev, op, label

    a = Node(np.zeros((2, 0)), label="empty")
    b = Node(np.float32(1.5), label="b")
    c = Node(np.ones(4), (a, b), "f", "c")
    nodes, _ = parse(draw_dot(c))
    labels = sorted(label for label, _ in nodes.values())
    assert "{ empty | shape (2, 0) | data float64 (empty) | grad None }" in labels
    assert "{ b | shape () | data 1.5000 | grad None }" in labels


# --------------------------------------------------------------------- labels that need escaping


def test_special_characters_in_labels_and_ops_survive_rendering(pure_renderer):
    nasty = 'x{1} | <y> "q" \\n\\'
    a = Value(1.0, label=nasty)
    b = Value(2.0, label="line1\nline2")
    c = a + b
    c._op = 'odd "op" \\ {|}'
    c.label = "<c>"
    svg = draw_dot(c).pipe(encoding="utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter(SVG + "text")]
    assert nasty in texts
    assert "line1" in texts and "line2" in texts
    assert 'odd "op" \\ {|}' in texts
    assert "<c>" in texts
    assert texts.count("data 3.0000") == 1  # the record was split into its fields


# --------------------------------------------------------------------- rendering


def test_render_svg_and_png_with_graphviz_pure(pure_renderer, tmp_path):
    L, _ = lecture_graph()
    L.backward()
    dot = draw_dot(L)

    path = dot.render(tmp_path / "lecture")  # the lecture's dot.render('out')
    assert path == os.fspath(tmp_path / "lecture.svg")
    assert (tmp_path / "lecture").read_text(encoding="utf-8") == dot.source
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    assert "graphviz-pure" in (tmp_path / "lecture.svg").read_text(encoding="utf-8")
    texts = [t.text for t in root.iter(SVG + "text")]
    assert {"L", "data -8.0000", "grad 6.0000", "*", "+"} <= set(texts)
    assert len([g for g in root.iter(SVG + "g") if g.get("class") == "node"]) == 10
    assert len([g for g in root.iter(SVG + "g") if g.get("class") == "edge"]) == 9

    png = dot.render(tmp_path / "lecture2", format="png")
    assert png.endswith("lecture2.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    out = dot.render(outfile=tmp_path / "named.png")
    assert open(out, "rb").read(4) == b"\x89PNG"

    assert dot.pipe(format="png")[:4] == b"\x89PNG"
    assert dot.pipe()[:5] == b"<?xml"


def test_jupyter_display(pure_renderer):
    L, _ = lecture_graph()
    dot = draw_dot(L)
    bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    ET.fromstring(bundle["image/svg+xml"])
    assert dot._repr_image_svg_xml().startswith("<?xml")
    assert dot._repr_mimebundle_(include=["image/png"])["image/png"][:4] == b"\x89PNG"


def test_graphviz_pure_is_found_next_to_python_when_not_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    here = os.path.dirname(sys.executable)
    if not os.path.exists(os.path.join(here, "graphviz-pure")):
        pytest.skip("graphviz-pure is not installed beside this Python")
    assert find_renderer() == os.path.join(here, "graphviz-pure")
    assert draw_dot(Value(1.0)).pipe()[:5] == b"<?xml"


def test_system_dot_is_preferred_when_present(monkeypatch):
    monkeypatch.setattr(
        "micrograd.render.shutil.which",
        lambda name, path=None: "/opt/graphviz/bin/dot" if name == "dot" else None,
    )
    assert find_renderer() == "/opt/graphviz/bin/dot"


def test_no_renderer_gives_a_clear_error_and_the_source_still_works(no_renderer, tmp_path):
    L, _ = lecture_graph()
    dot = draw_dot(L)
    assert dot.source.startswith("digraph {") and "data -8.0000" in dot.source
    for attempt in (dot.pipe, lambda: dot.render(tmp_path / "g")):
        with pytest.raises(RendererNotFound) as caught:
            attempt()
        assert isinstance(caught.value, graphviz.ExecutableNotFound)
        message = str(caught.value)
        assert "pip install graphviz-pure" in message and "system Graphviz" in message
        assert ".source" in message
    assert not (tmp_path / "g.svg").exists()
    with pytest.warns(UserWarning, match="pip install graphviz-pure"):
        bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and dot.source in bundle["text/plain"]


def test_renderer_found_later_is_used_by_an_existing_drawing(monkeypatch, tmp_path):
    dot = draw_dot(Value(1.0))
    monkeypatch.setattr("micrograd.render.find_renderer", lambda: None)
    with pytest.raises(RendererNotFound):
        dot.pipe()
    monkeypatch.undo()
    assert dot.pipe()[:5] == b"<?xml"


def test_no_global_state_of_graphviz_changes(pure_renderer):
    draw_dot(Value(1.0)).pipe()
    assert dot_command.DOT_BINARY == dot_command.pathlib.Path("dot")
    plain = graphviz.Digraph()
    assert not isinstance(plain, GraphDrawing)
    assert type(draw_dot(Value(1.0)).copy()) is GraphDrawing


def test_large_png_is_capped(pure_renderer):
    # graphviz-pure allocates the full bitmap however large: uncapped this chain is a
    # 25,137 x 60 PNG, and a 400-value graph with constants asked for 165,012 x 14,992 (19 GB).
    y = Value(1.0)
    for _ in range(60):
        y = y.tanh()
    png = draw_dot(y).pipe(format="png")
    width, height = struct.unpack(">II", png[16:24])
    assert png[:4] == b"\x89PNG" and 9000 < width <= 9600 and height > 0

    capped_by_user = draw_dot(y)
    capped_by_user.graph_attr["size"] = "10,10"  # the user's own size wins
    width, _ = struct.unpack(">II", capped_by_user.pipe(format="png")[16:24])
    assert width <= 960


# --------------------------------------------------------------------- big and deep graphs


def chain(n):
    """A chain of n values and n - 1 tanh nodes: 2n - 1 nodes to draw."""
    y = Value(0.5, label="x")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def test_deep_chain_of_10000_values_does_not_recurse():
    y = chain(10_000)
    y.backward()
    nodes, edges = parse(draw_dot(y, max_nodes=None))
    assert len(nodes) == 10_000 + 9_999
    assert len(edges) == 2 * 9_999


def test_a_5000_node_graph_renders_to_svg(pure_renderer):
    dot = draw_dot(chain(2_500), max_nodes=None)  # 2,500 values + 2,499 op nodes
    root = ET.fromstring(dot.pipe(encoding="utf-8"))
    assert len([g for g in root.iter(SVG + "g") if g.get("class") == "node"]) == 4_999


def repeated_sum(leaves, terms):
    """leaves[0] + leaves[1] + ... cycling through ``leaves``, ``terms`` terms in all."""
    y = leaves[0]
    for k in range(1, terms):
        y = y + leaves[k % len(leaves)]
    y.backward()
    return y


def test_a_value_used_far_from_its_record_is_copied_beside_the_use():
    # Regression: x + x + ... + x (150 terms) drew one x with an edge to every +, and the
    # layout of those long edges took minutes (the same with two uses each of 75 leaves).
    x = Value(2.0, label="x")
    y = repeated_sum([x], 150)
    nodes, edges = parse(draw_dot(y))
    x_record = f"{{ x | data 2.0000 | grad {150:.4f} }}"
    copies = [name for name, (label, attrs) in nodes.items() if "style=dashed" in attrs]
    assert all(nodes[name][0] == x_record for name in copies)
    assert nodes[f"v{id(x)}"] == (x_record, " shape=record")
    # every + still has its two operands; x's own record feeds only the first few
    assert len(edges) == 149 * 3
    assert sum(tail == f"v{id(x)}" for tail, _ in edges) <= 4
    assert len(copies) >= 145
    for name in copies:  # v<id(x)>_for_<id(user)>: one edge, to that user's op
        user = name.split("_for_")[1]
        assert [head for tail, head in edges if tail == name] == [f"v{user}_op"]


def test_values_used_nearby_keep_one_record():
    # The lecture's pictures of a value used twice: b = a + a, and f = (a * b) * (a + b).
    a = Value(3.0, label="a")
    b = a + a
    f = (a * b) * (a + b) + b
    f.backward()
    nodes, edges = parse(draw_dot(f))
    assert not [attrs for _, attrs in nodes.values() if "dashed" in attrs]
    assert edges.count((f"v{id(a)}", f"v{id(b)}_op")) == 2
    assert sum(tail == f"v{id(a)}" for tail, _ in edges) == 4
    assert sum(tail == f"v{id(b)}" for tail, _ in edges) == 3


@pytest.mark.parametrize(("leaves", "terms"), [(1, 150), (75, 150), (30, 150)])
def test_long_sums_with_shared_leaves_render(pure_renderer, leaves, terms):
    y = repeated_sum([Value(1.0, label=f"x{i}") for i in range(leaves)], terms)
    root = ET.fromstring(draw_dot(y).pipe(encoding="utf-8"))
    texts = [t.text for t in root.iter(SVG + "text")]
    assert texts.count("+") == terms - 1


def test_max_nodes_draws_the_nearest_values_and_gathers_the_rest():
    y = chain(3_000)
    with pytest.warns(UserWarning, match=r"3,000 values; drawing the 100 nearest"):
        dot = draw_dot(y, max_nodes=100)
    nodes, edges = parse(dot)
    records = [name for name, (label, _) in nodes.items() if label.startswith("{")]
    assert len(records) == 100 and f"v{id(y)}" in records
    assert nodes["more"][0] == "2,900 more values"
    # The 100th value's op node has its operand cut off: it comes from the "more" node.
    assert [edge for edge in edges if edge[0] == "more"] == [("more", f"{records[-1]}_op")]
    assert len(edges) == 2 * 100 - 1 + 1


def test_default_max_nodes_keeps_a_large_graph_small():
    y = chain(5_000)
    with pytest.warns(UserWarning, match="max_nodes=None"):
        nodes, _ = parse(draw_dot(y))
    assert sum(label.startswith("{") for label, _ in nodes.values()) == 1000


# --------------------------------------------------------------------- bad arguments


def test_bad_arguments_raise_clearly():
    a = Value(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_dot(a, rankdir="XY")
    with pytest.raises(ValueError, match="format"):
        draw_dot(a, format="nope")
    for bad in (0, -5, 2.5, True, "10"):
        with pytest.raises(ValueError, match="max_nodes must be a positive integer or None"):
            draw_dot(a, max_nodes=bad)
    with pytest.raises(TypeError, match="expected a Value or Tensor"):
        draw_dot(3.0)
    assert "rankdir=TB" in draw_dot(a, rankdir="TB").source
    assert draw_dot(a, format="png").format == "png"
