"""Issue 11, item 10: the pull request's own configuration cannot lift a bound.

The configuration files (``.cardguard.toml``, ``[tool.cardguard]`` in ``pyproject.toml``) are
files of the repository being checked. Every limit has a hard ceiling that no configured value
passes (a larger one is clamped and reported as CG503); configuration files are read under a
size bound checked before reading; TOML nested too deeply is one line and exit 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cardguard.cli import main
from cardguard.settings.config import Limits, load_config
from tests.hostile.helpers import assert_clean_failure, classifier_repo, run_cli

# Generous: a bounded run takes well under a second; an unbounded one minutes.
BOMB_TIME_LIMIT_S = 30
PEAK_RSS_LIMIT_MB = 300
HUGE = 10**12


def _alias_bomb_card(levels: int = 12) -> str:
    """YAML whose values expand to 9**levels once the aliases are followed."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index in range(1, levels):
        lines.append(f"a{index}: &a{index} [" + ", ".join([f"*a{index - 1}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\n---\n# Model\n\nWords.\n"


def _lifting_limits() -> str:
    return "\n".join(f"{name.replace('_', '-')} = {HUGE}" for name in Limits.fields()) + "\n"


CONFIG_PLACES = {
    ".cardguard.toml": (".cardguard.toml", "[limits]\n" + _lifting_limits()),
    "pyproject.toml": ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.cardguard.limits]\n" + _lifting_limits()),
    "override": (".cardguard.toml", "[[overrides]]\npaths = ['**']\n[overrides.limits]\n" + _lifting_limits()),
}


@pytest.mark.parametrize("place", CONFIG_PLACES)
@pytest.mark.parametrize("command", ["validate", "check"])
def test_alias_bomb_stays_bounded_when_the_configuration_lifts_every_limit(
    tmp_path: Path, place: str, command: str,
) -> None:
    repo = classifier_repo(tmp_path / "repo", card=_alias_bomb_card())
    name, text = CONFIG_PLACES[place]
    (repo / name).write_text(text, encoding="utf-8")
    run = run_cli([command, "--format", "json", "."], cwd=repo, timeout=BOMB_TIME_LIMIT_S)
    assert_clean_failure(run)
    assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB"
    assert {"CG009", "CG503"} <= run.codes(), run.stdout[-2000:]


@pytest.mark.parametrize("limit", list(Limits.fields()))
def test_every_limit_is_clamped_to_its_ceiling_and_reported_on_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], limit: str,
) -> None:
    repo = classifier_repo(tmp_path / "repo", card="---\nlicense: mit\n---\n# Model\n")
    setting = limit.replace("_", "-")
    config = repo / ".cardguard.toml"
    config.write_text(f"profile = 'minimal'\n\n[limits]\n{setting} = {HUGE}\n", encoding="utf-8")

    effective = getattr(load_config(config).base.limits, limit)
    assert effective < HUGE and effective >= getattr(Limits(), limit)

    monkeypatch.chdir(repo)
    assert main(["validate", "--format", "json", "."]) == 0  # a warning: the run goes on, clamped
    reported = [item for item in json.loads(capsys.readouterr().out)["findings"] if item["code"] == "CG503"]
    assert len(reported) == 1, reported
    assert reported[0]["line"] == 4 and Path(reported[0]["path"]).name == ".cardguard.toml"
    assert f"{effective:,}" in reported[0]["message"] and setting in reported[0]["message"]


def test_a_limit_at_or_below_its_ceiling_is_kept_and_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    repo = classifier_repo(tmp_path / "repo", card="---\nlicense: mit\n---\n# Model\n")
    (repo / ".cardguard.toml").write_text("profile = 'minimal'\n[limits]\nyaml-nodes = 400000\n", encoding="utf-8")
    assert load_config(repo / ".cardguard.toml").base.limits.yaml_nodes == 400_000
    monkeypatch.chdir(repo)
    assert main(["validate", "--format", "json", "."]) == 0
    assert "CG503" not in capsys.readouterr().out


def test_the_clamp_is_reported_once_per_run_not_per_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "repo"
    for name in ("one", "two", "three"):
        classifier_repo(root / name, card="---\nlicense: mit\n---\n# Model\n")
    (root / ".cardguard.toml").write_text("profile = 'minimal'\n[limits]\nyaml-nodes = 1000000000\n", encoding="utf-8")
    monkeypatch.chdir(root)
    main(["validate", "--format", "json", "one", "two", "three"])
    assert [item["code"] for item in json.loads(capsys.readouterr().out)["findings"]].count("CG503") == 1


SPARSE_SIZE = 2 * 1024**3


def _sparse(path: Path, head: str) -> None:
    path.write_text(head, encoding="utf-8")
    os.truncate(path, SPARSE_SIZE)


@pytest.mark.parametrize("how", ["pyproject.toml", ".cardguard.toml", "--config"])
@pytest.mark.parametrize("command", ["validate", "check", "sync"])
def test_two_gigabyte_configuration_file_is_refused_unread(tmp_path: Path, how: str, command: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    args = [command, "--format", "json", "."]
    if how == "--config":
        _sparse(tmp_path / "trusted.toml", "profile = 'minimal'\n")
        args += ["--config", str(tmp_path / "trusted.toml")]
    else:
        head = "[tool.cardguard]\nprofile = 'minimal'\n" if how == "pyproject.toml" else "profile = 'minimal'\n"
        _sparse(repo / how, head)
    before = (repo / "README.md").read_bytes()
    run = run_cli(args, cwd=repo)
    assert run.returncode == 2, (run.stdout[-1000:], run.stderr)
    assert_clean_failure(run)
    assert len(run.stderr.strip().splitlines()) == 1 and "bound" in run.stderr, run.stderr
    assert run.read_mb < 16, f"read {run.read_mb:.0f} MB"
    assert run.peak_mb < 150, f"peak RSS {run.peak_mb:.0f} MB"
    assert (repo / "README.md").read_bytes() == before


NESTING = {
    "arrays": lambda depth: "x = " + "[" * depth + "]" * depth,
    "inline tables": lambda depth: "x = " + "{a = " * depth + "1" + "}" * depth,
    "arrays of inline tables": lambda depth: "x = " + "[{a = " * depth + "1" + "}]" * depth,
}


@pytest.mark.parametrize("depth", [100_000, 2_000])
@pytest.mark.parametrize("shape", NESTING)
@pytest.mark.parametrize("name", [".cardguard.toml", "pyproject.toml"])
def test_deeply_nested_toml_is_one_line_and_exit_2(tmp_path: Path, shape: str, depth: int, name: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    table = "[tool.cardguard]\n" if name == "pyproject.toml" else ""
    (repo / name).write_text(table + NESTING[shape](depth) + "\n", encoding="utf-8")
    run = run_cli(["validate", "--format", "json", "."], cwd=repo)
    assert run.returncode == 2, (run.stdout[-1000:], run.stderr)
    assert_clean_failure(run)
    assert len(run.stderr.strip().splitlines()) == 1 and "nested too deeply" in run.stderr, run.stderr
