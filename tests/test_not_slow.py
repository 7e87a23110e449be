"""``pytest -m "not slow"`` builds no model: the generators refuse to run for a test that is not
marked slow (tests/conftest.py switches the guard per test), and the compatibility matrix,
which takes its outputs by name, marks its model-building cases slow itself."""

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


def test_not_slow_deselects_every_matrix_case_that_builds_a_model() -> None:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not slow",
         str(TESTS / "compat" / "test_matrix.py")],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=300,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    cases = [line for line in collected.stdout.splitlines() if "::test_" in line and "[" in line]
    assert cases, collected.stdout  # the hub-template cases build no model and stay
    assert [case for case in cases if any(f"[{name}" in case for name in MODEL_OUTPUTS)] == []
