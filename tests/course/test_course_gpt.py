"""makemore's model zoo and "Let's build GPT", as a learner writes them, on micrograd and PyTorch.

The programs below are written in the style of karpathy/makemore's ``makemore.py`` (Bigram,
MLP, RNN and GRU cells, bag of words, Transformer, ``generate()``) and of the GPT lecture's
``bigram.py`` and ``gpt.py`` (heads in a ModuleList, dropout, ``estimate_loss``), using the
same PyTorch API. Each factory takes the modules a learner imports (``torch``, ``torch.nn``,
``torch.nn.functional``) and is run once with PyTorch's and once with micrograd's. The two
models start from the same weights (micrograd's state_dict, buffers included, loaded into
PyTorch's twin; both in float64), see the same batches, and must give the same losses to 1e-9
over 10 AdamW steps, the same parameters, and the same greedy samples.
"""

import math
import os
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import torch as pt

import micrograd as mg

MICROGRAD = (mg, mg.nn, mg.nn.functional)


@pytest.fixture(autouse=True, scope="module")
def _one_pytorch_thread():
    """PyTorch on one thread: these models are tiny, and on a busy 2-core machine its thread
    pool spends far longer waiting for its threads than computing."""
    threads = pt.get_num_threads()
    pt.set_num_threads(1)
    yield
    pt.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _both_in_float64(float64_default):
    """Both twins run in float64 (the default dtype set in both libraries, for comparisons
    to 1e-9): torch.zeros(...) and torch.tensor(losses) inside the programs then make float64
    tensors on both sides."""
    default = pt.get_default_dtype()
    pt.set_default_dtype(pt.float64)
    yield
    pt.set_default_dtype(default)


PYTORCH = (pt, pt.nn, pt.nn.functional)

NAMES = "ada bo cy dee eli fay gus hal ida jo kai lou max ned oz pia".split()
VOCAB = sorted(set("".join(NAMES)))
MAX_LEN = max(len(w) for w in NAMES)


@dataclass
class Config:
    block_size: int = MAX_LEN + 1
    vocab_size: int = len(VOCAB) + 1
    n_layer: int = 2
    n_embd: int = 8
    n_embd2: int = 8
    n_head: int = 2


def makemore_zoo(torch, nn, F):
    """makemore-style language models, written against the modules given."""

    def lm_loss(logits, targets):
        # positions past the end of a word have target -1: no loss there
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

    class TanhGELU(nn.Module):
        """GELU, tanh form (BERT's, GPT-2's), written out."""

        def forward(self, x):
            c = math.sqrt(2.0 / math.pi)
            return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3.0))))

    class MaskedSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
            self.out = nn.Linear(config.n_embd, config.n_embd)
            size = config.block_size
            causal = torch.tril(torch.ones(size, size)).view(1, 1, size, size)
            self.register_buffer("mask", causal)
            self.n_head, self.n_embd = config.n_head, config.n_embd

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(x).split(self.n_embd, dim=2)
            heads = [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]
            q, k, v = heads  # each (B, n_head, T, head_size)
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            scores = scores.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            y = F.softmax(scores, dim=-1) @ v
            return self.out(y.transpose(1, 2).contiguous().view(B, T, C))

    class TransformerBlock(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd)
            self.attn = MaskedSelfAttention(config)
            self.ln_2 = nn.LayerNorm(config.n_embd)
            self.mlp = nn.ModuleDict(
                dict(
                    fc=nn.Linear(config.n_embd, 4 * config.n_embd),
                    proj=nn.Linear(4 * config.n_embd, config.n_embd),
                    act=TanhGELU(),
                )
            )
            m = self.mlp
            self.mlpf = lambda x: m.proj(m.act(m.fc(x)))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlpf(self.ln_2(x))

    class Transformer(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block_size = config.block_size
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(config.vocab_size, config.n_embd),
                    wpe=nn.Embedding(config.block_size, config.n_embd),
                    h=nn.ModuleList([TransformerBlock(config) for _ in range(config.n_layer)]),
                    ln_f=nn.LayerNorm(config.n_embd),
                )
            )
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.apply(self._init_weights)
            self.n_params = sum(p.numel() for p in self.transformer.parameters())

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.2)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.2)
            elif isinstance(module, nn.LayerNorm):
                torch.nn.init.zeros_(module.bias)
                torch.nn.init.ones_(module.weight)

        def get_block_size(self):
            return self.block_size

        def forward(self, idx, targets=None):
            b, t = idx.size()
            assert t <= self.block_size, f"sequence of {t} is longer than {self.block_size}"
            pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            return logits, None if targets is None else lm_loss(logits, targets)

    class CausalAverage(nn.Module):
        """Bag of words: each position averages the ones before it, itself included."""

        def __init__(self, config):
            super().__init__()
            size = config.block_size
            self.register_buffer("tril", torch.tril(torch.ones(size, size)).view(1, size, size))

        def forward(self, x):
            B, T, C = x.size()
            weights = torch.zeros((B, T, T), device=x.device)
            weights = weights.masked_fill(self.tril[:, :T, :T] == 0, float("-inf"))
            return F.softmax(weights, dim=-1) @ x

    class BoW(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block_size = config.block_size
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
            self.average = CausalAverage(config)
            self.mlp = nn.ModuleDict(
                dict(
                    fc=nn.Linear(config.n_embd, config.n_embd2),
                    proj=nn.Linear(config.n_embd2, config.n_embd),
                )
            )
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size)

        def get_block_size(self):
            return self.block_size

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            x = x + self.average(x)
            x = x + self.mlp.proj(F.tanh(self.mlp.fc(x)))
            logits = self.lm_head(x)
            return logits, None if targets is None else lm_loss(logits, targets)

    class RNNCell(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.xh_to_h = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)

        def forward(self, xt, hprev):
            return F.tanh(self.xh_to_h(torch.cat([xt, hprev], dim=1)))

    class GRUCell(nn.Module):
        def __init__(self, config):
            super().__init__()
            size = config.n_embd + config.n_embd2
            self.xh_to_z = nn.Linear(size, config.n_embd2)
            self.xh_to_r = nn.Linear(size, config.n_embd2)
            self.xh_to_hbar = nn.Linear(size, config.n_embd2)

        def forward(self, xt, hprev):
            xh = torch.cat([xt, hprev], dim=1)
            r = F.sigmoid(self.xh_to_r(xh))  # reset gate
            hbar = F.tanh(self.xh_to_hbar(torch.cat([xt, r * hprev], dim=1)))
            z = F.sigmoid(self.xh_to_z(xh))  # update gate
            return (1 - z) * hprev + z * hbar

    class RNN(nn.Module):
        def __init__(self, config, cell_type):
            super().__init__()
            self.block_size = config.block_size
            self.start = nn.Parameter(torch.zeros(1, config.n_embd2))
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)
            self.cell = RNNCell(config) if cell_type == "rnn" else GRUCell(config)
            self.lm_head = nn.Linear(config.n_embd2, config.vocab_size)

        def get_block_size(self):
            return self.block_size

        def forward(self, idx, targets=None):
            b, t = idx.size()
            emb = self.wte(idx)
            hprev = self.start.expand((b, -1))
            hiddens = []
            for i in range(t):
                hprev = self.cell(emb[:, i, :], hprev)
                hiddens.append(hprev)
            logits = self.lm_head(torch.stack(hiddens, 1))
            return logits, None if targets is None else lm_loss(logits, targets)

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block_size, self.vocab_size = config.block_size, config.vocab_size
            self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)  # +1: <BLANK>
            self.mlp = nn.Sequential(
                nn.Linear(self.block_size * config.n_embd, config.n_embd2),
                nn.Tanh(),
                nn.Linear(config.n_embd2, self.vocab_size),
            )

        def get_block_size(self):
            return self.block_size

        def forward(self, idx, targets=None):
            embs = []
            for _ in range(self.block_size):
                embs.append(self.wte(idx))
                idx = torch.roll(idx, 1, 1)
                idx[:, 0] = self.vocab_size  # before the start: <BLANK>
            logits = self.mlp(torch.cat(embs, -1))
            return logits, None if targets is None else lm_loss(logits, targets)

    class Bigram(nn.Module):
        def __init__(self, config):
            super().__init__()
            n = config.vocab_size
            self.logits = nn.Parameter(torch.zeros((n, n)))

        def get_block_size(self):
            return 1

        def forward(self, idx, targets=None):
            logits = self.logits[idx]
            return logits, None if targets is None else lm_loss(logits, targets)

    @torch.no_grad()
    def generate(model, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
        block_size = model.get_block_size()
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
            logits, _ = model(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            if do_sample:
                idx_next = torch.multinomial(probs, num_samples=1)
            else:
                _, idx_next = torch.topk(probs, k=1, dim=-1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx

    @torch.inference_mode()
    def evaluate(model, batches):
        model.eval()
        losses = []
        for X, Y in batches:
            logits, loss = model(X, Y)
            losses.append(loss.item())
        mean_loss = torch.tensor(losses).mean().item()
        model.train()
        return mean_loss

    models = {
        "bigram": Bigram,
        "mlp": MLP,
        "rnn": lambda config: RNN(config, cell_type="rnn"),
        "gru": lambda config: RNN(config, cell_type="gru"),
        "bow": BoW,
        "transformer": Transformer,
    }
    return SimpleNamespace(models=models, generate=generate, evaluate=evaluate)


def _rows(torch, words):
    """makemore's dataset rows: x = <START> + word, y = word + <STOP>, then -1 (no loss)."""
    stoi = {ch: i + 1 for i, ch in enumerate(VOCAB)}
    X = torch.zeros((len(words), MAX_LEN + 1), dtype=torch.long)
    Y = torch.zeros((len(words), MAX_LEN + 1), dtype=torch.long)
    for row, word in enumerate(words):
        ix = torch.tensor([stoi[ch] for ch in word], dtype=torch.long)
        X[row, 1 : 1 + len(ix)] = ix
        Y[row, : len(ix)] = ix
        Y[row, len(ix) + 1 :] = -1
    return X, Y


def _batches(torch, count, size=4, seed=0):
    rng = np.random.default_rng(seed)
    return [
        _rows(torch, [NAMES[i] for i in rng.integers(0, len(NAMES), size)]) for _ in range(count)
    ]


def _np(x):
    if isinstance(x, pt.Tensor):
        return x.detach().numpy()
    return np.asarray(x.data if isinstance(x, mg.Tensor) else x)


def _twin(ours, theirs):
    """Load micrograd's weights and buffers into the PyTorch model (float64)."""
    theirs.double()
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())  # PyTorch's names, in PyTorch's order
    theirs.load_state_dict({name: pt.tensor(_np(value)) for name, value in state.items()})
    return theirs


def _train(torch, model, batches):
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=5e-3, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8
    )
    losses = []
    for X, Y in batches:
        logits, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("kind", ["bigram", "mlp", "rnn", "gru", "bow", "transformer"])
def test_makemore_models_train_and_generate_as_in_pytorch(kind):
    mg.manual_seed(3407)
    ours_zoo, theirs_zoo = makemore_zoo(*MICROGRAD), makemore_zoo(*PYTORCH)
    config = Config()
    ours = ours_zoo.models[kind](config)
    ours.to("cpu")
    theirs = _twin(ours, theirs_zoo.models[kind](config))
    n_ours = sum(p.numel() for p in ours.parameters())
    assert n_ours == sum(p.numel() for p in theirs.parameters())

    ours_losses = _train(mg, ours, _batches(mg, 10))
    theirs_losses = _train(pt, theirs, _batches(pt, 10))
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=0, atol=1e-9)
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        np.testing.assert_allclose(_np(p), _np(q), rtol=0, atol=1e-9)

    evaluation = [_rows(mg, NAMES[:8]), _rows(mg, NAMES[8:])]
    their_evaluation = [_rows(pt, NAMES[:8]), _rows(pt, NAMES[8:])]
    ours_eval = ours_zoo.evaluate(ours, evaluation)
    assert ours.training  # evaluate() puts the model back in training mode
    assert abs(ours_eval - theirs_zoo.evaluate(theirs, their_evaluation)) < 1e-9

    ours.eval()
    theirs.eval()
    steps = config.block_size + 2  # past the block size: the context is cropped
    start, their_start = mg.zeros(3, 1, dtype=mg.long), pt.zeros(3, 1, dtype=pt.long)
    for top_k in (None, 3):
        sample = ours_zoo.generate(ours, start, steps, top_k=top_k)
        their_sample = theirs_zoo.generate(theirs, their_start, steps, top_k=top_k)
        assert sample.dtype == np.int64 and sample.tolist() == their_sample.tolist()
    sampled = []
    for _ in range(2):
        mg.manual_seed(7)
        sampled.append(ours_zoo.generate(ours, start, steps, do_sample=True, top_k=3).to("cpu"))
    assert sampled[0].tolist() == sampled[1].tolist()
    assert sampled[0].shape == (3, 1 + steps)
    assert 0 <= sampled[0].min().item() and sampled[0].max().item() < config.vocab_size
    rows = [row[1:].tolist() for row in sampled[0]]
    assert all(isinstance(i, int) for row in rows for i in row)


def test_same_seed_same_model():
    zoo = makemore_zoo(*MICROGRAD)
    states = []
    for _ in range(2):
        mg.manual_seed(3407)
        states.append(zoo.models["transformer"](Config()).state_dict())
    assert all(np.array_equal(_np(states[0][k]), _np(states[1][k])) for k in states[0])


def test_checkpoint_round_trip_as_makemore_writes_it(tmp_path):
    zoo = makemore_zoo(*MICROGRAD)
    model = zoo.models["gru"](Config())
    out_path = os.path.join(tmp_path, "model.pt")
    mg.save(model.state_dict(), out_path)
    fresh = zoo.models["gru"](Config())
    fresh.load_state_dict(mg.load(out_path))
    assert all(
        np.array_equal(_np(a), _np(b)) for a, b in zip(model.parameters(), fresh.parameters())
    )


# --------------------------------------------------------------------- Let's build GPT

TEXT = (
    "first citizen: we are accounted poor citizens, the patricians good.\n"
    "what authority surfeits on would relieve us: if they would yield us but the\n"
    "superfluity, while it were wholesome, we might guess they relieved us humanely.\n"
)
CHARS = sorted(set(TEXT))


def gpt_lecture(torch, nn, F, block_size=8, n_embd=12, n_head=3, n_layer=2, dropout=0.0):
    """The lecture's GPT: heads of self-attention in a ModuleList, concatenated."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    vocab_size = len(CHARS)

    class Head(nn.Module):
        def __init__(self, head_size):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            k, q = self.key(x), self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            wei = self.dropout(F.softmax(wei, dim=-1))
            return wei @ self.value(x)

    class MultiHeadAttention(nn.Module):
        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = nn.Linear(head_size * num_heads, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            out = torch.cat([h(x) for h in self.heads], dim=-1)
            return self.dropout(self.proj(out))

    class FeedForward(nn.Module):
        def __init__(self, n_embd):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(n_embd, 4 * n_embd),
                nn.ReLU(),
                nn.Linear(4 * n_embd, n_embd),
                nn.Dropout(dropout),
            )

        def forward(self, x):
            return self.net(x)

    class Block(nn.Module):
        def __init__(self, n_embd, n_head):
            super().__init__()
            self.sa = MultiHeadAttention(n_head, n_embd // n_head)
            self.ffwd = FeedForward(n_embd)
            self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

        def forward(self, x):
            x = x + self.sa(self.ln1(x))
            return x + self.ffwd(self.ln2(x))

    class GPTLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
            self.position_embedding_table = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab_size)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            tok_emb = self.token_embedding_table(idx)  # (B, T, C)
            pos_emb = self.position_embedding_table(torch.arange(T, device=device))  # (T, C)
            x = self.blocks(tok_emb + pos_emb)
            logits = self.lm_head(self.ln_f(x))
            if targets is None:
                return logits, None
            B, T, C = logits.shape
            return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

        def generate(self, idx, max_new_tokens, greedy=False):
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -block_size:])
                probs = F.softmax(logits[:, -1, :], dim=-1)
                if greedy:
                    idx_next = torch.argmax(probs, dim=-1, keepdim=True)
                else:
                    idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    class BigramLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

        def forward(self, idx, targets=None):
            logits = self.token_embedding_table(idx)
            if targets is None:
                return logits, None
            B, T, C = logits.shape
            return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

        def generate(self, idx, max_new_tokens, greedy=False):
            for _ in range(max_new_tokens):
                logits, _ = self(idx)
                probs = F.softmax(logits[:, -1, :], dim=-1)
                if greedy:
                    idx_next = torch.argmax(probs, dim=-1, keepdim=True)
                else:
                    idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    stoi = {ch: i for i, ch in enumerate(CHARS)}
    itos = {i: ch for i, ch in enumerate(CHARS)}
    data = torch.tensor([stoi[c] for c in TEXT], dtype=torch.long)
    n = int(0.9 * len(data))
    splits = {"train": data[:n], "val": data[n:]}

    def get_batch(split, ix, batch_size=4):
        data = splits[split]
        if ix is None:
            ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([data[i : i + block_size] for i in ix])
        y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])
        return x.to(device), y.to(device)

    @torch.no_grad()
    def estimate_loss(model, eval_ix):
        out = {}
        model.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(len(eval_ix[split]))
            for k, ix in enumerate(eval_ix[split]):
                X, Y = get_batch(split, ix)
                logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    return SimpleNamespace(
        GPT=GPTLanguageModel,
        Bigram=BigramLanguageModel,
        get_batch=get_batch,
        estimate_loss=estimate_loss,
        decode=lambda ids: "".join(itos[i] for i in ids),
        data=data,
        device=device,
    )


def _indices(split_length, count, block_size=8, size=4, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, split_length - block_size, size).tolist() for _ in range(count)]


@pytest.mark.parametrize("model_name", ["Bigram", "GPT"])
def test_lets_build_gpt_trains_and_generates_as_in_pytorch(model_name):
    mg.manual_seed(1337)
    ours_lec, theirs_lec = gpt_lecture(*MICROGRAD), gpt_lecture(*PYTORCH)
    ours = getattr(ours_lec, model_name)()
    m = ours.to(ours_lec.device)
    assert m is ours and ours_lec.device == "cpu"
    theirs = _twin(ours, getattr(theirs_lec, model_name)())
    assert (
        sum(p.numel() for p in m.parameters()) / 1e6
        == sum(p.numel() for p in theirs.parameters()) / 1e6
    )

    n = int(0.9 * len(TEXT))
    steps = _indices(n, 10)
    eval_ix = {"train": _indices(n, 2, seed=2), "val": _indices(len(TEXT) - n, 2, seed=3)}
    results = []
    for lec, model, lib in ((ours_lec, ours, mg), (theirs_lec, theirs, pt)):
        optimizer = lib.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for ix in steps:
            xb, yb = lec.get_batch("train", ix)
            logits, loss = model(xb, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        estimate = lec.estimate_loss(model, eval_ix)
        report = f"train loss {estimate['train']:.4f}, val loss {estimate['val']:.4f}"
        context = lib.zeros((1, 1), dtype=lib.long, device=lec.device)
        text = lec.decode(model.generate(context, max_new_tokens=12, greedy=True)[0].tolist())
        results.append((losses, estimate, report, text))
    (
        (ours_losses, estimate, report, text),
        (their_losses, their_estimate, their_report, their_text),
    ) = results
    np.testing.assert_allclose(ours_losses, their_losses, rtol=0, atol=1e-9)
    for split in estimate:
        assert abs(estimate[split].item() - their_estimate[split].item()) < 1e-9
    assert report == their_report and text == their_text

    xb, yb = ours_lec.get_batch("train", None)  # torch.randint(len(data) - block_size, (4,))
    assert xb.shape == yb.shape == (4, 8) and xb.dtype == np.int64
    assert (xb[:, 1:] == yb[:, :-1]).all().item()
    sample = ours.generate(mg.zeros((2, 1), dtype=mg.long), max_new_tokens=10)
    assert sample.shape == (2, 11) and sample.max().item() < len(CHARS)


def test_gpt_with_dropout_trains_and_evaluates_without_it():
    mg.manual_seed(1337)
    ours_lec = gpt_lecture(*MICROGRAD, dropout=0.2)
    theirs_lec = gpt_lecture(*PYTORCH, dropout=0.2)
    ours = ours_lec.GPT()
    theirs = _twin(ours, theirs_lec.GPT())
    xb, yb = ours_lec.get_batch("train", [0, 5, 9, 20])
    their_xb, their_yb = theirs_lec.get_batch("train", [0, 5, 9, 20])
    with mg.no_grad():
        train_losses = {ours(xb, yb)[1].item() for _ in range(3)}
    assert len(train_losses) == 3  # a fresh dropout mask each call
    ours.eval()
    theirs.eval()
    with mg.no_grad():
        eval_losses = {ours(xb, yb)[1].item() for _ in range(3)}
    assert len(eval_losses) == 1
    assert abs(eval_losses.pop() - theirs(their_xb, their_yb)[1].item()) < 1e-9
    ours.train()
    optimizer = mg.optim.AdamW(ours.parameters(), lr=1e-2)
    _, loss = ours(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    assert all(p.grad is not None for p in ours.parameters())
