"""Issue 11, item 7: a cardguard marker is live only in the Markdown body, outside code, quotes
and HTML blocks; anywhere else it is the author's text and ``sync`` leaves it alone.

Each card holds a hostile block whose marker lines sit where Markdown (or YAML) does not read
them as an HTML comment of the body, followed by a real, stale ``labels`` region. Through the
real CLI, ``sync`` must leave the hostile block and the metadata byte-identical, find no marker
problem in it, and still rewrite the real region.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cardguard.card.reader import parse_card
from cardguard.expect.managed import MANAGED_KEYS
from tests.hostile.helpers import assert_clean_failure, classifier_repo, run_cli

REAL_REGION = "## Labels\n\n<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n\nThe end.\n"
BEGIN, END = "<!-- cardguard:begin labels -->", "<!-- cardguard:end labels -->"

# (front matter lines, body block): the hostile markers are in one of the two.
HOSTILE = {
    "yaml-block-scalar": (f"license: mit\nnotes: |\n  {BEGIN}\n  keep me\n  {END}\n", ""),
    "yaml-folded-scalar": (f"license: mit\nnotes: >-\n {BEGIN}\n keep me\n {END}\nx: 1\n", ""),
    "yaml-quoted-scalar-at-column-0": (f'license: mit\nnotes: "a\n{BEGIN}\nkeep me\n{END}\nb"\n', ""),
    "indented-code-block": ("license: mit\n", f"Example:\n\n    {BEGIN}\n    keep me\n    {END}\n"),
    "tab-indented-code-block": ("license: mit\n", f"Example:\n\n\t{BEGIN}\n\tkeep me\n\t{END}\n"),
    "fence-opened-on-a-list-item": ("license: mit\n", f"- ```\n  {BEGIN}\n  keep me\n  {END}\n  ```\n"),
    "fence-in-a-nested-list-item": (
        "license: mit\n", f"1. one\n   - two\n\n     ~~~\n     {BEGIN}\n     keep me\n     {END}\n     ~~~\n"),
    "blockquote": ("license: mit\n", f"> {BEGIN}\n> keep me\n> {END}\n"),
    "html-block": ("license: mit\n", f"<details>\n{BEGIN}\nkeep me\n{END}\n</details>\n"),
    "html-pre-block-across-a-blank-line": ("license: mit\n", f"<pre>\n{BEGIN}\n\nkeep me\n{END}\n</pre>\n"),
}


def _unmanaged(metadata: dict | None) -> dict:
    return {key: value for key, value in (metadata or {}).items() if key not in MANAGED_KEYS}


def _card(front: str, block: str) -> str:
    return f"---\n{front}---\n# Model\n\nMy words.\n\n{block}\n{REAL_REGION}"


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_markers_outside_the_live_body_are_text(tmp_path: Path, case: str) -> None:
    front, block = HOSTILE[case]
    card = _card(front, block)
    repo = classifier_repo(tmp_path / "repo", card)
    before = parse_card(card, "README.md")
    assert before.metadata is not None, "the hostile front matter must be valid YAML"

    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)

    assert_clean_failure(run)
    assert not {"CG401", "CG402", "CG403", "CG404"} & run.codes(), run.stdout
    after = (repo / "README.md").read_text(encoding="utf-8")
    assert after.startswith(f"---\n{front}"), after  # managed keys (library_name, ...) are appended
    assert after.split("\n---\n", 1)[1].startswith(f"# Model\n\nMy words.\n\n{block}\n## Labels\n"), after
    assert _unmanaged(parse_card(after, "README.md").metadata) == _unmanaged(before.metadata)
    assert "| 0 | negative |" in after and "stale" not in after  # the real region was synced


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_markers_alone_leave_the_card_byte_identical(tmp_path: Path, case: str) -> None:
    front, block = HOSTILE[case]
    repo = classifier_repo(tmp_path / "repo", f"---\n{front}---\n# Model\n\n{block}")
    (repo / ".cardguard.toml").write_text("managed-keys = []\n")  # only regions could change the card
    before = (repo / "README.md").read_bytes()

    run = run_cli(["sync", "--format", "json", "README.md"], cwd=repo)

    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert (repo / "README.md").read_bytes() == before
