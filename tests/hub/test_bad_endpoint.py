"""A malformed ``HF_ENDPOINT`` is one line and exit 2 at every door to the Hub.

huggingface_hub parses the endpoint when it is first imported and raises ValueError on a port
out of range or a broken IPv6 address; before cardguard looked at it first, that surfaced as
"internal error ... please report it". Each run is a child process: the variable is read at
import. HF_HUB_OFFLINE stays set, so nothing here could reach a network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cardguard.artifacts.hub_id import endpoint_problem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
BAD_ENDPOINTS = ["http://localhost:99999", "http://[::1", "hub.example.org", "ftp://hub.example.org", "https://"]


@pytest.mark.parametrize(("endpoint", "problem"), [
    ("", None),
    ("https://huggingface.co", None),
    ("http://127.0.0.1:8080/", None),
    ("http://[::1]:8080", None),
    ("http://localhost:99999", "Port out of range 0-65535"),
    ("http://[::1", "Invalid IPv6 URL"),
    ("hub.example.org", "not an http:// or https:// URL"),
    ("ftp://hub.example.org", "not an http:// or https:// URL"),
    ("https://", "no host"),
])
def test_endpoint_problem(endpoint: str, problem: str | None) -> None:
    assert endpoint_problem(endpoint) == problem


def run_cli(endpoint: str, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HUB_OFFLINE": "1", "HF_HOME": str(cwd / "hf-home")}
    return subprocess.run([sys.executable, "-m", "cardguard", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
@pytest.mark.parametrize("arguments", [
    ("check", "hf://org/name"),
    ("validate", "hf://org/name@main"),
    ("facts", "hf://org/name"),
    ("check", "--hub-repo", "org/name", "model"),
    ("audit", "--hub-author", "org", "--out", "audit-out"),
    ("sync", "--hub", "org/name", "--create-pr"),
    ("push", "model", "org/name"),
], ids=lambda arguments: " ".join(arguments))
def test_a_bad_endpoint_is_one_line_and_exit_2(tmp_path: Path, endpoint: str, arguments: tuple[str, ...]) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "model")
    before = (tmp_path / "model" / "README.md").read_bytes()
    run = run_cli(endpoint, tmp_path, *arguments)
    assert run.returncode == 2, run
    assert run.stderr == (f"cardguard: error: HF_ENDPOINT={endpoint!r} is not a usable Hub address "
                          f"({endpoint_problem(endpoint)}); set it to a URL such as https://huggingface.co, "
                          "or unset it\n")
    assert (tmp_path / "model" / "README.md").read_bytes() == before
    assert not (tmp_path / "audit-out").exists()


def test_a_bad_endpoint_does_not_matter_to_a_local_check(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "model")
    run = run_cli("http://localhost:99999", tmp_path, "check", "model")
    assert (run.returncode, run.stderr) == (0, ""), run
