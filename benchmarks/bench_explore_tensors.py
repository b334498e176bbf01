"""``micrograd.explore`` on tensor graphs: how long the page takes to make, how big it is, and how
long Chromium takes to open it and to step through it, for makemore part 4's network at
growing sizes; and what the limits refuse (the makemore Transformer's training step).

Makes each page in Python (the trace, Graphviz's layout and the HTML: ``explore s``), writes it
(``MB``), opens it from disk in Debian's headless Chromium (``open s``: navigation start to the
end of the load event, page scripts included, as the browser's Navigation Timing reports it)
and presses End (``End s``: every step applied, each writing its gradients into ``data-grad``
as JSON). Needs Selenium and ``/usr/bin/chromium`` for the browser columns (``--no-browser``
skips them). Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_explore_tensors.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import micrograd as torch  # noqa: E402
from micrograd.explore import DEFAULT_MAX_NUMBERS, DEFAULT_MAX_OPS, GraphTooLarge  # noqa: E402
from micrograd.explore.tensor import numbers_held  # noqa: E402
from micrograd.graph import topological_order  # noqa: E402


def backprop_ninja(batch: int, hidden: int, n_embd: int = 10, block_size: int = 3):
    """Makemore part 4's network as the lecture writes it, at batch ``batch``, ``hidden``
    neurons: its loss and its variables (the page's names)."""
    g = torch.Generator().manual_seed(2147483647)
    vocab_size, n = 27, batch
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, hidden), generator=g) * (5 / 3) / (n_embd * 3) ** 0.5
    b1 = torch.randn(hidden, generator=g) * 0.1
    W2 = torch.randn((hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, hidden), generator=g) * 0.1 + 1.0
    bnbias = torch.randn((1, hidden), generator=g) * 0.1
    for p in (C, W1, b1, W2, b2, bngain, bnbias):
        p.requires_grad = True
    Xb = torch.randint(0, vocab_size, (n, block_size), generator=g)
    Yb = torch.randint(0, vocab_size, (n,), generator=g)
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
    return loss, dict(locals())


def transformer_step(batch: int = 32, **sizes: int):
    """The makemore Transformer's loss: by default its training step (4 blocks, 4 heads, 64
    channels, a batch of 32 rows of 16 characters), or as ``sizes`` (``Config``'s fields) say."""
    from makemore_code import Config, makemore_models

    config = Config(**sizes)
    model = makemore_models(torch).Transformer(config)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, config.vocab_size, (batch, config.block_size), generator=g)
    y = torch.randint(0, config.vocab_size, (batch, config.block_size), generator=g)
    return model(x, y)[1], {}


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


END = """
const start = performance.now();
document.dispatchEvent(new KeyboardEvent('keydown', {key: 'End'}));
return (performance.now() - start) / 1000;
"""
OPENED = """
const t = performance.getEntriesByType('navigation')[0];
return (t.loadEventEnd - t.startTime) / 1000;
"""


SIZES = [(32, 64), (64, 64), (64, 128), (128, 200), (256, 200), (512, 200)]
GRAPHS = [(f"part 4, {b} x {h}", lambda b=b, h=h: backprop_ninja(b, h)) for b, h in SIZES]
TINY = dict(block_size=4, n_head=2, n_embd=8, n_embd2=8)  # a Transformer of many small ops
GRAPHS += [
    ("makemore GPT, 1 x 16", lambda: transformer_step(1)),
    ("makemore GPT, 1 x 8", lambda: transformer_step(1, block_size=8)),
    ("GPT 4 blocks, tiny", lambda: transformer_step(2, n_layer=4, **TINY)),
    ("GPT 29 blocks, tiny", lambda: transformer_step(2, n_layer=29, **TINY)),
    ("GPT 30 blocks, tiny", lambda: transformer_step(2, n_layer=30, **TINY)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="Python's side only")
    parser.add_argument("--quick", action="store_true", help="the lecture's size only")
    args = parser.parse_args()
    driver = None if args.no_browser else browser()
    print(f"limits: {DEFAULT_MAX_NUMBERS:,} numbers held, {DEFAULT_MAX_OPS} ops")
    print(
        f"{'graph':>20} {'tensors':>7} {'ops':>4} {'numbers':>10} {'explore s':>9} "
        f"{'MB':>6} {'open s':>7} {'End s':>6}  default limits"
    )
    folder = tempfile.mkdtemp()
    for k, (name, make) in enumerate(GRAPHS[:1] if args.quick else GRAPHS):
        loss, names = make()
        nodes = topological_order(loss)
        held = numbers_held(nodes)
        ops = sum(1 for node in nodes if node._prev)
        start = time.perf_counter()
        page = torch.explore(loss, names=names, max_numbers=None, max_ops=None)
        seconds = time.perf_counter() - start
        path = os.path.join(folder, f"page{k}.html")
        page.save(path)
        size = os.path.getsize(path) / 1e6
        opened = end = float("nan")
        if driver is not None:
            driver.get("file://" + path)
            opened = driver.execute_script(OPENED)
            end = driver.execute_script(END)
        fits = held <= DEFAULT_MAX_NUMBERS and ops <= DEFAULT_MAX_OPS
        print(
            f"{name:>20} {len(nodes):>7} {ops:>4} {held:>10,} {seconds:>9.2f} "
            f"{size:>6.2f} {opened:>7.2f} {end:>6.2f}  {'ok' if fits else 'refused'}"
        )
    loss, _ = transformer_step()
    nodes = topological_order(loss)
    ops = sum(1 for node in nodes if node._prev)
    try:
        torch.explore(loss)
    except GraphTooLarge as refused:
        print(
            f"\nmakemore's Transformer step: {len(nodes)} tensors, {ops} ops, refused:\n{refused}"
        )
    if driver is not None:
        driver.quit()


if __name__ == "__main__":
    main()
