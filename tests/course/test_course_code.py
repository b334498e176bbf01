"""The makemore lectures' code (parts 1 to 5), as a learner writes it, on micrograd and PyTorch.

Each lecture step is a short program taking the three modules a learner imports
(``import torch; import torch.nn as nn; from torch.nn import functional as F``): it runs once
with PyTorch's and once with ``import micrograd as torch`` and micrograd's, from the same
weights (drawn here with NumPy, float64), and the two must give the same numbers: losses to
1e-9 over several steps, every gradient, the running statistics, the samples.

Random draws are the one thing that cannot match: a micrograd ``Generator`` seeded like
PyTorch's draws other numbers (see the README), so the programs that sample are compared
greedily, and their seeded draws are checked for reproducibility.
"""

import math

import numpy as np
import pytest
import torch as pt

import micrograd as mg

MICROGRAD = (mg, mg.nn, mg.nn.functional)
PYTORCH = (pt, pt.nn, pt.nn.functional)

WORDS = (
    "emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
    "elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe "
    "penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella"
).split()
CHARS = sorted(set("".join(WORDS)))
STOI = {s: i + 1 for i, s in enumerate(CHARS)} | {".": 0}
ITOS = {i: s for s, i in STOI.items()}
V = len(STOI)


@pytest.fixture(autouse=True, scope="module")
def _one_pytorch_thread():
    """PyTorch on one thread: these models are tiny, and on a busy 2-core machine its thread
    pool spends far longer waiting for its threads than computing."""
    threads = pt.get_num_threads()
    pt.set_num_threads(1)
    yield
    pt.set_num_threads(threads)


def _np(x):
    """A tensor or array of either library as a NumPy array (a micrograd grad already is)."""
    if isinstance(x, pt.Tensor):
        return x.detach().numpy()
    return np.asarray(x.data if isinstance(x, mg.Tensor) else x)


def _close(ours, theirs, atol=1e-9):
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=0, atol=atol)


def _dataset(torch, block_size, words=WORDS):
    """Part 2's build_dataset: every context of block_size characters and the next one."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = STOI[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


# --------------------------------------------------------------------- part 1: bigrams


def bigram_counts(torch):
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[STOI[ch1], STOI[ch2]] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    log_likelihood = 0.0
    n = 0
    for w in WORDS[:5]:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            prob = P[STOI[ch1], STOI[ch2]]
            log_likelihood += torch.log(prob)
            n += 1
    nll = -log_likelihood
    return N, P, nll / n, f"{nll / n:.4f}", N[0, STOI["a"]].item()


def test_part1_bigram_counts_and_likelihood():
    ours, theirs = bigram_counts(mg), bigram_counts(pt)
    assert ours[0].dtype == np.int32 and ours[1].dtype == np.float32
    np.testing.assert_array_equal(_np(ours[0]), _np(theirs[0]))
    _close(ours[1], theirs[1], atol=1e-7)
    _close(ours[2], theirs[2], atol=1e-5)
    assert ours[3:] == theirs[3:]


def sample_from_counts(torch, P, seed, num):
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(num):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            if ix == 0:
                break
            out.append(ITOS[ix])
        names.append("".join(out))
    return names


def test_part1_sampling_is_reproducible_under_a_seed():
    P = bigram_counts(mg)[1]
    first = sample_from_counts(mg, P, 2147483647, 8)
    assert first == sample_from_counts(mg, P, 2147483647, 8)
    assert first != sample_from_counts(mg, P, 42, 8)
    assert all(set(name) <= set(CHARS) for name in first)
    g = mg.Generator().manual_seed(2147483647)
    p = mg.rand(3, generator=g)
    p = p / p.sum()
    draws = mg.multinomial(p, num_samples=100, replacement=True, generator=g)
    assert draws.shape == (100,) and draws.dtype == np.int64 and set(draws.tolist()) <= {0, 1, 2}


def neural_bigram(torch, F, W0, steps):
    xs, ys = [], []
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(STOI[ch1])
            ys.append(STOI[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()
    W = torch.tensor(W0, requires_grad=True)
    losses = []
    for k in range(steps):
        xenc = F.one_hot(xs, num_classes=V).double()
        logits = xenc @ W  # log-counts
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
    return losses, W


def test_part1_neural_bigram_trains_as_in_pytorch():
    W0 = np.random.default_rng(1).normal(size=(V, V))
    (ours, w_ours), (theirs, w_theirs) = (
        neural_bigram(lib, F, W0, 6) for lib, _, F in (MICROGRAD, PYTORCH)
    )
    _close(ours, theirs)
    _close(w_ours, w_theirs)
    assert ours[-1] < ours[0]


# --------------------------------------------------------------------- part 2: an MLP


def mlp_weights(seed, n_embd=2, block_size=3, n_hidden=20):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(V, n_embd)),
        rng.normal(size=(block_size * n_embd, n_hidden)) * 0.3,
        rng.normal(size=n_hidden) * 0.1,
        rng.normal(size=(n_hidden, V)) * 0.1,
        np.zeros(V),
    ]


def mlp_training(torch, F, weights, batches):
    X, Y = _dataset(torch, 3)
    C, W1, b1, W2, b2 = (torch.tensor(w) for w in weights)
    parameters = [C, W1, b1, W2, b2]
    n_params = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True

    emb = C[X]
    same = (emb.view(-1, 6) == torch.cat(torch.unbind(emb, 1), 1)).all().item()
    logits = torch.tanh(emb.view(-1, 6) @ W1 + b1) @ W2 + b2
    counts = logits.exp()
    prob = counts / counts.sum(1, keepdims=True)
    by_hand = -prob[torch.arange(Y.shape[0]), Y].log().mean()
    fused = F.cross_entropy(logits, Y)

    lre = torch.linspace(-3, 0, len(batches), dtype=torch.float64)
    lrs = 10**lre
    lossi = []
    for i, ix in enumerate(batches):
        lr = lrs[i]
        ix = torch.tensor(ix)
        emb = C[X[ix]]  # (32, 3, 2)
        h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (32, 20)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    means = torch.tensor(lossi).view(-1, 2).mean(1)
    return n_params, same, by_hand, fused, lrs, lossi, means, parameters


def test_part2_mlp_trains_as_in_pytorch():
    weights = mlp_weights(2)
    n = len(_dataset(mg, 3)[0])
    rng = np.random.default_rng(3)
    batches = [rng.integers(0, n, 32) for _ in range(8)]
    ours = mlp_training(mg, mg.nn.functional, weights, batches)
    theirs = mlp_training(pt, pt.nn.functional, weights, batches)
    assert ours[:2] == theirs[:2] == (sum(w.size for w in weights), True)
    _close(ours[2], theirs[2])
    _close(ours[3], theirs[3])
    _close(ours[2], ours[3], atol=1e-12)  # by hand or fused: the same loss
    _close(ours[4], theirs[4], atol=1e-15)
    _close(ours[5], theirs[5])
    _close(ours[6], theirs[6], atol=1e-6)
    for p, q in zip(ours[7], theirs[7]):
        _close(p, q)


def mlp_sample(torch, F, C, W1, b1, W2, b2, greedy, g=None, num=5):
    names = []
    for _ in range(num):
        out = []
        context = [0] * 3
        while len(out) < 20:
            emb = C[torch.tensor([context])]  # (1, block_size, n_embd)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            if greedy:
                ix = torch.argmax(probs, dim=1).item()
            else:
                ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append("".join(ITOS[i] for i in out))
    return names


def test_part2_sampling_greedy_is_pytorchs_and_multinomial_runs():
    weights = mlp_weights(4)
    ours = mlp_sample(mg, mg.nn.functional, *(mg.tensor(w) for w in weights), greedy=True)
    theirs = mlp_sample(pt, pt.nn.functional, *(pt.tensor(w) for w in weights), greedy=True)
    assert ours == theirs
    g = mg.Generator().manual_seed(2147483647 + 10)
    sampled = mlp_sample(mg, mg.nn.functional, *(mg.tensor(w) for w in weights), greedy=False, g=g)
    assert len(sampled) == 5 and all(set(s) <= set(CHARS) | {"."} for s in sampled)


def test_part2_minibatch_indices_and_splits():
    g = mg.Generator().manual_seed(2147483647)
    X, Y = _dataset(mg, 3)
    ix = mg.randint(0, X.shape[0], (32,), generator=g)
    assert ix.shape == (32,) and ix.dtype == np.int64
    assert 0 <= ix.min().item() and ix.max().item() < X.shape[0]
    assert X[ix].shape == (32, 3) and Y[ix].shape == (32,)
    n1 = int(0.8 * len(WORDS))
    assert sorted(mg.randperm(len(WORDS)).tolist()) == list(range(len(WORDS))) and n1 == 30
    C = mg.randn((V, 2), generator=g)
    assert C[5].shape == (2,) and C[[5, 6, 7]].shape == (3, 2) and C[X].shape == (len(X), 3, 2)
    assert C[X][13, 2].shape == (2,)


# --------------------------------------------------------------------- part 3: BatchNorm


def part3_layers(torch, weights, gain):
    """The lecture's own Linear / BatchNorm1d / Tanh classes (not nn.Module)."""

    class Linear:
        def __init__(self, weight, bias=None):
            self.weight = torch.tensor(weight)
            self.bias = None if bias is None else torch.tensor(bias)

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            self.gamma = torch.ones(dim, dtype=torch.float64)
            self.beta = torch.zeros(dim, dtype=torch.float64)
            self.running_mean = torch.zeros(dim, dtype=torch.float64)
            self.running_var = torch.ones(dim, dtype=torch.float64)

        def __call__(self, x):
            if self.training:
                xmean = x.mean(0, keepdim=True)  # batch mean
                xvar = x.var(0, keepdim=True)  # batch variance
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
            self.out = self.gamma * xhat + self.beta
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + (
                        self.momentum * xmean
                    )
                    self.running_var = (1 - self.momentum) * self.running_var + (
                        self.momentum * xvar
                    )
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    C = torch.tensor(weights[0])
    layers = [
        Linear(weights[1]),
        BatchNorm1d(weights[1].shape[1]),
        Tanh(),
        Linear(weights[2], weights[3]),
        BatchNorm1d(V),
    ]
    with torch.no_grad():
        layers[-1].gamma *= 0.1  # last layer: less confident
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= gain
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return C, layers, parameters


def part3_training(torch, F, weights, batches):
    X, Y = _dataset(torch, 3)
    C, layers, parameters = part3_layers(torch, weights, 5 / 3)
    lossi, stats = [], []
    for ix in batches:
        ix = torch.tensor(ix)
        x = C[X[ix]].view(len(ix), -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Y[ix])
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -0.1 * p.grad
        lossi.append(loss.log10().item())

    t = layers[2].out  # the Tanh's activations, last step
    stats.append(
        "mean %+.2f, std %.2f, saturated: %.2f%%"  # noqa: UP031 (the lecture's own)
        % (t.mean(), t.std(), (t.abs() > 0.97).float().mean() * 100)
    )
    hy, hx = torch.histogram(t, density=True)
    grads = [layer.out.grad for layer in layers]

    @torch.no_grad()  # this decorator disables gradient tracking
    def split_loss(split):
        x, y = {"train": (X[:40], Y[:40]), "val": (X[40:], Y[40:])}[split]
        emb = C[x]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        return F.cross_entropy(x, y).item()

    for layer in layers:
        layer.training = False
    evaluation = (split_loss("train"), split_loss("val"))
    running = [layers[1].running_mean, layers[1].running_var, layers[4].running_var]
    return lossi, stats, hy, hx, grads, evaluation, running, parameters


def part3_weights(seed, n_embd=4, n_hidden=16):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(V, n_embd)),
        rng.normal(size=(3 * n_embd, n_hidden)) / (3 * n_embd) ** 0.5,
        rng.normal(size=(n_hidden, V)) * 0.1,
        np.zeros(V),
    ]


def _batches(seed, count, size=16):
    n = len(_dataset(mg, 3)[0])
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, size) for _ in range(count)]


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad:UserWarning")
def test_part3_batchnorm_network_trains_as_in_pytorch():
    weights, batches = part3_weights(5), _batches(6, 4)
    ours = part3_training(mg, mg.nn.functional, weights, batches)
    theirs = part3_training(pt, pt.nn.functional, weights, batches)
    _close(ours[0], theirs[0])
    assert ours[1] == theirs[1]
    _close(ours[2], theirs[2], atol=1e-9)  # the histogram: densities and bin edges
    _close(ours[3], theirs[3], atol=1e-12)
    for p, q in zip(ours[4], theirs[4]):  # every layer's output gradient (retain_grad)
        _close(p, q, atol=1e-12)
    _close(ours[5], theirs[5])
    for p, q in zip(ours[6] + ours[7], theirs[6] + theirs[7]):
        _close(p, q)


def test_part3_gradient_statistics_on_grad_and_data():
    """The lecture's diagnostics read p.grad and p.data as tensors: PyTorch's unbiased std,
    a 0-d tensor's log10."""

    def run(torch, F):
        weights, batches = part3_weights(7), _batches(8, 1)
        return [p for p in part3_training(torch, F, weights, batches)[-1] if p.ndim == 2]

    ours, theirs = run(mg, mg.nn.functional), run(pt, pt.nn.functional)
    # 'weight %10s | mean %+f | std %e | grad:data ratio %e'
    assert ["%e" % p.grad.std() for p in ours] == ["%e" % p.grad.std() for p in theirs]  # noqa: UP031
    # the update-to-data ratios, log10 of a 0-d tensor
    ratios = [((0.1 * p.grad).std() / p.data.std()).log10().item() for p in ours]
    _close(ratios, [((0.1 * p.grad).std() / p.data.std()).log10().item() for p in theirs])


# --------------------------------------------------------------------- part 4: backprop by hand


def part4_forward(torch, F, weights, Xb, Yb):
    """The lecture's forward pass, cut into steps small enough to backpropagate by hand."""
    C, W1, b1, W2, b2, bngain, bnbias = (torch.tensor(w, requires_grad=True) for w in weights)
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    steps = dict(
        logprobs=logprobs, probs=probs, counts=counts, counts_sum=counts_sum,
        counts_sum_inv=counts_sum_inv, norm_logits=norm_logits, logit_maxes=logit_maxes,
        logits=logits, h=h, hpreact=hpreact, bnraw=bnraw, bnvar_inv=bnvar_inv, bnvar=bnvar,
        bndiff2=bndiff2, bndiff=bndiff, hprebn=hprebn, bnmeani=bnmeani, embcat=embcat, emb=emb,
    )  # fmt: skip
    for t in [*steps.values()]:
        t.retain_grad()
    loss.backward()
    return loss, steps, parameters


def part4_by_hand(torch, F, weights, Xb, Yb):
    loss, s, (C, W1, b1, W2, b2, bngain, bnbias) = part4_forward(torch, F, weights, Xb, Yb)
    n = Xb.shape[0]
    d = {}
    d["logprobs"] = torch.zeros_like(s["logprobs"])
    d["logprobs"][range(n), Yb] = -1.0 / n
    d["probs"] = (1.0 / s["probs"]) * d["logprobs"]
    d["counts_sum_inv"] = (s["counts"] * d["probs"]).sum(1, keepdim=True)
    d["counts"] = s["counts_sum_inv"] * d["probs"]
    d["counts_sum"] = (-(s["counts_sum"] ** -2)) * d["counts_sum_inv"]
    d["counts"] += torch.ones_like(s["counts"]) * d["counts_sum"]
    d["norm_logits"] = s["counts"] * d["counts"]
    d["logits"] = d["norm_logits"].clone()
    d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)
    d["logits"] += (
        F.one_hot(s["logits"].max(1).indices, num_classes=s["logits"].shape[1]) * d["logit_maxes"]
    )
    d["h"] = d["logits"] @ W2.T
    dW2 = s["h"].T @ d["logits"]
    db2 = d["logits"].sum(0)
    d["hpreact"] = (1.0 - s["h"] ** 2) * d["h"]
    dbngain = (s["bnraw"] * d["hpreact"]).sum(0, keepdim=True)
    d["bnraw"] = bngain * d["hpreact"]
    dbnbias = d["hpreact"].sum(0, keepdim=True)
    d["bndiff"] = s["bnvar_inv"] * d["bnraw"]
    d["bnvar_inv"] = (s["bndiff"] * d["bnraw"]).sum(0, keepdim=True)
    d["bnvar"] = (-0.5 * (s["bnvar"] + 1e-5) ** -1.5) * d["bnvar_inv"]
    d["bndiff2"] = (1.0 / (n - 1)) * torch.ones_like(s["bndiff2"]) * d["bnvar"]
    d["bndiff"] += (2 * s["bndiff"]) * d["bndiff2"]
    d["hprebn"] = d["bndiff"].clone()
    d["bnmeani"] = (-d["bndiff"]).sum(0)
    d["hprebn"] += 1.0 / n * (torch.ones_like(s["hprebn"]) * d["bnmeani"])
    d["embcat"] = d["hprebn"] @ W1.T
    dW1 = s["embcat"].T @ d["hprebn"]
    db1 = d["hprebn"].sum(0)
    d["emb"] = d["embcat"].view(s["emb"].shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += d["emb"][k, j]

    def cmp(name, dt, t):
        exact = torch.all(dt == t.grad).item()
        approx = torch.allclose(dt, t.grad)
        maxdiff = (dt - t.grad).abs().max().item()
        return f"{name:15s} | exact: {str(exact):5s} | approximate: {str(approx):5s}", maxdiff

    report = [cmp(name, d[name], s[name]) for name in d]
    report += [
        cmp(name, dt, t)
        for name, dt, t in [
            ("C", dC, C), ("W1", dW1, W1), ("b1", db1, b1), ("W2", dW2, W2), ("b2", db2, b2),
            ("bngain", dbngain, bngain), ("bnbias", dbnbias, bnbias),
        ]
    ]  # fmt: skip
    return loss.item(), report, [dC, dW1, db1, dW2, db2, dbngain, dbnbias]


def part4_weights(seed, n_embd=3, n_hidden=8):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(V, n_embd)),
        rng.normal(size=(3 * n_embd, n_hidden)) * (5 / 3) / (3 * n_embd) ** 0.5,
        rng.normal(size=n_hidden) * 0.1,
        rng.normal(size=(n_hidden, V)) * 0.1,
        rng.normal(size=V) * 0.1,
        rng.normal(size=(1, n_hidden)) * 0.1 + 1.0,
        rng.normal(size=(1, n_hidden)) * 0.1,
    ]


def _part4_batch(torch, seed=9, size=12):
    X, Y = _dataset(torch, 3)
    ix = torch.tensor(_batches(seed, 1, size)[0])
    return X[ix], Y[ix]


def test_part4_gradients_by_hand_match_autograd_and_pytorch():
    weights = part4_weights(10)
    ours = part4_by_hand(mg, mg.nn.functional, weights, *_part4_batch(mg))
    theirs = part4_by_hand(pt, pt.nn.functional, weights, *_part4_batch(pt))
    _close(ours[0], theirs[0])
    for (line, maxdiff), (their_line, their_maxdiff) in zip(ours[1], theirs[1]):
        assert "approximate: True" in line and maxdiff < 1e-12, line
        assert line.split("|")[0] == their_line.split("|")[0]
    for p, q in zip(ours[2], theirs[2]):
        _close(p, q, atol=1e-12)


def part4_shortcuts(torch, F, weights, Xb, Yb):
    """Exercises 2 and 3: cross-entropy and BatchNorm backward in one line each."""
    loss, s, (C, W1, b1, W2, b2, bngain, bnbias) = part4_forward(torch, F, weights, Xb, Yb)
    n = Xb.shape[0]
    loss_fast = F.cross_entropy(s["logits"], Yb)
    dlogits = F.softmax(s["logits"], 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    hpreact_fast = (
        bngain
        * (s["hprebn"] - s["hprebn"].mean(0, keepdim=True))
        / torch.sqrt(s["hprebn"].var(0, keepdim=True, unbiased=True) + 1e-5)
        + bnbias
    )
    dhpreact, bnraw = s["hpreact"].grad, s["bnraw"]
    dhprebn = (
        bngain
        * s["bnvar_inv"]
        / n
        * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    )
    return (
        (loss_fast - loss).item(),
        (dlogits - s["logits"].grad).abs().max().item(),
        (hpreact_fast - s["hpreact"]).abs().max().item(),
        (dhprebn - s["hprebn"].grad).abs().max().item(),
        dlogits,
        dhprebn,
    )


def test_part4_fused_backward_shortcuts():
    weights = part4_weights(11)
    ours = part4_shortcuts(mg, mg.nn.functional, weights, *_part4_batch(mg))
    theirs = part4_shortcuts(pt, pt.nn.functional, weights, *_part4_batch(pt))
    assert all(abs(d) < 1e-12 for d in ours[:4]), ours[:4]
    _close(ours[4], theirs[4], atol=1e-12)
    _close(ours[5], theirs[5], atol=1e-12)


def part4_training(torch, F, weights, batches):
    """Exercise 4: the network trained with the gradients by hand, no loss.backward()."""
    X, Y = _dataset(torch, 3)
    C, W1, b1, W2, b2, bngain, bnbias = (torch.tensor(w) for w in weights)
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    losses = []
    with torch.no_grad():
        for ix in batches:
            ix = torch.tensor(ix)
            Xb, Yb = X[ix], Y[ix]
            n = Xb.shape[0]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hprebn = embcat @ W1 + b1
            bnmean = hprebn.mean(0, keepdim=True)
            bnvar = hprebn.var(0, keepdim=True, unbiased=True)
            bnvar_inv = (bnvar + 1e-5) ** -0.5
            bnraw = (hprebn - bnmean) * bnvar_inv
            hpreact = bngain * bnraw + bnbias
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            dlogits = F.softmax(logits, 1)
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = (
                bngain * bnvar_inv / n
                * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
            )  # fmt: skip
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = torch.zeros_like(C)
            for k in range(Xb.shape[0]):
                for j in range(Xb.shape[1]):
                    dC[Xb[k, j]] += demb[k, j]
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            for p, grad in zip(parameters, grads):
                p.data += -0.1 * grad
            losses.append(loss.item())
    return losses, parameters


def test_part4_training_with_gradients_by_hand():
    weights, batches = part4_weights(12), _batches(13, 4, size=10)
    ours = part4_training(mg, mg.nn.functional, weights, batches)
    theirs = part4_training(pt, pt.nn.functional, weights, batches)
    _close(ours[0], theirs[0])
    for p, q in zip(ours[1], theirs[1]):
        _close(p, q)


# --------------------------------------------------------------------- part 5: a WaveNet


def wavenet(torch, weights, n_consecutive=2):
    """Part 5's hierarchical model, with the lecture's own layer classes."""

    class Linear:
        def __init__(self, weight, bias=None):
            self.weight = torch.tensor(weight)
            self.bias = None if bias is None else torch.tensor(bias)

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps, self.momentum, self.training = eps, momentum, True
            self.gamma = torch.ones(dim, dtype=torch.float64)
            self.beta = torch.zeros(dim, dtype=torch.float64)
            self.running_mean = torch.zeros(dim, dtype=torch.float64)
            self.running_var = torch.ones(dim, dtype=torch.float64)

        def __call__(self, x):
            if self.training:
                if x.ndim == 2:
                    dim = 0
                elif x.ndim == 3:
                    dim = (0, 1)
                xmean = x.mean(dim, keepdim=True)
                xvar = x.var(dim, keepdim=True)
            else:
                xmean, xvar = self.running_mean, self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
            self.out = self.gamma * xhat + self.beta
            if self.training:
                with torch.no_grad():
                    m = self.momentum
                    self.running_mean = (1 - m) * self.running_mean + m * xmean
                    self.running_var = (1 - m) * self.running_var + m * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    class Embedding:
        def __init__(self, weight):
            self.weight = torch.tensor(weight)

        def __call__(self, IX):
            self.out = self.weight[IX]
            return self.out

        def parameters(self):
            return [self.weight]

    class FlattenConsecutive:
        def __init__(self, n):
            self.n = n

        def __call__(self, x):
            B, T, C = x.shape
            x = x.view(B, T // self.n, C * self.n)
            if x.shape[1] == 1:
                x = x.squeeze(1)
            self.out = x
            return self.out

        def parameters(self):
            return []

    class Sequential:
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    emb, w1, w2, w3, w_out, b_out = weights
    n_hidden = w1.shape[1]
    model = Sequential([
        Embedding(emb),
        FlattenConsecutive(n_consecutive), Linear(w1), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(n_consecutive), Linear(w2), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(n_consecutive), Linear(w3), BatchNorm1d(n_hidden), Tanh(),
        Linear(w_out, b_out),
    ])  # fmt: skip
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer made less confident
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True
    return model, parameters


def wavenet_training(torch, F, weights, batches):
    torch.manual_seed(42)
    X, Y = _dataset(torch, 8)
    model, parameters = wavenet(torch, weights)
    shapes, lossi = [], []
    for step, ix in enumerate(batches):
        ix = torch.tensor(ix)
        Xb, Yb = X[ix], Y[ix]
        logits = model(Xb)
        if step == 0:
            shapes = [(layer.__class__.__name__, tuple(layer.out.shape)) for layer in model.layers]
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if step < 3 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    for layer in model.layers:
        layer.training = False
    with torch.no_grad():
        eval_logits = model(X[:7])
        probs = F.softmax(eval_logits, dim=1)
    running = model.layers[3].running_mean
    return lossi, shapes, probs, running.shape, running, parameters


def wavenet_weights(seed, n_embd=4, n_hidden=12):
    rng = np.random.default_rng(seed)
    fan = 2 * n_embd
    return [
        rng.normal(size=(V, n_embd)),
        rng.normal(size=(fan, n_hidden)) / fan**0.5,
        rng.normal(size=(2 * n_hidden, n_hidden)) / (2 * n_hidden) ** 0.5,
        rng.normal(size=(2 * n_hidden, n_hidden)) / (2 * n_hidden) ** 0.5,
        rng.normal(size=(n_hidden, V)) / n_hidden**0.5,
        np.zeros(V),
    ]


def test_part5_wavenet_trains_as_in_pytorch():
    n = len(_dataset(mg, 8)[0])
    rng = np.random.default_rng(14)
    weights, batches = wavenet_weights(15), [rng.integers(0, n, 8) for _ in range(5)]
    ours = wavenet_training(mg, mg.nn.functional, weights, batches)
    theirs = wavenet_training(pt, pt.nn.functional, weights, batches)
    _close(ours[0], theirs[0])
    assert ours[1] == theirs[1] and ours[1][1] == ("FlattenConsecutive", (8, 4, 8))
    _close(ours[2], theirs[2], atol=1e-12)
    assert tuple(ours[3]) == tuple(theirs[3]) == (1, 1, 12)
    for p, q in zip([ours[4]] + ours[5], [theirs[4]] + theirs[5]):
        _close(p, q)


def test_part5_flatten_consecutive_is_a_strided_cat():
    e = mg.randn(4, 8, 10)
    explicit = mg.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2)
    assert explicit.shape == (4, 4, 20)
    assert (e.view(4, 4, 20) == explicit).all().item()
    assert mg.equal(e.view(4, 1, 80).squeeze(1), e.view(4, 80))


# --------------------------------------------------------------------- smaller API they use


def test_logical_reductions_log10_unbind_nelement():
    x = mg.tensor([[1.0, -2.0, 0.0], [4.0, 5.0, 6.0]])
    xt = pt.tensor(_np(x))
    for ours, theirs in [
        (mg.all(x > -3), pt.all(xt > -3)),
        (x.all(), xt.all()),
        ((x > 0).any(1), (xt > 0).any(1)),
        (x.all(dim=0, keepdim=True), xt.all(dim=0, keepdim=True)),
        (mg.any(x == 5), pt.any(xt == 5)),
    ]:
        assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist()
    for t, tt in zip(mg.unbind(x, 1), pt.unbind(xt, 1)):
        _close(t, tt, atol=0)
    assert len(x.unbind()) == 2 and x.nelement() == 6 == xt.nelement()
    with pytest.raises(IndexError, match="0-d"):
        mg.tensor(1.0).unbind()
    w = mg.tensor(np.array([[0.5, 3.0], [10.0, 7.0]]), requires_grad=True)
    wt = pt.tensor(_np(w), requires_grad=True)
    (w.log10() * mg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    (wt.log10() * pt.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    _close(w.log10(), wt.log10(), atol=1e-15)
    _close(w.grad, wt.grad, atol=1e-15)
    parts = mg.cat(mg.unbind(w, 1), 0)
    (parts * mg.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()  # unbind's gradient
    assert np.allclose(w.grad - _np(wt.grad), [[1.0, 3.0], [2.0, 4.0]])
    f32 = mg.tensor([10.0, 100.0], dtype=mg.float32, requires_grad=True)
    f32.log10().sum().backward()
    assert f32.log10().dtype == np.float32 and f32.grad.dtype == np.float32


def test_histogram_is_pytorchs():
    rng = np.random.default_rng(16)
    for x, kwargs in [
        (rng.normal(size=(50, 3)), {"density": True}),
        (rng.normal(size=200), {"bins": 7}),
        (rng.normal(size=200), {"bins": 5, "range": (-1.0, 1.0)}),
        (rng.normal(size=30), {"bins": 4, "weight": rng.random(30)}),
        (np.full(5, 2.0), {"bins": 3}),  # all equal: PyTorch widens the range by 0.5 each side
        (rng.normal(size=40).astype(np.float32), {"density": True}),
    ]:
        args = {k: (pt.tensor(v) if k == "weight" else v) for k, v in kwargs.items()}
        hist, edges = pt.histogram(pt.tensor(x), **args)
        ours = mg.histogram(mg.tensor(x), **kwargs)
        assert ours.hist.dtype == x.dtype and ours.bin_edges.dtype == x.dtype
        rtol = 1e-5 if x.dtype == np.float32 else 1e-12  # float32 edges: within one ulp
        np.testing.assert_allclose(_np(ours.hist), hist.numpy(), rtol=rtol)
        np.testing.assert_allclose(_np(ours.bin_edges), edges.numpy(), rtol=rtol)
    edges = mg.tensor([0.0, 1.0, 4.0])
    assert mg.histogram(mg.tensor([0.5, 2.0, 3.0, 9.0]), edges).hist.tolist() == [1.0, 2.0]
    grad = mg.tensor([1.0, 2.0], requires_grad=True)
    (grad * 3).sum().backward()
    assert mg.histogram(grad.grad, bins=2).hist.tolist() == [0.0, 2.0]  # a grad: an ndarray
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.histogram(mg.tensor([1, 2]))
    with pytest.raises(ValueError, match="bins must be a positive int"):
        mg.histogram(mg.tensor([1.0]), bins=0)


def test_leaves_retain_grad_and_grads_compared_as_tensors():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3
    assert w.is_leaf and not h.is_leaf and mg.tensor([1.0]).is_leaf
    assert h.retain_grad() is None and h.retains_grad and not w.retains_grad
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        mg.tensor([1.0]).retain_grad()
    (h**2).sum().backward()
    dh = 2 * h.detach()
    assert mg.all(dh == h.grad).item() and mg.allclose(dh, h.grad) and mg.equal(dh, h.grad)
    assert mg.isclose(h.grad, dh).all().item()
    with mg.no_grad():
        assert (w * 2).is_leaf


def test_learning_rate_search_helpers():
    lre = mg.linspace(-3, 0, 1000)
    lrs = 10**lre
    lret = pt.linspace(-3, 0, 1000)
    _close(lrs, 10**lret, atol=1e-6)
    assert math.isclose(lrs[-1].item(), 1.0, rel_tol=1e-6)
