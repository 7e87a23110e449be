"""A Hub repository as a local "virtual model folder", so ``hf://ORG/NAME`` runs the local pipeline.

``materialise`` lists the repo at one revision (sizes and Git LFS info of every file, one
request), downloads only the small files cardguard reads, each after its listed size was
checked against cardguard's bound for that kind of file, and writes for each ``.safetensors``
file a Git LFS pointer built from the listing. The folder then reads like a clone without LFS
content, and ``HubSource(repo, commit sha)`` lets remote.py range-read the headers those
pointers stand for. Weights are never downloaded. Checking the folder gives the same findings
as checking a clone: only the shown paths differ (``hf://ORG/NAME@SHA/...``).

It lives in artifacts/ beside remote.py, which it feeds: both turn a Hub repo into what the
artifact readers read (DESIGN.md: "hf://repo -> artifacts/"). huggingface_hub is imported here
only, and supplies auth (``HF_TOKEN``, the saved login), the endpoint (``HF_ENDPOINT``) and the
offline switch. Every failure it reports is a ``HubRepoError`` with a one-line message.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from cardguard.artifacts.remote import HubSource
from cardguard.limits import MAX_CARD_BYTES, Limits
from cardguard.record import Record, factory

CARD_NAME = "README.md"
# The files the artifact readers (cardguard/artifacts/) open by name at the top of a model folder.
TOP_LEVEL_JSON = frozenset({
    "config.json", "generation_config.json", "tokenizer_config.json", "chat_template.json",
    "trainer_state.json", "all_results.json", "train_results.json", "eval_results.json", "test_results.json",
    "adapter_config.json", "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
})
# ... and the configuration cardguard reads beside a card, so the repo is checked as its authors set it.
TOP_LEVEL_TEXT = frozenset({"chat_template.jinja", "emissions.csv", ".cardguard.toml", "pyproject.toml"})
TRAINING_ARGS = "training_args.bin"
# sentence-transformers modules keep their configuration one folder down (e.g. 1_Pooling/config.json).
MODULE_CONFIGS = frozenset({"config.json", "sentence_bert_config.json"})
EVAL_RESULTS_FOLDER = ".eval_results"


class HubRepoError(Exception):
    """The repo cannot be read: missing, private, gated, a missing revision, offline, rate
    limited, timed out. The message is one line, for the CLI's exit 2."""


class ListedFile(Record, frozen=True):
    path: str
    size: int
    lfs_sha256: str | None = None  # the oid of a file stored with Git LFS


class Materialised(Record):
    folder: Path
    source: HubSource
    display_prefix: str  # "hf://ORG/NAME@SHA/", what findings show instead of the folder
    downloaded: list[str] = factory(list)
    pointers: list[str] = factory(list)
    over_bound: list[str] = factory(list)  # listed, wanted, but too large: not downloaded


def materialise(repo_id: str, revision: str | None, into: Path, limits: Limits | None = None) -> Materialised:
    """Write the virtual model folder of ``repo_id`` at ``revision`` (default: main) under
    ``into`` (an empty private folder the caller owns and removes)."""
    limits = limits or Limits()
    sha, listing = list_repo_files(repo_id, revision)
    folder = into / "model"
    folder.mkdir(parents=True)
    source = HubSource(repo_id, sha)
    result = Materialised(folder, source, f"hf://{repo_id}@{sha}/")
    for listed in listing:
        if listed.path.endswith(".safetensors"):
            write_pointer(folder, listed)
            result.pointers.append(listed.path)
            continue
        bound = bound_for(listed.path, limits)
        if bound is None:
            continue
        if listed.size > bound:
            result.over_bound.append(listed.path)
            write_placeholder(folder, listed)
            continue
        download(source, listed.path, folder, into / "cache")
        result.downloaded.append(listed.path)
    return result


def bound_for(path: str, limits: Limits) -> int | None:
    """The size bound of a file cardguard reads, or None for a file it never downloads."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if len(parts) == 1:
        if name == CARD_NAME:
            return MAX_CARD_BYTES
        if name in TOP_LEVEL_JSON or name.endswith(".index.json"):
            return limits.max_json_bytes
        if name in TOP_LEVEL_TEXT:
            return limits.max_text_bytes
        if name == TRAINING_ARGS:
            return limits.max_pickle_bytes
        return None
    if len(parts) == 2 and parts[0] == EVAL_RESULTS_FOLDER and name.endswith((".yaml", ".yml")):
        return limits.max_text_bytes
    if len(parts) == 2 and name in MODULE_CONFIGS:
        return limits.max_json_bytes
    return None


def write_pointer(folder: Path, listed: ListedFile) -> None:
    """A Git LFS pointer (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md) for a file
    the listing describes; a file the Hub keeps outside LFS gets no oid we could name, so it is
    pointed at by its size with an empty oid, which the readers do not use."""
    target = safe_target(folder, listed.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{listed.lfs_sha256 or ''}\nsize {listed.size}\n",
        encoding="ascii")


def write_placeholder(folder: Path, listed: ListedFile) -> None:
    """A file of the listed size that holds no data (sparse on every common file system): the
    reader checks the size before it reads a byte, so it reports the file over its bound (CG311)
    exactly as for a clone."""
    target = safe_target(folder, listed.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "wb") as handle:
            handle.truncate(listed.size)
    except (OSError, OverflowError) as error:
        raise HubRepoError(f"{listed.path}: the listed size {listed.size} cannot be stood for: {error}") from None


def safe_target(folder: Path, path: str) -> Path:
    """Where a listed file goes inside ``folder``; a path that would leave it is refused."""
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise HubRepoError(f"the Hub listed a file path cardguard will not write: {path!r}")
    return folder.joinpath(*parts)


def list_repo_files(repo_id: str, revision: str | None) -> tuple[str, list[ListedFile]]:
    """The commit sha ``revision`` resolves to, and every file of the repo there."""
    from huggingface_hub import HfApi

    info = hub_call(repo_id, revision, lambda: HfApi().model_info(repo_id, revision=revision, files_metadata=True))
    sha = getattr(info, "sha", None)
    if not isinstance(sha, str) or not sha:
        raise HubRepoError(f"hf://{repo_id}: the Hub named no commit for revision {revision or 'main'}")
    return sha, [listed_file(sibling) for sibling in info.siblings or []]


def listed_file(sibling: Any) -> ListedFile:
    lfs = getattr(sibling, "lfs", None)
    size = lfs.size if lfs is not None else sibling.size
    if not isinstance(size, int) or size < 0:
        raise HubRepoError(f"the Hub listed {sibling.rfilename!r} without a size")
    return ListedFile(sibling.rfilename, size, lfs.sha256 if lfs is not None else None)


def download(source: HubSource, path: str, folder: Path, cache: Path) -> None:
    from huggingface_hub import hf_hub_download

    target = safe_target(folder, path)
    fetched = hub_call(source.repo_id, source.revision, lambda: hf_hub_download(
        source.repo_id, path, revision=source.revision, cache_dir=cache, etag_timeout=source.request_timeout))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fetched, target)


def hub_call(repo_id: str, revision: str | None, call: Any) -> Any:
    """``call()``, with every huggingface_hub or HTTP failure turned into one HubRepoError line."""
    try:
        return call()
    except HubRepoError:
        raise
    except Exception as error:  # huggingface_hub's errors, httpx's, OSError: all mean "cannot read"
        raise HubRepoError(describe_failure(repo_id, revision, error)) from None


def describe_failure(repo_id: str, revision: str | None, error: Exception) -> str:
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    where = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
    status = getattr(getattr(error, "response", None), "status_code", None)
    # Order matters: GatedRepoError is a RepositoryNotFoundError, both are HfHubHTTPErrors.
    if isinstance(error, GatedRepoError):
        return f"{where}: the repo is gated: accept its conditions on the Hub and log in (HF_TOKEN)"
    if isinstance(error, RevisionNotFoundError):
        return f"{where}: no such revision"
    if isinstance(error, RepositoryNotFoundError):
        return f"{where}: no such repo, or it is private and the token (HF_TOKEN or the saved login) cannot read it"
    if isinstance(error, OfflineModeIsEnabled):
        return f"{where}: not read: HF_HUB_OFFLINE is set"
    if status == 401:
        return f"{where}: not authorised (HTTP 401): check HF_TOKEN or the saved login"
    if status == 429:
        retry = error.response.headers.get("Retry-After")
        return f"{where}: rate limited by the Hub (HTTP 429)" + (f"; retry after {retry} s" if retry else "")
    if isinstance(error, HfHubHTTPError) and status is not None:
        return f"{where}: the Hub answered HTTP {status}"
    if "timeout" in type(error).__name__.lower() or isinstance(error, TimeoutError):
        return f"{where}: the Hub did not answer in time ({type(error).__name__})"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{where}: not read: {type(error).__name__}" + (f": {first_line}" if first_line else "")
