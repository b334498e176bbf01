"""makemore on micrograd: the names data, the character data sets, the six models against
PyTorch, and ``micrograd makemore`` end to end on tiny runs."""

from __future__ import annotations

import json
import os
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file
from torch import nn as tnn
from torch.nn import functional as TF

import micrograd
from micrograd import chardata, data
from micrograd.cli import main, makemore_sizes
from micrograd.models import MODEL_TYPES, ModelConfig, build_model, generate
from micrograd.optim import AdamW

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------- the data


def test_names_ship_with_the_package():
    words = data.names()
    assert len(words) == 32033
    assert words[:3] == ["emma", "olivia", "ava"] and words[-1] == "zzyzx"
    assert set("".join(words)) == set("abcdefghijklmnopqrstuvwxyz")
    assert max(map(len, words)) == 15


def test_rows_follow_makemore_convention():
    train, test = chardata.create_datasets(["ab", "b", "abba", "c"], seed=0)
    assert train.chars == "abc" and train.vocab_size == 4 and train.block_size == 5
    x, y = train.row("ab")
    assert x.tolist() == [0, 1, 2, 0, 0]  # start token, the word, zero padding
    assert y.tolist() == [1, 2, 0, -1, -1]  # the word, end token, -1 padding
    x, y = train.row("abba")  # the longest word fills the row
    assert x.tolist() == [0, 1, 2, 2, 1] and y.tolist() == [1, 2, 2, 1, 0]
    # the stored matrices are these rows; y[t] is the character after x[:t + 1]
    for i, word in enumerate(train.words):
        np.testing.assert_array_equal(train.X[i], train.row(word)[0])
        np.testing.assert_array_equal(train.Y[i], train.row(word)[1])
        assert train.X.dtype == train.Y.dtype == np.int64
    xt, yt = train[0]
    assert isinstance(xt, micrograd.Tensor) and xt.data.tolist() == train.X[0].tolist()


def test_encode_decode_contains():
    train, test = chardata.create_datasets(data.names(), seed=1)
    assert train.decode(train.encode("zoe")) == "zoe"
    assert train.encode("abz").tolist() == [1, 2, 26]
    assert train.decode(micrograd.Tensor(np.array([5, 13, 13, 1]))) == "emma"
    word = test.words[0]
    assert test.contains(word) and not train.contains(word)
    with pytest.raises(ValueError, match=r"'Z'.*not in the vocabulary"):
        train.encode("Zoe")
    with pytest.raises(ValueError, match="cannot decode index 0"):
        train.decode([5, 0])
    with pytest.raises(ValueError, match="more than max_word_length 15"):
        train.row("a" * 16)


@pytest.mark.parametrize(("n", "n_test"), [(32033, 1000), (5000, 500), (50, 5), (9, 1), (2, 1)])
def test_split_sizes_and_seeds(n, n_test):
    words = [f"w{i}" for i in range(n)]
    train, test = chardata.create_datasets(words, seed=7)
    assert (len(train), len(test)) == (n - n_test, n_test) == chardata.split_sizes(n)
    assert sorted(train.words + test.words) == sorted(words)  # a partition
    again, again_test = chardata.create_datasets(words, seed=7)
    assert again.words == train.words and again_test.words == test.words
    if n > 50:
        other, _ = chardata.create_datasets(words, seed=8)
        assert other.words != train.words


def test_batches_are_seeded_and_leave_global_state_alone():
    train, _ = chardata.create_datasets(data.names()[:500], seed=0)
    state = np.random.get_state()[1].copy()
    X1, Y1 = train.random_batch(16, np.random.default_rng(3))
    X2, Y2 = train.random_batch(16, 3)
    assert X1.data.shape == (16, train.block_size)
    np.testing.assert_array_equal(X1.data, X2.data)
    np.testing.assert_array_equal(Y1.data, Y2.data)
    assert (np.random.get_state()[1] == state).all()
    rows = [x.data.shape[0] for x, _ in train.batches(200)]
    assert rows == [200, 200, 50]


def test_read_words_reads_only_regular_files_of_bounded_size(tmp_path):
    (tmp_path / "w.txt").write_text("anna\nbob\n")
    with pytest.raises(ValueError, match=r"w.txt is larger than 8 bytes, the limit"):
        chardata.read_words(tmp_path / "w.txt", max_bytes=8)
    assert chardata.read_words(tmp_path / "w.txt", max_bytes=9) == ["anna", "bob"]
    with pytest.raises(IsADirectoryError):
        chardata.read_words(tmp_path)
    os.mkfifo(tmp_path / "pipe")  # opening it would wait for a writer
    with pytest.raises(ValueError, match="pipe is not a regular file"):
        chardata.read_words(tmp_path / "pipe")


def test_read_words(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("  anna \n\nbob\r\n\t\nzoë\n", encoding="utf-8")
    assert chardata.read_words(path) == ["anna", "bob", "zoë"]
    (tmp_path / "empty.txt").write_text("\n  \n")
    with pytest.raises(ValueError, match="has no words"):
        chardata.read_words(tmp_path / "empty.txt")
    (tmp_path / "binary.txt").write_bytes(b"ab\xff\xfe\n")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        chardata.read_words(tmp_path / "binary.txt")
    with pytest.raises(FileNotFoundError):
        chardata.read_words(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="at least 2 words"):
        chardata.create_datasets(["one"])


# --------------------------------------------------------------------- the models against PyTorch
# Each model written again in PyTorch, independently, with the parameter names of makemore;
# ours and the twin get the same weights through the state_dict and must give the same logits,
# loss and gradients in float64.


class _TAttention(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn, self.c_proj = (
            tnn.Linear(c.n_embd, 3 * c.n_embd),
            tnn.Linear(c.n_embd, c.n_embd),
        )
        self.register_buffer("bias", torch.tril(torch.ones(c.block_size, c.block_size))[None, None])
        self.h = c.n_head

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (
            z.reshape(B, T, self.h, C // self.h).permute(0, 2, 1, 3)
            for z in self.c_attn(x).chunk(3, dim=-1)
        )
        att = (q @ k.mT) / (C // self.h) ** 0.5
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf")).softmax(-1)
        return self.c_proj((att @ v).permute(0, 2, 1, 3).reshape(B, T, C))


class _TBlock(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = (
            tnn.LayerNorm(c.n_embd),
            _TAttention(c),
            tnn.LayerNorm(c.n_embd),
        )
        self.mlp = tnn.ModuleDict(
            dict(c_fc=tnn.Linear(c.n_embd, 4 * c.n_embd), c_proj=tnn.Linear(4 * c.n_embd, c.n_embd))
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        h = self.mlp.c_fc(self.ln_2(x))
        gelu = 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (h + 0.044715 * h**3)))
        return x + self.mlp.c_proj(gelu)


class _TTransformer(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = tnn.ModuleDict(
            dict(
                wte=tnn.Embedding(c.vocab_size, c.n_embd),
                wpe=tnn.Embedding(c.block_size, c.n_embd),
                h=tnn.ModuleList([_TBlock(c) for _ in range(c.n_layer)]),
                ln_f=tnn.LayerNorm(c.n_embd),
            )
        )
        self.lm_head = tnn.Linear(c.n_embd, c.vocab_size, bias=False)

    def forward(self, idx):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        return self.lm_head(t.ln_f(x))


class _TBigram(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.logits = tnn.Parameter(torch.zeros(c.vocab_size, c.vocab_size))

    def forward(self, idx):
        return self.logits[idx]


class _TMLP(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = tnn.Embedding(c.vocab_size + 1, c.n_embd)
        self.mlp = tnn.Sequential(
            tnn.Linear(c.block_size * c.n_embd, c.n_embd2),
            tnn.Tanh(),
            tnn.Linear(c.n_embd2, c.vocab_size),
        )

    def forward(self, idx):
        B, T = idx.shape
        # context[b, t, k] = the token k places before t, or the blank token before the start
        context = torch.full((B, T, self.c.block_size), self.c.vocab_size)
        for t in range(T):
            for k in range(min(t + 1, self.c.block_size)):
                context[:, t, k] = idx[:, t - k]
        return self.mlp(self.wte(context).flatten(2))


class _TRNN(tnn.Module):
    def __init__(self, c, gru):
        super().__init__()
        self.gru = gru
        self.start = tnn.Parameter(torch.zeros(1, c.n_embd2))
        self.wte = tnn.Embedding(c.vocab_size, c.n_embd)
        n = c.n_embd + c.n_embd2
        names = ("xh_to_z", "xh_to_r", "xh_to_hbar") if gru else ("xh_to_h",)
        self.cell = tnn.ModuleDict({name: tnn.Linear(n, c.n_embd2) for name in names})
        self.lm_head = tnn.Linear(c.n_embd2, c.vocab_size)

    def forward(self, idx):
        h, out, cell = self.start.expand(idx.shape[0], -1), [], self.cell
        for x in self.wte(idx).unbind(1):
            if self.gru:
                r = torch.sigmoid(cell.xh_to_r(torch.cat([x, h], 1)))
                z = torch.sigmoid(cell.xh_to_z(torch.cat([x, h], 1)))
                hbar = torch.tanh(cell.xh_to_hbar(torch.cat([x, r * h], 1)))
                h = h + z * (hbar - h)
            else:
                h = torch.tanh(cell.xh_to_h(torch.cat([x, h], 1)))
            out.append(h)
        return self.lm_head(torch.stack(out, 1))


class _TBoW(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = tnn.Embedding(c.vocab_size, c.n_embd)
        self.wpe = tnn.Embedding(c.block_size, c.n_embd)
        mask = torch.tril(torch.ones(c.block_size, c.block_size))[None]
        mlp = dict(c_fc=tnn.Linear(c.n_embd, c.n_embd2), c_proj=tnn.Linear(c.n_embd2, c.n_embd))
        self.context_block = tnn.Module()
        self.context_block.cbow = tnn.Module()
        self.context_block.cbow.register_buffer("bias", mask)
        self.context_block.mlp = tnn.ModuleDict(mlp)
        self.lm_head = tnn.Linear(c.n_embd, c.vocab_size)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        weights = torch.ones(T, T, dtype=x.dtype).tril()
        x = x + (weights / weights.sum(1, keepdim=True)) @ x  # the mean of positions 0..t
        m = self.context_block.mlp
        return self.lm_head(x + m.c_proj(torch.tanh(m.c_fc(x))))


TWINS = {
    "bigram": _TBigram,
    "mlp": _TMLP,
    "rnn": lambda c: _TRNN(c, gru=False),
    "gru": lambda c: _TRNN(c, gru=True),
    "bow": _TBoW,
    "transformer": _TTransformer,
}
SMALL = ModelConfig(vocab_size=7, block_size=6, n_layer=2, n_embd=8, n_embd2=12, n_head=2)


def _numpy(value):
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_model_matches_pytorch(model_type):
    micrograd.manual_seed(0)
    ours = build_model(model_type, SMALL).to(micrograd.float64)
    rng = np.random.default_rng(0)
    for p in ours.parameters():  # away from the zero init of bigram and start, to see them
        p.data[...] = rng.normal(size=p.data.shape)
    twin = TWINS[model_type](SMALL).double()
    state = {k: torch.from_numpy(_numpy(v).copy()) for k, v in ours.state_dict().items()}
    twin.load_state_dict(state)  # strict: the same names and shapes as makemore's

    idx = rng.integers(0, SMALL.vocab_size, size=(3, SMALL.block_size))
    targets = rng.integers(0, SMALL.vocab_size, size=(3, SMALL.block_size))
    targets[:, -2:] = -1  # padding after a word's end
    logits, loss = ours(micrograd.tensor(idx), micrograd.tensor(targets))
    loss.backward()
    ref_logits = twin(torch.from_numpy(idx))
    ref_loss = TF.cross_entropy(
        ref_logits.reshape(-1, SMALL.vocab_size), torch.from_numpy(targets).reshape(-1),
        ignore_index=-1,
    )  # fmt: skip
    ref_loss.backward()
    np.testing.assert_allclose(_numpy(logits.data), ref_logits.detach().numpy(), rtol=1e-10)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-12)
    grads = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(_numpy(p.grad), grads[name].grad.numpy(), atol=1e-10)
    _, no_loss = ours(micrograd.tensor(idx))
    assert no_loss is None


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_generate_appends_tokens_in_range(model_type):
    micrograd.manual_seed(1)
    model = build_model(model_type, SMALL)
    start = micrograd.zeros(4, 1, dtype=micrograd.long)
    g = micrograd.Generator().manual_seed(5)
    out = generate(model, start, 8, do_sample=True, top_k=3, generator=g)  # past block_size
    assert tuple(out.shape) == (4, 9)
    rows = _numpy(out.data)
    assert (rows[:, 0] == 0).all() and rows.min() >= 0 and rows.max() < SMALL.vocab_size
    again = generate(
        model, start, 8, do_sample=True, top_k=3, generator=micrograd.Generator().manual_seed(5)
    )
    np.testing.assert_array_equal(_numpy(again.data), rows)
    greedy = generate(model, start, 3)  # the likeliest token each time: all rows the same
    assert (_numpy(greedy.data) == _numpy(greedy.data)[0]).all()


def test_model_config_and_types_are_checked():
    with pytest.raises(ValueError, match="n_embd must be a positive integer"):
        ModelConfig(vocab_size=5, block_size=4, n_embd=0)
    with pytest.raises(ValueError, match="multiple of n_head"):
        build_model("transformer", ModelConfig(vocab_size=5, block_size=4, n_embd=6, n_head=4))
    with pytest.raises(ValueError, match="unknown model type 'lstm'"):
        build_model("lstm", SMALL)


# --------------------------------------------------------------------- the command


TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "8", "--n-embd2", "8"]


@pytest.fixture
def words_file(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("\n".join(data.names()[:60]) + "\n", encoding="utf-8")
    return path


def _run(capsys, *argv):
    status = main(["makemore", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def _summary(out):
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # with --json, stdout holds the JSON object alone
    return json.loads(lines[0])


def _assert_samples(samples, vocabulary, train_words):
    assert set(samples) == {"in train", "in test", "new"}
    for kind, words in samples.items():
        for word in words:
            assert set(word) <= set(vocabulary), word
            assert (word in train_words) == (kind == "in train")


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_command_trains_every_type(model_type, words_file, tmp_path, capsys):
    out = tmp_path / "out"
    status, stdout, stderr = _run(
        capsys, "--type", model_type, "--input", words_file, "--out", out, *TINY,
        "--max-steps", 3, "--eval-interval", 2, "--batch-size", 4, "--num-samples", 6,
        "--seed", 5, "--json",
    )  # fmt: skip
    assert status == 0, stderr
    summary = _summary(stdout)
    assert summary["type"] == model_type and summary["steps"] == 3 and summary["step"] == 3
    assert summary["evaluations"]["step"] == [2, 3]
    assert np.isfinite(summary["test_loss"]) and summary["best_test_loss"] <= summary["test_loss"]
    assert sum(len(w) for w in summary["samples"].values()) == 6
    described = json.loads((out / "model.json").read_text())
    train, _ = chardata.create_datasets(data.names()[:60], seed=5)
    _assert_samples(summary["samples"], described["vocabulary"], set(train.words))
    assert described["type"] == model_type and described["step"] == summary["best_step"]
    assert sorted(os.listdir(out)) == ["loss.png", "model.json", "model.safetensors"]
    assert (out / "loss.png").read_bytes()[:8] == PNG_MAGIC
    assert "makemore" in stderr and "parameters" in stderr  # progress and notes on stderr


def test_command_learns(words_file, tmp_path, capsys, monkeypatch):
    """The bigram table, trained a little, beats the uniform guess log(vocab_size); and the
    command sets malloc up for its training loop (tests/test_memory.py)."""
    tuned = []
    monkeypatch.setattr("micrograd.cli.makemore.tune_malloc", lambda: tuned.append(1) or False)
    status, stdout, _ = _run(
        capsys, "--type", "bigram", "--input", words_file, "--out", tmp_path, "--max-steps", 60,
        "--eval-interval", 60, "--learning-rate", 0.1, "--num-samples", 0, "--json",
    )  # fmt: skip
    assert status == 0
    summary = _summary(stdout)
    vocab = len(json.loads((tmp_path / "model.json").read_text())["vocabulary"]) + 1
    assert summary["train_loss"] < np.log(vocab) - 0.3
    assert tuned == [1]


def test_same_seed_same_run(words_file, tmp_path, capsys):
    runs = []
    for seed, out in ((1, "a"), (1, "b"), (2, "c")):
        status, stdout, _ = _run(
            capsys, "--type", "mlp", "--input", words_file, "--out", tmp_path / out, *TINY,
            "--max-steps", 3, "--batch-size", 4, "--num-samples", 5, "--seed", seed, "--json",
        )  # fmt: skip
        assert status == 0
        runs.append(_summary(stdout))
    keys = ("evaluations", "samples")
    assert [runs[0][k] for k in keys] == [runs[1][k] for k in keys]
    assert runs[0]["evaluations"] != runs[2]["evaluations"]
    a, b = (load_file(tmp_path / out / "model.safetensors") for out in "ab")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_resume_and_sample_only(words_file, tmp_path, capsys):
    out = tmp_path / "out"
    common = ["--input", words_file, "--out", out, "--eval-interval", 1, "--batch-size", 4]
    status, stdout, stderr = _run(
        capsys, "--type", "gru", *common, *TINY, "--max-steps", 2, "--num-samples", 0, "--json"
    )
    assert status == 0, stderr
    first = json.loads((out / "model.json").read_text())
    # resuming needs no sizes: model.json has them; training goes on from the saved step
    status, stdout, stderr = _run(capsys, "--resume", *common, "--max-steps", 2, "--json")
    assert status == 0, stderr
    summary = _summary(stdout)
    assert summary["type"] == "gru" and summary["steps"] == 2
    assert summary["step"] == first["step"] + 2  # from the best model, saved at first["step"]
    assert (
        summary["evaluations"]["step"][: len(first["history"]["eval_step"])]
        == (first["history"]["eval_step"])
    )
    resumed = json.loads((out / "model.json").read_text())
    assert resumed["history"]["loss"][: first["step"]] == first["history"]["loss"]
    assert resumed["step"] == summary["best_step"]
    # sampling only: the saved model, nothing written, and the same words for the same seed
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    runs = []
    for _ in range(2):
        status, stdout, stderr = _run(
            capsys, "--sample-only", "--out", out, "--num-samples", 12, "--top-k", 5, "--json"
        )
        assert status == 0, stderr
        runs.append(_summary(stdout))
    assert runs[0]["samples"] == runs[1]["samples"]
    assert runs[0]["step"] == resumed["step"] and runs[0]["files"] == []
    assert sum(len(w) for w in runs[0]["samples"].values()) == 12
    train, _ = chardata.create_datasets(data.names()[:60], seed=3407)
    _assert_samples(runs[0]["samples"], resumed["vocabulary"], set(train.words))
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    # readable output: the three groups, as makemore prints them
    status, stdout, _ = _run(capsys, "--sample-only", "--out", out, "--num-samples", 3)
    assert status == 0
    for kind in ("in train", "in test", "new"):
        assert f"samples that are {kind}:" in stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--type", "lstm"], "argument --type: invalid choice: 'lstm'"),
        (["--max-steps", "0"], "argument --max-steps: expected a positive integer"),
        (["--learning-rate", "-1"], "argument --learning-rate: expected a positive number"),
        (["--weight-decay", "nan"], "argument --weight-decay: expected a number >= 0"),
        (["--dtype", "float16"], "argument --dtype: invalid choice"),
        (["--top-k", "0"], "argument --top-k: expected a positive integer"),
        (["--seed", str(2**64)], "argument --seed: expected an integer from 0 to 2**64 - 1"),
        (["--seed", "-1"], "argument --seed: expected an integer from 0 to 2**64 - 1"),
        (["--temperature", "0"], "argument --temperature: expected a positive number"),
        (["--temperature", "1e-300"], "argument --temperature: expected a number >= 0.01"),
        (["--n-embd", "10", "--n-head", "4"], "--n-embd 10 must be a multiple of --n-head 4"),
        (["--top-k", "500"], "argument --top-k: 500 is more than the"),
        (["--input", "{tmp}/missing.txt"], "argument --input: cannot read {tmp}/missing.txt"),
        (["--input", "{tmp}"], "argument --input: cannot read {tmp}"),
        (["--input", "{tmp}/empty.txt"], "empty.txt has no words"),
        (["--input", "{tmp}/one.txt"], "need at least 2 words"),
        (["--input", "{tmp}/binary.txt"], "binary.txt is not UTF-8 text"),
        (["--resume"], "--resume: no saved model in {tmp}/out"),
        (["--sample-only"], "--sample-only: no saved model in {tmp}/out"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "one.txt").write_text("anna\n")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status, stdout, stderr = _run(capsys, *argv, "--out", tmp_path / "out", "--max-steps", 1)
    assert status == 2
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd: error: "), stderr
    assert message.replace("{tmp}", str(tmp_path)) in lines[0]
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_resume_refuses_other_sizes_and_broken_descriptions(words_file, tmp_path, capsys):
    out = tmp_path / "out"
    common = ["--input", words_file, "--out", out, "--num-samples", 0]
    status, _, _ = _run(capsys, "--type", "bigram", *common, "--max-steps", 1)
    assert status == 0
    status, _, stderr = _run(capsys, "--resume", "--type", "mlp", *common, "--max-steps", 1)
    assert status == 2
    assert "--type mlp: the saved model in" in stderr and "has type bigram" in stderr
    status, _, stderr = _run(capsys, "--resume", "--seed", 1, *common, "--max-steps", 1)
    assert status == 2 and "trained with seed 3407" in stderr
    (tmp_path / "other.txt").write_text("anna\nQ\n")
    status, _, stderr = _run(capsys, "--resume", "--out", out, "--input", tmp_path / "other.txt")
    assert status == 2 and "'Q'" in stderr and "not in the vocabulary" in stderr
    described = json.loads((out / "model.json").read_text())
    for broken in ("{not json", "[]", json.dumps({**described, "step": "1"}),
                   json.dumps({**described, "vocabulary": "ab"}),
                   json.dumps({k: v for k, v in described.items() if k != "history"})):  # fmt: skip
        (out / "model.json").write_text(broken)
        status, stdout, stderr = _run(capsys, "--sample-only", "--out", out)
        assert status == 2 and stdout == "", broken
        assert len(stderr.splitlines()) == 1, stderr
        assert "not a model description written by makemore" in stderr


def test_control_characters_in_the_words_reach_the_terminal_escaped(tmp_path, capsys):
    """An ESC or BEL in a words file is shown as \\x1b or \\x07 in the vocabulary note, the
    samples and error messages, never sent raw to drive the terminal; --json escapes it too."""
    words = tmp_path / "words.txt"
    words.write_text("\x1b[31m\x07\n\x07\x1b\n\x1b]0;title\x07\nab\n", encoding="utf-8")
    common = ["--type", "bigram", "--input", words, "--out", tmp_path / "out", "--max-steps", 2]
    status, stdout, stderr = _run(capsys, *common, "--num-samples", 20, "--seed", 1)
    assert status == 0, stderr
    for text in (stdout, stderr):
        assert "\x1b" not in text and "\x07" not in text
    assert "vocabulary of 15 (\\x07\\x1b013;[]abeilmt)" in stderr
    samples = stdout.split("-" * 80)[1]
    assert "\\x1b" in samples and "\\x07" in samples  # sampled words are made of these
    status, stdout, _ = _run(capsys, *common, "--num-samples", 20, "--seed", 1, "--json")
    assert status == 0 and "\x1b" not in stdout and "\\u001b" in stdout
    assert any("\x1b" in w for w in _summary(stdout)["samples"]["new"])  # the JSON holds them
    status, _, stderr = _run(capsys, "--input", tmp_path / "no\x1b[2Jsuch.txt")
    assert status == 2 and "\x1b" not in stderr and "no\\x1b[2Jsuch.txt" in stderr


def test_the_largest_seed_trains_resumes_and_samples(words_file, tmp_path, capsys):
    """2**64 - 1 is a seed; the seeds derived from it (the samples' seed + step) wrap
    around instead of overflowing, and a model.json holding a seed past it is refused."""
    out = tmp_path / "out"
    common = ["--input", words_file, "--out", out, "--num-samples", 3, "--json"]
    top = 2**64 - 1
    status, stdout, stderr = _run(
        capsys, "--type", "bigram", *common, "--max-steps", 2, "--seed", top
    )
    assert status == 0, stderr
    assert sum(map(len, _summary(stdout)["samples"].values())) == 3
    status, _, stderr = _run(capsys, "--resume", *common, "--max-steps", 1)
    assert status == 0, stderr
    status, _, stderr = _run(capsys, "--sample-only", *common)
    assert status == 0, stderr
    described = json.loads((out / "model.json").read_text())
    assert described["seed"] == top
    (out / "model.json").write_text(json.dumps({**described, "seed": 2**64}))
    status, _, stderr = _run(capsys, "--sample-only", *common)
    assert status == 2 and "bad seed" in stderr and len(stderr.splitlines()) == 1


def _strict_json(text):
    """JSON as the standard has it: NaN and Infinity are not numbers there."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_diverging_run_stops_naming_the_step_and_the_learning_rate(words_file, tmp_path, capsys):
    out = tmp_path / "out"
    with warnings.catch_warnings():  # the overflow on the way there prints no NumPy warning
        warnings.simplefilter("error", RuntimeWarning)
        status, stdout, stderr = _run(
            capsys, "--type", "mlp", "--input", words_file, "--out", out, *TINY,
            "--batch-size", 4, "--max-steps", 30, "--eval-interval", 1, "--learning-rate", 1e6,
            "--json",
        )  # fmt: skip
    assert status == 1 and stdout == ""
    error = stderr.strip().splitlines()[-1]
    assert error.startswith("micrograd: error: training diverged: the loss is nan at step 5;")
    assert "try a smaller --learning-rate than 1e+06" in error
    assert "the best model so far (step 1) stays in --out" in error
    described = _strict_json((out / "model.json").read_text())  # saved before it diverged
    assert described["step"] == 1
    # a saved model whose weights are not numbers is refused before sampling from it
    weights = load_file(out / "model.safetensors")
    save_file({k: np.full_like(v, np.nan) for k, v in weights.items()}, out / "model.safetensors")
    status, stdout, stderr = _run(capsys, "--sample-only", "--out", out)
    assert status == 2 and stdout == ""
    error = stderr.strip().splitlines()[-1]
    assert error.startswith("micrograd: error: ") and "the saved weights hold nan or inf" in error


def test_json_output_is_strict_json(words_file, tmp_path, capsys):
    """--json and model.json hold no NaN or Infinity, which JSON does not have."""
    status, stdout, _ = _run(
        capsys, "--type", "bigram", "--input", words_file, "--out", tmp_path, "--max-steps", 2,
        "--num-samples", 2, "--json",
    )  # fmt: skip
    assert status == 0
    assert _strict_json(stdout)["best_test_loss"] > 0
    assert _strict_json((tmp_path / "model.json").read_text())["step"] == 2


def test_a_tampered_history_or_deep_nesting_is_refused_in_one_line(words_file, tmp_path, capsys):
    out = tmp_path / "out"
    common = ["--type", "bigram", "--input", words_file, "--out", out, "--num-samples", 0]
    status, _, _ = _run(capsys, *common, "--max-steps", 3, "--eval-interval", 2)
    assert status == 0
    described = json.loads((out / "model.json").read_text())
    history = described["history"]
    assert described["step"] == 3 and history["eval_step"] == [2, 3]
    broken = [
        {**history, "loss": 5},
        {**history, "loss": history["loss"][:2]},  # one loss per step
        {**history, "loss": [*history["loss"][:2], "x"]},
        {**history, "eval_step": [3, 2]},
        {**history, "eval_step": [2, 4]},  # past the saved step
        {**history, "test_loss": [1.0]},
        {**history, "extra": []},
        [history],
    ]
    texts = [json.dumps({**described, "history": h}) for h in broken]
    # Python's json writes NaN and Infinity; JSON has neither
    texts.append(json.dumps({**described, "best_test_loss": float("nan")}))
    loss = [float("inf"), *history["loss"][1:]]
    texts.append(json.dumps({**described, "history": {**history, "loss": loss}}))
    texts.append(json.dumps({**described, "vocabulary": "aab" + described["vocabulary"][3:]}))
    texts.append('{"history": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for text in texts:
        (out / "model.json").write_text(text)
        for option in ("--resume", "--sample-only"):
            status, stdout, stderr = _run(capsys, option, "--out", out, "--max-steps", 1)
            assert status == 2 and stdout == "", text[:200]
            assert len(stderr.splitlines()) == 1, stderr
            assert "not a model description written by makemore" in stderr
    assert "nested too deeply" in stderr


def test_an_out_folder_that_cannot_be_written_is_refused_before_training(
    words_file, tmp_path, capsys
):
    common = ["--type", "bigram", "--input", words_file, "--max-steps", 50, "--eval-interval", 50]
    out = tmp_path / "out"
    (out / "model.json").mkdir(parents=True)  # where the description is to go
    status, stdout, stderr = _run(capsys, *common, "--out", out)
    assert status == 2 and stdout == ""
    assert stderr.splitlines()[-1] == (
        f"micrograd: error: --out {out}: model.json there is a folder, where the file "
        "model.json is to go"
    )
    assert "makemore (bigram)" not in stderr  # no step was taken
    if os.geteuid() == 0:
        return  # root writes into any folder whatever its permissions
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    status, stdout, stderr = _run(capsys, *common, "--out", locked)
    assert status == 2 and "makemore (bigram)" not in stderr
    assert stderr.splitlines()[-1].startswith(f"micrograd: error: --out {locked}: cannot write")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-layer", "100000"], "argument --n-layer: expected an integer from 1 to 1,000"),
        (["--n-layer", "8", "--n-embd", "4096"], "the most goes to the model's 1,611,"),
        (["--num-samples", "10000000"], "the most goes to sampling --num-samples 10,000,000"),
        (["--batch-size", "100000000"], "a training step on --batch-size 100,000,000 rows"),
        (["--input", "{tmp}/line.txt"], "shorter words (the longest has 1,000,000 characters)"),
        (["--input", "{tmp}/line.txt", "--type", "rnn"], "(the longest has 1,000,000 char"),
        (["--input", "{tmp}/cjk.txt", "--type", "bigram"], "its table is 20,001 squared"),
        (["--input", "/dev/zero"], "argument --input: /dev/zero is not a regular file"),
    ],
)
def test_sizes_past_the_memory_limit_are_refused_before_any_work(argv, message, tmp_path, capsys):
    """Each of these would build for minutes or fill the memory; the estimate (parameters,
    masks, words, and the largest of a step, an evaluation and the sampling) refuses them."""
    (tmp_path / "line.txt").write_text("anna\nbob\n" + "x" * 1_000_000 + "\n")
    cjk = [chr(0x4E00 + i) + chr(0x4E00 + i + 10_000) for i in range(10_000)]
    (tmp_path / "cjk.txt").write_text("\n".join(cjk), encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status, stdout, stderr = _run(capsys, *argv, "--out", tmp_path / "out")
    assert status == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd: error: "), stderr
    assert message in lines[0]
    if "GiB" in lines[0]:
        assert "more than the 2 GiB allowed" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before the output folder was made


def test_resume_names_model_jsons_input_not_the_option(words_file, tmp_path, capsys):
    out = tmp_path / "out"
    words = tmp_path / "moved.txt"
    words.write_bytes(words_file.read_bytes())
    status, _, _ = _run(
        capsys, "--type", "bigram", "--input", words, "--out", out, "--max-steps", 1
    )
    assert status == 0
    words.unlink()
    described = out / "model.json"
    named = f"micrograd: error: the words file named in {described}: "
    status, _, stderr = _run(capsys, "--resume", "--out", out, "--max-steps", 1)
    assert status == 2 and "--input" not in stderr.split("; ")[0]
    moved = "give it with --input if it moved"
    assert stderr == f"{named}cannot read {words}: No such file or directory; {moved}\n"
    described.write_text(json.dumps({**json.loads(described.read_text()), "input": "/dev/zero"}))
    status, _, stderr = _run(capsys, "--sample-only", "--out", out)
    assert (
        status == 2
        and stderr == f"{named}/dev/zero is not a regular file (a device, a pipe or a socket)\n"
    )
    status, _, stderr = _run(
        capsys, "--sample-only", "--out", out, "--input", words_file, "--num-samples", 1
    )
    assert status == 0, stderr  # --input, given, replaces the saved one


def _peak_bytes(work):
    """The most memory ``work()`` held at once beyond what was held before (tracemalloc
    sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_the_memory_estimate_counts_each_model_and_stays_above_what_it_holds(model_type):
    config = ModelConfig(vocab_size=40, block_size=16, n_layer=2, n_embd=16, n_embd2=24, n_head=2)
    micrograd.manual_seed(0)
    model = build_model(model_type, config).to(micrograd.float32)  # as makemore's default
    assert makemore_sizes.parameter_count(model_type, config) == sum(
        p.numel() for p in model.parameters()
    )
    assert makemore_sizes.buffer_count(model_type, config) == sum(
        b.numel() for b in model.buffers()
    )
    rows = {"step": 64, "evaluation": 200, "sampling": 100}
    estimate = makemore_sizes.memory_needed(
        model_type, config, itemsize=4, words=0, batch_size=rows["step"],
        eval_rows=rows["evaluation"], num_samples=rows["sampling"],
    )  # fmt: skip
    rng = np.random.default_rng(0)

    def batch(n):
        return micrograd.tensor(rng.integers(0, config.vocab_size, (n, config.block_size)))

    optimizer = AdamW(model.parameters())
    X, Y = batch(rows["step"]), batch(rows["step"])

    def step():
        _, loss = model(X, Y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # AdamW's moments are made at the first step; they are the model's part
    held = {"step": _peak_bytes(step)}
    Xe, Ye = batch(rows["evaluation"]), batch(rows["evaluation"])
    start = micrograd.zeros(rows["sampling"], 1, dtype=micrograd.long)
    with micrograd.no_grad():
        held["evaluation"] = _peak_bytes(lambda: model(Xe, Ye))
        held["sampling"] = _peak_bytes(
            lambda: generate(model, start, config.block_size - 1, do_sample=True)
        )
    for part, measured in held.items():
        assert measured <= estimate[part], (part, measured, estimate[part])
    assert estimate["step"] <= 5 * held["step"]  # an estimate, not a wild guess
