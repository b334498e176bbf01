"""The tensor page of ``micrograd.explore`` in a real browser: Debian's headless Chromium, driven
by Selenium, as test_explore_browser.py does for the Value page (and skipped as it is, with one
line saying what is missing). Screenshots go to ``$MICROGRAD_SCREENSHOTS`` if set
(``docs/explore-tensors.png`` is made that way:
``MICROGRAD_SCREENSHOTS=docs pytest tests/explore/test_explore_tensors_browser.py``), else to a
temporary folder.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

import micrograd as torch
from micrograd import Tensor, explore

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    missing.append("selenium (pip install -e '.[test]')")
if missing:
    pytest.skip(
        f"browser tests skipped: {', '.join(missing)} missing "
        "(apt-get install -y chromium chromium-driver)",
        allow_module_level=True,
    )

from test_explore_tensors import backprop_ninja, fused_mlp  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("MICROGRAD_SCREENSHOTS") or tmp_path
    os.makedirs(folder, exist_ok=True)
    return folder


def open_page(browser, page, tmp_path, name="page.html"):
    path = tmp_path / name
    page.save(path)
    browser.get(path.as_uri())
    return page.trace


def listed(array):
    """An array as the page's data-grad holds it: nested lists, None for no grad."""
    return None if array is None else array.tolist()


STEP_ALL = """
const step = document.querySelector('[data-action=step]');
const boxes = {};
document.querySelectorAll('[data-node-id]').forEach((e) => { boxes[e.dataset.nodeId] = e; });
const seen = [];
for (let k = 0; k < arguments[0]; k++) {
  step.click();
  seen.push({
    status: document.querySelector('[data-role=status]').textContent,
    active: [...document.querySelectorAll('.active')].map((e) => +e.dataset.nodeId),
    operands: [...document.querySelectorAll('.tensor.operand')].map((e) => +e.dataset.nodeId),
    grads: Object.fromEntries(arguments[1][k].map((i) => [i, boxes[i].dataset.grad])),
    nulls: Object.values(boxes).filter((e) => e.dataset.grad === 'null').length,
    explain: document.querySelector('[data-role=explain]').textContent,
  });
}
return seen;
"""


def step_through(browser, t):
    """Click Step n times in one round trip; each step's page state."""
    receiving = [sorted({c.operand for c in s.contributions}) for s in t.steps]
    return browser.execute_script(STEP_ALL, len(t.steps), receiving)


@pytest.mark.parametrize(
    "make", [lambda: backprop_ninja()[0], fused_mlp], ids=["backprop ninja", "fused"]
)
def test_stepping_to_the_end_gives_backwards_grads(browser, tmp_path, make):
    root = make()
    t = open_page(browser, explore(root), tmp_path)
    n = len(t.steps)
    seen = step_through(browser, t)
    for k, (step, state) in enumerate(zip(t.steps, seen), start=1):
        assert state["status"] == f"{k} / {n}"
        assert state["active"] == [step.node]
        expected_operands = [] if k == 1 else sorted({id(o) for o in t.nodes[step.node]._prev})
        assert len(state["operands"]) == len(expected_operands)
        grads = t.grads(k)
        for i, text in state["grads"].items():  # the gradients this step wrote, to the bit
            assert json.loads(text) == listed(grads[int(i)]), (k, t.names[int(i)])
        assert state["nulls"] == sum(g is None for g in grads)
        for c in step.contributions:
            assert c.text in state["explain"]
    # after the last step, every box holds what backward() gives, retained
    final = browser.execute_script(
        "return [...document.querySelectorAll('[data-node-id]')].map((e) => e.dataset.grad)"
    )
    for node in t.nodes:
        node.grad = None
        if node._prev:
            node.retain_grad()
    root.backward()
    for node, text in zip(t.nodes, final):
        got = json.loads(text)
        assert got == listed(node.grad)
        if got is not None:
            assert np.array_equal(np.array(got, dtype=node.grad.dtype), node.grad)


def test_back_undoes_exactly_and_keys_step(browser, tmp_path):
    loss, names = backprop_ninja()
    t = open_page(browser, explore(loss, names=names), tmp_path)
    n = len(t.steps)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.END)
    grads = lambda: browser.execute_script(  # noqa: E731
        "return [...document.querySelectorAll('[data-node-id]')].map((e) => e.dataset.grad)"
    )
    status = lambda: browser.find_element(By.CSS_SELECTOR, "[data-role=status]").text  # noqa: E731
    assert status() == f"{n} / {n}"
    for k in range(n - 1, n - 6, -1):
        browser.find_element(By.CSS_SELECTOR, "[data-action=back]").click()
        assert status() == f"{k} / {n}"
        assert [json.loads(g) for g in grads()] == [listed(g) for g in t.grads(k)]
    body.send_keys(Keys.ARROW_LEFT)
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    assert status() == f"{n - 4} / {n}"
    body.send_keys(Keys.HOME)
    assert status() == f"0 / {n}" and set(grads()) == {"null"}
    assert browser.find_elements(By.CSS_SELECTOR, ".active") == []
    # Run animates to the end (on a short graph: 5 steps at the fast speed, 60 ms each).
    W = torch.randn((3, 2), requires_grad=True)  # noqa: N806
    t = open_page(browser, explore((torch.randn((4, 3)) @ W).tanh().mean()), tmp_path, "w.html")
    Select(browser.find_element(By.CSS_SELECTOR, "[data-role=speed]")).select_by_visible_text(
        "fast"
    )
    browser.find_element(By.CSS_SELECTOR, "[data-action=run]").click()
    WebDriverWait(browser, 20).until(lambda b: status() == "5 / 5")
    assert [json.loads(g) for g in grads()] == [listed(g) for g in t.grads()]
    done = browser.find_elements(By.CSS_SELECTOR, ".tensor.done")
    assert len(done) == sum(node.requires_grad for node in t.nodes) == 5


def test_the_lecture_network_as_a_learner_sees_it(browser, tmp_path, shots):
    loss, names = backprop_ninja(batch=32, hidden=64)
    t = open_page(browser, explore(loss, names=names), tmp_path)
    visible = browser.find_element(By.CSS_SELECTOR, "svg.graph").text.split("\n")
    for name in ("C", "emb", "embcat", "W1", "hprebn", "bndiff", "h", "logits", "loss"):
        assert name in visible
    # The step where bndiff gets its second contribution: before + this = after.
    k = next(
        i
        for i, s in enumerate(t.steps, start=1)
        if any(t.names[c.operand] == "bndiff" and c.count == 2 for c in s.contributions)
    )
    step = "document.querySelector('[data-action=step]').click()"
    browser.execute_script(f"for (let i = 0; i < arguments[0]; i++) {step}", k)
    captions = browser.execute_script(
        "return [...document.querySelectorAll('[data-role=panels] figcaption')]"
        ".map((e) => e.textContent)"
    )
    assert {"grad before", "this step", "grad now, 2 summed"} <= set(captions)
    explain = browser.find_element(By.CSS_SELECTOR, "[data-role=explain]").text
    assert "bndiff.grad += bndiff2.grad * 2 * bndiff" in explain
    assert "2nd contribution to bndiff.grad" in explain
    # Hovering a heatmap shows the entry's value.
    canvas = browser.find_elements(By.CSS_SELECTOR, "[data-role=panels] canvas")[0]
    ActionChains(browser).move_to_element_with_offset(canvas, 1, 1).perform()
    tip = browser.find_element(By.ID, "tip").text
    assert tip.startswith("bndiff2[") and " = " in tip
    path = os.path.join(shots, "explore-tensors-twice.png")
    assert browser.save_screenshot(path)
    # The README's screenshot: batch norm's bnraw = bndiff * bnvar_inv, broadcast and summed.
    browser.find_element(By.CSS_SELECTOR, "[data-action=reset]").click()
    k = next(i for i, s in enumerate(t.steps, start=1) if s.text == "bnraw = bndiff * bnvar_inv")
    browser.execute_script(f"for (let i = 0; i < arguments[0]; i++) {step}", k)
    path = os.path.join(shots, "explore-tensors.png")
    assert browser.save_screenshot(path)
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] > 500


def test_big_tensors_show_a_histogram(browser, tmp_path):
    x = Tensor(np.random.default_rng(0).normal(size=(64, 200)))
    W = torch.randn((200, 3), requires_grad=True)  # noqa: N806
    loss = (x @ W).tanh().sum()
    open_page(browser, explore(loss), tmp_path)
    for _ in range(4):  # the root, sum, tanh, then the product: x's data is 64×200
        browser.find_element(By.CSS_SELECTOR, "[data-action=step]").click()
    stats = browser.execute_script(
        "return [...document.querySelectorAll('.map .stats')].map((e) => e.textContent)"
    )
    assert stats and stats[0].startswith("12,800 entries, too many to draw one by one")
    assert "mean" in stats[0] and "std" in stats[0]


def test_hostile_labels_stay_text_and_run_nothing(browser, tmp_path, shots):
    loss, names = backprop_ninja()
    names["h"].label = "</script><script>window.pwned = 1</script>"
    names["logits"].label = "{{data}} {{svg}}"
    names["probs"].label = '<img src=x onerror="window.pwned = 1">'
    loss.label = "loss <b>bold</b>"
    open_page(browser, explore(loss), tmp_path, "hostile.html")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    assert browser.execute_script("return window.pwned === undefined")
    labels = browser.execute_script(
        "return [...document.querySelectorAll('[data-node-id]')].map((e) => e.dataset.label)"
    )
    assert {names["h"].label, "{{data}} {{svg}}", names["probs"].label} <= set(labels)
    assert browser.execute_script("return document.querySelectorAll('img, script').length") == 2
    bold = "return [...document.querySelectorAll('b')].filter((e) => e.textContent === 'bold')"
    assert browser.execute_script(bold) == []
    assert "loss <b>bold</b>" in browser.title
    log = browser.find_element(By.CSS_SELECTOR, "[data-role=log]").text
    assert "(</script><script>window.pwned = 1</script>).grad" in log
    browser.save_screenshot(os.path.join(shots, "explore-tensors-hostile-labels.png"))


def test_the_page_loads_nothing_and_logs_no_error(browser, tmp_path):
    open_page(browser, explore(fused_mlp()), tmp_path)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name);"
    )
    assert resources == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
