"""Issue 11, items 1 and 2: symlinks that stay inside the checkout but lead where the pull
request does not own (``.git/``, files git ignores or does not track), and new files created
under a linked folder. Every case runs the real CLI in a real ``git init`` work tree whose
``.git/config`` holds the token ``actions/checkout`` persists (``http.<url>.extraheader``).

The rule (cardguard/safe_paths.py): nothing is read or written through a link resolving into
``.git``, to a path git ignores or does not track, or outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.helpers import LABELS_CARD, assert_clean_failure, classifier_repo, run_cli

TOKEN = "ghs_fsgateS3cretExtraheaderToken0000"
INDEX_CARD = """\
---
license: apache-2.0
library_name: transformers
model-index:
- name: tiny
  results:
  - task:
      type: text-classification
    dataset:
      name: IMDB
      type: stanfordnlp/imdb
    metrics:
    - type: accuracy
      value: 0.75
---
# Tiny

Prose.
"""
EVAL_CONFIG = 'profile = "minimal"\neval-results-files = true\nmanaged-keys = ["model-index"]\n'


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-C", str(repo), *args], check=True, capture_output=True)


def git_repo(folder: Path, card: str = LABELS_CARD) -> Path:
    """A real git work tree with the classifier checkpoint and card committed, and the
    checkout token in `.git/config` as actions/checkout leaves it."""
    repo = classifier_repo(folder, card)
    (repo / ".git").rmdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {TOKEN}")
    _git(repo, "add", "-A")
    return repo


def _stage(repo: Path) -> None:
    """The pull request's files, links included, as the checkout holds them (tracked)."""
    _git(repo, "add", "-A")


def _git_config(repo: Path) -> bytes:
    return (repo / ".git" / "config").read_bytes()


def _everything_printed(run) -> str:  # type: ignore[no-untyped-def]
    return run.stdout + run.stderr


# -- item 1: links into .git --------------------------------------------------------------------


def _template_to_git_config(repo: Path) -> None:
    (repo / ".cardguard" / "templates").mkdir(parents=True)
    os.symlink("../../.git/config", repo / ".cardguard" / "templates" / "labels.md.j2")


def _template_through_a_chain(repo: Path) -> None:
    (repo / ".cardguard" / "templates").mkdir(parents=True)
    os.symlink(".git", repo / "hop")  # a tracked link to a folder, then a link through it
    os.symlink("../../hop/config", repo / ".cardguard" / "templates" / "labels.md.j2")


TEMPLATE_LINKS = {
    "template -> .git/config": _template_to_git_config,
    "template -> link -> .git/config": _template_through_a_chain,
}


@pytest.mark.parametrize("command", ["check", "sync"])
@pytest.mark.parametrize("make", TEMPLATE_LINKS.values(), ids=TEMPLATE_LINKS.keys())
def test_template_linked_into_git_is_never_rendered(tmp_path: Path, make, command: str) -> None:
    repo = git_repo(tmp_path / "repo")
    make(repo)
    _stage(repo)
    before = _git_config(repo)
    run = run_cli([command, "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG407" in run.codes()
    assert TOKEN not in _everything_printed(run)
    assert TOKEN not in (repo / "README.md").read_text(encoding="utf-8")
    assert _git_config(repo) == before


CARD_COMMANDS = [["validate"], ["check"], ["sync"], ["sync", "--add-missing"]]


@pytest.mark.parametrize("command", CARD_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("target", [".git/config", "hop/config"], ids=["direct", "chain"])
def test_card_linked_to_git_config_is_neither_read_nor_written(tmp_path: Path, command: list[str], target: str) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "README.md").unlink()
    os.symlink(".git", repo / "hop")
    os.symlink(target, repo / "README.md")
    _stage(repo)
    before = _git_config(repo)
    run = run_cli([*command, "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert run.returncode == 1 and "CG307" in run.codes()
    assert TOKEN not in _everything_printed(run)
    assert _git_config(repo) == before
    assert (repo / "README.md").is_symlink()


def test_artifact_linked_into_git_is_not_read(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "config.json").unlink()
    os.symlink(".git/config", repo / "config.json")
    _stage(repo)
    run = run_cli(["check", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG307" in run.codes()
    assert TOKEN not in _everything_printed(run)


# -- item 1: links to files git ignores or does not track -------------------------------------


def _ignored(repo: Path, name: str) -> None:
    (repo / ".gitignore").write_text(f"{name}\n", encoding="utf-8")
    _stage(repo)


def _untracked(repo: Path, name: str) -> None:
    _stage(repo)
    _git(repo, "rm", "-q", "--cached", name)


GIT_STATUS = {"ignored": _ignored, "untracked": _untracked}


@pytest.mark.parametrize("command", [["check"], ["sync"]], ids=" ".join)
@pytest.mark.parametrize("status", GIT_STATUS.values(), ids=GIT_STATUS.keys())
def test_card_linked_to_a_file_git_does_not_own(tmp_path: Path, status, command: list[str]) -> None:
    repo = git_repo(tmp_path / "repo")
    hidden = repo / "local-notes.md"  # e.g. a file the runner wrote, or one the author keeps out of git
    hidden.write_text(LABELS_CARD.replace("My words.", f"My words. {TOKEN}"), encoding="utf-8")
    (repo / "README.md").unlink()
    os.symlink("local-notes.md", repo / "README.md")
    status(repo, "local-notes.md")
    before = hidden.read_bytes()
    run = run_cli([*command, "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG307" in run.codes()
    assert TOKEN not in _everything_printed(run)
    assert hidden.read_bytes() == before


@pytest.mark.parametrize("status", GIT_STATUS.values(), ids=GIT_STATUS.keys())
def test_template_linked_to_a_file_git_does_not_own(tmp_path: Path, status) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "build").mkdir()
    (repo / "build" / "labels.j2").write_text(f"{TOKEN}\n", encoding="utf-8")
    (repo / ".cardguard" / "templates").mkdir(parents=True)
    os.symlink("../../build/labels.j2", repo / ".cardguard" / "templates" / "labels.md.j2")
    status(repo, "build/labels.j2")
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG407" in run.codes()
    assert TOKEN not in _everything_printed(run) + (repo / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("status", GIT_STATUS.values(), ids=GIT_STATUS.keys())
def test_artifact_linked_to_a_file_git_does_not_own(tmp_path: Path, status) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "config.json").rename(repo / "local-config.json")
    os.symlink("local-config.json", repo / "config.json")
    status(repo, "local-config.json")
    run = run_cli(["check", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG307" in run.codes()
    assert "positive" not in run.stdout  # the labels of the linked config never reach the diff


def test_links_to_tracked_files_inside_the_repository_still_work(tmp_path: Path) -> None:
    """The rule refuses only what the pull request does not own: tracked targets are followed."""
    repo = git_repo(tmp_path / "repo")
    (repo / "docs").mkdir()
    (repo / "README.md").rename(repo / "docs" / "card.md")
    os.symlink("docs/card.md", repo / "README.md")
    (repo / "config.json").rename(repo / "docs" / "config.json")
    os.symlink("docs/config.json", repo / "config.json")
    (repo / "shared.j2").write_text("{% for id, name in labels %}* {{ name }}!\n{% endfor %}", encoding="utf-8")
    (repo / ".cardguard" / "templates").mkdir(parents=True)
    os.symlink("../../shared.j2", repo / ".cardguard" / "templates" / "labels.md.j2")
    _stage(repo)
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)
    assert run.returncode == 1 and "rewrote README.md" in run.stderr, run.stderr
    assert (repo / "README.md").is_symlink()
    assert "* positive!" in (repo / "docs" / "card.md").read_text(encoding="utf-8")


def test_when_git_cannot_answer_the_link_is_refused(tmp_path: Path) -> None:
    """Fail closed: a tracked target, but no git on PATH to say so."""
    repo = git_repo(tmp_path / "repo")
    (repo / "docs").mkdir()
    (repo / "README.md").rename(repo / "docs" / "card.md")
    os.symlink("docs/card.md", repo / "README.md")
    _stage(repo)
    before = (repo / "docs" / "card.md").read_bytes()
    no_git = tmp_path / "empty-path"
    no_git.mkdir()
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo, env={"PATH": str(no_git)})
    assert_clean_failure(run)
    assert "CG307" in run.codes() and "git cannot tell" in run.stdout
    assert (repo / "docs" / "card.md").read_bytes() == before


# -- item 2: new files under a linked folder ----------------------------------------------------


def eval_repo(folder: Path) -> Path:
    """A git work tree whose sync creates `.eval_results/imdb.yaml` (opted in by its config)."""
    repo = git_repo(folder, INDEX_CARD)
    (repo / ".cardguard.toml").write_text(EVAL_CONFIG, encoding="utf-8")
    (repo / "eval_results.json").write_text(json.dumps({"eval_accuracy": 0.75, "eval_loss": 0.3}), encoding="utf-8")
    _stage(repo)
    return repo


def _eval_results_outside(repo: Path, outside: Path) -> None:
    os.symlink(outside, repo / ".eval_results")


def _eval_results_into_git(repo: Path, outside: Path) -> None:
    os.symlink(".git", repo / ".eval_results")


def _eval_results_through_a_chain(repo: Path, outside: Path) -> None:
    os.symlink(outside, repo / "out")
    os.symlink("out", repo / ".eval_results")


def _eval_results_to_an_ignored_folder(repo: Path, outside: Path) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "keep.txt").write_text("x", encoding="utf-8")
    (repo / ".gitignore").write_text("build/\n", encoding="utf-8")
    os.symlink("build", repo / ".eval_results")


def _eval_results_to_an_untracked_folder(repo: Path, outside: Path) -> None:
    (repo / "scratch").mkdir()
    os.symlink("scratch", repo / ".eval_results")


NEW_FILE_LINKS = {
    ".eval_results -> outside": _eval_results_outside,
    ".eval_results -> .git": _eval_results_into_git,
    ".eval_results -> link -> outside": _eval_results_through_a_chain,
    ".eval_results -> ignored folder": _eval_results_to_an_ignored_folder,
    ".eval_results -> untracked folder": _eval_results_to_an_untracked_folder,
}


def _all_files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


@pytest.mark.parametrize("make", NEW_FILE_LINKS.values(), ids=NEW_FILE_LINKS.keys())
def test_sync_creates_nothing_under_a_linked_folder(tmp_path: Path, make) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = eval_repo(tmp_path / "repo")
    make(repo, outside)
    _stage(repo)
    git_before = _all_files(repo / ".git")
    folders_before = {name: _all_files(repo / name) for name in ("build", "scratch") if (repo / name).is_dir()}
    run = run_cli(["sync", "--format", "json", "."], cwd=repo)
    assert_clean_failure(run)
    assert "CG307" in run.codes()
    assert list(outside.iterdir()) == []
    assert not (repo / ".git" / "imdb.yaml").exists() and _all_files(repo / ".git") - git_before <= {"index.lock"}
    assert {name: _all_files(repo / name) for name in folders_before} == folders_before


def test_model_folder_reached_through_a_link_out_is_not_written(tmp_path: Path) -> None:
    """A parent folder of the card and of `.eval_results` linked outside: the pull request names
    `models/tiny/README.md`, and `models` leads out of the checkout."""
    outside = tmp_path / "outside"
    (outside / "tiny").mkdir(parents=True)
    source = eval_repo(tmp_path / "source")
    for name in ("README.md", "eval_results.json", "config.json"):
        (outside / "tiny" / name).write_bytes((source / name).read_bytes())
    repo = git_repo(tmp_path / "repo")
    (repo / ".cardguard.toml").write_text(EVAL_CONFIG, encoding="utf-8")
    os.symlink(outside, repo / "models")
    _stage(repo)
    before = _all_files(outside)
    card = (outside / "tiny" / "README.md").read_bytes()
    run = run_cli(["sync", "--format", "json", "models/tiny/README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG307" in run.codes()
    assert _all_files(outside) == before
    assert (outside / "tiny" / "README.md").read_bytes() == card


def test_a_plain_new_eval_results_file_is_still_created(tmp_path: Path) -> None:
    repo = eval_repo(tmp_path / "repo")
    run = run_cli(["sync", "--format", "json", "."], cwd=repo)
    assert run.returncode == 1, run.stderr
    assert "value: 0.75" in (repo / ".eval_results" / "imdb.yaml").read_text(encoding="utf-8")


def test_eval_results_linked_to_a_tracked_folder_is_written_there(tmp_path: Path) -> None:
    repo = eval_repo(tmp_path / "repo")
    (repo / "results").mkdir()
    (repo / "results" / "other.yaml").write_text("- dataset: {id: org/other, task_id: default}\n  value: 1\n",
                                                 encoding="utf-8")
    os.symlink("results", repo / ".eval_results")
    _stage(repo)
    run = run_cli(["sync", "--format", "json", "."], cwd=repo)
    assert run.returncode == 1 and "CG307" not in run.codes(), run.stdout
    assert "value: 0.75" in (repo / "results" / "imdb.yaml").read_text(encoding="utf-8")


# -- the check-then-open race (docs/security.md "Known gaps") ------------------------------------


@pytest.mark.parametrize("door", ["read", "write"])
def test_a_link_swapped_in_after_the_check_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           door: str) -> None:
    """Another process turns the checked folder into a link between the gate's check and the
    open: the open goes component by component with O_NOFOLLOW, so it refuses instead of
    following the new link out."""
    from cardguard import safe_paths

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "card.md").write_text(f"{TOKEN}\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "card.md").write_text("mine\n", encoding="utf-8")
    os.symlink("docs/card.md", repo / "README.md")  # inside, no git: allowed
    checked = safe_paths._resolve_allowed

    def check_then_swap(*args, **kwargs):  # type: ignore[no-untyped-def]
        answer = checked(*args, **kwargs)
        (repo / "docs").rename(repo / "docs-old")
        os.symlink(outside, repo / "docs")
        return answer

    monkeypatch.setattr(safe_paths, "_resolve_allowed", check_then_swap)
    with pytest.raises(safe_paths.Refused) as refusal:
        if door == "read":
            safe_paths.open_for_reading(repo / "README.md", repo)
        else:
            safe_paths.write_file(repo / "README.md", repo, b"new\n")
    assert refusal.value.code == "CG307"
    assert (outside / "card.md").read_text(encoding="utf-8") == f"{TOKEN}\n"
    assert sorted(os.listdir(outside)) == ["card.md"]


# -- report files the Action writes into the checkout ---------------------------------------------


_ACTION = "import sys\nfrom cardguard.integrations.action import main\nsys.exit(main())\n"


def run_action_step(repo: Path, runner_temp: Path, sarif_file: str) -> subprocess.CompletedProcess:
    """The Action's Python step (cardguard.integrations.action) on ``repo``, `validate`, with the
    workflow's ``sarif-file`` input."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "GITHUB_WORKSPACE": str(repo),
           "RUNNER_TEMP": str(runner_temp), "CARDGUARD_COMMAND": "validate", "CARDGUARD_SARIF_FILE": sarif_file}
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_EVENT_PATH"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-c", _ACTION], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("target", ["outside", ".git/config"])
def test_action_sarif_file_planted_as_a_link_is_not_written_through(tmp_path: Path, target: str) -> None:
    """A workflow with `sarif-file: cardguard.sarif` writes into the checkout; the pull request
    planted that name as a link. The linked file stays as it was."""
    repo = git_repo(tmp_path / "repo")
    outside = tmp_path / "runner-file"
    outside.write_text("the runner's own file\n", encoding="utf-8")
    victim = outside if target == "outside" else repo / ".git" / "config"
    os.symlink(victim, repo / "cardguard.sarif")
    _stage(repo)
    before = victim.read_bytes()
    done = run_action_step(repo, tmp_path, "cardguard.sarif")
    assert "Traceback" not in done.stderr, done.stderr
    assert victim.read_bytes() == before
    assert (repo / "cardguard.sarif").is_symlink()
    assert "::error title=cardguard::sarif-file cardguard.sarif" in done.stdout


def test_action_sarif_file_in_the_checkout_is_still_written(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "reports").mkdir()
    done = run_action_step(repo, tmp_path, "reports/out.sarif")
    assert "Traceback" not in done.stderr, done.stderr
    assert json.loads((repo / "reports" / "out.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


# -- the organisation schema a pull request's configuration names ---------------------------------


@pytest.mark.parametrize("named", ["../org-schema.json", "linked-schema.json", "hop/config"])
def test_org_schema_named_by_the_repository_config_stays_in_the_repository(tmp_path: Path, named: str) -> None:
    """docs/security.md "Known gaps": `schema = "..."` in the pull request's configuration could
    name a file outside the checkout (or, through a link, `.git/config`); CG117 quoted it."""
    outside = tmp_path / "org-schema.json"
    outside.write_text(json.dumps({"properties": {"license": {"const": TOKEN}}}), encoding="utf-8")
    repo = git_repo(tmp_path / "repo")
    os.symlink(outside, repo / "linked-schema.json")
    os.symlink(".git", repo / "hop")
    (repo / ".cardguard.toml").write_text(f'schema = "{named}"\n', encoding="utf-8")
    _stage(repo)
    run = run_cli(["validate", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert TOKEN not in _everything_printed(run)
    assert run.returncode == 2 and "the schema" in run.stderr


def test_org_schema_from_the_command_line_config_may_live_anywhere(tmp_path: Path) -> None:
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "org-schema.json").write_text(json.dumps({"required": ["license", "datasets"]}), encoding="utf-8")
    (trusted / "cardguard.toml").write_text('schema = "org-schema.json"\n', encoding="utf-8")
    repo = git_repo(tmp_path / "repo")
    run = run_cli(["validate", "--config", str(trusted / "cardguard.toml"), "--format", "json", "README.md"], cwd=repo)
    assert run.returncode == 1 and "CG117" in run.codes(), run.stdout + run.stderr


# -- item 1: the repository's own configuration files go through the gate too ------------------


@pytest.mark.parametrize("name", [".cardguard.toml", "pyproject.toml"])
@pytest.mark.parametrize("target", ["git-config", "ignored"])
def test_configuration_linked_where_the_pull_request_does_not_own_is_not_read(
        tmp_path: Path, name: str, target: str) -> None:
    repo = git_repo(tmp_path / "repo")
    secret = f'[tool.cardguard]\nprofile = "{TOKEN}"\n'
    if target == "git-config":
        with open(repo / ".git" / "config", "a", encoding="utf-8") as stream:
            stream.write(f"# {secret}")
        os.symlink(".git/config", repo / name)
        _stage(repo)
    else:
        (repo / "local.toml").write_text(secret, encoding="utf-8")
        os.symlink("local.toml", repo / name)
        _ignored(repo, "local.toml")
    before = _git_config(repo)
    run = run_cli(["validate", "README.md"], cwd=repo)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "not followed" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert TOKEN not in _everything_printed(run)
    assert _git_config(repo) == before
