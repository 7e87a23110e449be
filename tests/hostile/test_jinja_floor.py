"""Issue 11, item 3: Jinja2 older than 3.1.6 has published sandbox escapes
(GHSA-cpwx-vrp4-4pq7, GHSA-q2x7-8rv6-6q7h), so pyproject.toml requires 3.1.6 and a repository
template is refused (CG407, naming the installed version and the floor) when an older one is
installed anyway. cardguard's own templates still render.

No older Jinja2 can be installed offline, so the child process that runs the real CLI is told
an older version by replacing cardguard's own lookup (``render.installed_jinja_version``);
the rest of the run is the real ``cardguard check`` / ``sync``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cardguard
from tests.hostile.helpers import LABELS_CARD, classifier_repo

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PACKAGE_ROOT = Path(cardguard.__file__).resolve().parents[1]
PYPROJECT = PACKAGE_ROOT / "pyproject.toml"  # the tree of the cardguard under test
SAFE_FLOOR = (3, 1, 6)
MARKER = "RENDERED-BY-THE-REPOSITORY-TEMPLATE"
REPOSITORY_TEMPLATE = "{{ 'RENDERED-BY-' ~ 'THE-REPOSITORY-TEMPLATE' }} {{ labels|length }}\n"

_CLI_SEEING_VERSION = """
import sys
import cardguard.expect.render
cardguard.expect.render.installed_jinja_version = lambda: sys.argv[1]
from cardguard.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_cli_seeing_jinja(version: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process whose Jinja2 version lookup answers ``version``."""
    return subprocess.run([sys.executable, "-c", _CLI_SEEING_VERSION, version, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PACKAGE_ROOT),
                                                       "HF_HUB_OFFLINE": "1"})


def repo_with_template(folder: Path) -> Path:
    repo = classifier_repo(folder)
    templates = repo / ".cardguard" / "templates"
    templates.mkdir(parents=True)
    (templates / "labels.md.j2").write_text(REPOSITORY_TEMPLATE, encoding="utf-8")
    return repo


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_pyproject_requires_a_jinja2_without_published_sandbox_escapes() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    jinja = [item for item in dependencies if re.match(r"jinja2\b", item, re.IGNORECASE)]
    assert len(jinja) == 1, dependencies
    floor = re.search(r">=\s*([\d.]+)", jinja[0])
    assert floor is not None, jinja[0]
    assert _version_tuple(floor.group(1)) >= SAFE_FLOOR, jinja[0]


OLD_VERSIONS = ["3.1.5", "3.1.4", "3.0.3", "2.11.3", "3.1.6rc1", "unknown"]
SAFE_VERSIONS = ["3.1.6", "3.1.10", "3.2.0", "10.0"]  # 3.1.10 and 10.0 sort below 3.1.6 as strings


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_repository_template_is_refused_under_an_old_jinja2(tmp_path: Path, version: str) -> None:
    repo = repo_with_template(tmp_path / "repo")
    check = run_cli_seeing_jinja(version, ["check", "--format", "json", "."], repo)
    assert "Traceback" not in check.stderr, check.stderr
    assert check.returncode == 1, (check.returncode, check.stderr)
    refusals = [item for item in json.loads(check.stdout)["findings"] if item["code"] == "CG407"]
    assert refusals, check.stdout
    assert f"Jinja2 {version}" in refusals[0]["message"] and "3.1.6" in refusals[0]["message"], refusals[0]
    assert MARKER not in check.stdout + check.stderr

    sync = run_cli_seeing_jinja(version, ["sync", "--format", "json", "."], repo)
    assert "Traceback" not in sync.stderr, sync.stderr
    assert MARKER not in (repo / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("version", SAFE_VERSIONS)
def test_repository_template_renders_under_a_safe_jinja2(tmp_path: Path, version: str) -> None:
    repo = repo_with_template(tmp_path / "repo")
    check = run_cli_seeing_jinja(version, ["check", "--format", "text", "."], repo)
    assert check.returncode == 1, (check.returncode, check.stderr)  # the region is stale: drift, and its diff
    assert "CG407" not in check.stdout, check.stdout
    assert f"+{MARKER} 2" in check.stdout


def test_builtin_templates_render_under_an_old_jinja2(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo", LABELS_CARD)
    run_cli_seeing_jinja("3.1.5", ["sync", "--format", "json", "."], repo)
    check = run_cli_seeing_jinja("3.1.5", ["check", "--format", "json", "."], repo)
    assert "CG407" not in {item["code"] for item in json.loads(check.stdout)["findings"]}
    card = (repo / "README.md").read_text(encoding="utf-8")
    assert "stale" not in card and "negative" in card and "positive" in card


def test_runtime_floor_is_the_pyproject_floor() -> None:
    from cardguard.expect.render import JINJA_FLOOR

    requirement = PYPROJECT.read_text(encoding="utf-8")
    assert f'"jinja2>={".".join(map(str, JINJA_FLOOR))}"' in requirement


@pytest.mark.parametrize("version, safe", [*((v, False) for v in OLD_VERSIONS), *((v, True) for v in SAFE_VERSIONS),
                                           ("3.1.6.post1", True), ("3.1.6.dev0", False), ("3.1", False)])
def test_versions_compare_as_numbers(version: str, safe: bool) -> None:
    from cardguard.expect.render import JINJA_FLOOR, version_at_least

    assert version_at_least(version, JINJA_FLOOR) is safe
