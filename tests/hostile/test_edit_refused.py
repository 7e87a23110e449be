"""Issue 11, item 7 (second half): after planning, sync reads the new text again and refuses the
write (CG418) when anything outside the edited spans would change meaning.

The attacker controls what a region renders: repository templates (``.cardguard/templates``)
and the facts themselves (label names in config.json). Each case below makes the region's new
text open a code fence or an HTML comment that swallows the rest of the card, or smuggle marker
lines that end the region early and open a second one. Through the real CLI: ``sync`` exits 1
with CG418, writes nothing (the card is byte-identical), and ``check`` reports the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.card.reader import parse_card
from cardguard.card.regions import scan_regions
from tests.hostile.helpers import CLASSIFIER_CONFIG, LABELS_CARD, assert_clean_failure, classifier_repo, run_cli

CARD = LABELS_CARD + "\n## Contact\n\nWrite to me.\n"
END, BEGIN = "<!-- cardguard:end labels -->", "<!-- cardguard:begin labels -->"

TEMPLATES = {
    "unclosed-fence": "```text\n{% for id, name in labels %}{{ name }}\n{% endfor %}",
    "unclosed-tilde-fence-in-a-list": "- ids:\n  ~~~\n{% for id, name in labels %}  {{ id }}\n{% endfor %}",
    "unclosed-comment": "<!--\n{% for id, name in labels %}{{ name }}\n{% endfor %}",
    "html-block-swallowing-the-end-marker": "<details>\n{% for id, name in labels %}{{ name }}\n{% endfor %}",
    "smuggled-markers": f"{{{{ labels | length }}}} labels\n{END}\n\n# Hijacked\n\n{BEGIN}\nmore\n",
}
LABEL_NAMES = {
    "label-opening-a-fence": "negative\n```",
    "label-smuggling-markers": f"negative\n{END}\n# Hijacked\n{BEGIN}",
    "label-opening-a-tilde-fence": "negative\n~~~~",
}


def _assert_refused(repo: Path, before: bytes) -> None:
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG418" in run.codes(), run.stdout
    assert (repo / "README.md").read_bytes() == before
    assert not [name for name in (repo).iterdir() if name.name.endswith(".cardguard-tmp")]
    checked = run_cli(["check", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(checked)
    assert "CG418" in checked.codes(), checked.stdout


@pytest.mark.parametrize("case", sorted(TEMPLATES))
def test_repository_template_that_changes_the_rest_of_the_card_is_refused(tmp_path: Path, case: str) -> None:
    repo = classifier_repo(tmp_path / "repo", CARD)
    templates = repo / ".cardguard" / "templates"
    templates.mkdir(parents=True)
    (templates / "labels.md.j2").write_text(TEMPLATES[case], encoding="utf-8")
    (repo / ".cardguard.toml").write_text("managed-keys = []\n")
    _assert_refused(repo, (repo / "README.md").read_bytes())


@pytest.mark.parametrize("case", sorted(LABEL_NAMES))
def test_label_name_never_changes_the_rest_of_the_card(tmp_path: Path, case: str) -> None:
    """Refused (CG418, nothing written) -- or, should the label ever be rendered harmlessly
    (escaped), written with the rest of the card reading exactly as before."""
    repo = classifier_repo(tmp_path / "repo", CARD)
    config = {**CLASSIFIER_CONFIG, "id2label": {"0": LABEL_NAMES[case], "1": "positive"}}
    (repo / "config.json").write_text(json.dumps(config), encoding="utf-8")
    before = (repo / "README.md").read_bytes()
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    if "CG418" in run.codes():
        _assert_refused(repo, before)
        return
    after = parse_card((repo / "README.md").read_text(encoding="utf-8"), "README.md")
    assert [region.name for region in scan_regions(after.text, "README.md").regions] == ["labels"]
    assert [heading.title for heading in after.body.headings] == ["Model", "Labels", "Contact"]
    assert after.text.endswith(f"{END}\n\nMore words.\n\n## Contact\n\nWrite to me.\n")


def test_a_harmless_edit_is_still_written(tmp_path: Path) -> None:
    """The control: the same card and a well-behaved template are synced as before."""
    repo = classifier_repo(tmp_path / "repo", CARD)
    templates = repo / ".cardguard" / "templates"
    templates.mkdir(parents=True)
    (templates / "labels.md.j2").write_text("{% for id, name in labels %}- {{ id }}: {{ name }}\n{% endfor %}")
    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert "CG418" not in run.codes()
    text = (repo / "README.md").read_text(encoding="utf-8")
    assert f"{BEGIN}\n- 0: negative\n- 1: positive\n{END}" in text and text.endswith("\n## Contact\n\nWrite to me.\n")
