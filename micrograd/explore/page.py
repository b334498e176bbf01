"""What the two pages share: their templates filled in one pass, and the ``Explorer`` that holds
a page (its text, its trace, where it was written) and shows it inline in Jupyter."""

from __future__ import annotations

import html
import os
import re
from importlib import resources
from typing import Any

from micrograd._files import write_atomically

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class GraphTooLarge(ValueError):
    """The graph is too big (or too tangled) to lay out and step through quickly."""


def fill_template(name: str, parts: dict[str, str]) -> str:
    """The template ``name`` (beside this module) with each ``{{key}}`` replaced by
    ``parts[key]``, in one pass over the template alone: what is filled in is never read
    again, so a label that holds ``{{data}}`` stays that text (chained ``str.replace`` would
    fill it in too). ``{{controls}}`` is the stepping controls' script both pages share
    (controls.js, beside the templates)."""
    parts = {"controls": _read("controls.js"), **parts}
    return PLACEHOLDER.sub(lambda m: parts[m.group(1)], _read(name))


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


class Explorer:
    """The page ``explore`` made: ``.html`` (the file's text), ``.trace``, ``.path`` (where it
    was written, or None). Shows inline in Jupyter, in a sandboxed iframe."""

    def __init__(
        self, page: str, trace: Any, path: str | None = None, *, noun: str = "values"
    ) -> None:
        self.html, self.trace, self.path = page, trace, path
        self._noun = noun
        self._height = 640 if noun == "values" else 820  # the tensor page shows heatmaps too

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path``, whole or not at all (:func:`micrograd._files.
        write_atomically`); returns ``path``. A folder, or a file in a missing folder, is
        refused naming ``path``."""
        path = os.fspath(path)
        if os.path.isdir(path):
            example = os.path.join(path, "backward.html")
            raise IsADirectoryError(
                f"explore: cannot write {path}: it is a folder; give the page's file name, "
                f"such as {example}"
            )
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise FileNotFoundError(f"explore: cannot write {path}: its folder does not exist")
        self.path = write_atomically(path, self.html.encode("utf-8"))
        return self.path

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self._height}px; border: 1px solid #ccc"></iframe>'
        )

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        steps, nodes = len(self.trace.steps), len(self.trace.nodes)
        return f"<Explorer: {steps} steps over {nodes} {self._noun}{where}>"
