"""``micrograd.explore``'s page in a real browser: Debian's headless Chromium, driven by Selenium.

Needs ``apt-get install chromium chromium-driver`` (``.ci/run`` installs them) and Selenium (the
``test`` extra); nothing is downloaded. Without them this module is skipped, with one line
saying what is missing. One browser serves the whole module (per pytest-xdist worker).
Screenshots go to ``$MICROGRAD_SCREENSHOTS`` if set (``docs/explore.png`` is made that way:
``MICROGRAD_SCREENSHOTS=docs pytest tests/explore/test_explore_browser.py``), else to a
temporary folder.
"""

from __future__ import annotations

import os
import struct

import pytest

from micrograd import Value, explore
from micrograd.graph import topological_order

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
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

from test_explore import (  # noqa: E402
    HOSTILE_LABELS,
    hand_built,
    hostile_graph,
    mlp_loss,
    neuron,
    used_twice,
)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,640")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("MICROGRAD_SCREENSHOTS") or tmp_path
    os.makedirs(folder, exist_ok=True)
    return folder


def open_page(browser, root, tmp_path, name="page.html"):
    """Write root's page, open it from file://, and return its trace."""
    path = tmp_path / name
    page = explore(root, path)
    browser.get(path.as_uri())
    return page.trace


def state(browser):
    """Everything the contract exposes, read in one round trip."""
    return browser.execute_script(
        """
        const values = [...document.querySelectorAll('[data-node-id]')];
        return {
          grads: Object.fromEntries(values.map((e) => [e.dataset.nodeId, e.dataset.grad])),
          active: [...document.querySelectorAll('.active')].map((e) => e.dataset.nodeId),
          status: document.querySelector('[data-role=status]').textContent,
          explain: document.querySelector('[data-role=explain]').textContent,
          log: document.querySelectorAll('[data-role=log] li').length,
        };
        """
    )


def check(browser, t, k):
    """The page shows the trace after k steps: grads, status, one active node, the log."""
    s = state(browser)
    assert s["status"] == f"{k} / {len(t.steps)}"
    assert {int(i): float(g) for i, g in s["grads"].items()} == dict(enumerate(t.grads(k)))
    assert s["active"] == ([] if k == 0 else [str(t.steps[k - 1].node)])
    assert s["log"] == k
    if k:
        assert all(c.text in s["explain"] for c in t.steps[k - 1].contributions)
    return s


def click(browser, action):
    browser.find_element(By.CSS_SELECTOR, f"[data-action={action}]").click()


def test_stepping_the_lectures_neuron(browser, tmp_path, shots):
    root = neuron()
    t = open_page(browser, root, tmp_path)
    n = len(t.steps)
    check(browser, t, 0)
    for k in range(1, n + 1):
        click(browser, "step")
        check(browser, t, k)
    click(browser, "step")  # past the end: nothing changes
    check(browser, t, n)
    for k in range(n - 1, 1, -1):
        click(browser, "back")
        check(browser, t, k)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    check(browser, t, 3)
    body.send_keys(Keys.ARROW_LEFT)
    body.send_keys(Keys.ARROW_LEFT)
    check(browser, t, 1)
    click(browser, "reset")
    check(browser, t, 0)
    body.send_keys(Keys.END)
    check(browser, t, n)
    body.send_keys(Keys.HOME)
    check(browser, t, 0)

    Select(browser.find_element(By.CSS_SELECTOR, "[data-role=speed]")).select_by_visible_text(
        "fast"
    )
    click(browser, "run")  # animates to the end
    WebDriverWait(browser, 20).until(lambda b: state(b)["status"] == f"{n} / {n}")
    final = check(browser, t, n)["grads"]
    for node in topological_order(root):
        node.grad = 0.0
    root.backward()
    assert [float(final[str(i)]) for i in range(len(t.nodes))] == [v.grad for v in t.nodes]
    assert final[str(t.nodes.index(root))] == "1.0"  # Python's repr, full precision

    # The labels are visible text on the page, not only attributes.
    visible = browser.find_element(By.CSS_SELECTOR, "svg.graph").text
    for label in ("x1", "w1", "x1*w1 + x2*w2", "n", "o"):
        assert label in visible.split("\n")

    # Half way, as a learner sees it: the screenshot the README shows.
    Select(browser.find_element(By.CSS_SELECTOR, "[data-role=speed]")).select_by_index(1)
    click(browser, "reset")
    for _ in range(3):
        click(browser, "step")
    path = os.path.join(shots, "explore.png")
    assert browser.save_screenshot(path)
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] > 500


@pytest.mark.parametrize(
    "make", [used_twice, hand_built, mlp_loss], ids=["used twice", "hand built", "MLP"]
)
def test_every_step_of_other_graphs(browser, tmp_path, make):
    root = make()
    t = open_page(browser, root, tmp_path)
    # Every step in one round trip (a real click on the button each time), each compared
    # there with what Python expects after it: the grads (as repr), the active node, the status.
    n = len(t.steps)
    expected = [
        {
            "grads": [repr(g) for g in t.grads(k)],
            "active": [t.steps[k - 1].node],
            "status": f"{k} / {n}",
        }
        for k in range(1, n + 1)
    ]
    mismatches = browser.execute_script(
        """
        const step = document.querySelector('[data-action=step]');
        const values = [...document.querySelectorAll('[data-node-id]')];
        const wrong = [];
        arguments[0].forEach((want, k) => {
          step.click();
          const got = {
            grads: [],
            active: [...document.querySelectorAll('.active')].map((e) => +e.dataset.nodeId),
            status: document.querySelector('[data-role=status]').textContent,
          };
          values.forEach((e) => { got.grads[+e.dataset.nodeId] = e.dataset.grad; });
          for (const key of ['grads', 'active', 'status']) {
            if (JSON.stringify(got[key]) !== JSON.stringify(want[key])) {
              wrong.push({ step: k + 1, key: key, got: got[key], want: want[key] });
            }
          }
        });
        return wrong.slice(0, 5);
        """,
        expected,
    )
    assert mismatches == []
    final = state(browser)["grads"]
    for node in topological_order(root):
        node.grad = 0.0
    root.backward()
    assert [float(final[str(i)]) for i in range(len(t.nodes))] == [v.grad for v in t.nodes]
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    check(browser, t, len(t.steps) - 1)


def test_the_page_loads_nothing_from_the_network(browser, tmp_path):
    open_page(browser, used_twice(), tmp_path)
    links = browser.execute_script(
        """return [...document.querySelectorAll('[src], [href]')]
             .map((e) => e.getAttribute('src') || e.getAttribute('href'));"""
    )
    assert not [link for link in links if link.lower().startswith(("http:", "https:", "//"))]
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name);"
    )
    assert resources == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_leaf_root_is_one_step(browser, tmp_path):
    t = open_page(browser, Value(3.0, label="alone"), tmp_path)
    click(browser, "step")
    check(browser, t, 1)
    assert state(browser)["grads"] == {"0": "1.0"}


def test_hostile_labels_stay_text_and_run_nothing(browser, tmp_path, shots):
    root = hostile_graph()
    t = open_page(browser, root, tmp_path, "hostile.html")
    browser.find_element(By.TAG_NAME, "body").click()  # focus moves: an onfocus would fire
    click(browser, "run")
    assert browser.execute_script("return window.pwned === undefined")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('[data-node-id]')].map((e) => e.dataset.label)"
    )
    assert sorted(shown) == sorted(node.label for node in t.nodes)
    assert set(HOSTILE_LABELS) <= set(shown)
    assert browser.execute_script("return document.querySelectorAll('img, script').length") == 2
    assert root.label in browser.title  # the title shows the label as it is
    browser.save_screenshot(os.path.join(shots, "explore-hostile-labels.png"))
