  // The stepping controls both pages share (micrograd/explore/controls.js, inlined into each
  // page by page.fill_template): Step, Back, Reset, End and Run/Pause, and the
  // arrow, Home and End keys. They use the page's own k (steps taken), n (steps in all),
  // timer, runButton, speed, forward(), undo() and show().
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; runButton.textContent = "Run"; }
  }
  const actions = {
    step() { stop(); if (k < n) forward(); show(); },
    back() { stop(); if (k > 0) undo(); show(); },
    reset() { stop(); while (k > 0) undo(); show(); },
    end() { stop(); while (k < n) forward(); show(); },
    run() {
      if (timer !== null) { stop(); return; }
      if (k === n) { while (k > 0) undo(); show(); }
      runButton.textContent = "Pause";
      timer = setInterval(() => {
        if (k < n) { forward(); show(); }
        if (k >= n) stop();
      }, +speed.value);
    },
  };
  document.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", () => actions[button.dataset.action]());
  });
  const keys = { ArrowRight: "step", ArrowLeft: "back", Home: "reset", End: "end" };
  document.addEventListener("keydown", (event) => {
    const action = keys[event.key];
    if (action && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      actions[action]();
    }
  });
  show();
