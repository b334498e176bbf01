"""A CPU library's answers to PyTorch's GPU, distributed and compiler calls (micrograd.backends,
micrograd.cuda, micrograd.distributed, micrograd.nn.parallel, micrograd.compile), each checked
against the installed PyTorch, a CPU build: its answers are those of a machine without CUDA."""

import inspect
import warnings

import pytest
import torch

import micrograd as mg
from micrograd import nn


@pytest.fixture(autouse=True)
def _restore_settings():
    """The tests set process-wide switches, in both libraries: put them back."""
    saved = (torch.get_float32_matmul_precision(), mg.get_float32_matmul_precision())
    cudnn = {k: getattr(torch.backends.cudnn, k) for k in ("allow_tf32", "benchmark")}
    yield
    torch.set_float32_matmul_precision(saved[0])
    mg.set_float32_matmul_precision(saved[1])
    for name, value in cudnn.items():
        setattr(torch.backends.cudnn, name, value)
        setattr(mg.backends.cudnn, name, value)


def both(ask):
    """``ask(torch)`` and ``ask(micrograd)``: PyTorch's answer, then ours."""
    return ask(torch), ask(mg)


# --------------------------------------------------------------------- backends


@pytest.mark.parametrize(
    "ask",
    [
        lambda t: t.backends.cuda.matmul.allow_tf32,
        lambda t: t.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
        lambda t: t.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
        lambda t: t.backends.cuda.is_built(),
        lambda t: t.backends.cudnn.allow_tf32,
        lambda t: t.backends.cudnn.enabled,
        lambda t: t.backends.cudnn.benchmark,
        lambda t: t.backends.cudnn.deterministic,
        lambda t: t.backends.cudnn.is_available(),
        lambda t: t.backends.cudnn.version(),
        lambda t: t.backends.mps.is_available(),
        lambda t: t.backends.mps.is_built(),
        lambda t: t.get_float32_matmul_precision(),
        lambda t: t.cuda.is_available(),
        lambda t: t.cuda.device_count(),
        lambda t: t.cuda.is_bf16_supported(),
        lambda t: t.cuda.is_bf16_supported(including_emulation=False),
        lambda t: t.cuda.manual_seed(1337),
        lambda t: t.cuda.manual_seed_all(1337),
        lambda t: t.distributed.is_initialized(),
    ],
)
def test_the_same_answer_as_pytorch_without_cuda(ask):
    expected, answer = both(ask)
    assert answer == expected and type(answer) is type(expected)


def test_nanogpt_switches_tf32_on_and_reads_it_back():
    for lib in (torch, mg):
        lib.backends.cuda.matmul.allow_tf32 = True  # nanoGPT's train.py and sample.py
        lib.backends.cudnn.allow_tf32 = True
    assert both(lambda t: t.get_float32_matmul_precision()) == ("high", "high")
    for lib in (torch, mg):
        lib.backends.cuda.matmul.allow_tf32 = False
    assert both(lambda t: t.get_float32_matmul_precision()) == ("highest", "highest")


@pytest.mark.parametrize("precision", ["highest", "high", "medium"])
def test_float32_matmul_precision_is_allow_tf32_seen_another_way(precision):
    for lib in (torch, mg):
        lib.set_float32_matmul_precision(precision)  # build-nanogpt's 'high'
    assert both(lambda t: t.get_float32_matmul_precision()) == (precision, precision)
    assert both(lambda t: t.backends.cuda.matmul.allow_tf32) == (precision != "highest",) * 2


@pytest.mark.parametrize("precision", ["HIGH", "low", ""])
def test_an_unknown_precision_warns_and_changes_nothing_as_in_pytorch(precision):
    for lib in (torch, mg):
        lib.set_float32_matmul_precision("medium")
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision(precision)
    assert both(lambda t: t.get_float32_matmul_precision()) == ("medium", "medium")


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.set_float32_matmul_precision(3),
        lambda t: setattr(t.backends.cuda.matmul, "allow_tf32", 1),
        lambda t: setattr(t.backends.cudnn, "allow_tf32", "yes"),
        lambda t: setattr(t.backends.cudnn, "benchmark", None),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_as_in_pytorch(change):
    with pytest.raises(RuntimeError):
        change(torch)
    with pytest.raises(TypeError, match="expects a (str|bool), but got"):
        change(mg)  # a TypeError that is also PyTorch's RuntimeError


def test_a_misspelt_setting_is_an_error_not_a_new_setting():
    with pytest.raises(AttributeError):
        torch.backends.cuda.matmul.allow_tf33 = True
    with pytest.raises(AttributeError, match="backends.cuda.matmul has no setting 'allow_tf33'"):
        mg.backends.cuda.matmul.allow_tf33 = True
    with pytest.raises(AttributeError, match="backends.cudnn has no setting 'benchmarks'"):
        mg.backends.cudnn.benchmarks = True  # PyTorch would add it silently


def test_build_nanogpt_device_detection_picks_the_cpu():
    def detect(t):  # build-nanogpt's train_gpt2.py
        device = "cpu"
        if t.cuda.is_available():
            device = "cuda"
        elif hasattr(t.backends, "mps") and t.backends.mps.is_available():
            device = "mps"
        return device

    assert both(detect) == ("cpu", "cpu")


# --------------------------------------------------------------------- cuda


def test_cuda_synchronize_raises_as_in_pytorch_without_a_gpu():
    with pytest.raises((AssertionError, RuntimeError)):
        torch.cuda.synchronize()
    with pytest.raises(RuntimeError, match="micrograd runs on the CPU only"):
        mg.cuda.synchronize()


def test_nanogpt_picks_float16_and_its_scaler_disables_itself():
    def setup(t):  # nanoGPT's train.py, as a learner runs it on a CPU
        dtype = "bfloat16" if t.cuda.is_available() and t.cuda.is_bf16_supported() else "float16"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = t.cuda.amp.GradScaler(enabled=(dtype == "float16"))
        said = [str(w.message) for w in caught if w.category is UserWarning]
        return dtype, scaler.is_enabled(), any("CUDA is not available" in m for m in said)

    assert both(setup) == (("float16", False, True), ("float16", False, True))


# --------------------------------------------------------------------- distributed


def test_distributed_without_a_process_group():
    for call in ("get_rank", "get_world_size"):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            getattr(torch.distributed, call)()
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            getattr(mg.distributed, call)()
    with pytest.raises((AssertionError, ValueError)):
        torch.distributed.destroy_process_group()
    with pytest.raises(ValueError, match="one process"):
        mg.distributed.destroy_process_group()
    # PyTorch's Linux build has a distributed package; micrograd has none.
    assert torch.distributed.is_available() and not mg.distributed.is_available()


def test_init_process_group_says_micrograd_trains_in_one_process_and_how_to_move():
    from micrograd.distributed import destroy_process_group, init_process_group  # nanoGPT's

    assert callable(destroy_process_group)
    with pytest.raises(RuntimeError) as refused:
        init_process_group(backend="nccl")
    message = str(refused.value)
    assert "micrograd trains in one process" in message
    assert "RANK" in message and "safetensors.torch.load_file" in message
    assert "\n" not in message
    params = inspect.signature(torch.distributed.init_process_group).parameters
    with pytest.raises(RuntimeError, match="one process"):  # PyTorch's keywords, all accepted
        init_process_group(**{name: None for name in params if not name.startswith("_")})


def test_distributed_data_parallel_is_importable_and_refuses_with_the_same_message():
    from micrograd.nn.parallel import DistributedDataParallel as DDP  # nanoGPT's import

    assert mg.nn.parallel.DistributedDataParallel is DDP and issubclass(DDP, nn.Module)
    with pytest.raises(RuntimeError) as refused:
        DDP(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(RuntimeError) as refused_init:
        mg.distributed.init_process_group()
    assert str(refused.value) == str(refused_init.value)


# --------------------------------------------------------------------- compile


def test_compile_returns_the_model_itself_so_its_state_dict_keys_stay():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    keys = list(model.state_dict())
    compiled = mg.compile(model)
    assert compiled is model and list(compiled.state_dict()) == keys
    x = mg.randn(2, 3)
    assert compiled(x).tolist() == model(x).tolist()
    # (PyTorch's is a wrapper whose keys gain '_orig_mod.', which nanoGPT strips on loading;
    # not run here: importing its compiler takes seconds.)


def test_compile_as_a_decorator_with_and_without_arguments():
    @mg.compile
    def double(x):
        return x * 2

    @mg.compile(mode="max-autotune", fullgraph=True)
    def triple(x):
        return x * 3

    assert double(mg.tensor(2.0)).item() == 4.0 and triple(mg.tensor(2.0)).item() == 6.0
    assert double.__name__ == "double" and triple.__name__ == "triple"


def test_compile_takes_pytorchs_keywords():
    params = inspect.signature(mg.compile).parameters
    reference = inspect.signature(torch.compile).parameters
    for name, param in params.items():
        assert name in reference and param.default == reference[name].default, name
    model = nn.Linear(2, 2)
    for kwargs in [
        {"mode": "reduce-overhead"},
        {"mode": "default", "dynamic": True},
        {"backend": "eager", "options": {"trace.enabled": False}},
        {"disable": True},
    ]:
        assert mg.compile(model, **kwargs) is model


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        # PyTorch 2.13's messages (not called here: importing its compiler takes seconds)
        (
            {"mode": "fastest"},
            RuntimeError,
            "^Unrecognized mode=fastest, should be one of: default, lite, reduce-overhead, "
            "max-autotune-no-cudagraphs, max-autotune$",
        ),
        (
            {"mode": "default", "options": {}},
            RuntimeError,
            "^Either mode or options can be specified, but both can't be specified at the same",
        ),
        ({"backend": 3}, TypeError, "backend must be a name or a callable"),
        ({"options": [1]}, TypeError, "options must be a dict"),
        ({"fullgraph": "yes"}, TypeError, "fullgraph must be True or False"),
    ],
)
def test_compile_refuses_what_pytorch_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        mg.compile(nn.Linear(2, 2), **kwargs)


def test_compile_needs_something_to_call():
    with pytest.raises(TypeError, match="compile expects a model or a function, got int"):
        mg.compile(3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        mg.compile(nn.Linear(2, 2), bogus=1)
