"""What every part of the ``micrograd`` command shares: its name and the errors it reports.

A subcommand raises :class:`UsageError` for something the user asked that cannot be done
(exit status 2) and :class:`CommandFailed` for something that went wrong while doing it
(exit status 1); :func:`micrograd.cli.main` prints either as one ``micrograd: error: ...``
line on stderr, never a traceback.
"""

from __future__ import annotations

PROG = "micrograd"
DEFAULT_OUT = "micrograd-out"  # where the subcommands write unless told otherwise
# What a command may plan to hold in memory: sizes that need more are refused before any work
# (a run that fits a laptop beside its browser), with this limit in the message.
MAX_MEMORY = 2 * 2**30
MAKEMORE_SEED_MAX = 2**64 - 1  # the largest seed micrograd.manual_seed takes, as PyTorch's


class UsageError(Exception):
    """Something the user asked for cannot be done; the message is the one line shown."""


class CommandFailed(Exception):
    """The command could not finish (no renderer, out of memory); the message is shown."""
