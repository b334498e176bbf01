"""Rendering DOT without a system Graphviz: where the renderer is, and a Digraph that uses it.

The ``graphviz`` package runs an executable named ``dot`` (``graphviz.backend.dot_command.
DOT_BINARY``, one module-level name). Most learners have no system Graphviz, so micrograd
depends on ``graphviz-pure``, which installs a ``graphviz-pure`` executable taking the same
flags. Rather than change ``DOT_BINARY`` (global state of another package, seen by every other
graph in the process), :class:`GraphDrawing` is a ``Digraph`` subclass that overrides the three
methods through which ``graphviz`` 0.20+ runs the executable (``_pipe_lines``,
``_pipe_lines_string``: ``pipe()`` and Jupyter display; ``_render``: ``render()`` and
``view()``). Each builds the upstream command line with ``graphviz.backend.dot_command.command``
(so formats and engines are checked as usual), puts the executable found by
:func:`find_renderer` in place of ``dot``, and runs it with ``graphviz.backend.execute.
run_check``, so errors are the usual ``graphviz`` ones. The lookup happens at render time, so
installing a renderer later works on existing drawings.

What to draw is :mod:`micrograd.draw`'s business; this module knows nothing of Values.
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

__all__ = ["INSTALL_HINT", "GraphDrawing", "RendererNotFound", "find_renderer"]

RASTER_FORMATS = frozenset({"png", "jpeg", "jpg", "jpe", "gif", "bmp", "tif", "tiff", "webp"})
MAX_RASTER_INCHES = 100

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
