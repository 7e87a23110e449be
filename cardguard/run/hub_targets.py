"""``hf://ORG/NAME[@REVISION][/SUBFOLDER]`` targets: a Hub repo checked as it stands, without a clone.

Each such target is materialised (cardguard/artifacts/hub_repo.py) into a private temporary
folder that lives as long as the run, and becomes an ordinary :class:`Target` whose shown paths
are ``hf://ORG/NAME@SHA/...`` and whose LFS-pointer weights are read from the repo at that commit.
Only the repo's own configuration applies to it (``config_top``: its root), or ``--config``.

A revision holding ``/`` is written with ``%2F`` (``@refs%2Fpr%2F3``); ``refs/pr/N``, the Hub's
pull requests, may also be written as it is (``@refs/pr/3/SUBFOLDER``).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from cardguard.record import Record
from cardguard.settings.targets import CARD_NAME, Target, TargetError

TYPE_CHECKING = False  # typing is imported for type checkers only (cold start)
if TYPE_CHECKING:
    from cardguard.artifacts.hub_repo import Materialised

HF_SCHEME = "hf://"
MAX_NAME_CHARS = 96  # the Hub's bound on an organisation's or a repo's name
USAGE = "write hf://ORG/NAME, hf://ORG/NAME@REVISION or hf://ORG/NAME[@REVISION]/SUBFOLDER"


class HubSpec(Record, frozen=True):
    repo_id: str  # ORG/NAME
    revision: str | None = None  # None: main
    subfolder: str = ""  # the model's folder inside the repo; "" for its root


def is_hub_target(path: str) -> bool:
    return path.startswith(HF_SCHEME)


def parse_hub_spec(spec: str) -> HubSpec:
    """``hf://ORG/NAME[@REVISION][/SUBFOLDER]`` as its parts; TargetError when it is none."""
    from urllib.parse import unquote  # here: a local run never needs it

    org, _, rest = spec[len(HF_SCHEME):].rstrip("/").partition("/")
    name_and_revision, _, subfolder = rest.partition("/")
    name, at, revision = name_and_revision.partition("@")
    if at and revision == "refs" and subfolder.startswith("pr/"):  # refs/pr/N, written as it is
        number, _, subfolder = subfolder[len("pr/"):].partition("/")
        revision = f"refs/pr/{number}"
    revision = unquote(revision)
    if not (is_hub_name(org) and is_hub_name(name)) or (at and not revision.strip()) or not is_subfolder(subfolder):
        raise TargetError(f"{spec}: not a Hub model repo; {USAGE}")
    return HubSpec(f"{org}/{name}", revision or None, subfolder)


def parse_hub_target(spec: str) -> tuple[str, str | None]:
    """``hf://ORG/NAME[@REVISION]`` -> (``ORG/NAME``, ``REVISION`` or None); a subfolder is refused
    (:func:`parse_hub_spec` reads it)."""
    parsed = parse_hub_spec(spec)
    if parsed.subfolder:
        raise TargetError(f"{spec}: a subfolder of a Hub repo cannot be used here; name the repo itself")
    return parsed.repo_id, parsed.revision


def is_hub_name(name: str) -> bool:
    """Letters, digits, ``-``, ``_``, ``.``, as the Hub allows in an organisation or repo name."""
    allowed = all(c.isascii() and (c.isalnum() or c in "-_.") for c in name)
    return allowed and 0 < len(name) <= MAX_NAME_CHARS and name not in (".", "..")


def is_subfolder(subfolder: str) -> bool:
    return not subfolder or all(is_folder_name(part) for part in subfolder.split("/"))


def is_folder_name(part: str) -> bool:
    return part not in ("", ".", "..") and all(c.isprintable() and c != "\\" for c in part)


def hub_target(spec: str, stack: ExitStack) -> Target:
    """The target of one ``hf://`` spec; its folder is removed when ``stack`` closes."""
    import tempfile  # here, not at the top: a hook's cold start never needs it

    from cardguard.artifacts.hub_repo import HubRepoError, materialise

    parsed = parse_hub_spec(spec)
    into = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cardguard-hf-")))
    try:
        done = materialise(parsed.repo_id, parsed.revision, into, subfolder=parsed.subfolder)
        fetch_named_schemas(done)
    except HubRepoError as error:
        raise TargetError(str(error)) from error  # the cause tells an audit how long a 429 asked to wait
    return Target(done.folder / CARD_NAME, done.folder, done.display_prefix + CARD_NAME,
                  display_root=done.display_prefix.rstrip("/"), hub=done.source, config_top=done.root)


def fetch_named_schemas(done: Materialised) -> None:
    """Copy the organisation schemas the repo's configuration names (``schema = "..."``, also
    in overrides), which the run then reads as in a clone. A configuration that cannot be read
    is left for the run to report."""
    from cardguard.artifacts.hub_repo import fetch_more
    from cardguard.settings.config import SCHEMA_MAX_BYTES, ConfigError, find_config_file, load_config

    source = find_config_file(done.folder, top=done.root)
    if source is None:
        return
    try:
        config = load_config(source, done.root)
    except ConfigError:
        return
    named = [config.base.schema] + [source.parent / override.values["schema"] for override in config.overrides
                                    if isinstance(override.values.get("schema"), str)]
    for schema in named:
        if schema is not None:
            fetch_more(done, schema, SCHEMA_MAX_BYTES)
