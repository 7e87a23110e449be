"""Fixtures of the compatibility matrix: the results recorder and the reruns the
"retrain" mutation copies over a synced folder.

The results (one JSON file, rendered into docs/compatibility.md by scripts/compat_matrix.py)
go to ``$CARDGUARD_COMPAT_RESULTS`` when set, else to the session's pytest temp folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import generators
import pytest

from tests.compat.matrix import RESULTS_ENV, Recorder

R = TypeVar("R", bound=generators.GeneratedOutput)
_RESULTS_PATH: list[Path] = []


@pytest.fixture(scope="session")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """Cells recorded by the matrix tests; written as JSON when the session ends."""
    recorded = Recorder()
    yield recorded
    if not recorded.rows:
        return
    target = Path(os.environ.get(RESULTS_ENV) or tmp_path_factory.getbasetemp() / "compat-results.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(recorded.as_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _RESULTS_PATH.append(target)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for path in _RESULTS_PATH:
        terminalreporter.write_line(
            f"compatibility matrix results: {path} (render: python scripts/compat_matrix.py {path})"
        )


def _rerun(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], R]) -> R:
    return make(factory.mktemp(name) / name)


@pytest.fixture(scope="session")
def retrained_causal_lm_run(tmp_path_factory: pytest.TempPathFactory) -> generators.TrainerRun:
    """The causal LM trained for three epochs instead of two."""
    return _rerun(tmp_path_factory, "retrained-causal-lm", lambda out: generators.trainer_causal_lm(out, epochs=3))


@pytest.fixture(scope="session")
def retrained_peft_lora_run(tmp_path_factory: pytest.TempPathFactory) -> generators.PeftRun:
    return _rerun(tmp_path_factory, "retrained-peft-lora", lambda out: generators.peft_lora(out, epochs=3))


@pytest.fixture(scope="session")
def retrained_peft_lora_local_base_run(tmp_path_factory: pytest.TempPathFactory) -> generators.PeftRun:
    return _rerun(
        tmp_path_factory,
        "retrained-peft-lora-local",
        lambda out: generators.peft_lora(out, base_model_id=None, epochs=3),
    )
