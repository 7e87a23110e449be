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
from cardguard.safe_paths import NotRegularFile, open_regular_unguarded, read_descriptor

TYPE_CHECKING = False  # typing is imported for type checkers only (cold start)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
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
    # Keyed by the folder as the card's path names it (``str(card.parent)``, "" for "."): a
    # string, so the folder's Path is made once per folder rather than once per card.
    folders: dict[str, Path] = {}
    for raw in paths or ["."]:
        # a walk's cards in Path order (a path that names a card gives just that one)
        for card, verdict in sorted(_cards_for(Path(raw), is_card), key=_card_of):
            key = os.path.abspath(card)
            if key in seen:
                continue
            seen.add(key)
            if verdict is None and skip_non_cards:
                verdict = is_card(card)
            if verdict is False:
                selection.skipped.append(_shown(key, cwd))
                continue
            named_folder = os.path.dirname(card)
            folder = folders.get(named_folder)
            if folder is None:
                folder = folders[named_folder] = card.parent
            selection.targets.append(Target(card, folder, _shown(key, cwd)))
    return selection


def _cards_for(path: Path, is_card: Callable[[Path], bool]) -> Iterable[tuple[Path, bool | None]]:
    """The candidate cards behind one path, each with whether it is a model card (``is_card``'s
    answer, asked once here), or None for a card the path names (checked whatever it holds;
    asked only with ``skip_non_cards``). A folder is its own README.md when that is a model
    card, else every README.md below it, found lazily (:func:`_walked_cards`)."""
    if not _is_dir(path):
        return [(card, None if named else is_card(card)) for card, named in _named_or_owned(path)]
    top = _top_card(path, is_card)
    if top is not None:
        return [(top, True)]
    return _walked_cards(path, is_card)


def _walked_cards(folder: Path, is_card: Callable[[Path], bool]) -> Iterator[tuple[Path, bool]]:
    """Every README.md below ``folder`` in walk order, each with whether it is a model card;
    TargetError when the walk ends without finding one."""
    first_found: Path | None = None  # the one the error names: the least in Path order
    any_card = False
    for card in _walk_for_cards(folder):
        first_found = card if first_found is None else min(first_found, card)
        verdict = is_card(card)
        any_card = any_card or verdict
        yield card, verdict
    if first_found is None:
        raise _nothing_below(folder)
    if not any_card:
        raise _no_card_below(folder, first_found)


def _card_of(candidate: tuple[Path, bool | None]) -> Path:
    return candidate[0]


def _top_card(folder: Path, is_card: Callable[[Path], bool]) -> Path | None:
    """The folder's own README.md when it is a model card (then nothing below it is looked for)."""
    top = folder / CARD_NAME
    return top if top.exists() and is_card(top) else None


def _named_or_owned(path: Path) -> list[tuple[Path, bool]]:
    """The candidate card behind a path that is not a folder, with whether the path named it."""
    if path.name == CARD_NAME or path.suffix.lower() in (".md", ".markdown"):
        return [(path, True)]  # a card given by name, whatever it is called
    owner = _owning_model_dir(path)
    return [(owner / CARD_NAME, False)] if owner is not None else []


def _nothing_below(path: Path) -> TargetError:
    return TargetError(f"{path}: no {CARD_NAME} found in this folder or below it")


def _no_card_below(path: Path, first_found: Path) -> TargetError:
    return TargetError(f"{path}: no model card found in this folder or below it "
                       f"({display_path(first_found)}: {NOT_A_CARD})")


# -- the same cards as a stream (audit: a fleet's listing that does not grow with the fleet) -------

def folder_order(shown: str) -> tuple[str, ...]:
    """The order of folders as shown (and of Hub ids): by their parts, the order a depth-first
    walk with each folder's entries sorted meets them in ("a/b" before "a-c", unlike plain string
    order, where "-" sorts before "/")."""
    return tuple(shown.split("/"))


def stream_targets(paths: list[str], is_card: Callable[[Path], bool] | None = None) -> Iterator[Target]:
    """The model cards :func:`select_targets` takes from ``paths`` (with neither ``skip_non_cards``
    nor a configuration), one at a time, in :func:`folder_order` of their folders as shown, each
    once. The walk holds the folders of its current branch, never the list of cards.

    ``is_card``: asked instead of :func:`is_model_card` (once per README.md a walk meets; the
    default remembers no answer). A path that holds no card raises TargetError when the stream
    reaches it: the first ``next`` reaches every path."""
    import heapq

    test = is_card or card_test()
    cwd = os.getcwd()
    streams = [_ordered_targets(Path(raw), test, cwd) for raw in paths or ["."]]
    previous: str | None = None
    # each path's stream is in order: merging them holds one card per path; a card under two
    # of the paths comes from both in a row
    for _, target in heapq.merge(*streams, key=lambda entry: entry[0]):
        if target.display != previous:
            previous = target.display
            yield target


def card_test() -> Callable[[Path], bool]:
    """:func:`is_model_card`, reusable (the schema's keys read once), remembering no answer."""
    return _CardTest(None).answer


def _ordered_targets(path: Path, is_card: Callable[[Path], bool], cwd: str,
                     ) -> Iterator[tuple[tuple[tuple[str, ...], str], Target]]:
    """The targets behind one path, each with its place in the order (its folder, then its card)."""
    keyed = (_keyed_target(card, cwd) for card in _stream_cards_for(path, is_card))
    if _holds_working_folder(path, cwd):
        # Below such a path, folders inside the working folder show relative, the others
        # absolute: the walk's order is not the order shown, so this path's list is sorted.
        return iter(sorted(keyed, key=lambda entry: entry[0]))
    return keyed


def _holds_working_folder(path: Path, cwd: str) -> bool:
    above = os.path.abspath(path)
    return cwd.startswith(above if above.endswith(os.sep) else above + os.sep)


def _keyed_target(card: Path, cwd: str) -> tuple[tuple[tuple[str, ...], str], Target]:
    folder = card.parent
    target = Target(card, folder, _shown(os.path.abspath(card), cwd))
    return (folder_order(_shown(os.path.abspath(folder), cwd)), target.display), target


def _stream_cards_for(path: Path, is_card: Callable[[Path], bool]) -> Iterator[Path]:
    """:func:`_cards_for`'s cards that select_targets keeps, in walk order."""
    return (card for card, verdict in _cards_for(path, is_card) if verdict is not False)


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


def _walk_for_cards(root: Path) -> Iterator[Path]:
    """Every README.md at or below ``root``, one at a time: depth first, a folder's own before
    its subfolders', these in name order (os.walk visits the sorted list it is handed back)."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith("."))
        if CARD_NAME in filenames:
            yield Path(folder) / CARD_NAME


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
            self._answers[key] = self.answer(card)
        return self._answers[key]

    def answer(self, card: Path) -> bool:
        """The answer for ``card``, asked afresh and not remembered."""
        answer = self._configured(card) if self._configured is not None else None
        return self._holds_a_card(card) if answer is None else answer

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
    try:
        descriptor = open_regular_unguarded(card, follow_links=False)
    except NotRegularFile:
        return None
    try:
        return read_descriptor(descriptor, FRONT_MATTER_READ_BYTES)
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
