"""malloc's set-up for training loops (micrograd.memory): asked for, never made at import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

on_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"),
    reason="malloc is only set up on glibc",
)

# Runs STATEMENT, then reports whether glibc gave a 16 MiB malloc pages of its own (mmap, as
# its defaults do: 128 KiB threshold, raised only by frees of bigger blocks, which importing
# micrograd makes none of) or served it from the heap (as it does once tune_malloc has set the
# threshold to 32 MiB), and whether anything looked mallopt up through ctypes.
_PROBE = """
import ctypes
looked_up = []
_getitem = ctypes.CDLL.__getitem__
def getitem(library, name):
    looked_up.append(name)
    return _getitem(library, name)
ctypes.CDLL.__getitem__ = getitem

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)

exec(STATEMENT)
mapped_before = libc.mallinfo2().hblks
block = libc.malloc(16 * 1024 * 1024)
mapped = libc.mallinfo2().hblks - mapped_before
libc.free(block)
print("mapped" if mapped else "heap", "mallopt" in looked_up)
"""

_STEPS_FAULTS = """
import resource, numpy as np, micrograd
from micrograd import nn
tuned = micrograd.tune_malloc()
model = nn.Sequential(nn.Linear(256, 512), nn.Tanh(), nn.Linear(512, 256))
opt = micrograd.optim.SGD(model.parameters(), lr=1e-3)
x = micrograd.tensor(np.random.default_rng(0).standard_normal((512, 256)))
def step():
    loss = (model(x) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
print(tuned, faults)
"""


def _environment(**env: str) -> dict[str, str]:
    """This process's environment without any malloc setting of its own, plus ``env``."""
    names = ("MALLOC_", "GLIBC_TUNABLES", "MICROGRAD_MALLOC")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(names)}, **env}


def _python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _probe(statement: str) -> str:
    return _python(f"STATEMENT = {statement!r}\n{_PROBE}")


@on_glibc
def test_importing_micrograd_leaves_malloc_as_it_was():
    statements = (
        "import micrograd",
        "from micrograd import Value",
        "import micrograd.nn, micrograd.optim, micrograd.nn.functional",
        "import micrograd.cli, micrograd.models",
    )
    # A process holding all of these asks for the same 16 MiB as a bare Python would.
    for statement in ("pass", *statements):
        assert _probe(statement) == "mapped False", statement
    # The probe sees the set-up when it is made.
    assert _probe("import micrograd; micrograd.tune_malloc()") == "heap True"


@on_glibc
def test_malloc_keeps_a_training_loops_memory_and_can_be_turned_off():
    tuned, faults = _python(_STEPS_FAULTS).split()
    assert tuned == "True"
    # Each step's arrays (1 MiB and up) come back from the heap: next to no new pages.
    assert float(faults) < 50, faults
    # (With glibc's defaults the same loop takes hundreds of faults a step here; how many
    # depends on the kernel's huge-page setting, so only the opt-out itself is checked.)
    assert _tuned(MICROGRAD_MALLOC="default") == "False"
    assert _tuned(MALLOC_MMAP_THRESHOLD_="131072") == "False"  # the user's own setting
    assert _tuned(GLIBC_TUNABLES="glibc.malloc.trim_threshold=65536") == "False"
    assert _tuned() == "True"


def _tuned(**env: str) -> str:
    """What tune_malloc returns in a fresh process with ``env`` (the module alone, loaded
    from its file: it imports nothing of micrograd's)."""
    import micrograd.memory as memory

    return _python(
        f"import importlib.util as u; s = u.spec_from_file_location('m', {memory.__file__!r}); "
        "m = u.module_from_spec(s); s.loader.exec_module(m); print(m.tune_malloc())",
        **env,
    )
