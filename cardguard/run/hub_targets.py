"""``hf://ORG/NAME[@REVISION]`` targets: a Hub repo checked as it stands, without a clone.

Each such target is materialised (cardguard/artifacts/hub_repo.py) into a private temporary
folder that lives as long as the run, and becomes an ordinary :class:`Target` whose shown paths
are ``hf://ORG/NAME@SHA/...`` and whose LFS-pointer weights are read from the repo at that commit.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from cardguard.settings.targets import CARD_NAME, Target, TargetError

HF_SCHEME = "hf://"


def is_hub_target(path: str) -> bool:
    return path.startswith(HF_SCHEME)


def parse_hub_target(spec: str) -> tuple[str, str | None]:
    """``hf://ORG/NAME[@REVISION]`` -> (``ORG/NAME``, ``REVISION`` or None)."""
    repo_id, at, revision = spec[len(HF_SCHEME):].partition("@")
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or (at and not revision):
        raise TargetError(f"{spec}: not a Hub model repo; write hf://ORG/NAME or hf://ORG/NAME@REVISION")
    return repo_id, revision or None


def hub_target(spec: str, stack: ExitStack) -> Target:
    """The target of one ``hf://`` spec; its folder is removed when ``stack`` closes."""
    import tempfile  # here, not at the top: a hook's cold start never needs it

    from cardguard.artifacts.hub_repo import HubRepoError, materialise

    repo_id, revision = parse_hub_target(spec)
    into = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cardguard-hf-")))
    try:
        done = materialise(repo_id, revision, into)
    except HubRepoError as error:
        raise TargetError(str(error)) from None
    return Target(done.folder / CARD_NAME, done.folder, done.display_prefix + CARD_NAME,
                  display_root=done.display_prefix.rstrip("/"), hub=done.source)
