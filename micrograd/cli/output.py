"""What the command shows: user text made safe for a terminal, and JSON that is JSON.

Words, file names and vocabularies come from the user's files and may hold any character.
Printed as they are, an ESC or BEL byte would drive the terminal (colours, cursor moves, a
changed window title) instead of being seen; :func:`printable` shows each non-printable
character as its Python escape instead (``\\x1b``, ``\\n``, ``\\u202e``), so the line shows
what the file holds.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity`` by default, which JSON does not
have and most readers refuse; :func:`to_json` writes ``null`` for them.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["printable", "to_json"]


def printable(text: str) -> str:
    """``text`` with each non-printable character (``str.isprintable``: control and format
    characters, separators other than the space) written as its Python escape.

    >>> printable("ann\\x1b[31ma\\x07 zoë")
    'ann\\\\x1b[31ma\\\\x07 zoë'
    """
    if text.isprintable():
        return text  # the usual case, without building a new string
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def to_json(value: Any, indent: int | None = None) -> str:
    """``value`` (dicts, lists, numbers, strings, None) as JSON text, a float that is not
    finite written as ``null``.

    >>> to_json({"loss": float("nan"), "steps": [1, 2]})
    '{"loss": null, "steps": [1, 2]}'
    """
    return json.dumps(_finite(value), indent=indent, allow_nan=False)


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None. (It recurses: the
    command's own summaries are a few levels deep, never user-made.)"""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
