"""``micrograd.explore``: the trace against a replay of ``backward()``, and the page's contract.

The browser drives the page in test_explore_browser.py; here the trace is checked step by step
against the lecture's own loop (``for node in reversed(topo): node._backward()``) and the final
grads against ``root.backward()``, and the page's HTML against its documented contract.
"""

from __future__ import annotations

import html
import math
import os
import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import Value
from micrograd.cli import main
from micrograd.explore import GraphTooLarge, explore, layout_cost, local_grads, trace
from micrograd.graph import topological_order
from micrograd.nn import MLP

# --------------------------------------------------------------------- graphs


def neuron():
    """The lecture's neuron, labelled as in the lecture."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def used_twice():
    """``x`` used four times, ``a * a`` twice over: grads accumulate over several steps."""
    x = Value(0.5, label="x")
    a = x * x
    a.label = "a"
    y = (a * a + x).tanh() ** 2 - x.exp()
    y.label = "y"
    return y


def cube(x):
    """A new operation written the lecture's way: Value(data, children, op) plus a closure."""
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    return out


def hand_built():
    """Lecture-style nodes with only a ``_backward`` closure, among engine-made ones."""
    x = Value(1.5, label="x")
    c = cube(x * 2.0)
    c.label = "c"
    s = Value(x.data + c.data + x.data, (x, c, x), "sum3")  # three operands, one twice

    def _backward():
        for operand in (x, c, x):
            operand.grad += s.grad

    s._backward = _backward
    mystery = Value(2.0 * s.data, (s, s), "mystery")  # no _backward: passes no gradient
    return ((s * 0.1).tanh() + c * 0.01 + mystery * 0.0).sigmoid()


def mlp_loss():
    """An MLP(3, [4, 4, 1]) on the lecture's four samples, summed squared error."""
    random.seed(11)
    model = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    return sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))


GRAPHS = {"neuron": neuron, "used twice": used_twice, "hand built": hand_built, "MLP": mlp_loss}


def replay(root):
    """The lecture's backward loop on a fresh graph, every grad recorded after every step."""
    topo = topological_order(root)
    for node in topo:
        node.grad = 0.0
    root.grad = 1.0
    fired, grads = [root], [[node.grad for node in topo]]
    for node in reversed(topo):
        if node._prev:
            node._backward()
            fired.append(node)
            grads.append([n.grad for n in topo])
    return topo, fired, grads


# --------------------------------------------------------------------- the trace


@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
def test_trace_equals_a_replay_of_backward_step_by_step(make):
    root = make()
    t = trace(root)
    topo, fired, grads = replay(root)
    assert t.nodes == topo
    assert [t.nodes[step.node] for step in t.steps] == fired
    for k in range(len(t.steps) + 1):
        expected = [0.0] * len(topo) if k == 0 else grads[k - 1]
        assert t.grads(k) == expected, f"after step {k}"

    # ... and the last step's grads are backward()'s, node by node, bit for bit.
    for node in topo:
        node.grad = 0.0
    root.backward()
    assert t.grads(len(t.steps)) == [node.grad for node in topo]


@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
def test_trace_leaves_the_graph_as_it_was(make):
    root = make()
    topo = topological_order(root)
    for i, node in enumerate(topo):
        node.grad = 100.0 + i  # not a fresh graph: the trace still starts from zero
    t = trace(root)
    assert [node.grad for node in topo] == [100.0 + i for i in range(len(topo))]
    assert t.grads(0) == [0.0] * len(topo)
    assert t.grads(1)[-1] == 1.0 and t.steps[0].node == len(topo) - 1


def test_steps_say_the_chain_rule_with_numbers():
    o = neuron()
    t = trace(o)
    assert t.steps[0].contributions[0].text == (
        "o.grad = 1, since do/do = 1: backward() starts here"
    )
    assert t.steps[1].text.startswith("o = tanh(n)")
    (c,) = t.steps[1].contributions
    assert math.isclose(c.local, 0.5) and c.text.startswith("n.grad += o.grad × (1 − o²) = 1 × 0.5")
    assert t.steps[2].text.startswith("n = (x1*w1 + x2*w2) + b")
    texts = [c.text for step in t.steps for c in step.contributions]
    assert "x1.grad += (x1*w1).grad × w1 = 0.5 × -3 = -1.5" in texts
    assert "w2.grad += (x2*w2).grad × x2 = 0.5 × 0 = 0" in texts


def test_a_value_used_twice_shows_both_contributions():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    z = y + x
    z.label = "z"
    t = trace(z)
    lines = [c.text for step in t.steps for c in step.contributions]
    assert lines == [
        "z.grad = 1, since dz/dz = 1: backward() starts here",
        "y.grad += z.grad × 1 = 1 × 1 = 1",
        "x.grad += z.grad × 1 = 1 × 1 = 1",
        "x.grad += y.grad × x = 1 × 3 = 3; x.grad = 1 + 3 = 4",
        "x.grad += y.grad × x = 1 × 3 = 3; x.grad = 4 + 3 = 7",
    ]
    assert t.grads(len(t.steps))[0] == 7.0 == 2 * 3.0 + 1


def test_hand_built_nodes_are_measured_by_running_their_backward():
    x = Value(2.0, label="x")
    c = cube(x)
    c.label = "c"
    y = c * 2.0
    y.label = "y"
    t = trace(y)
    assert local_grads(c) is None and local_grads(y) == [(c, 2.0), (y._prev[1], 8.0)]
    (contribution,) = t.steps[2].contributions
    assert t.steps[2].text == "c = cube(x)"
    assert contribution.local == 12.0 and contribution.amount == 24.0
    assert contribution.text == "x.grad += c.grad × ∂c/∂x (run from its _backward) = 2 × 12 = 24"


def test_unlabelled_values_are_named_by_id_and_unlabelled_leaves_by_number():
    a = Value(2.0)
    y = a * 3.0
    t = trace(y)
    texts = [c.text for step in t.steps for c in step.contributions]
    assert texts == [
        "#2.grad = 1, since d#2/d#2 = 1: backward() starts here",
        "#0.grad += #2.grad × 3 = 1 × 3 = 3",
        "#1.grad += #2.grad × 2 = 1 × 2 = 2",
    ]


def test_each_rule_is_written_out():
    x = Value(0.5, label="x")
    p = Value(2.0, label="p")
    cases = {
        x.exp(): "x.grad += #1.grad × #1 =",
        x.log(): "x.grad += #1.grad × 1/x =",
        x.relu(): "x.grad += #1.grad × [x > 0] =",
        x.sigmoid(): "x.grad += #1.grad × #1 · (1 − #1) =",
        x**3: "x.grad += #1.grad × 3 · x**(3 − 1) =",
    }
    for y, start in cases.items():
        assert trace(y).steps[1].contributions[0].text.startswith(start)
    lines = [c.text for c in trace(x**p).steps[1].contributions]
    assert lines[0] == "x.grad += #2.grad × p · x**(p − 1) = 1 × 1 = 1"
    assert lines[1] == "p.grad += #2.grad × #2 · ln x = 1 × -0.173287 = -0.173287"


@settings(max_examples=40)
@given(st.data())
def test_random_graphs_match_backward(data):
    leaves = [Value(data.draw(st.floats(-2, 2)), label=f"x{i}") for i in range(3)]
    pool = list(leaves)
    for _ in range(data.draw(st.integers(1, 12))):
        a, b = data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))
        op = data.draw(st.sampled_from(["+", "*", "tanh", "sigmoid", "relu", "**2"]))
        out = {
            "+": lambda: a + b,
            "*": lambda: a * b,
            "tanh": a.tanh,
            "sigmoid": a.sigmoid,
            "relu": a.relu,
            "**2": lambda: a.tanh() ** 2,
        }[op]()
        pool.append(out)
    root = pool[-1]
    t = trace(root)
    for node in t.nodes:
        node.grad = 0.0
    root.backward()
    assert t.grads(len(t.steps)) == [node.grad for node in t.nodes]


class Original:
    """The original micrograd's Value, cut down: closures, ``_prev`` a set, no label."""

    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev, self._op = set(_children), _op

    def __add__(self, other):
        out = Original(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Original(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo = topological_order(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()


def test_the_original_micrograds_value_is_traced_too():
    a, b = Original(2.0), Original(-3.0)
    y = a * b + a * a  # a used three times; a * a has one entry in its set _prev
    t = trace(y)
    y.backward()
    assert t.grads(len(t.steps)) == [node.grad for node in t.nodes]
    assert (a.grad, b.grad) == (-3.0 + 4.0, 2.0)
    assert "data-node-id" in explore(y).html


class Micro:
    """microgpt's Value: ``_children`` and ``_local_grads`` beside them (issue 8's layout)."""

    def __init__(self, data, children=(), local_grads=(), label=""):
        self.data, self.grad, self.label, self._op = data, 0.0, label, ""
        self._prev = self._children = tuple(children)
        self._local_grads = tuple(local_grads)

    def __add__(self, other):
        out = Micro(self.data + other.data, (self, other), (1.0, 1.0))
        out._op = "+"
        return out

    def __mul__(self, other):
        out = Micro(self.data * other.data, (self, other), (other.data, self.data))
        out._op = "*"
        return out

    def backward(self):
        self.grad = 1.0
        for v in reversed(topological_order(self)):
            for child, local in zip(v._children, v._local_grads):
                child.grad += local * v.grad


def test_local_derivatives_are_read_from_local_grads_where_a_node_has_them():
    a, b = Micro(2.0, label="a"), Micro(-3.0, label="b")
    y = a * b + a * a
    assert local_grads(y._children[1]) == [(a, 2.0), (a, 2.0)]
    t = trace(y)
    y.backward()
    assert t.grads(len(t.steps)) == [node.grad for node in t.nodes]
    # microgpt's recursive topological sort lists a * b before a * a, so a * b fires last
    assert [c.text for c in t.steps[-1].contributions] == [
        "a.grad += #2.grad × b = 1 × -3 = -3; a.grad = 4 + -3 = 1",
        "b.grad += #2.grad × a = 1 × 2 = 2",
    ]


def test_a_measured_node_names_each_of_its_operands():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    s = Value(7.0, (a, b, a, c), "sum4")

    def _backward():
        for operand, weight in ((a, 1.0), (b, 2.0), (a, 3.0), (c, 4.0)):
            operand.grad += weight * s.grad

    s._backward = _backward
    lines = [c.text for c in trace(s).steps[1].contributions]
    assert [line.split(" (run from")[0] for line in lines] == [
        "a.grad += #3.grad × ∂#3/∂a",
        "b.grad += #3.grad × ∂#3/∂b",
        "c.grad += #3.grad × ∂#3/∂c",
    ]
    assert [line.split(" = ", 1)[1] for line in lines] == ["1 × 4 = 4", "1 × 2 = 2", "1 × 4 = 4"]


# --------------------------------------------------------------------- the page


def attributes(page, name):
    return [html.unescape(v) for v in re.findall(rf'{name}="([^"]*)"', page)]


def test_page_contract():
    o = neuron()
    e = explore(o)
    page = e.html
    ids = [int(i) for i in attributes(page, "data-node-id")]
    assert sorted(ids) == list(range(10))  # one element per distinct value
    labels = attributes(page, "data-label")
    assert sorted(labels) == sorted(node.label for node in e.trace.nodes)
    by_id = dict(zip(ids, zip(attributes(page, "data-data"), attributes(page, "data-grad"))))
    for i, node in enumerate(e.trace.nodes):
        assert float(by_id[i][0]) == node.data and by_id[i][0] == repr(node.data)
        assert by_id[i][1] == "0.0"
    for action in ("step", "back", "reset", "run"):
        assert page.count(f'data-action="{action}"') == 1
    assert 'data-role="status"' in page
    for label in ("x1", "w2", "x1*w1 + x2*w2", "o"):  # visible text, not only attributes
        assert f">{label}</text>" in page
    assert "grad 0.0000" in page and "data 0.7071" in page


def test_page_loads_nothing_from_the_network():
    page = explore(used_twice()).html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(", page)
    assert "<link" not in page and "<script src" not in page


def test_labels_are_escaped():
    a = Value(1.0, label='<b>"a" & </script>')
    b = a * 2.0
    b.label = "b</text>"
    page = explore(b).html
    assert "</script>\n" not in page.split('id="trace">')[1].split("</script>")[0]
    assert "&lt;b&gt;&quot;a&quot; &amp; &lt;/script&gt;" in page
    assert page.count("</script>") == 2  # the data's and the code's: nothing broke out


# Labels that look like the template's placeholders, or that break out of an attribute if
# they ever land in the page unescaped (issue 17, E1: each was filled in by a later
# str.replace and the page ran the script).
HOSTILE_LABELS = [
    "{{data}}",
    "{{svg}}",
    "{{title}}",
    "{{summary}}",
    "b autofocus tabindex=1 onfocus=window.pwned=1 c",
    '" onmouseover="window.pwned=1',
    "</script><script>window.pwned=1</script>",
    "<img src=x onerror=window.pwned=1>",
]


def hostile_graph():
    """Every hostile label on a value, the root's too (the root's name is the page's title)."""
    values = [Value(float(i + 1), label=label) for i, label in enumerate(HOSTILE_LABELS)]
    out = values[0]
    for v in values[1:]:
        out = out * v
    out.label = "{{data}} {{svg}} {{title}} {{summary}}"
    return out


def test_labels_are_never_read_as_template():
    root = hostile_graph()
    page = explore(root).html
    labels = attributes(page, "data-label")
    for label in HOSTILE_LABELS + [root.label]:
        assert label in labels  # each survives, as text, in its own attribute
    # the template's own data and graph, once each: no label was filled in as either
    assert page.count('id="trace">') == 1 and page.count("<svg") == 1
    assert page.count("</script>") == 2
    assert "onfocus=window.pwned=1" not in page.split("<svg")[0]  # not in the title's markup
    assert 'data-label="b autofocus' in page  # the attribute closes after the whole label


def test_explore_writes_the_file_whole_and_displays_in_jupyter(tmp_path):
    path = tmp_path / "page.html"
    e = explore(neuron(), path)
    assert e.path == str(path) and path.read_text(encoding="utf-8") == e.html
    assert os.listdir(tmp_path) == ["page.html"]
    frame = e._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and html.escape(e.html, quote=True) in frame
    assert "6 steps over 10 values" in repr(e)
    with pytest.raises(FileNotFoundError, match="its folder does not exist"):
        e.save(tmp_path / "no such folder" / "page.html")
    assert os.listdir(tmp_path) == ["page.html"]


def test_saving_to_a_folder_names_the_folder_and_leaves_nothing_beside_it(tmp_path):
    """The error names the folder given (it named a temporary file made in its parent)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for call in (lambda: explore(neuron(), folder), lambda: explore(neuron()).save(str(folder))):
        with pytest.raises(IsADirectoryError) as raised:
            call()
        assert str(raised.value) == (
            f"explore: cannot write {folder}: it is a folder; give the page's file name, "
            f"such as {folder / 'backward.html'}"
        )
    with pytest.raises(IsADirectoryError, match="Is a folder, not a file: .*new/"):
        explore(neuron()).save(f"{tmp_path}/new/")  # a separator at the end: a folder
    assert sorted(os.listdir(tmp_path)) == ["pages"] and os.listdir(folder) == []


def test_explore_is_exported():
    assert micrograd.explore is explore


def test_mlp_page_and_a_leaf_root():
    e = explore(mlp_loss())
    assert len(attributes(e.html, "data-node-id")) == len(e.trace.nodes)
    leaf = explore(Value(3.0, label="only"))
    assert len(leaf.trace.steps) == 1 and leaf.trace.grads(1) == [1.0]


# --------------------------------------------------------------------- limits and bad input


def x_plus_x(n):
    x = Value(0.5, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    return y


def test_too_many_values_is_refused_clearly():
    y = Value(0.5)
    for _ in range(60):
        y = y.tanh()
    with pytest.raises(GraphTooLarge, match=r"61 values, more than max_nodes=50"):
        explore(y, max_nodes=50)
    assert len(explore(y, max_nodes=None).trace.steps) == 61


def test_a_value_reused_far_apart_is_refused_before_any_layout():
    start = time.perf_counter()
    with pytest.raises(GraphTooLarge, match=r"x is used far apart in it"):
        explore(x_plus_x(200))
    assert time.perf_counter() - start < 5  # laying this out would take minutes
    cost, worst = layout_cost(topological_order(x_plus_x(30)))
    assert worst == 0 and 0 < cost < layout_cost(topological_order(x_plus_x(60)))[0]


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Value or a Tensor, got float"):
        explore(3.0)
    with pytest.raises(TypeError, match="names= names the tensors of a Tensor graph"):
        explore(Value(1.0), names={"x": Value(1.0)})
    for bad in (0, -1, 2.5, True, "9"):
        with pytest.raises(ValueError, match="max_nodes must be a positive integer or None"):
            explore(Value(1.0), max_nodes=bad)


# --------------------------------------------------------------------- the command


NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "--set", "x2=0", "--set", "w1=-3"]
NEURON += ["--set", "w2=1", "--set", "b=6.8813735870195432"]


def test_command_writes_the_page(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *NEURON, "--html", "steps/page.html"]) == 0
    out = capsys.readouterr().out
    assert "wrote steps/page.html" in out and "d/dw1 1" in out
    page = (tmp_path / "steps" / "page.html").read_text(encoding="utf-8")
    assert 'data-label="w1"' in page and 'data-data="-3.0"' in page
    assert page.count("data-node-id=") == len(attributes(page, "data-node-id")) > 5
    assert not (tmp_path / "micrograd-out").exists()  # only the page was asked for
    assert main(["graph", *NEURON, "--html", "p.html", "--out", "g.svg"]) == 0
    assert (tmp_path / "p.html").exists() and (tmp_path / "g.svg").exists()


def test_command_refuses_bad_pages_in_one_line(tmp_path, capsys):
    assert main(["graph", "x*2", "--set", "x=1", "--html", str(tmp_path / "p.txt")]) == 2
    assert "--html" in capsys.readouterr().err
    sum_x = "+".join(["x"] * 200)
    assert main(["graph", sum_x, "--set", "x=1", "--html", str(tmp_path / "p.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd: error: explore: ") and err.count("\n") == 1
    assert os.listdir(tmp_path) == []
