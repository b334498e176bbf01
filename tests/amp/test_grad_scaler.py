"""micrograd.amp.GradScaler and micrograd.cuda.amp.GradScaler against PyTorch's (a CPU build):
the 'cuda' scaler warns and disables itself, the disabled one changes nothing, the 'cpu' one
gives PyTorch's scales, skipped steps and parameters."""

import warnings

import numpy as np
import pytest
import torch

import micrograd as mg
from micrograd import nn, optim


def make(lib, *args, **kwargs):
    """``lib.amp.GradScaler(*args, **kwargs)`` and the UserWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = lib.amp.GradScaler(*args, **kwargs)
    return scaler, [w for w in caught if w.category is UserWarning]


def twins(seed=0, dtype=np.float32):
    """The same linear model and SGD, in PyTorch and in micrograd."""
    weight = np.random.default_rng(seed).normal(size=(1, 3)).astype(dtype)
    ref = torch.nn.Linear(3, 1, bias=False)
    ref.weight.data = torch.from_numpy(weight.copy())
    model = nn.Linear(3, 1, bias=False, dtype=dtype)
    model.load_state_dict({"weight": weight.copy()})
    return (ref, torch.optim.SGD(ref.parameters(), lr=0.1)), (
        model,
        optim.SGD(model.parameters(), lr=0.1),
    )


def loss_of(lib, model, x):
    return ((model(lib.tensor(x)) - 1.0) ** 2).mean()


# --------------------------------------------------------------------- on 'cuda': disabled


@pytest.mark.parametrize(
    "make_scaler",
    [
        lambda lib: lib.cuda.amp.GradScaler(enabled=True),  # nanoGPT's, with dtype 'float16'
        lambda lib: lib.amp.GradScaler("cuda", enabled=True),
        lambda lib: lib.amp.GradScaler(),
    ],
)
def test_a_cuda_scaler_warns_and_disables_itself_as_pytorch_without_cuda(make_scaler):
    answers = []
    for lib in (torch, mg):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = make_scaler(lib)  # the warning points at this line
        said = [w for w in caught if w.category is UserWarning]
        assert len(said) == 1
        assert "GradScaler is enabled, but CUDA is not available" in str(said[0].message)
        if lib is mg:  # (PyTorch's torch.cuda.amp scaler points into its own file)
            assert said[0].filename == __file__
        answers.append((scaler.is_enabled(), scaler.get_scale(), scaler.state_dict()))
    assert answers[0] == answers[1] == (False, 1.0, {})


def test_a_disabled_scaler_is_quiet_and_changes_nothing():
    for lib in (torch, mg):
        scaler, said = make(lib, "cuda", enabled=False)
        assert said == [] and not scaler.is_enabled()
        model = lib.nn.Linear(3, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loss = model(lib.ones(2, 3)).sum()
        assert scaler.scale(loss) is loss
        outputs = [loss, loss]
        assert scaler.scale(outputs) is outputs
        loss.backward()
        assert scaler.unscale_(opt) is None and scaler.update() is None
        assert scaler.step(opt, lambda: 7.0) == 7.0  # optimizer.step(closure)'s answer
        scaler.load_state_dict({"scale": 5.0})  # ignored, as PyTorch's
        assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}


def test_training_with_a_disabled_scaler_is_training_without_one():
    def run(use_scaler):
        (_, _), (model, opt) = twins()
        scaler = mg.cuda.amp.GradScaler(enabled=False)
        x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
        for _ in range(3):
            loss = loss_of(mg, model, x)
            if use_scaler:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            opt.zero_grad(set_to_none=True)
        return model.weight.detach().numpy().copy()

    np.testing.assert_array_equal(run(True), run(False))


# --------------------------------------------------------------------- on 'cpu': scaling


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, on the inf input (issue 17, C4)
def test_the_cpu_scaler_gives_pytorchs_scales_skips_and_parameters():
    (ref, ref_opt), (model, opt) = twins()
    scalers = [make(lib, "cpu", init_scale=2.0**10, growth_interval=2)[0] for lib in (torch, mg)]
    rng = np.random.default_rng(2)
    scales = []
    for step in range(8):
        x = rng.normal(size=(4, 3)).astype(np.float32)
        if step in (3, 4):
            x[0, 0] = np.inf  # the gradients overflow: the step is skipped, the scale halves
        for lib, net, optimizer, scaler in [
            (torch, ref, ref_opt, scalers[0]),
            (mg, model, opt, scalers[1]),
        ]:
            scaled = scaler.scale(loss_of(lib, net, x))
            assert scaled.dtype == lib.float32
            scaled.backward()
            if step % 2:  # unscale_ first (to clip), or let step() do it
                scaler.unscale_(optimizer)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad()
        assert scalers[1].get_scale() == scalers[0].get_scale(), step
        scales.append(scalers[1].get_scale())
        assert scalers[1].state_dict() == scalers[0].state_dict(), step
        np.testing.assert_allclose(
            model.weight.detach().numpy(),
            ref.weight.detach().numpy(),
            rtol=1e-5,
            atol=1e-7,
            err_msg=step,
        )
    # grown after two clean steps, halved after each skipped one, grown again
    assert scales == [1024.0, 2048.0, 2048.0, 1024.0, 512.0, 512.0, 1024.0, 1024.0]


def test_unscale_divides_the_gradients_as_pytorch():
    (ref, ref_opt), (model, opt) = twins(dtype=np.float64)
    ref.double()
    x = np.random.default_rng(3).normal(size=(4, 3))
    for lib, net, optimizer in [(torch, ref, ref_opt), (mg, model, opt)]:
        scaler = make(lib, "cpu", init_scale=3.0)[0]
        scaler.scale(loss_of(lib, net, x)).backward()
        scaler.unscale_(optimizer)
    np.testing.assert_array_equal(model.weight.grad, ref.weight.grad.numpy())


def test_scale_takes_tensors_and_lists_tuples_and_iterables_of_them():
    scaler = make(mg, "cpu", init_scale=4.0)[0]
    a, b = mg.tensor(1.0), mg.tensor([2.0], dtype=mg.float32)
    assert scaler.scale(a).item() == 4.0 and scaler.scale(b).dtype == mg.float32
    assert [t.item() for t in scaler.scale([a, (b,)])[:1]] == [4.0]
    assert isinstance(scaler.scale((a, b)), tuple)
    assert [t.item() for t in scaler.scale(iter([a]))] == [4.0]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(3.0)


def test_update_with_a_new_scale_and_the_state_dict_round_trip(tmp_path):
    for lib in (torch, mg):
        scaler = make(lib, "cpu")[0]
        scaler.scale(lib.tensor(1.0))
        scaler.update(128.0)
        assert scaler.get_scale() == 128.0
        scaler.update(lib.tensor(64.0))
        assert scaler.get_scale() == 64.0
    state = scaler.state_dict()
    mg.save({"scaler": state}, tmp_path / "ckpt.safetensors")  # in a checkpoint, exactly
    loaded = mg.load(tmp_path / "ckpt.safetensors")["scaler"]
    assert loaded == state and [type(v) for v in loaded.values()] == [float, float, float, int, int]
    fresh = make(mg, "cpu")[0]
    fresh.load_state_dict(loaded)
    assert fresh.state_dict() == state


@pytest.mark.parametrize(
    ("misuse", "message"),
    [
        (lambda s, o: (s.unscale_(o), s.unscale_(o)), "unscale_\\(\\) has already been called"),
        (lambda s, o: (s.step(o), s.unscale_(o)), "unscale_\\(\\) is being called after step"),
        (lambda s, o: (s.step(o), s.step(o)), "step\\(\\) has already been called"),
        (lambda s, o: s.step(o, closure=lambda: 1.0), "Closure use is not currently supported"),
        (lambda s, o: s.update(), "No inf checks were recorded prior to update"),
        (lambda s, o: s.load_state_dict({}), "The source state dict is empty"),
    ],
)
def test_misuse_is_refused_as_pytorch_refuses_it(misuse, message):
    for lib, errors in [(torch, (AssertionError, RuntimeError)), (mg, RuntimeError)]:
        scaler = make(lib, "cpu")[0]
        model = lib.nn.Linear(3, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler.scale(model(lib.ones(2, 3)).sum()).backward()
        with pytest.raises(errors, match=message):
            misuse(scaler, opt)


def test_before_the_first_scale_there_is_nothing_to_update():
    for lib in (torch, mg):
        with pytest.raises((AssertionError, RuntimeError), match="Attempted update"):
            make(lib, "cpu")[0].update()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, on float16 overflowing
def test_float16_gradients_cannot_be_unscaled_as_in_pytorch():
    for lib in (torch, mg):
        model = lib.nn.Linear(2, 1, dtype=lib.float16)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = make(lib, "cpu")[0]
        scaler.scale(model(lib.ones(1, 2, dtype=lib.float16)).sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
            scaler.step(opt)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"growth_factor": 0.5}, ValueError, "growth_factor must be > 1.0"),
        ({"backoff_factor": 2.0}, ValueError, "backoff_factor must be < 1.0"),
        ({"growth_interval": 0}, ValueError, "growth_interval must be a positive integer"),
        ({"enabled": "yes"}, TypeError, "enabled must be True or False"),
        ({"init_scale": "big"}, TypeError, "init_scale"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        mg.amp.GradScaler("cpu", **kwargs)


def test_a_device_micrograd_does_not_have():
    with pytest.raises(RuntimeError, match="micrograd runs on the CPU only"):
        mg.amp.GradScaler("mps")
    with pytest.raises(TypeError, match="device must be a string"):
        mg.amp.GradScaler(2.0**16)  # init_scale given where torch.amp's device goes
