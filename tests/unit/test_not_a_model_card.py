"""Issue 12 item 9: a project's own README.md is not checked as a model card.

A README.md found rather than named (in a folder, or as the card of a changed file) is a card
only with model metadata in its front matter or model files beside it; the hooks pass
--skip-non-cards so the same holds for the README.md files a commit changes. A README.md the
user names is checked whatever it holds. Layout: a project README.md at the top, a real
Trainer output (examples/tiny-bert-classifier) below.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cardguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
MODEL = "models/tiny-bert-classifier"
SKIPPED = "README.md: skipped, not a model card"

NOT_CARDS = {
    "plain": "# My project\n\nTrains models.\n\n## License\n\nMIT\n",
    "docs front matter": "---\ntitle: My project\nlayout: page\ndescription: Trains models\n---\n# My project\n",
    "a yaml example": "# Tool\n\n```yaml\n---\nlicense: mit\npipeline_tag: fill-mask\n---\n```\n",
    "a rule and a colon": "# Tool\n\n---\n\nLicense: MIT, see LICENSE.\n",
}
CARDS = {
    "license only": "---\nlicense: mit\n---\n# m\n",
    "model-index only": "---\nmodel-index:\n- name: m\n  results: []\n---\n# m\n",
    "near-miss key": "---\nLibrary-Name: transformers\n---\n# m\n",
    "front matter below a title": "# m\n---\nlicense: mit\npipeline_tag: fill-mask\n---\n",
    "front matter not closed": "---\nlicense: mit\n# m\n",
    "with a BOM": "\ufeff---\ntags:\n- a\n---\n# m\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root / MODEL)
    (root / "README.md").write_text(NOT_CARDS["plain"])
    monkeypatch.chdir(root)
    return root


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("kind", list(NOT_CARDS))
def test_a_project_readme_above_a_model_folder_is_skipped_and_said_so(
    project: Path, command: str, kind: str, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "README.md").write_text(NOT_CARDS[kind])
    only_the_model = _run([command, MODEL], capsys)
    code, out, err = _run([command], capsys)
    assert f"cardguard: {SKIPPED}" in err
    assert (code, out) == only_the_model[:2]  # exactly the model card below, nothing about README.md
    assert "1 card checked" in out


@pytest.mark.parametrize("kind", list(CARDS))
def test_a_readme_with_model_metadata_is_a_card_even_without_model_files(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "README.md").write_text(CARDS[kind], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _, out, err = _run(["validate", "--skip-non-cards", "README.md"], capsys)
    assert SKIPPED not in err and "1 card checked" in out


@pytest.mark.parametrize("model_file", ["config.json", "model.safetensors", "adapter_config.json", "modules.json",
                                        "pytorch_model-00001-of-00002.bin", "model.gguf"])
def test_a_readme_beside_model_files_is_a_card_whatever_it_holds(
    tmp_path: Path, model_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "README.md").write_text(NOT_CARDS["plain"])
    (tmp_path / model_file).write_bytes(b"{}")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["validate", "--format", "json", "--skip-non-cards", "README.md"], capsys)
    assert code == 1 and "CG003" in {item["code"] for item in json.loads(out)["findings"]}


def test_a_readme_that_cannot_be_read_as_text_is_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "README.md").write_bytes("---\nlicense: mit\n---\n# m\n".encode("utf-16"))
    monkeypatch.chdir(tmp_path)
    _, out, err = _run(["validate", "--skip-non-cards", "README.md"], capsys)
    assert SKIPPED not in err and "1 card checked" in out


def test_a_readme_named_by_the_user_is_checked_whatever_it_holds(
    project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(["validate", "README.md"], capsys)
    assert code == 1 and "README.md:1:1: CG003" in out and SKIPPED not in err


def test_hooks_pass_changed_files_and_the_project_readme_among_them_is_skipped(
    project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    changed = ["README.md", f"{MODEL}/README.md", f"{MODEL}/config.json"]
    code, out, err = _run(["validate", "--skip-non-cards", *changed], capsys)
    assert code == 0, out
    assert "1 card checked" in out and f"cardguard: {SKIPPED}" in err


def test_a_changed_project_file_does_not_check_the_project_readme(
    project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "package.json").write_text("{}\n")  # watched (*.json); its folder's README.md is the project's
    code, out, err = _run(["validate", "package.json"], capsys)
    assert code == 0 and "0 cards checked" in out and f"cardguard: {SKIPPED}" in err


def test_a_folder_holding_no_model_card_is_a_one_line_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "README.md").write_text(NOT_CARDS["plain"])
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text(NOT_CARDS["docs front matter"])
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["validate"], capsys)
    assert code == 2 and out == ""
    assert "no model card found" in err and len(err.strip().splitlines()) == 1


def test_machine_formats_carry_no_skip_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["validate", "--format", "json"], capsys)
    assert json.loads(out)["files_checked"] == 1 and SKIPPED not in err


@pytest.fixture
def dataset_card(project: Path) -> Path:
    """A dataset card in the project: Hub metadata, no model files; not a model card."""
    dataset = project / "data" / "reviews"
    dataset.mkdir(parents=True)
    (dataset / "README.md").write_text("---\nlicense: mit\ntask_categories:\n- text-classification\n---\n# Reviews\n")
    return dataset / "README.md"


def test_model_card_false_skips_a_readme_found_in_a_folder(
    project: Path, dataset_card: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / ".cardguard.toml").write_text('[[overrides]]\npaths = ["data/**"]\nmodel-card = false\n')
    code, out, err = _run(["validate", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["files_checked"] == 1 and "data/reviews/README.md" not in out


def test_model_card_true_and_false_decide_for_the_files_a_hook_passes(
    project: Path, dataset_card: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / ".cardguard.toml").write_text(
        '[[overrides]]\npaths = ["README.md"]\nmodel-card = true\n\n'
        '[[overrides]]\npaths = ["data/**"]\nmodel-card = false\n'
    )
    changed = ["README.md", "data/reviews/README.md", f"{MODEL}/README.md"]
    code, out, err = _run(["validate", "--format", "json", "--skip-non-cards", *changed], capsys)
    report = json.loads(out)
    assert report["files_checked"] == 2
    checked = {item["path"] for item in report["findings"]}
    assert "README.md" in checked and "data/reviews/README.md" not in checked


def test_model_card_must_be_true_or_false(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".cardguard.toml").write_text('model-card = "yes"\n')
    code, out, err = _run(["validate"], capsys)
    assert code == 2 and "model-card must be true or false" in err and len(err.strip().splitlines()) == 1
