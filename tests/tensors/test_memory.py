"""malloc's set-up for training loops (micrograd.tensors._memory)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_STEPS_FAULTS = """
import resource, numpy as np, micrograd
from micrograd import nn
from micrograd.tensors import _memory
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
print(_memory.TUNED, faults)
"""


def _environment(**env: str) -> dict[str, str]:
    """This process's environment without any malloc setting of its own, plus ``env``."""
    names = ("MALLOC_", "GLIBC_TUNABLES", "MICROGRAD_MALLOC")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(names)}, **env}


def _run_steps(**env: str) -> tuple[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _STEPS_FAULTS],
        env=_environment(**env),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], float(out[1])


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"),
    reason="malloc is only set up on glibc",
)
def test_malloc_keeps_a_training_loops_memory_and_can_be_turned_off():
    tuned, faults = _run_steps()
    assert tuned == "True"
    # Each step's arrays (1 MiB and up) come back from the heap: next to no new pages.
    assert faults < 50, faults
    # (With glibc's defaults the same loop takes hundreds of faults a step here; how many
    # depends on the kernel's huge-page setting, so only the opt-out itself is checked.)
    assert _tuned(MICROGRAD_MALLOC="default") == "False"
    assert _tuned(MALLOC_MMAP_THRESHOLD_="131072") == "False"  # the user's own setting
    assert _tuned(GLIBC_TUNABLES="glibc.malloc.trim_threshold=65536") == "False"
    assert _tuned() == "True"


def _tuned(**env: str) -> str:
    """Whether _memory sets malloc up in a fresh process with ``env`` (the module alone,
    loaded from its file: it imports nothing of micrograd's)."""
    import micrograd.tensors._memory as memory

    code = (
        f"import importlib.util as u; s = u.spec_from_file_location('m', {memory.__file__!r}); "
        "m = u.module_from_spec(s); s.loader.exec_module(m); print(m.TUNED)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_environment(**env), capture_output=True, text=True
    )
    return done.stdout.strip()
