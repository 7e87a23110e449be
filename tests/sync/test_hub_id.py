"""Issue 12 item 8: the Hub id a card names does not depend on where the command ran.

get-started's snippet and init's title come from one place (cardguard/artifacts/hub_id.py): the
configured ``hub-id``, else the Hub remote of a clone, else the folder's resolved name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from cardguard.cli import main

REQUIRE_GET_STARTED = 'required-regions = ["get-started"]\n'
SNIPPET_ID = re.compile(r'model="([^"]*)"')


def _run(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
         ) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _how_to_name(folder: Path, where: str, elsewhere: Path) -> tuple[Path, str]:
    """The working directory and the path argument a user in ``where`` types for ``folder``."""
    return {
        "inside": (folder, "."),
        "parent": (folder.parent, folder.name),
        "elsewhere": (elsewhere, str(folder)),
    }[where]


@pytest.fixture
def trainer_folder(trainer_classifier_run, copy_output: Callable, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a real Trainer output whose configuration asks for a get-started region."""
    folder = copy_output(trainer_classifier_run).out
    (folder / ".cardguard.toml").write_text(REQUIRE_GET_STARTED)
    return folder


@pytest.mark.parametrize("synced_from", ["inside", "parent", "elsewhere"])
def test_check_agrees_from_every_directory_after_one_sync(
    trainer_folder: Path, synced_from: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    cwd, named = _how_to_name(trainer_folder, synced_from, elsewhere)
    _run(["sync", "--add-missing", named], cwd, monkeypatch, capsys)
    card = (trainer_folder / "README.md").read_text()
    assert SNIPPET_ID.findall(card) == [trainer_folder.resolve().name]  # the folder's name, never "." or a path
    for where in ("inside", "parent", "elsewhere"):
        cwd, named = _how_to_name(trainer_folder, where, elsewhere)
        code, out, _ = _run(["check", "--format", "json", named], cwd, monkeypatch, capsys)
        assert "CG405" not in out, (where, out)
        assert "CG406" not in out, (where, out)
    assert (trainer_folder / "README.md").read_text() == card


def test_configured_hub_id_is_what_the_snippet_loads(
    trainer_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    project = trainer_folder.parent
    (trainer_folder / ".cardguard.toml").unlink()
    (project / "pyproject.toml").write_text(
        "[tool.cardguard]\n" + REQUIRE_GET_STARTED
        + f'[[tool.cardguard.overrides]]\npaths = ["{trainer_folder.name}"]\nhub-id = "our-org/bert-sst2"\n'
    )
    _run(["sync", "--add-missing", "."], trainer_folder, monkeypatch, capsys)
    assert SNIPPET_ID.findall((trainer_folder / "README.md").read_text()) == ["our-org/bert-sst2"]
    code, out, _ = _run(["check", "--format", "json", str(trainer_folder)], project.parent, monkeypatch, capsys)
    assert "CG405" not in out


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(("remotes", "expected"), [
    ({"origin": "https://huggingface.co/acme/bert-sst2"}, "acme/bert-sst2"),
    ({"origin": "git@hf.co:acme/bert-sst2.git"}, "acme/bert-sst2"),
    ({"origin": "https://github.com/acme/models", "hub": "https://hf.co/acme/bert-sst2.git"}, "acme/bert-sst2"),
    ({"origin": "https://github.com/acme/models"}, None),  # not a Hub clone: the folder's name
])
def test_hub_clone_remote_gives_the_id(
    trainer_folder: Path, remotes: dict[str, str], expected: str | None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", str(trainer_folder)], check=True, env=environment)
    for name, url in remotes.items():
        subprocess.run(["git", "-C", str(trainer_folder), "remote", "add", name, url], check=True, env=environment)
    _run(["sync", "--add-missing", "."], trainer_folder, monkeypatch, capsys)
    assert SNIPPET_ID.findall((trainer_folder / "README.md").read_text()) == [expected or trainer_folder.name]


def test_a_folder_inside_a_hub_clone_is_not_the_clone(
    trainer_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    clone = trainer_folder.parent
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", "https://huggingface.co/acme/many"], check=True)
    _run(["sync", "--add-missing", trainer_folder.name], clone, monkeypatch, capsys)
    assert SNIPPET_ID.findall((trainer_folder / "README.md").read_text()) == [trainer_folder.name]


@pytest.mark.parametrize("from_where", ["inside", "parent"])
def test_init_names_the_card_by_the_folder_not_the_path_typed(
    trainer_folder: Path, from_where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (trainer_folder / "README.md").unlink()
    cwd, named = _how_to_name(trainer_folder, from_where, tmp_path)
    code, _, _ = _run(["init", named], cwd, monkeypatch, capsys)
    assert code == 0
    card = (trainer_folder / "README.md").read_text()
    assert f"# Model Card for {trainer_folder.name}\n" in card
    assert SNIPPET_ID.findall(card) in ([], [trainer_folder.name])
    _, out, _ = _run(["check", "--format", "json", str(trainer_folder)], tmp_path, monkeypatch, capsys)
    assert "CG405" not in out


def test_init_uses_the_configured_hub_id(
    trainer_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (trainer_folder / "README.md").unlink()
    (trainer_folder / ".cardguard.toml").write_text('hub-id = "acme/bert-sst2"\n')
    assert _run(["init", "."], trainer_folder, monkeypatch, capsys)[0] == 0
    assert "# Model Card for acme/bert-sst2\n" in (trainer_folder / "README.md").read_text()


@pytest.mark.parametrize("value", ['"bert"', '"acme/bert/extra"', '"acme/bert--x"', '"../x"', "3", '"acme/-bert"',
                                   '"https://huggingface.co/acme/bert"', f'"acme/{"b" * 97}"'])
def test_a_bad_hub_id_is_a_one_line_configuration_error(
    tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# m\n")
    (tmp_path / ".cardguard.toml").write_text(f"[[overrides]]\npaths = [\"*\"]\nhub-id = {value}\n")
    code, out, error = _run(["check", "."], tmp_path, monkeypatch, capsys)
    assert code == 2 and out == ""
    assert "hub-id" in error and '"org/name"' in error
    assert len(error.strip().splitlines()) == 1


def test_a_folder_name_cannot_break_out_of_the_snippet_or_the_title(
    trainer_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The folder's name is repository text: quotes and a line break in it stay inside the
    snippet's string literal and the title's line."""
    import ast

    name = 'tiny") ; import os  # "\nos.system("id'
    folder = trainer_folder.rename(trainer_folder.parent / name)
    (folder / "README.md").unlink()
    assert _run(["init", "."], folder, monkeypatch, capsys)[0] == 0
    card = (folder / "README.md").read_text()
    title = next(line for line in card.splitlines() if line.startswith("# Model Card for"))
    assert title == "# Model Card for " + name.replace("\n", " ")
    snippet = card.split("```python\n", 1)[1].split("```", 1)[0]
    loaded = [node.args[-1].value if not node.keywords else node.keywords[0].value.value
              for node in ast.walk(ast.parse(snippet)) if isinstance(node, ast.Call) and node.args]
    assert name in loaded
    assert "import os" not in [line.strip() for line in snippet.splitlines()]
