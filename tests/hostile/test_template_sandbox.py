"""Issue 6.3: a repository template (.cardguard/templates/NAME.md.j2) cannot escape the sandbox,
read files, or run without bound; each attempt is a CG407 finding and the card is untouched.

Covered elsewhere, not repeated: tests/sync/test_write_render_init.py
(test_repository_templates_are_bounded: undefined names, ``''.__class__.__mro__``, ``'x' * 10**7``,
output over the size bound, in process; test_repository_override_is_used_and_errors_are_findings).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cardguard.expect.render import MAX_RENDER_SECONDS, RenderError, TemplateSource, find_template, render
from tests.hostile.helpers import assert_clean_failure, classifier_repo, git_track, run_cli

SECRET = "s3cr3t-token-outside-the-repo"
STALE_REGION = "<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->"

HOSTILE_TEMPLATES = {
    "mro": ("{{ ''.__class__.__mro__ }}", "sandbox"),
    "cycler globals": ("{{ cycler.__init__.__globals__ }}", "sandbox"),
    "joiner globals": ("{{ joiner.__init__.__globals__['os'] }}", "sandbox"),
    "lipsum globals": ("{{ lipsum.__globals__ }}", "sandbox"),
    "attr filter": ("{{ ''|attr('__class__') }}", "sandbox"),
    "format string": ("{{ '{0.__class__}'.format(1) }}", "sandbox"),
    "include /etc/passwd": ("{% include '/etc/passwd' %}", "no loader"),
    "import outside": ("{% import '../../../../etc/passwd' as p %}{{ p }}", "no loader"),
    "from import": ("{% from '/etc/hosts' import x %}", "no loader"),
    "extends": ("{% extends '/etc/passwd' %}", "no loader"),
    "range 10**12": ("{% for i in range(10**12) %}x{% endfor %}", "Range too big"),
    "recursive macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
    "silent nested loop": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "took over"),
    "appending loop": ("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% for j in range(100000) %}"
                       "{% set _ = ns.l.append(1) %}{% endfor %}{% endfor %}", "took over"),
    # The two doublings hit the memory bound in ~0.5 s; on a loaded machine the time bound may come first.
    "string doubling in a macro": ("{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% else %}{{ s|length }}"
                                   "{% endif %}{% endmacro %}{{ f('x', 40) }}", "memory bound|took over"),
    "string doubling in a namespace": ("{% set ns = namespace(s='x') %}{% for i in range(40) %}"
                                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", "memory bound|took over"),
    "lone surrogate": ("{{ '\\ud800' }}", "Unicode"),
}


@pytest.mark.parametrize("template, reason", HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys())
def test_hostile_template_is_refused_in_bounded_time(template: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(RenderError, match=reason):
        render(TemplateSource("labels", template, Path("labels.md.j2"), sandboxed=True), {"labels": []})
    assert time.monotonic() - started < MAX_RENDER_SECONDS + 3


def test_sandboxed_template_still_renders() -> None:
    source = TemplateSource("labels", "{% for id, name in labels %}{{ id }}={{ name }};{% endfor %}",
                            Path("labels.md.j2"), sandboxed=True)
    assert render(source, {"labels": [["0", "neg"], ["1", "pos"]]}) == "0=neg;1=pos;"


CLI_CASES = ["cycler globals", "include /etc/passwd", "import outside", "range 10**12", "recursive macro",
             "silent nested loop", "string doubling in a macro"]


@pytest.mark.parametrize("command", ["check", "sync"])
@pytest.mark.parametrize("case", CLI_CASES)
def test_hostile_repository_template_is_a_finding_end_to_end(tmp_path: Path, case: str, command: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    overrides = repo / ".cardguard" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "labels.md.j2").write_text(HOSTILE_TEMPLATES[case][0], encoding="utf-8")
    run = run_cli([command, "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert run.returncode == 1
    assert "CG407" in run.codes()
    assert STALE_REGION in (repo / "README.md").read_text(encoding="utf-8")  # sync may add managed keys
    assert run.peak_mb < 200, f"peak RSS {run.peak_mb:.0f} MB"


def _outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(f"TOKEN={SECRET}\n", encoding="utf-8")
    return secret


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_template_linked_outside_the_repository_is_not_read(tmp_path: Path, linked: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    secret = _outside_secret(tmp_path)
    (repo / ".cardguard").mkdir()
    if linked == "file":
        (repo / ".cardguard" / "templates").mkdir()
        os.symlink(secret, repo / ".cardguard" / "templates" / "labels.md.j2")
    else:
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        os.symlink(secret, outside / "labels.md.j2")
        os.symlink(outside, repo / ".cardguard" / "templates")
    for command in ("check", "sync"):
        run = run_cli([command, "--format", "json", "README.md"], cwd=repo)
        assert_clean_failure(run)
        assert "CG407" in run.codes()
        assert SECRET not in run.stdout + run.stderr
    card = (repo / "README.md").read_text(encoding="utf-8")
    assert STALE_REGION in card and SECRET not in card


def test_template_linked_inside_the_repository_is_used(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    (repo / "shared.j2").write_text("{% for id, name in labels %}* {{ name }}\n{% endfor %}", encoding="utf-8")
    (repo / ".cardguard" / "templates").mkdir(parents=True)
    os.symlink(repo / "shared.j2", repo / ".cardguard" / "templates" / "labels.md.j2")
    git_track(repo)  # a link may lead only to a file git tracks
    source = find_template("labels", (repo / ".cardguard" / "templates",))
    assert source.sandboxed and render(source, {"labels": [["0", "neg"]]}) == "* neg\n"
