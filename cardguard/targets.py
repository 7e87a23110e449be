"""Turn the paths a user (or pre-commit) passes into model cards to check, each once.

- ``a/README.md`` (or any other ``.md`` file named explicitly): that card; its model folder is ``a``.
- ``a/`` holding a README.md: that card. A folder without one is searched for cards below it.
- any other file (``a/config.json``, ``a/eval_results.json``): the card of the nearest folder
  at or above it that holds a README.md, so a commit touching only an artifact still checks
  the card it belongs to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CARD_NAME = "README.md"
_SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}


class TargetError(Exception):
    """A path cannot be used; the CLI prints it as one line and exits 2."""


@dataclass(frozen=True)
class Target:
    card: Path  # the README.md (it may not exist: a model folder without a card)
    model_dir: Path
    display: str  # the card's path as findings show it


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    shown = absolute[len(prefix):] if absolute.startswith(prefix) else absolute
    return shown.replace(os.sep, "/")


def find_targets(paths: list[str]) -> list[Target]:
    """The cards behind ``paths``, in the order first met, without duplicates."""
    seen: set[Path] = set()
    targets: list[Target] = []
    for raw in paths or ["."]:
        for card in _cards_for(Path(raw)):
            key = Path(os.path.abspath(card))
            if key not in seen:
                seen.add(key)
                targets.append(Target(card=card, model_dir=card.parent, display=display_path(card)))
    return targets


def _cards_for(path: Path) -> list[Path]:
    if not os.path.lexists(path):
        raise TargetError(f"{path}: no such file or directory")
    if path.is_dir():
        if (path / CARD_NAME).exists():
            return [path / CARD_NAME]
        found = sorted(_walk_for_cards(path))
        if not found:
            raise TargetError(f"{path}: no {CARD_NAME} found in this folder or below it")
        return found
    if path.name == CARD_NAME or path.suffix.lower() in (".md", ".markdown"):
        return [path]  # a card given by name, whatever it is called
    owner = _owning_model_dir(path)
    return [owner / CARD_NAME] if owner is not None else []


def _walk_for_cards(root: Path) -> list[Path]:
    cards = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith(".")]
        if CARD_NAME in filenames:
            cards.append(Path(folder) / CARD_NAME)
    return cards


def _owning_model_dir(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` holding a card, not leaving the working tree."""
    start = Path(os.path.abspath(path)).parent
    stop = Path.cwd()
    for folder in (start, *start.parents):
        if (folder / CARD_NAME).exists():
            return _relative_if_possible(folder)
        if folder == stop or folder == folder.parent:
            break
    return None


def _relative_if_possible(folder: Path) -> Path:
    try:
        return folder.relative_to(Path.cwd())
    except ValueError:
        return folder
