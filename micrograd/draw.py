"""Drawing a computation graph the way the lecture does, rendered without a system Graphviz.

``draw_dot(root)`` walks everything ``root`` was computed from and returns a
``graphviz.Digraph``: one record ``{ label | data | grad }`` per value and a small node for
the operation (``_op``) that produced it, with edges operand -> op -> result. In a notebook the
drawing shows inline; ``.render('out')`` writes ``out`` and ``out.svg``.

Rendering, and why it is done this way: the ``graphviz`` package runs an executable named
``dot`` (``graphviz.backend.dot_command.DOT_BINARY``, one module-level name). Most learners
have no system Graphviz, so micrograd depends on ``graphviz-pure``, which installs a
``graphviz-pure`` executable taking the same flags. Rather than change ``DOT_BINARY`` (global
state of another package, seen by every other graph in the process), ``GraphDrawing`` is a
``Digraph`` subclass that overrides the three methods through which ``graphviz`` 0.20+ runs
the executable (``_pipe_lines``, ``_pipe_lines_string``: ``pipe()`` and Jupyter display;
``_render``: ``render()`` and ``view()``). Each builds the upstream command line with
``graphviz.backend.dot_command.command`` (so formats and engines are checked as usual),
puts the executable found by ``find_renderer`` in place of ``dot``, and runs it with
``graphviz.backend.execute.run_check``, so errors are the usual ``graphviz`` ones. The
lookup happens at render time, so installing a renderer later works on existing drawings.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import graphviz
from graphviz.backend import dot_command, execute, rendering

__all__ = ["GraphDrawing", "RendererNotFound", "draw_dot", "find_renderer"]

# Past this many values, drawing all of them makes a picture nobody can read and a layout
# that takes minutes; ``draw_dot`` then draws the values nearest the output and says so.
DEFAULT_MAX_NODES = 1000

RASTER_FORMATS = frozenset({"png", "jpeg", "jpg", "jpe", "gif", "bmp", "tif", "tiff", "webp"})
MAX_RASTER_INCHES = 100

RANKDIRS = ("LR", "RL", "TB", "BT")

INSTALL_HINT = (
    "install a renderer: `pip install graphviz-pure` (no system packages needed) "
    "or system Graphviz (`apt install graphviz`, `brew install graphviz`, "
    "https://graphviz.org/download/)"
)


class RendererNotFound(graphviz.ExecutableNotFound):
    """No Graphviz renderer is installed; the DOT source (``.source``) is still available.

    A subclass of ``graphviz.ExecutableNotFound``, so code that catches that still works.
    """

    def __init__(self) -> None:
        RuntimeError.__init__(
            self,
            "cannot render the graph: neither Graphviz's `dot` nor `graphviz-pure` was found "
            f"(looked on PATH and in {pathlib.Path(sys.executable).parent}); "
            f"{INSTALL_HINT}. The DOT source is still available as `.source`.",
        )


def find_renderer() -> str | None:
    """The executable that renders DOT here, or None if there is none.

    The system's ``dot`` comes first (it writes every format, PDF included); then the
    ``graphviz-pure`` executable, on PATH or next to the running Python (a virtual
    environment's ``bin`` is often not on PATH, in a notebook kernel for example).
    """
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found is None:
        found = shutil.which("graphviz-pure", path=os.path.dirname(sys.executable))
    return found


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with whichever renderer ``find_renderer`` finds.

    Everything else is plain ``graphviz``: ``.source``, ``.render()``, ``.pipe()``,
    ``.view()``, inline display in Jupyter.
    """

    def _command(
        self,
        engine: str,
        format: str,
        renderer: str | None,
        formatter: str | None,
        neato_no_op: bool | int | None,
    ) -> list[Any]:
        cmd = dot_command.command(
            engine, format, renderer=renderer, formatter=formatter, neato_no_op=neato_no_op
        )
        executable = find_renderer()
        if executable is None:
            raise RendererNotFound()
        cmd[0] = executable  # upstream puts dot_command.DOT_BINARY ('dot') here
        if format in RASTER_FORMATS and "size" not in self.graph_attr:
            # graphviz-pure allocates the whole bitmap however large (a 400-value chain asked
            # for 19 GB); system dot scales huge bitmaps down itself. Cap the longer side at
            # 100 inches (9,600 px); setting graph_attr['size'] yourself overrides this.
            cmd.append(f"-Gsize={MAX_RASTER_INCHES},{MAX_RASTER_INCHES}")
        return cmd

    def _pipe_lines(
        self,
        engine: str,
        format: str,
        input_lines: Iterator[str],
        *,
        input_encoding: str,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
    ) -> bytes:
        # Same as graphviz.backend.piping.pipe_lines, with our executable.
        cmd = self._command(engine, format, renderer, formatter, neato_no_op)
        encoded = (line.encode(input_encoding) for line in input_lines)
        proc = execute.run_check(cmd, input_lines=encoded, capture_output=True, quiet=quiet)
        return proc.stdout

    def _pipe_lines_string(
        self,
        engine: str,
        format: str,
        input_lines: Iterator[str],
        *,
        encoding: str,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
    ) -> str:
        # Same as graphviz.backend.piping.pipe_lines_string, with our executable.
        cmd = self._command(engine, format, renderer, formatter, neato_no_op)
        proc = execute.run_check(
            cmd, input_lines=input_lines, encoding=encoding, capture_output=True, quiet=quiet
        )
        return proc.stdout

    def _render(
        self,
        engine: str,
        format: str,
        filepath: os.PathLike | str,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        outfile: os.PathLike | str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_filepath: bool = False,
    ) -> str:
        # Same as graphviz.backend.rendering.render for the calls Render.render makes (it has
        # already saved the source to ``filepath`` and settled ``format``), with our executable.
        if raise_if_result_exists and overwrite_filepath:
            raise ValueError("overwrite_filepath cannot be combined with raise_if_result_exists")
        filepath = pathlib.Path(filepath)
        if outfile is None:
            outfile = rendering.get_outfile(
                filepath, format=format, renderer=renderer, formatter=formatter
            )
        outfile = pathlib.Path(outfile)
        if not overwrite_filepath and outfile.resolve() == filepath.resolve():
            raise ValueError(
                f"outfile {outfile.name!r} must be different from input file "
                f"{filepath.name!r} (pass overwrite_source=True to override)"
            )
        cmd = self._command(engine, format, renderer, formatter, neato_no_op)
        if raise_if_result_exists and outfile.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(outfile)!r}")
        # Run from the source's folder, as upstream does, so relative paths inside it resolve.
        cmd += ["-o", os.fspath(outfile.resolve()), filepath.name]
        execute.run_check(
            cmd,
            cwd=filepath.parent if filepath.parent.parts else None,
            quiet=quiet,
            capture_output=True,
        )
        return os.fspath(outfile)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        # In a notebook, a missing renderer shows the advice (and the source) in the cell
        # instead of a traceback from inside IPython's display machinery.
        if find_renderer() is None:
            warnings.warn(str(RendererNotFound()), stacklevel=2)
            return {"text/plain": f"{RendererNotFound()}\n\n{self.source}"}
        return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)


def draw_dot(
    root: Any,
    format: str = "svg",
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> GraphDrawing:
    """The graph that computed ``root``, as the lecture draws it: a ``graphviz.Digraph``.

    Every value is a record ``{ label | data | grad }`` (data and grad to 4 decimals); every
    value an operation produced gets a small node showing the operation, with edges operand ->
    op -> value, one edge per operand (``a + a`` draws two). Tensors show
    ``{ label | shape | data | grad }``, with the number itself where a tensor holds one and
    otherwise its dtype and range. Node names are ``v<id(value)>`` and ``v<id(value)>_op``.

    ``format`` is what ``.render()`` and ``.pipe()`` write by default ('svg', 'png', ...;
    with graphviz-pure not 'pdf'); ``rankdir`` lays the graph out left-to-right ('LR'), top-down
    ('TB'), 'RL' or 'BT'. Past ``max_nodes`` values (``None``: no limit) only the values
    nearest ``root`` are drawn, those cut off are gathered into one "more values" node, and a
    warning says so.

    >>> from micrograd import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> e.backward()
    >>> dot = draw_dot(e)
    >>> print(dot.source)  # doctest: +ELLIPSIS
    digraph {
        graph [rankdir=LR]
        v... [label="{ e | data -6.0000 | grad 1.0000 }" shape=record]
        v..._op [label="*"]
        v..._op -> v...
        v... -> v..._op
        v... -> v..._op
        v... [label="{ a | data 2.0000 | grad -3.0000 }" shape=record]
        v... [label="{ b | data -3.0000 | grad 2.0000 }" shape=record]
    }
    <BLANKLINE>
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"draw_dot: max_nodes must be a positive integer or None, got {max_nodes!r}"
        )
    if not hasattr(root, "_prev") or not hasattr(root, "data"):
        raise TypeError(
            f"draw_dot: expected a Value or Tensor (something with data and _prev), "
            f"got {type(root).__name__}"
        )

    nodes = _nearest_first(root)
    shown = nodes if max_nodes is None else nodes[:max_nodes]
    hidden = len(nodes) - len(shown)
    if hidden:
        warnings.warn(
            f"draw_dot: the graph has {len(nodes):,} values; drawing the {len(shown):,} "
            f"nearest the output (max_nodes={max_nodes}) and gathering the other {hidden:,} "
            "into one node. Pass max_nodes=None to draw them all (the layout may take minutes).",
            stacklevel=2,
        )

    # The body is written as DOT lines directly: graphviz's node()/edge() re-quote and
    # re-check every name and attribute, several times slower on large graphs.
    drawn = {id(node) for node in shown}
    body: list[str] = []
    frontier: list[str] = []  # op nodes with an operand that was cut off
    for node in shown:
        name = f"v{id(node)}"
        body.append(f'\t{name} [label="{_record_label(node)}" shape=record]\n')
        if node._prev:
            op = f"{name}_op"
            body.append(f'\t{op} [label="{_quote(str(node._op))}"]\n')
            body.append(f"\t{op} -> {name}\n")
            cut_off = False
            for operand in node._prev:
                if id(operand) in drawn:
                    body.append(f"\tv{id(operand)} -> {op}\n")
                else:
                    cut_off = True
            if cut_off:
                frontier.append(op)
    if hidden:
        body.append(f'\tmore [label="{hidden:,} more values" shape=box style="dashed,rounded"]\n')
        body.extend(f"\tmore -> {op}\n" for op in frontier)

    dot = GraphDrawing(format=format, graph_attr={"rankdir": rankdir})
    dot.body.extend(body)
    return dot


def _nearest_first(root: Any) -> list[Any]:
    """Every value ``root`` depends on, breadth first from ``root``: an iterative walk.

    Keyed by ``id`` so that values need not be hashable (a tensor with an elementwise
    ``__eq__`` is not).
    """
    seen = {id(root)}
    order = [root]
    i = 0
    while i < len(order):  # ``order`` doubles as the queue
        for operand in order[i]._prev:
            if id(operand) not in seen:
                seen.add(id(operand))
                order.append(operand)
        i += 1
    return order


def _record_label(node: Any) -> str:
    """``{ label | data | grad }`` for a scalar, ``{ label | shape | data | grad }`` otherwise."""
    label = _escape_record(str(getattr(node, "label", None) or ""))
    data, grad = node.data, getattr(node, "grad", None)
    if isinstance(data, (int, float)):  # a scalar Value: the lecture's label
        return f"{{ {label} | data {data:.4f} | grad {_scalar(grad)} }}"
    shape = tuple(getattr(data, "shape", ()))
    return (
        f"{{ {label} | shape {_escape_record(str(shape))} | data {_summary(data)} "
        f"| grad {_summary(grad)} }}"
    )


def _scalar(x: Any) -> str:
    return "None" if x is None else f"{x:.4f}"


def _summary(array: Any) -> str:
    """One number where the array holds one, otherwise its dtype and range."""
    if array is None:
        return "None"
    size = getattr(array, "size", None)
    if size == 1:
        return f"{float(array.reshape(-1)[0]):.4f}"
    if not size:
        return f"{array.dtype} (empty)"
    return f"{array.dtype} in [{float(array.min()):.4f}, {float(array.max()):.4f}]"


# Record labels give { } | < > a meaning and DOT strings end at ", so each of these (and the
# backslash that escapes them) gets a backslash; a newline becomes DOT's \n.
_RECORD_ESCAPES = str.maketrans({c: "\\" + c for c in '\\{}|<>"'} | {"\n": "\\n", "\r": ""})
_QUOTE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": ""})


def _escape_record(text: str) -> str:
    return text.translate(_RECORD_ESCAPES)


def _quote(text: str) -> str:
    return text.translate(_QUOTE_ESCAPES)
