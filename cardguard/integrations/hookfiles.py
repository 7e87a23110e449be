"""Which changed files concern a model card: the card itself and the artifacts beside it.

One regular expression, written so that Python's ``re``, pre-commit's ``files:`` and POSIX
``grep -E`` (the plain git hooks in ``hooks/``) all read it the same way. A test keeps the
copies in ``.pre-commit-hooks.yaml`` and ``hooks/*`` equal to this one.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Callable, Iterable

WATCHED_FILES = (
    r"(^|/)(README\.md|[^/]*\.(json|safetensors|bin|pt|pth|gguf)"
    r"|\.eval_results/[^/]+\.ya?ml|\.cardguard\.toml|emissions\.csv|chat_template\.jinja"
    r"|assets/training_curves\.svg)$"  # the figure the training-curves region shows (CG420)
)

_WATCHED = re.compile(WATCHED_FILES)


def is_watched(path: str) -> bool:
    """True when a change to ``path`` (relative, ``/``-separated) can change a card's findings."""
    return _WATCHED.search(path.replace("\\", "/")) is not None


def watched(paths: Iterable[str]) -> list[str]:
    """The watched paths among ``paths``, in order, without duplicates."""
    seen: dict[str, None] = {}
    for path in paths:
        if path and is_watched(path):
            seen.setdefault(path, None)
    return list(seen)


def card_of_deleted(path: str, is_file: Callable[[str], bool]) -> str | None:
    """The card a deleted file (``/``-separated, relative to the top of the work tree) belonged
    to: the README.md of the nearest folder at or above it for which ``is_file`` holds, or None.
    A deleted card gives None: there is nothing left to check. The hooks in ``hooks/`` do the
    same in shell (``card_of_deleted``)."""
    deleted = PurePosixPath(path.replace("\\", "/"))
    if deleted.name == "README.md":
        return None
    for folder in deleted.parents:
        card = str(folder / "README.md")  # PurePosixPath(".") / "README.md" is "README.md"
        if is_file(card):
            return card
    return None
