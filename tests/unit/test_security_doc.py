"""docs/security.md names the test that proves each guarantee: every name it gives must exist,
so a renamed or deleted test cannot leave a guarantee pointing at nothing."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "security.md"
_CODE = re.compile(r"`([^`]+)`")
_FILE = re.compile(r"(?:tests/[\w/]+/)?(test_\w+|helpers)\.py")
_TEST = re.compile(r"test_\w+")


def _resolve(name: str) -> Path:
    if "/" in name:
        return REPO / name
    matches = sorted((REPO / "tests").rglob(name))
    assert len(matches) == 1, f"docs/security.md names {name}: {len(matches)} files match"
    return matches[0]


def _references() -> list[tuple[int, Path, str]]:
    """(line, file, test name) for every test the document names, a bare name taking the
    file last named on its line."""
    found = []
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        current: Path | None = None
        for token in _CODE.findall(line):
            path_part, _, name_part = token.partition("::")
            file_match = _FILE.fullmatch(path_part.split(" ")[0])
            if file_match:
                current = _resolve(path_part.split(" ")[0])
                names = _TEST.findall(name_part)
            else:
                names = [token] if _TEST.fullmatch(token) else []
            found.extend((number, current, name) for name in names if current is not None)
    return found


def test_every_test_named_in_security_md_exists() -> None:
    references = _references()
    assert len(references) > 80  # the parser still reads the tables
    missing = [f"line {line}: {path.relative_to(REPO)}::{name}" for line, path, name in references
               if not re.search(rf"^(?:async )?def {name}\(", path.read_text(encoding="utf-8"), re.M)]
    assert not missing, "docs/security.md names tests that do not exist:\n" + "\n".join(missing)
