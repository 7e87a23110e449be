"""``cardguard sync --hub ORG/NAME``: sync a Hub repo's card and propose the change as a Hub PR.

The API (``cardguard.sync_hub``) materialises the repo as ``hf://`` targets are (a temporary
folder: run/hub_targets.py) and runs ``sync`` there; this module keeps what sync changed in the
card files (README.md, ``.eval_results/*.yaml`` and the figures a region shows, such as
``assets/training_curves.svg``: the only files sync writes) and sends those files, and only
those, as one commit on a new Hub pull request. The pull request is made from the commit the
card was synced from (``parent_commit`` with ``create_pr``, as huggingface_hub documents it), so it changes exactly what sync changed even when the branch moved on meanwhile;
the Hub shows a conflict if the same lines changed since. Nothing changed: no request is made after the read. A bot runs this on a
schedule: when an open pull request of the same title already holds exactly these files, it is
named again and no second one is opened.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cardguard.artifacts.hub_repo import hub_call
from cardguard.record import Record, factory
from cardguard.run.push import Sent, hub_write
from cardguard.run.results import Report

CARD_NAME = "README.md"
EVAL_RESULTS_FOLDER = ".eval_results"
DEFAULT_PR_TITLE = "cardguard sync: bring the model card in line with the checkpoint"


class HubSyncResult(Record, frozen=True):
    """What ``cardguard.sync_hub`` did: sync's report on the repo's card (paths shown as
    ``hf://ORG/NAME@SHA/...``, each card's ``diff`` the change), the files it changed and, with
    ``create_pr``, the pull request that proposes them."""

    report: Report
    repo_id: str
    commit: str  # the commit the card was read and synced from
    changed: tuple[str, ...] = ()  # repo paths sync changed (README.md, .eval_results/*.yaml, figures)
    pr_url: str | None = None  # the pull request opened (create_pr and something changed)
    commit_url: str | None = None
    already_proposed: bool = False  # pr_url is an open pull request that already held the change


class CardSnapshot(Record):
    """The card files of a model folder, before and after sync rewrites them."""

    folder: Path
    before: dict[str, bytes] = factory(dict)
    after: dict[str, bytes] = factory(dict)

    def take_before(self) -> None:
        self.before = card_files(self.folder)

    def take_after(self) -> None:
        self.after = card_files(self.folder)

    def changes(self) -> dict[str, bytes]:
        """Repo path -> new bytes, for every card file sync added or rewrote."""
        return {path: data for path, data in self.after.items() if self.before.get(path) != data}


def card_files(folder: Path) -> dict[str, bytes]:
    """README.md, ``.eval_results/*.yaml`` and the figures of ``folder`` by repo path (the files
    sync writes). The folder is a materialised Hub repo: each file there was checked against its
    size bound before it was downloaded, or written by sync."""
    paths = [folder / CARD_NAME, *sorted((folder / EVAL_RESULTS_FOLDER).glob("*.y*ml")), *figure_paths(folder)]
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in paths if path.is_file()}


def figure_paths(folder: Path) -> list[Path]:
    """The figures a region shows beside the card (the training-curves SVG), as materialised
    from the repo (hub_repo.FIGURE_FILES) or drawn by sync: they travel with the card. One over
    the bound stands in the folder at its listed size without its bytes, so it is not read:
    when sync redraws it, the small new file is what is sent."""
    from cardguard.artifacts.hub_repo import FIGURE_DOWNLOAD_BYTES, FIGURE_FILES

    paths = [folder / relative for relative in sorted(FIGURE_FILES)]
    return [path for path in paths if path.is_file() and path.stat().st_size <= FIGURE_DOWNLOAD_BYTES]


def open_proposal(repo_id: str, title: str | None, changes: dict[str, bytes]) -> str | None:
    """The URL of an open pull request titled ``title`` whose files already hold ``changes``
    byte for byte (compared by git blob id, one listing per pull request of that title)."""
    from huggingface_hub import HfApi

    api = HfApi()
    wanted = {path: git_blob_id(data) for path, data in changes.items()}

    def find() -> str | None:
        for proposal in api.get_repo_discussions(repo_id, discussion_type="pull_request", discussion_status="open"):
            if proposal.title != (title or DEFAULT_PR_TITLE):
                continue
            info = api.model_info(repo_id, revision=proposal.git_reference, files_metadata=True)
            held = {sibling.rfilename: sibling.blob_id for sibling in info.siblings or []}
            if all(held.get(path) == blob_id for path, blob_id in wanted.items()):
                return proposal.url
        return None

    return hub_call(repo_id, None, find)


def git_blob_id(data: bytes) -> str:
    """The id git (and the Hub's file listing, ``blobId``) gives a file of these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def open_pull_request(repo_id: str, branch: str | None, parent: str, changes: dict[str, bytes],
                      title: str | None) -> Sent:
    """One commit holding ``changes``, on a new pull request against ``branch`` (default: main),
    made on top of ``parent``; a failure is one HubRepoError line."""
    from huggingface_hub import CommitOperationAdd, HfApi

    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=data) for path, data in sorted(changes.items())]

    def send() -> Sent:
        info = HfApi().create_commit(repo_id, operations, commit_message=title or DEFAULT_PR_TITLE,
                                     commit_description=describe_changes(repo_id, changes), revision=branch,
                                     create_pr=True, parent_commit=parent)
        return Sent(getattr(info, "commit_url", None), getattr(info, "pr_url", None))

    return hub_write(repo_id, branch, send)


def describe_changes(repo_id: str, changes: dict[str, bytes]) -> str:
    """The pull request's description: what changed, and how to see it again."""
    listed = "\n".join(f"- `{path}`" for path in sorted(changes))
    return ("`cardguard sync` rewrote the parts of the card it manages (the regions between its markers and "
            f"the managed metadata) from the checkpoint files of this repo:\n\n{listed}\n\n"
            f"Run `cardguard check hf://{repo_id}` to see the findings, or `cardguard sync` on a clone to reproduce it.")
