"""What ``micrograd makemore`` keeps in ``--out``: the best model and its description.

``model.safetensors`` holds the weights with the best test loss so far (``micrograd.save``);
``model.json`` describes them: the model's type and sizes, the vocabulary, the dtype, the
input file and seed (which fix the train/test split), the step they were saved at, and the
loss history up to that step. ``--resume`` and ``--sample-only`` rebuild the model from it.
Both files are written complete or not at all; a description that does not read back as one
this module wrote is refused with one line saying why.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields

from micrograd.cli.files import write_atomically
from micrograd.cli.output import to_json
from micrograd.cli.usage import MAKEMORE_SEED_MAX, UsageError
from micrograd.models import MODEL_TYPES, ModelConfig
from micrograd.nn import Module
from micrograd.serialization import save

MODEL_FILE = "model.safetensors"
DESCRIPTION_FILE = "model.json"
FORMAT = "micrograd-makemore/1"
SIZE_NAMES = ("n_layer", "n_head", "n_embd", "n_embd2")
DTYPE_NAMES = ("float32", "float64")


@dataclass
class History:
    """Every step's batch loss, and the evaluations: what the plot and ``model.json`` show."""

    loss: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)

    def until(self, step: int) -> History:
        """The history of the first ``step`` steps."""
        keep = sum(1 for s in self.eval_step if s <= step)
        return History(
            self.loss[:step], self.eval_step[:keep], self.train_loss[:keep], self.test_loss[:keep]
        )


@dataclass
class Progress:
    """Where training stands: steps taken, their history, the best test loss and its step."""

    step: int = 0
    history: History = field(default_factory=History)
    best: float | None = None
    best_step: int | None = None


def read_description(folder: str, option: str) -> dict:
    """The description of the model saved in ``folder``, checked; ``option`` (``--resume`` or
    ``--sample-only``) names what asked for it in the error if there is none."""
    path = os.path.join(folder, DESCRIPTION_FILE)
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(folder, MODEL_FILE)):
        raise UsageError(
            f"{option}: no saved model in {folder} ({MODEL_FILE} and {DESCRIPTION_FILE}); "
            "train one first"
        )
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f, parse_constant=_not_json)
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT!r}")
        ModelConfig(saved["vocab_size"], saved["block_size"], **{k: saved[k] for k in SIZE_NAMES})
        checks = {
            "type": saved["type"] in MODEL_TYPES,
            "vocabulary": _vocabulary_fits(saved["vocabulary"], saved["vocab_size"]),
            "dtype": saved["dtype"] in DTYPE_NAMES,
            "input": saved["input"] is None or isinstance(saved["input"], str),
            "seed": _natural(saved["seed"]) and saved["seed"] <= MAKEMORE_SEED_MAX,
            "step": _natural(saved["step"]) and saved["step"] > 0,
            "best_test_loss": _number(saved["best_test_loss"]),
        }
        checks["history"] = checks["step"] and _history_fits(saved["history"], saved["step"])
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise ValueError(f"bad {', '.join(wrong)}")
        saved["history"] = History(**saved["history"])
    except RecursionError:  # json's parser recurses once per level of [ or {
        raise UsageError(
            f"{path}: not a model description written by makemore (nested too deeply)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path}: not a model description written by makemore ({e})") from None
    return saved


def _not_json(constant: str) -> None:
    """json's hook for NaN, Infinity and -Infinity, which Python writes but JSON lacks."""
    raise ValueError(f"{constant} is not a JSON number")


def _natural(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _vocabulary_fits(vocabulary: object, vocab_size: int) -> bool:
    """Whether ``vocabulary`` holds ``vocab_size - 1`` distinct characters (0 is the
    start/end token)."""
    return isinstance(vocabulary, str) and len(set(vocabulary)) == len(vocabulary) == vocab_size - 1


def _history_fits(history: object, step: int) -> bool:
    """Whether ``history`` is what :func:`save_best` writes for a model saved at ``step``:
    one loss per step, and evaluations at increasing steps up to ``step``, each with a train
    and a test loss."""
    if not isinstance(history, dict) or set(history) != {f.name for f in fields(History)}:
        return False
    if not all(isinstance(v, list) for v in history.values()):
        return False
    evaluated = history["eval_step"]
    return (
        len(history["loss"]) == step
        and all(map(_number, history["loss"]))
        and all(map(_natural, evaluated))
        and all(0 < s <= step for s in evaluated)
        and all(a < b for a, b in zip(evaluated, evaluated[1:]))
        and len(history["train_loss"]) == len(history["test_loss"]) == len(evaluated)
        and all(map(_number, history["train_loss"] + history["test_loss"]))
    )


def save_best(model: Module, folder: str, description: dict, progress: Progress) -> list[str]:
    """The best model so far: its weights, then its description; returns the two paths."""
    path = os.path.join(folder, MODEL_FILE)
    save(model, path)
    described = {
        **description,
        "step": progress.step,
        "best_test_loss": progress.best,
        "history": asdict(progress.history.until(progress.step)),
    }
    payload = (to_json(described, indent=1) + "\n").encode("utf-8")
    return [path, write_atomically(os.path.join(folder, DESCRIPTION_FILE), payload)]
