"""``SummaryWriter``: training curves and histograms for TensorBoard, as PyTorch's
``torch.utils.tensorboard.SummaryWriter``.

It writes real TensorBoard event files (view them with ``tensorboard --logdir runs``, from the
``tensorboard`` package) through the small ``tensorboardX`` package, an optional extra:
``pip install -e '.[tensorboard]'`` in micrograd's clone, or ``pip install tensorboardX``.
Without it, importing this module says so.

Values may be micrograd tensors, NumPy arrays or Python and NumPy numbers::

    with SummaryWriter("runs/exp1") as writer:
        for step in range(100):
            writer.add_scalar("Loss/train", loss, step)  # loss: a one-element tensor or a number
            writer.add_histogram("weights", model.weight, step)

Events are written in the calling thread as they come (PyTorch and tensorboardX hand them to a
background thread); they reach the disk every ``max_queue`` events, every ``flush_secs``
seconds, and at ``flush()`` and ``close()``, so after ``flush()`` TensorBoard sees everything
logged so far. An event file is a log that TensorBoard reads while it grows, so it is appended
to, not written atomically: a crash loses at most the events not yet flushed.

tensorboardX imports PyTorch when PyTorch is installed (its own choice); micrograd never does.
"""

from __future__ import annotations

import itertools
import operator
import os
import socket
import time
from datetime import datetime
from typing import Any

import numpy as np

from micrograd.tensors import Tensor

try:
    # tensorboardX's EventsWriter writes events synchronously; its SummaryWriter and FileWriter
    # queue them for a thread, and their flush() does not wait for that queue.
    from tensorboardX.event_file_writer import EventsWriter
    from tensorboardX.proto.event_pb2 import Event, SessionLog
    from tensorboardX.summary import histogram, scalar, text
except ImportError as error:
    raise ImportError(
        "micrograd.utils.tensorboard needs the tensorboardX package: pip install tensorboardX, "
        f"or micrograd's extra, pip install 'micrograd[tensorboard]' ({error})"
    ) from None

__all__ = ["SummaryWriter"]


def _tensorflow_bins() -> list[float]:
    """TensorBoard's default histogram bucket edges, built as PyTorch's SummaryWriter builds
    them: growing by 10% from 1e-12 to 1e20, mirrored for negative values, and 0."""
    edges = []
    edge = 1e-12
    while edge < 1e20:
        edges.append(edge)
        edge *= 1.1
    return [-edge for edge in reversed(edges)] + [0] + edges


_TENSORFLOW_BINS = _tensorflow_bins()

# Event file names end in .<pid>.<n>, as TensorBoard's own writer names them, so two files
# opened in one directory within the same second never share a name.
_FILE_NUMBERS = itertools.count()


class _EventFile:
    """One event file in ``log_dir``, written as the calls come and flushed every
    ``max_queue`` events or ``flush_secs`` seconds."""

    def __init__(self, log_dir: str, max_queue: int, flush_secs: float, suffix: str) -> None:
        os.makedirs(log_dir, exist_ok=True)
        unique = f".{os.getpid()}.{next(_FILE_NUMBERS)}{suffix}"
        self._events = EventsWriter(os.path.join(log_dir, "events"), unique)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._pending = 0
        self._flushed_at = time.time()

    def add(self, event: Event, step: int | None = None, walltime: float | None = None) -> None:
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = step
        self._events.write_event(event)
        self._pending += 1
        if self._pending >= self._max_queue or time.time() - self._flushed_at >= self._flush_secs:
            self.flush()

    def flush(self) -> None:
        self._events.flush()
        self._pending = 0
        self._flushed_at = time.time()

    def close(self) -> None:
        self._events.close()


class SummaryWriter:
    """Writes scalars, histograms and text to TensorBoard event files in ``log_dir``.

    ``log_dir`` defaults to ``runs/<month><day>_<hh>-<mm>-<ss>_<hostname><comment>``, as in
    PyTorch. ``purge_step``: after a crash, resume logging at this step and TensorBoard hides
    the events logged at or after it by the crashed run. ``max_queue``, ``flush_secs``: how
    often events reach the disk (see the module's docstring). ``filename_suffix`` ends every
    event file's name.

    A closed writer opens a new event file in the same directory at its next ``add_*``.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{now}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = None if purge_step is None else _step(purge_step)
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        # log_dir -> its event file: the writer's own, and one per add_scalars series
        self._files: dict[str, _EventFile] = {}
        self._file(self.log_dir)  # the event file exists from the start, as in PyTorch

    def get_logdir(self) -> str:
        """The directory the event files are written in."""
        return self.log_dir

    def _file(self, log_dir: str) -> _EventFile:
        if log_dir not in self._files:
            events = _EventFile(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            if self.purge_step is not None and log_dir == self.log_dir:
                # what TensorBoard reads as "a run restarted at this step"
                events.add(Event(file_version="brain.Event:2"), self.purge_step)
                start = SessionLog(status=SessionLog.START)
                events.add(Event(session_log=start), self.purge_step)
                self.purge_step = None
            self._files[log_dir] = events
        return self._files[log_dir]

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log one number (a number, or a one-element tensor or array) under ``tag``."""
        value = _one_number(scalar_value, "add_scalar(): scalar_value")
        event = Event(summary=scalar(tag, value))
        self._file(self.log_dir).add(event, _step(global_step), walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several numbers on one chart: each ``{tag: value}`` goes to its own run,
        ``<log_dir>/<main_tag>_<tag>`` (``/`` in ``main_tag`` made ``_``), as in PyTorch."""
        step = _step(global_step)
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            number = _one_number(value, f"add_scalars(): the value of {tag!r}")
            series = f"{self.log_dir}/{main_tag.replace('/', '_')}_{tag}"
            self._file(series).add(Event(summary=scalar(main_tag, number)), step, walltime)

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: str | int | list[float] = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log the distribution of ``values`` (a tensor, array or list of numbers, any shape).

        ``bins``: ``"tensorflow"`` (TensorBoard's default buckets, as PyTorch), or anything
        ``numpy.histogram`` takes (a count, edges, ``"auto"``, ``"fd"``, ...)."""
        array = _numbers(values, "add_histogram(): values")
        if array.size == 0:
            raise ValueError("add_histogram(): values is empty; a histogram needs numbers")
        if not np.isfinite(array).all():
            raise ValueError("add_histogram(): values holds nan or inf; it needs finite numbers")
        if isinstance(bins, str) and bins == "tensorflow":
            bins = _TENSORFLOW_BINS
        summary = histogram(tag, array, bins, max_bins=max_bins)
        self._file(self.log_dir).add(Event(summary=summary), _step(global_step), walltime)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a piece of text (TensorBoard's Text tab shows it as Markdown)."""
        if not isinstance(text_string, str):
            raise TypeError(
                f"add_text(): text_string must be a str, got {type(text_string).__name__}"
            )
        event = Event(summary=text(tag, text_string))
        self._file(self.log_dir).add(event, _step(global_step), walltime)

    def flush(self) -> None:
        """Write every event logged so far to disk."""
        for events in self._files.values():
            events.flush()

    def close(self) -> None:
        """Flush and close the event files (closing twice is harmless)."""
        for events in self._files.values():
            events.close()
        self._files = {}

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _step(global_step: Any) -> int | None:
    if global_step is None:
        return None
    try:
        return operator.index(global_step)
    except TypeError:
        raise TypeError(f"global_step must be an int, got {type(global_step).__name__}") from None


def _numbers(values: Any, what: str) -> np.ndarray:
    """``values`` as a float64 array: from a tensor (detached), an array, a number or a list."""
    array = values.detach().numpy() if isinstance(values, Tensor) else np.asarray(values)
    if array.dtype.kind in "SUOcmM":  # text, objects, complex numbers, dates
        raise TypeError(
            f"{what} must be numbers (a number, tensor or NumPy array), got {type(values).__name__}"
            + (f" of {array.dtype}" if array.ndim else "")
        )
    return array.astype(np.float64)


def _one_number(value: Any, what: str) -> float:
    array = _numbers(value, what)
    if array.size != 1:
        raise ValueError(f"{what} must be one number, got {array.size} (shape {array.shape})")
    return float(array.reshape(()))
