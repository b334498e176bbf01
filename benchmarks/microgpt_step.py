"""One engine's side of bench_microgpt.py: a character-level GPT trained on scalar Values.

    python benchmarks/microgpt_step.py ours|four-slot on|off STEPS

The model and its training loop are written in the style of Karpathy's microgpt (this is our
own code): token and position embeddings as lists of Values, RMSNorm, one attention layer with
4 heads over a key/value list that grows with each position, a ReLU MLP, softmax
cross-entropy, and Adam written out by hand. Each step trains on one name from NAMES. Only the
``Value`` class differs between the two engines; the code and the data are the same.

With ``off`` the cyclic garbage collector is disabled for the whole run (``gc.disable()``),
with ``on`` it runs as Python starts it. Prints one JSON object: each step's CPU seconds and
loss, the number of nodes in the first step's graph, and the bytes per node a graph keeps.
"""

import gc
import json
import random
import sys
import time
import tracemalloc

# fmt: off
NAMES = [
    "emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper",
    "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila",
    "aria", "scarlett", "victoria", "madison", "luna", "grace", "chloe", "penelope", "layla",
    "riley", "zoey", "nora", "lily", "eleanor", "hannah", "lillian", "addison", "aubrey",
    "ellie", "stella", "natalie", "zoe", "leah", "hazel", "violet", "aurora", "savannah",
    "audrey", "brooklyn", "bella", "claire", "skylar", "liam", "noah", "william", "james",
    "oliver", "benjamin", "elijah", "lucas", "mason", "logan", "alexander", "ethan", "jacob",
    "michael", "daniel", "henry", "jackson", "sebastian", "aiden", "matthew", "samuel", "david",
    "joseph", "carter", "owen", "wyatt", "john", "jack", "luke", "jayden", "dylan", "grayson",
    "levi", "isaac", "gabriel", "julian", "mateo", "anthony", "jaxon", "lincoln", "joshua",
]
# fmt: on

N_EMBD, N_HEAD, BLOCK_SIZE = 16, 4, 16
HEAD_DIM = N_EMBD // N_HEAD


def tokenize():
    """The names in a fixed shuffled order, and each as token ids framed by BOS."""
    docs = NAMES[:]
    random.Random(42).shuffle(docs)
    chars = sorted(set("".join(docs)))
    bos = len(chars)
    return [[bos] + [chars.index(ch) for ch in doc] + [bos] for doc in docs], len(chars) + 1


def gpt_model(Value, vocab_size, seed=42):
    """The GPT's parameters (a flat list) and its loss on one document, on ``Value``."""
    rng = random.Random(seed)

    def matrix(nout, nin, std=0.08):
        return [[Value(rng.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]

    state = {
        "wte": matrix(vocab_size, N_EMBD),
        "wpe": matrix(BLOCK_SIZE, N_EMBD),
        "wq": matrix(N_EMBD, N_EMBD),
        "wk": matrix(N_EMBD, N_EMBD),
        "wv": matrix(N_EMBD, N_EMBD),
        "wo": matrix(N_EMBD, N_EMBD),
        "fc1": matrix(4 * N_EMBD, N_EMBD),
        "fc2": matrix(N_EMBD, 4 * N_EMBD),
        "lm_head": matrix(vocab_size, N_EMBD),
    }
    params = [p for mat in state.values() for row in mat for p in row]

    def linear(x, w):
        return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]

    def softmax(logits):
        max_val = max(val.data for val in logits)
        exps = [(val - max_val).exp() for val in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def rmsnorm(x):
        ms = sum(xi * xi for xi in x) / len(x)
        scale = (ms + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(token_id, pos_id, keys, values):
        x = [t + p for t, p in zip(state["wte"][token_id], state["wpe"][pos_id])]
        x = rmsnorm(x)
        x_residual = x
        x = rmsnorm(x)
        q, k, v = linear(x, state["wq"]), linear(x, state["wk"]), linear(x, state["wv"])
        keys.append(k)
        values.append(v)
        x_attn = []
        for h in range(N_HEAD):
            hs = h * HEAD_DIM
            q_h = q[hs : hs + HEAD_DIM]
            k_h = [ki[hs : hs + HEAD_DIM] for ki in keys]
            v_h = [vi[hs : hs + HEAD_DIM] for vi in values]
            attn_logits = [
                sum(q_h[j] * k_t[j] for j in range(HEAD_DIM)) / HEAD_DIM**0.5 for k_t in k_h
            ]
            weights = softmax(attn_logits)
            x_attn.extend(
                sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(HEAD_DIM)
            )
        x = linear(x_attn, state["wo"])
        x = [a + b for a, b in zip(x, x_residual)]
        x_residual = x
        x = rmsnorm(x)
        x = [xi.relu() for xi in linear(x, state["fc1"])]
        x = linear(x, state["fc2"])
        x = [a + b for a, b in zip(x, x_residual)]
        return linear(x, state["lm_head"])

    def loss(tokens):
        """Mean cross-entropy of predicting each next token of one document."""
        n = min(BLOCK_SIZE, len(tokens) - 1)
        keys, values, losses = [], [], []
        for pos_id in range(n):
            probs = softmax(gpt(tokens[pos_id], pos_id, keys, values))
            losses.append(-probs[tokens[pos_id + 1]].log())
        return (1 / n) * sum(losses)

    return params, loss


def train(Value, steps):
    """``steps`` Adam steps of the GPT on ``Value``; per-step seconds, losses, first graph size."""
    docs, vocab_size = tokenize()
    params, gpt_loss = gpt_model(Value, vocab_size)
    lr, beta1, beta2, eps = 0.01, 0.85, 0.99, 1e-8
    m = [0.0] * len(params)
    v = [0.0] * len(params)
    times, losses, nodes = [], [], 0
    for step in range(steps):
        t0 = time.process_time()
        loss = gpt_loss(docs[step % len(docs)])
        loss.backward()
        lr_t = lr * (1 - step / steps)
        for i, p in enumerate(params):
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1 ** (step + 1))
            v_hat = v[i] / (1 - beta2 ** (step + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + eps)
            p.grad = 0
        times.append(time.process_time() - t0)
        losses.append(loss.data)
        if step == 0:
            nodes = count_nodes(loss)
    return times, losses, nodes


def count_nodes(root):
    """Nodes in root's graph, through whichever API the engine has."""
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        children = node._children if hasattr(node, "_children") else node._prev
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def main():
    engine, collector, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if engine == "ours":
        from micrograd.engine import Value
    else:
        from microgpt_value import Value  # this script's folder is first on sys.path
    if collector == "off":
        gc.disable()
    times, losses, nodes = train(Value, steps)
    json.dump(
        {"times": times, "losses": losses, "nodes": nodes, "bytes_per_node": graph_bytes(Value)},
        sys.stdout,
    )


def graph_bytes(Value):
    """Bytes per node that one step's graph keeps alive until it is dropped (tracemalloc)."""
    docs, vocab_size = tokenize()
    _, gpt_loss = gpt_model(Value, vocab_size)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = gpt_loss(docs[0])
    built = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return built / count_nodes(loss)


if __name__ == "__main__":
    main()
