"""Turn the paths a user (or pre-commit) passes into model cards to check, each once.

- ``a/README.md`` (or any other ``.md`` file named explicitly): that card; its model folder is ``a``.
- ``a/`` holding a README.md that is a model card: that card. A folder whose README.md is not
  one, or that has none, is searched for cards below it.
- any other file (``a/config.json``, ``a/eval_results.json``): the card of the nearest folder
  at or above it that holds a README.md, so a commit touching only an artifact still checks
  the card it belongs to.

A README.md found rather than named (in a folder, or as the card of a changed file) is a
model card only when its front matter holds a Hub model-card key or model files lie beside it
(:func:`is_model_card`); a project's own README.md at the top of a repository is skipped, and
said so. With ``skip_non_cards`` (the hooks and the Action, which pass every changed file by
name) the same holds for a README.md named on the command line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cardguard.record import Record, factory

TYPE_CHECKING = False  # typing is imported for type checkers only (cold start)
if TYPE_CHECKING:
    from typing import Callable

    from cardguard.artifacts.remote import HubSource

CARD_NAME = "README.md"
_SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}


class TargetError(Exception):
    """A path cannot be used; the CLI prints it as one line and exits 2."""


class Target(Record, frozen=True):
    card: Path  # the README.md (it may not exist: a model folder without a card)
    model_dir: Path
    display: str  # the card's path as findings show it
    # A Hub repo checked as it stands (cardguard/run/hub_targets.py): what findings show instead
    # of the temporary model folder ("hf://ORG/NAME@SHA"), and where its weights are read from.
    display_root: str | None = None
    hub: HubSource | None = None
    # The highest folder whose configuration applies (a Hub repo's copy: the repo's root, so
    # no file that happens to lie above the temporary folder configures it); None: up to /.
    config_top: Path | None = None


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    return _shown(os.path.abspath(path))


def shown_in(target: Target, path: Path) -> str:
    """A file of the target's model folder as findings show it: :func:`display_path`, or below
    the target's ``display_root`` (``hf://ORG/NAME@SHA/...``) when it has one."""
    if target.display_root is None:
        return display_path(path)
    root, relative = target.display_root, os.path.relpath(path, target.model_dir).replace(os.sep, "/")
    while relative.startswith("../"):  # above the model folder: a Hub repo's root configuration
        root, relative = root.rsplit("/", 1)[0], relative[3:]
    return f"{root}/{relative}"


def _shown(absolute: str, cwd: str | None = None) -> str:
    """:func:`display_path` of a path already made absolute; ``cwd``, the working directory
    when the caller has it (a batch asks the system once, not once per card)."""
    cwd = cwd or os.getcwd()
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    shown = absolute[len(prefix):] if absolute.startswith(prefix) else absolute
    return shown.replace(os.sep, "/")


class Selection(Record):
    """The cards to check, and the README.md files passed over as not model cards."""

    targets: list[Target] = factory(list)
    skipped: list[str] = factory(list)  # display paths


NOT_A_CARD = "skipped, not a model card (no model metadata in its front matter, no model files beside it)"


def find_targets(paths: list[str]) -> list[Target]:
    """The cards behind ``paths``, in the order first met, without duplicates."""
    return select_targets(paths).targets


def select_targets(paths: list[str], skip_non_cards: bool = False,
                   configured: Callable[[Path], bool | None] | None = None) -> Selection:
    """The cards behind ``paths`` and the README.md files skipped as not model cards.

    ``configured(card)``: the configuration's answer for one README.md (``model-card = true |
    false``), or None to let :func:`is_model_card` decide."""
    seen: set[str] = set()  # absolute paths, normalised
    selection = Selection()
    is_card = _CardTest(configured)
    cwd = os.getcwd()
    # One Path object per model folder: the run's caches (run/validate.py's ConfigCache) are
    # keyed by folder, and a lookup that finds the very same object compares no path parts.
    folders: dict[Path, Path] = {}
    for raw in paths or ["."]:
        for card, named in _cards_for(Path(raw), is_card):
            key = os.path.abspath(card)
            if key in seen:
                continue
            seen.add(key)
            if (skip_non_cards or not named) and not is_card(card):
                selection.skipped.append(_shown(key, cwd))
            else:
                folder = card.parent
                selection.targets.append(Target(card, folders.setdefault(folder, folder), _shown(key, cwd)))
    return selection


def _cards_for(path: Path, is_card: _CardTest) -> list[tuple[Path, bool]]:
    """The candidate cards behind one path, each with whether the path named it."""
    if _is_dir(path):
        top = path / CARD_NAME
        if top.exists() and is_card(top):
            return [(top, False)]
        found = sorted(_walk_for_cards(path))
        if not found:
            raise TargetError(f"{path}: no {CARD_NAME} found in this folder or below it")
        if not _any_card(found, is_card):
            raise TargetError(f"{path}: no model card found in this folder or below it "
                              f"({display_path(found[0])}: {NOT_A_CARD})")
        return [(card, False) for card in found]
    if path.name == CARD_NAME or path.suffix.lower() in (".md", ".markdown"):
        return [(path, True)]  # a card given by name, whatever it is called
    owner = _owning_model_dir(path)
    return [(owner / CARD_NAME, False)] if owner is not None else []


def _is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder (a link to one included): one look at the path, the same
    answer as ``os.path.lexists`` then ``Path.is_dir``. TargetError when nothing is there."""
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):  # as os.path.lexists: what cannot be looked at is not there
        raise TargetError(f"{path}: no such file or directory") from None
    if stat.S_ISLNK(mode):
        return path.is_dir()
    return stat.S_ISDIR(mode)


def _any_card(found: list[Path], is_card: _CardTest) -> bool:
    return any(is_card(card) for card in found)


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


# -- what a model card is -------------------------------------------------------------------------

# Files only a model repository holds (transformers, sentence-transformers, PEFT, diffusers,
# timm, GGUF / ONNX exports, Trainer's outputs) and the Hub's evaluation-results folder.
MODEL_FILE_NAMES = frozenset({
    "config.json", "adapter_config.json", "modules.json", "config_sentence_transformers.json",
    "sentence_bert_config.json", "model_index.json", "generation_config.json", "tokenizer_config.json",
    "trainer_state.json", "training_args.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json",
    "tf_model.h5", "flax_model.msgpack", ".eval_results",
})
MODEL_FILE_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".ckpt", ".nemo")
MODEL_BIN_PREFIXES = ("pytorch_model", "adapter_model")  # pytorch_model-00001-of-00002.bin
FRONT_MATTER_READ_BYTES = 64 * 1024  # the keys that make a card sit at its top


class _CardTest:
    """Whether a README.md is a model card: the configuration's answer, else
    :func:`is_model_card`'s; each asked once per README.md in a run."""

    def __init__(self, configured: Callable[[Path], bool | None] | None) -> None:
        self._configured = configured
        self._answers: dict[str, bool] = {}
        self._keys: frozenset[str] | None = None  # the schema's keys, read once, when first needed

    def __call__(self, card: Path) -> bool:
        key = os.path.abspath(card)
        if key not in self._answers:
            answer = self._configured(card) if self._configured is not None else None
            self._answers[key] = self._holds_a_card(card) if answer is None else answer
        return self._answers[key]

    def _holds_a_card(self, card: Path) -> bool:
        if _has_model_files(card.parent):
            return True
        if self._keys is None:
            self._keys = model_card_keys()
        return _front_matter_verdict(card, self._keys) is not False


def is_model_card(card: Path) -> bool:
    """True when ``card`` has model metadata or model files lie beside it; also when that cannot
    be told (unreadable, not UTF-8, a link), so validate reports what is wrong with it."""
    return _CardTest(None)(card)


def _has_model_files(folder: Path) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(_is_model_file(name) for name in names)


def _is_model_file(name: str) -> bool:
    lowered = name.lower()
    return (lowered in MODEL_FILE_NAMES or lowered.endswith(MODEL_FILE_SUFFIXES)
            or (lowered.endswith(".bin") and lowered.startswith(MODEL_BIN_PREFIXES)))


def _front_matter_verdict(card: Path, known_keys: frozenset[str]) -> bool | None:
    """True: the card's metadata names one of ``known_keys``; False: it does not, or the file
    has no metadata block at all; None: it cannot be told here (not UTF-8 text, a block that
    does not read as metadata, a misplaced or near-miss block), so validate says what is wrong.

    The card is read by the card reader itself (cardguard.card.reader), so "has metadata" means what
    it means everywhere else in cardguard."""
    text = _head_text(card)
    if text is None:
        return None
    from cardguard.card.reader import read_front_matter

    parsed = read_front_matter(text, card.name)
    metadata = parsed.metadata
    if metadata is not None:
        return any(isinstance(key, str) and _normal_key(key) in known_keys for key in metadata)
    if parsed.front_matter is not None or any(f.code in _FRONT_MATTER_TROUBLE for f in parsed.findings):
        return None
    return False


# The card reader's findings for a block that is there but unusable: unterminated, misplaced
# below other text, opened by a near-miss delimiter.
_FRONT_MATTER_TROUBLE = frozenset({"CG004", "CG012", "CG013"})


def _head_text(card: Path) -> str | None:
    """The first FRONT_MATTER_READ_BYTES of a regular file named without links, as text."""
    if os.path.islink(card):
        return None
    try:
        head = _read_head(card)
    except OSError:
        return None
    if head is None:
        return None
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        cut_by_the_bound = len(head) == FRONT_MATTER_READ_BYTES and error.start >= len(head) - 4
        if not cut_by_the_bound:
            return None
        return head[:error.start].decode("utf-8-sig")


def _read_head(card: Path) -> bytes | None:
    """Up to FRONT_MATTER_READ_BYTES of ``card``; None when it is not a regular file (a FIFO is
    opened without waiting for a writer, a folder is not read)."""
    descriptor = os.open(card, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        chunks: list[bytes] = []
        wanted = FRONT_MATTER_READ_BYTES
        while wanted > 0:
            chunk = os.read(descriptor, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _normal_key(key: str) -> str:
    return key.lower().replace("-", "_").replace("licence", "license")


def model_card_keys() -> frozenset[str]:
    """The keys of the Hub's model-card metadata (the shipped schema's properties), normalised."""
    import json

    from cardguard.resources import data_dir

    schema = json.loads((data_dir("schemas") / "model-card-metadata.schema.json").read_text(encoding="utf-8"))
    return frozenset(_normal_key(key) for key in schema["properties"]) - _COMMON_IN_OTHER_FRONT_MATTER


# A key the Hub knows that documentation sites' front matter (Jekyll, Hugo, MkDocs) also uses.
_COMMON_IN_OTHER_FRONT_MATTER = frozenset({"description"})
