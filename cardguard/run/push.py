"""``cardguard push``: upload a model folder to the Hub only when its card passes the check.

The API (``cardguard.push``) runs ``sync`` (when asked) and ``check`` on the folder first; this
module lists what an upload would send and sends it through huggingface_hub's
``HfApi.upload_folder``, which supplies auth (``HF_TOKEN``, the saved login), the endpoint
(``HF_ENDPOINT``) and the offline switch. A refused push never reaches this module's upload:
the server sees no request at all. No hook on the Hub's side can refuse a push, so this guard
runs where the upload starts (docs/hub.md).
"""

from __future__ import annotations

from pathlib import Path

from cardguard.artifacts.hub_repo import HubRepoError, describe_hub_error
from cardguard.record import Record
from cardguard.run.results import Report

TYPE_CHECKING = False  # typing is imported for type checkers only
if TYPE_CHECKING:
    from collections.abc import Callable


class UploadFile(Record, frozen=True):
    path: str  # as it will be named in the repo ("1_Pooling/config.json")
    size: int  # bytes


class PushResult(Record, frozen=True):
    """What ``cardguard.push`` did: the check's report and, unless it refused, what was sent."""

    report: Report  # the check of the folder (after sync, with sync=True)
    files: tuple[UploadFile, ...]  # what was uploaded, or (refused, dry_run) would be
    refused: bool  # the check failed at fail_on: nothing was sent
    dry_run: bool = False  # nothing was sent: only listed
    synced: Report | None = None  # sync's report, with sync=True
    commit_url: str | None = None  # the commit made (None when nothing was sent)
    pr_url: str | None = None  # with create_pr: the Hub pull request opened

    @property
    def sent(self) -> bool:
        return not (self.refused or self.dry_run)


def upload_listing(folder: Path) -> tuple[UploadFile, ...]:
    """The files ``HfApi.upload_folder(folder_path=folder)`` would send, with their sizes: every
    file below ``folder`` (sorted, symlinks followed, as upload_folder lists them) but those its
    default ignore patterns leave out. The Hub client later skips a file the repo already holds
    unchanged; that needs the server, so it is not known here."""
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    on_disk = {path.relative_to(folder).as_posix(): path for path in sorted(folder.glob("**/*")) if path.is_file()}
    kept = filter_repo_objects(list(on_disk), ignore_patterns=list(DEFAULT_IGNORE_PATTERNS))
    return tuple(UploadFile(name, on_disk[name].stat().st_size) for name in kept)


def lfs_pointers(folder: Path, files: tuple[UploadFile, ...]) -> list[str]:
    """The files that are Git LFS pointers (a clone made without LFS content): uploaded, each
    would replace the file it stands for with its few lines of text."""
    from cardguard.artifacts.lfs import MAX_POINTER_BYTES, parse_lfs_pointer
    from cardguard.safe_paths import Refused, open_for_reading, read_up_to

    found = []
    for item in files:
        if item.size > MAX_POINTER_BYTES:
            continue
        try:
            handle, size = open_for_reading(folder / item.path, folder)
            with handle:
                head = read_up_to(handle, size, MAX_POINTER_BYTES)
        except (Refused, OSError):  # upload_folder will meet it too, and say so
            continue
        if parse_lfs_pointer(head) is not None:
            found.append(item.path)
    return found


class Sent(Record, frozen=True):
    commit_url: str | None
    pr_url: str | None


def upload(folder: Path, repo_id: str, *, revision: str | None, create_pr: bool,
           commit_message: str | None) -> Sent:
    """``upload_folder`` of the whole folder into ``repo_id``; a failure is one HubRepoError line."""
    from huggingface_hub import HfApi

    def send() -> Sent:
        info = HfApi().upload_folder(repo_id=repo_id, folder_path=folder, revision=revision, create_pr=create_pr,
                                     commit_message=commit_message)
        return Sent(getattr(info, "commit_url", None), getattr(info, "pr_url", None))

    return hub_write(repo_id, revision, send)


def hub_write(repo_id: str, revision: str | None, call: Callable[[], Sent]) -> Sent:
    """``call()``, with a failure of the write turned into one HubRepoError line."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 -- huggingface_hub's errors, httpx's, OSError: all mean "not sent"
        raise HubRepoError(describe_write_failure(repo_id, revision, error)) from None


def describe_write_failure(repo_id: str, revision: str | None, error: Exception) -> str:
    """The one line for a failed write: what differs from a failed read, else as a read says it."""
    from huggingface_hub.errors import (
        GatedRepoError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    where = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, OfflineModeIsEnabled):
        return f"{where}: nothing sent: HF_HUB_OFFLINE is set"
    if status == 403 and not isinstance(error, RepositoryNotFoundError):
        return f"{where}: not allowed to write (HTTP 403): the token (HF_TOKEN or the saved login) needs write access"
    if status == 401 and not isinstance(error, RepositoryNotFoundError):
        return f"{where}: not authorised to write (HTTP 401): check HF_TOKEN or the saved login"
    if isinstance(error, RepositoryNotFoundError) and not isinstance(error, GatedRepoError):
        return (f"{where}: no such repo, or the token (HF_TOKEN or the saved login) cannot see it; "
                "cardguard push does not create repos: create it first (`hf repo create`)")
    return describe_hub_error(where, error)
