"""The pins the docs tell users to copy (pre-commit ``rev:``, ``uses: cardguard/cardguard@REF``)
name something that exists: a tag of this repository, a full commit sha, or the ``COMMIT_SHA``
placeholder the docs explain. A tag that was never made fails the user's first run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")])
PIN = re.compile(r"^\s*(?:rev:\s*|-?\s*uses:\s*cardguard/cardguard@)(?P<ref>[^\s#]+)", re.M)
FULL_SHA = re.compile(r"[0-9a-f]{40}")
PLACEHOLDER = "COMMIT_SHA"


def repository_tags() -> set[str]:
    result = subprocess.run(["git", "tag", "--list"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return set(result.stdout.split()) if result.returncode == 0 else set()


def pins() -> list[tuple[str, str]]:
    return [(path.name, match.group("ref")) for path in DOCS
            for match in PIN.finditer(path.read_text(encoding="utf-8"))]


def test_the_docs_pin_cardguard_somewhere() -> None:
    assert {name for name, _ in pins()} >= {"integrations.md", "security.md"}


@pytest.mark.parametrize(("doc", "ref"), pins())
def test_every_pin_exists(doc: str, ref: str) -> None:
    assert ref == PLACEHOLDER or FULL_SHA.fullmatch(ref) or ref in repository_tags(), (
        f"{doc} pins {ref!r}, which is not a tag of this repository: pin a full commit sha or {PLACEHOLDER}")


def test_the_placeholder_is_explained_where_it_is_used() -> None:
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        if PLACEHOLDER in text:
            assert "no release is tagged yet" in text, path.name
