"""``micrograd.autocast`` against ``torch.autocast`` on the CPU: the op lists (which ops run in
bfloat16, which in float32, which follow their inputs), the values, the gradients' dtypes, a
small GPT's loss and gradients, and the context manager itself (nesting, decorator, threads,
devices and dtypes it refuses as PyTorch does)."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import micrograd as mg
from micrograd.nn import functional as F

RNG = np.random.default_rng(6)
BF16_EPS = 2.0**-8


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().float().numpy()
    if isinstance(x, mg.Tensor):
        x = x.detach().numpy()
    return np.asarray(x).astype(np.float32)


def _name(dtype):
    return str(dtype).replace("torch.", "")


def f32(array, lib):
    return lib.tensor(array, dtype=lib.float32)


A, B, V = RNG.standard_normal((4, 8)), RNG.standard_normal((6, 8)), RNG.standard_normal(6)
Q = RNG.standard_normal((2, 2, 5, 4))
T = RNG.integers(0, 6, 4)
P = 1 / (1 + np.exp(-RNG.standard_normal((4, 6))))


def cases(lib, fn):
    """Each op as a learner calls it, on float32 inputs made by ``lib`` (micrograd or torch)."""
    a, b, v, q = f32(A, lib), f32(B, lib), f32(V, lib), f32(Q, lib)
    t, p = lib.tensor(T), f32(P, lib)
    logits = a @ b.T  # (4, 6), the lower precision's output where autocast is on
    return {
        # lower precision: bfloat16 out
        "matmul": lambda: a @ b.T,
        "matmul function": lambda: lib.matmul(a, b.T),
        "linear": lambda: fn.linear(a, b, v),
        "linear without bias": lambda: fn.linear(a, b),
        "attention": lambda: fn.scaled_dot_product_attention(q, q * 0.5, q, is_causal=True),
        # float32 out, whatever comes in
        "cross_entropy": lambda: fn.cross_entropy(logits, t),
        "cross_entropy none": lambda: fn.cross_entropy(logits, t, reduction="none"),
        "nll_loss": lambda: fn.nll_loss(fn.log_softmax(logits, -1), t),
        "mse_loss": lambda: fn.mse_loss(logits, logits * 0.5),
        "l1_loss": lambda: fn.l1_loss(logits, logits * 0.5),
        "smooth_l1_loss": lambda: fn.smooth_l1_loss(logits, logits * 0.5, beta=0.5),
        "huber_loss": lambda: fn.huber_loss(logits, logits * 0.5, delta=0.5),
        "binary_cross_entropy": lambda: fn.binary_cross_entropy(fn.sigmoid(logits), p),
        "bce_with_logits": lambda: fn.binary_cross_entropy_with_logits(logits, p),
        "prod": lambda: (logits[:, :3] * 0.5).prod(),
        # the rest follow their inputs
        "softmax of bfloat16": lambda: fn.softmax(logits, -1),
        "softmax of float32": lambda: fn.softmax(a, -1),
        "log_softmax": lambda: fn.log_softmax(logits, 0),
        "layer_norm of float32": lambda: fn.layer_norm(a, (8,)),
        "layer_norm of bfloat16": lambda: fn.layer_norm(logits, (6,)),
        "gelu": lambda: fn.gelu(logits),
        "gelu tanh": lambda: fn.gelu(logits, approximate="tanh"),
        "tanh": lambda: logits.tanh(),
        "sum": lambda: logits.sum(-1),
        "mean": lambda: logits.mean(),
        "residual (float32 + bfloat16)": lambda: a[:, :6] + logits,
        "scaled by a number": lambda: logits * 0.125,
        "embedding": lambda: fn.embedding(t, b),
        "cat of both": lambda: lib.cat([logits, a[:, :6]]),
        "float64 matmul is left alone": lambda: a.double() @ b.double().T,
        "integer matmul is left alone": lambda: (
            lib.ones(2, 2, dtype=lib.long) @ lib.ones(2, 2, dtype=lib.long)
        ),
    }


NAMES = list(cases(torch, TF))


@pytest.mark.parametrize("name", NAMES)
def test_each_op_gives_pytorchs_dtype_and_values_under_cpu_autocast(name):
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        ref = cases(torch, TF)[name]()
    with mg.autocast(device_type="cpu", dtype=mg.bfloat16):
        out = cases(mg, F)[name]()
    assert _name(out.dtype) == _name(ref.dtype)
    np.testing.assert_allclose(_np(out), _np(ref), rtol=2 * BF16_EPS, atol=1e-3)


@pytest.mark.parametrize(
    "name",
    ["matmul", "linear", "attention", "cross_entropy", "softmax of bfloat16", "huber_loss"],
)
def test_float16_autocast_as_pytorch(name):
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        ref = cases(torch, TF)[name]()
    with mg.autocast(device_type="cpu", dtype=mg.float16):
        out = cases(mg, F)[name]()
    assert _name(out.dtype) == _name(ref.dtype)
    np.testing.assert_allclose(_np(out), _np(ref), rtol=2e-3, atol=1e-3)


def test_the_lower_precision_ops_round_their_inputs_and_sum_in_float32():
    """linear under autocast is the float32 product of the bfloat16-rounded operands, rounded
    once: bit for bit PyTorch's."""
    with mg.autocast("cpu"):
        out = F.linear(f32(A, mg), f32(B, mg), f32(V, mg))
    rounded = [np.asarray(f32(x, mg).to(mg.bfloat16).to(mg.float32).numpy()) for x in (A, B, V)]
    expected = (rounded[0] @ rounded[1].T + rounded[2]).astype(mg.bfloat16)
    np.testing.assert_array_equal(out.numpy(), expected)
    with torch.autocast("cpu"):
        ref = TF.linear(f32(A, torch), f32(B, torch), f32(V, torch))
    np.testing.assert_array_equal(_np(out), _np(ref))


def test_gradients_flow_back_in_each_parameters_dtype():
    w32 = mg.tensor(B, dtype=mg.float32, requires_grad=True)
    w16 = mg.tensor(B, dtype=mg.bfloat16, requires_grad=True)
    x = mg.tensor(A, dtype=mg.float32, requires_grad=True)
    ref_w32 = torch.tensor(B, dtype=torch.float32, requires_grad=True)
    ref_w16 = torch.tensor(B, dtype=torch.bfloat16, requires_grad=True)
    ref_x = torch.tensor(A, dtype=torch.float32, requires_grad=True)
    with mg.autocast("cpu"):
        loss = F.cross_entropy(F.linear(x, w32) + F.linear(x, w16), mg.tensor(T))
    with torch.autocast("cpu"):
        ref = TF.cross_entropy(
            TF.linear(ref_x, ref_w32) + TF.linear(ref_x, ref_w16), torch.tensor(T)
        )
    loss.backward()
    ref.backward()
    assert loss.dtype == mg.float32
    for ours, theirs in ((w32, ref_w32), (w16, ref_w16), (x, ref_x)):
        assert _name(ours.grad.dtype) == _name(theirs.grad.dtype)
        scale = np.abs(_np(theirs.grad)).max()
        np.testing.assert_allclose(_np(ours.grad), _np(theirs.grad), atol=2 * BF16_EPS * scale)


# --------------------------------------------------------------------- a small GPT


def tiny_gpt(torch, nn, F, vocab=24, block=8, n_embd=16, n_head=2, n_layer=2):
    """A GPT-2 block stack as build-nanogpt writes it (fused attention, tanh GELU, tied
    embedding), at a tiny size; ``torch``, ``nn``, ``F`` are either library's."""

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            q, k, v = (z.view(B, T, n_head, C // n_head).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
            self.attn = Attention()
            self.c_fc, self.c_proj = nn.Linear(n_embd, 4 * n_embd), nn.Linear(4 * n_embd, n_embd)
            self.gelu = nn.GELU(approximate="tanh")

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.c_proj(self.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, n_embd), nn.Embedding(block, n_embd)
            self.h = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.wte.weight = self.lm_head.weight

        def forward(self, idx, targets=None):
            pos = torch.arange(0, idx.size(1), dtype=torch.long)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            if targets is None:
                return logits, None
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    return GPT()


def test_a_small_gpts_loss_and_gradients_under_autocast_are_pytorchs():
    mg.manual_seed(0)
    ours = tiny_gpt(mg, mg.nn, F).to(mg.float32)
    theirs = tiny_gpt(torch, torch.nn, TF)
    theirs.load_state_dict({k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()})
    idx, targets = RNG.integers(0, 24, (4, 8)), RNG.integers(0, 24, (4, 8))
    with mg.autocast(device_type="cpu", dtype=mg.bfloat16):
        logits, loss = ours(mg.tensor(idx), mg.tensor(targets))
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        ref_logits, ref_loss = theirs(torch.tensor(idx), torch.tensor(targets))
    assert (logits.dtype, loss.dtype) == (mg.bfloat16, mg.float32)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-3)
    np.testing.assert_allclose(_np(logits), _np(ref_logits), rtol=4 * BF16_EPS, atol=0.02)
    loss.backward()
    ref_loss.backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert p.grad.dtype == mg.float32, name
        scale = np.abs(_np(q.grad)).max()
        np.testing.assert_allclose(_np(p.grad), _np(q.grad), atol=0.03 * scale, err_msg=name)


def test_evaluation_under_no_grad_and_autocast():
    mg.manual_seed(1)
    model = tiny_gpt(mg, mg.nn, F).to(mg.float32)
    with mg.no_grad(), mg.autocast(device_type="cpu", dtype=mg.bfloat16):
        logits, loss = model(
            mg.tensor(RNG.integers(0, 24, (2, 8))), mg.tensor(RNG.integers(0, 24, (2, 8)))
        )
    assert not loss.requires_grad and loss.dtype == mg.float32 and logits.dtype == mg.bfloat16


# --------------------------------------------------------------------- the context manager


def test_state_nesting_and_the_functions_that_read_it():
    assert not mg.is_autocast_enabled("cpu") and mg.get_autocast_dtype("cpu") == mg.bfloat16
    x = f32(A, mg)
    with mg.autocast("cpu"):
        assert mg.is_autocast_enabled("cpu") and not mg.is_autocast_enabled()
        with mg.autocast("cpu", enabled=False):
            assert (x @ x.T).dtype == mg.float32 and not mg.is_autocast_enabled("cpu")
        with mg.autocast("cpu", dtype=mg.float16):
            assert (x @ x.T).dtype == mg.float16 and mg.get_autocast_dtype("cpu") == mg.float16
        assert (x @ x.T).dtype == mg.bfloat16 and mg.get_autocast_dtype("cpu") == mg.bfloat16
    assert (x @ x.T).dtype == mg.float32 and not mg.is_autocast_enabled("cpu")
    assert (
        mg.get_autocast_dtype("cuda") == mg.float16 == _np_dtype(torch.get_autocast_dtype("cuda"))
    )


def _np_dtype(torch_dtype):
    return {torch.float16: mg.float16, torch.bfloat16: mg.bfloat16}[torch_dtype]


def test_as_a_decorator_and_re_entered():
    ac = mg.amp.autocast(device_type="cpu")

    @ac
    def product(x):
        return x @ x.T

    x = f32(A, mg)
    assert product(x).dtype == mg.bfloat16 and not mg.is_autocast_enabled("cpu")
    with ac:
        with ac:
            pass
        assert mg.is_autocast_enabled("cpu")
    assert not mg.is_autocast_enabled("cpu")
    with pytest.raises(ZeroDivisionError), ac:  # restored on the way out of an error too
        1 / 0
    assert not mg.is_autocast_enabled("cpu")


def test_the_state_is_per_thread():
    seen = []
    with mg.autocast("cpu"):
        thread = threading.Thread(target=lambda: seen.append(mg.is_autocast_enabled("cpu")))
        thread.start()
        thread.join()
    assert seen == [False]


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.autocast(device_type="cuda", dtype=lib.bfloat16),
        lambda lib: lib.amp.autocast("cuda"),
        lambda lib: lib.cuda.amp.autocast(),
    ],
    ids=["autocast('cuda')", "amp.autocast('cuda')", "cuda.amp.autocast()"],
)
def test_cuda_autocast_warns_and_does_nothing_as_pytorch_without_a_gpu(make):
    for lib in (mg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with make(lib):
                x = lib.ones(2, 2, dtype=lib.float32)
                assert x.matmul(x).dtype == lib.float32
        assert any("CUDA is not available" in str(w.message) for w in caught), lib.__name__
        assert caught[0].filename == __file__  # pointing at the caller's line


def test_cpu_autocast_to_a_dtype_it_lacks_warns_and_does_nothing():
    for lib in (mg, torch):
        with pytest.warns(UserWarning, match="target dtype is not supported"):
            ac = lib.autocast("cpu", dtype=lib.float64)
        with ac:
            x = lib.ones(2, 2, dtype=lib.float32)
            assert (x @ x).dtype == lib.float32


def test_autocast_for_another_device_leaves_the_cpu_alone():
    for lib in (mg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with lib.autocast("mps"):
                x = lib.ones(2, 2, dtype=lib.float32)
                assert (x @ x).dtype == lib.float32


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((3,), ValueError, "Expected `device_type` of type `str`"),
        (("gpu",), RuntimeError, "device type at start of device string"),
        (("cpu", "bf16"), TypeError, "autocast dtype"),
        (("cpu", None, "yes"), TypeError, "enabled must be True or False"),
    ],
)
def test_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        mg.autocast(*args)


def test_the_signature_is_pytorchs():
    import inspect

    ours = inspect.signature(mg.autocast.__init__).parameters
    theirs = inspect.signature(torch.autocast.__init__).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]
