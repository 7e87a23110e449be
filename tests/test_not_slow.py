"""``pytest -m "not slow"`` builds no model: the generators refuse to run for a test that is not
marked slow (tests/conftest.py switches the guard per test), and a test whose parameter names a
model-building fixture for ``request.getfixturevalue`` (the compatibility matrix, the
author-text checks) is marked slow like one that uses the fixture directly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import generators

TESTS = Path(__file__).resolve().parent
MODEL_OUTPUTS = ("trainer-", "sentence-transformers", "peft-", "sharded", "pytorch-bin")


def test_a_model_generator_refuses_a_test_not_marked_slow(tmp_path: Path) -> None:
    out = tmp_path / "classifier"
    with pytest.raises(RuntimeError, match="is not marked slow"):
        generators.trainer_classifier(out)
    assert not out.exists()


def collect_not_slow(*files: str) -> list[str]:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not slow",
         *(str(TESTS / name) for name in files)],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=300,
    )
    assert collected.returncode in (0, 5), collected.stdout + collected.stderr  # 5: every test deselected
    return [line for line in collected.stdout.splitlines() if "::test_" in line]


def test_not_slow_deselects_every_matrix_case_that_builds_a_model() -> None:
    cases = [line for line in collect_not_slow("compat/test_matrix.py") if "[" in line]
    assert cases  # the hub-template cases build no model and stay
    assert [case for case in cases if any(f"[{name}" in case for name in MODEL_OUTPUTS)] == []


def test_not_slow_deselects_a_fixture_named_by_a_parameter() -> None:
    tests = collect_not_slow("hostile/test_sync_keeps_author_text.py", "sync/test_library_cards.py")
    assert [test for test in tests if any(f"[{name}]" in test for name in generators.MODEL_FIXTURES)] == []
