"""A Hub repository as a local "virtual model folder", so ``hf://ORG/NAME`` runs the local pipeline.

``materialise`` lists the repo at one revision (sizes and Git LFS info of every file, one
request) and pins the commit that listing names: every later request asks for that commit, so
all files come from one revision. It downloads only the small files cardguard reads, each
after its listed size was checked against cardguard's bound for that kind of file, and writes
for each ``.safetensors`` file a Git LFS pointer built from the listing. The folder then reads
like a clone without LFS content, and ``HubSource(repo, commit sha)`` lets remote.py range-read
the headers those pointers stand for. Weights are never downloaded (a small safetensors file
git holds itself is the exception: it is one of the small files). Checking the folder gives the
same findings as checking a clone: only the shown paths differ (``hf://ORG/NAME@SHA/...``).

Every request is one streamed GET through huggingface_hub's own HTTP session and headers
(``get_session``, ``build_hf_headers``, ``hf_hub_url``: the endpoint from ``HF_ENDPOINT``, the
token from ``HF_TOKEN`` or the saved login, the offline switch, the user agent). A body is read
while it arrives and refused as soon as it passes its bound (a file's listed size, the
listing's bound), whatever its ``Content-Length`` says; nothing is decompressed. Each request
has a timeout and the whole repo a deadline (``HubLimits``, shortened by the run's
``--timeout``); a 429 is waited out only when its ``Retry-After`` is short and time is left.

It lives in artifacts/ beside remote.py, which it feeds: both turn a Hub repo into what the
artifact readers read (DESIGN.md: "hf://repo -> artifacts/"). huggingface_hub is imported here
only when a repo is read. Every failure is a ``HubRepoError`` with a one-line message.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from cardguard.artifacts.remote import (
    SHORT_HEADER,
    HubSource,
    rate_limit_message,
    retry_after,
)
from cardguard.budget import spent_message, time_left
from cardguard.limits import MAX_CARD_BYTES, HubLimits, Limits
from cardguard.record import Record, factory

TYPE_CHECKING = False  # typing is imported for type checkers only
if TYPE_CHECKING:
    from collections.abc import Callable

CARD_NAME = "README.md"
# The files the artifact readers (cardguard/artifacts/) open by name at the top of a model folder.
TOP_LEVEL_JSON = frozenset({
    "config.json", "generation_config.json", "tokenizer_config.json", "chat_template.json",
    "trainer_state.json", "all_results.json", "train_results.json", "eval_results.json", "test_results.json",
    "adapter_config.json", "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
})
TOP_LEVEL_TEXT = frozenset({"chat_template.jinja", "emissions.csv"})
# ... and what configures the checks of the folders below it, so the repo is checked as its
# authors set it: the configuration, and repository templates (cardguard/expect/render.py).
CONFIG_NAMES = frozenset({".cardguard.toml", "pyproject.toml"})
TEMPLATES_FOLDER = (".cardguard", "templates")
TEMPLATE_SUFFIX = ".md.j2"
TRAINING_ARGS = "training_args.bin"
# sentence-transformers modules keep their configuration one folder down (e.g. 1_Pooling/config.json).
MODULE_CONFIGS = frozenset({"config.json", "sentence_bert_config.json"})
EVAL_RESULTS_FOLDER = ".eval_results"
# The figures a region shows beside the card (cardguard/expect/curves.py's FIGURE_PATH): check
# compares them byte for byte, so a repo is read with them as a clone would be. One drawn from
# the longest log cardguard draws is under 1 MiB; a larger file stands at its size (it differs).
FIGURE_FILES = frozenset({"assets/training_curves.svg"})
FIGURE_DOWNLOAD_BYTES = 2 * 1024 * 1024


class HubRepoError(Exception):
    """The repo cannot be read: missing, private, gated, a missing revision, offline, rate
    limited, timed out. The message is one line, for the CLI's exit 2."""


class HubRateLimited(HubRepoError):
    """A 429 that one check did not wait out (a Retry-After too long for it, or retries spent):
    a caller with more patience, an audit, may wait ``retry_after`` seconds and ask again."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def rate_limit_of(error: BaseException | None) -> int | None:
    """The Retry-After of the HubRateLimited behind ``error`` (its chain of causes), or None."""
    while error is not None:
        if isinstance(error, HubRateLimited):
            return error.retry_after
        error = error.__cause__
    return None


class ListedFile(Record, frozen=True):
    path: str
    size: int
    lfs_sha256: str | None = None  # the oid of a file stored with Git LFS


class Materialised(Record):
    folder: Path  # the model folder: the copy of the repo's root, or of the subfolder asked for
    source: HubSource
    display_prefix: str  # "hf://ORG/NAME@SHA/[SUBFOLDER/]", what findings show instead of the folder
    root: Path  # the copy of the repo's root: no configuration above it applies
    reader: HubReader
    listed: dict[str, ListedFile] = factory(dict)  # the repo's files at the commit, by path
    downloaded: list[str] = factory(list)
    pointers: list[str] = factory(list)
    over_bound: list[str] = factory(list)  # listed, wanted, but too large: not downloaded


def materialise(repo_id: str, revision: str | None, into: Path, limits: Limits | None = None, *,
                hub_limits: HubLimits | None = None, subfolder: str = "") -> Materialised:
    """Write the virtual model folder of ``repo_id`` at ``revision`` (default: main) under
    ``into`` (an empty private folder the caller owns and removes). With ``subfolder`` (a
    model kept in a folder of the repo), the model folder is that folder's copy, and the
    configuration files of the folders above it, up to the repo's root, are copied too: they
    configure it as they would in a clone."""
    limits = limits or Limits()
    hub_limits = hub_limits or HubLimits()
    subfolder = subfolder.strip("/")
    reader = HubReader(repo_id, hub_limits)
    sha, listing = reader.listing(revision)
    root = into / "model"
    folder = safe_target(root, subfolder) if subfolder else root
    folder.mkdir(parents=True)
    source = HubSource(repo_id, sha, subfolder, request_timeout=hub_limits.request_seconds)
    result = Materialised(folder, source, f"hf://{repo_id}@{sha}/" + (f"{subfolder}/" if subfolder else ""), root,
                          reader, {listed.path: listed for listed in listing})
    for listed in in_subfolder(listing, subfolder, result.display_prefix):
        action = action_for(listed, limits, hub_limits, subfolder)
        if action == POINTER:
            write_pointer(root, listed)
            result.pointers.append(listed.path)
        elif action == PLACEHOLDER:
            write_placeholder(root, listed)
            result.over_bound.append(listed.path)
        elif action == DOWNLOAD:
            write_file(root, listed.path, reader.file(sha, listed))
            result.downloaded.append(listed.path)
    return result


def fetch_more(done: Materialised, copy_path: Path, bound: int) -> None:
    """Copy one more file of the repo to ``copy_path`` in the copy (the schema a configuration
    names, known only once the configuration is read), as materialise would have: downloaded
    when its listed size is under ``bound``, else standing at its size without its bytes. A
    path outside the copy, or one the repo does not hold, is left for the run to report."""
    relative = os.path.relpath(copy_path, done.root).replace(os.sep, "/")
    listed = done.listed.get(relative)
    if listed is None or relative in done.downloaded or relative.startswith("../"):
        return
    if listed.size > bound:
        write_placeholder(done.root, listed)
        done.over_bound.append(relative)
    else:
        write_file(done.root, relative, done.reader.file(done.source.revision, listed))
        done.downloaded.append(relative)


def in_subfolder(listing: list[ListedFile], subfolder: str, shown: str) -> list[ListedFile]:
    """The files of ``subfolder`` and the configuration files of the folders above it (all of
    the listing when it is the root); paths stay the repo's, as the folder mirrors it."""
    if not subfolder:
        return listing
    inside = [listed for listed in listing if listed.path.startswith(f"{subfolder}/")]
    if not inside:
        raise HubRepoError(f"{shown.rstrip('/')}: no such folder in the repo")
    above = folders_above(subfolder)
    return [listed for listed in listing if configures_below(listed.path, above)] + inside


def configures_below(path: str, folders: list[str]) -> bool:
    """Whether ``path`` is a setting file (:func:`is_setting_file`) of one of ``folders``."""
    for folder in folders:
        prefix = f"{folder}/" if folder else ""
        if path.startswith(prefix) and is_setting_file(path[len(prefix):]):
            return True
    return False


def is_setting_file(relative: str) -> bool:
    """``.cardguard.toml``, ``pyproject.toml`` or ``.cardguard/templates/NAME.md.j2`` of a folder."""
    parts = PurePosixPath(relative).parts
    if len(parts) == 1:
        return parts[0] in CONFIG_NAMES
    return len(parts) == 3 and parts[:2] == TEMPLATES_FOLDER and parts[2].endswith(TEMPLATE_SUFFIX)


def folders_above(subfolder: str) -> list[str]:
    """"a/b/c" -> ["", "a", "a/b"]: the repo's root and the folders between it and ``subfolder``."""
    parts = subfolder.split("/")
    return ["/".join(parts[:depth]) for depth in range(len(parts))]


# What materialise does with a listed file (None: nothing, no reader opens it).
DOWNLOAD, POINTER, PLACEHOLDER = "download", "pointer", "placeholder"


def action_for(listed: ListedFile, limits: Limits, hub_limits: HubLimits, subfolder: str = "") -> str | None:
    if listed.path.endswith(".safetensors"):
        held_by_git = listed.lfs_sha256 is None
        return DOWNLOAD if held_by_git and listed.size <= hub_limits.git_weights_bytes else POINTER
    if subfolder and not listed.path.startswith(f"{subfolder}/"):
        bound: int | None = limits.max_text_bytes  # a setting file of a folder above the model folder
    else:
        bound = bound_for(listed.path[len(subfolder) + 1:] if subfolder else listed.path, limits)
    if bound is None:
        return None
    return PLACEHOLDER if listed.size > bound else DOWNLOAD


def bound_for(path: str, limits: Limits) -> int | None:
    """The size bound of a file cardguard reads, or None for a file it never downloads."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if is_setting_file(path):
        return limits.max_text_bytes
    if path in FIGURE_FILES:
        return FIGURE_DOWNLOAD_BYTES
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
    the listing describes. A large safetensors file git holds itself (no LFS, so the listing
    gives no sha256 to name it by) is pointed at by its size with an empty oid: the pointer only
    tells remote.py to range-read its header, which it does for any file of the repo."""
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


def write_file(folder: Path, path: str, data: bytes) -> None:
    target = safe_target(folder, path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as error:  # a path listed both as a file and as a folder, a name too long
        raise HubRepoError(f"{path!r}, as the Hub listed it, cannot be written here: {error.strerror or error}") from None


def safe_target(folder: Path, path: str) -> Path:
    """Where a listed file goes inside ``folder``; a path that would leave it is refused."""
    parts = PurePosixPath(path).parts
    if (not parts or PurePosixPath(path).is_absolute() or "\0" in path
            or any(part in ("", ".", "..") for part in parts)):
        raise HubRepoError(f"the Hub listed a file path cardguard will not write: {path!r}")
    return folder.joinpath(*parts)




# -- the HTTP side: one streamed GET per file, bounded in bytes and time ---------------------------

COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
LFS_SHA256 = re.compile(r"[0-9a-f]{64}")
# A listed size above this (1 PiB) is no file a repo holds: the listing is refused.
MAX_LISTED_SIZE = 2**50
# The one 401 the Hub sends for a token it does not know, rather than for a repo it hides
# (the message huggingface_hub's hf_raise_for_status tells the two apart by).
UNKNOWN_TOKEN_MESSAGE = "Invalid credentials in Authorization header"


class HubReader:
    """The requests of one repo's materialisation, sharing one deadline."""

    def __init__(self, repo_id: str, limits: HubLimits) -> None:
        self.repo_id = repo_id
        self.limits = limits
        self.seconds = time_left(limits.total_seconds)  # less than the limit when the run has less left
        self.deadline = time.monotonic() + self.seconds
        self.headers: dict[str, str] | None = None
        self.downloaded_bytes = 0

    def listing(self, revision: str | None) -> tuple[str, list[ListedFile]]:
        """The commit sha ``revision`` resolves to, and every file of the repo there."""
        from huggingface_hub import constants

        where = f"hf://{self.repo_id}" + (f"@{revision}" if revision else "")
        url = f"{constants.ENDPOINT}/api/models/{quote(self.repo_id, safe='/')}"
        if revision:
            url += f"/revision/{quote(revision, safe='')}"
        body = self.get(f"{url}?blobs=true", self.limits.listing_bytes, where, None)
        return parse_listing(body, self.limits.listed_files, where)

    def file(self, sha: str, listed: ListedFile) -> bytes:
        """The bytes of a listed file at commit ``sha``: exactly its listed size, or HubRepoError."""
        from huggingface_hub import hf_hub_url

        where = f"hf://{self.repo_id}@{sha}"
        self.downloaded_bytes += listed.size
        if self.downloaded_bytes > self.limits.download_bytes:
            raise HubRepoError(f"{where}: the files cardguard reads add up to more than "
                               f"{self.limits.download_bytes} bytes; not downloaded")
        body = self.get(hf_hub_url(self.repo_id, listed.path, revision=sha), listed.size, where, listed.path)
        if len(body) != listed.size:
            raise HubRepoError(f"{where}/{listed.path}: the Hub sent {len(body)} bytes, its listing says {listed.size}")
        return body

    def get(self, url: str, bound: int, where: str, path: str | None) -> bytes:
        """The body of one GET of ``url``, at most ``bound`` bytes; a short 429 is waited out."""
        from huggingface_hub import get_session

        for attempt in range(self.limits.rate_limit_retries + 1):
            timeout = self.request_timeout(where)
            try:
                with get_session().stream("GET", url, headers=self.request_headers(), follow_redirects=True,
                                          timeout=timeout) as response:
                    if response.status_code == 200:
                        return self.read_body(response, bound, where, path)
                    wait = self.rate_limit_wait(response, attempt)
                    if wait is None and response.status_code == 429:
                        raise HubRateLimited(describe_status(where, path, response), retry_after(response))
                    if wait is None:
                        raise HubRepoError(describe_status(where, path, response))
            except HubRepoError:
                raise
            except Exception as error:  # httpx's errors, huggingface_hub's offline switch: all mean "not read"
                if timeout < self.limits.request_seconds and is_timeout(error):  # cut short by the deadline
                    raise HubRepoError(self.out_of_time(where)) from None
                raise HubRepoError(describe_failure(where, error)) from None
            time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def request_headers(self) -> dict[str, str]:
        if self.headers is None:
            from huggingface_hub.utils import build_hf_headers

            # identity: a body is bounded as it arrives, so none is sent compressed (no zip bomb)
            self.headers = {**build_hf_headers(library_name="cardguard"), "Accept-Encoding": "identity"}
        return self.headers

    def request_timeout(self, where: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise HubRepoError(self.out_of_time(where))
        return min(self.limits.request_seconds, left)

    def out_of_time(self, where: str) -> str:
        if self.seconds < self.limits.total_seconds:
            return f"{where}: not read: {spent_message()}"
        return f"{where}: the Hub did not answer within {self.seconds:g} s"

    def read_body(self, response: Any, bound: int, where: str, path: str | None) -> bytes:
        """The body, read as it arrives and refused once it passes ``bound``: at most
        ``bound + 1`` bytes are ever held, whatever Content-Length claims."""
        what = f"{where}/{path}" if path else f"{where}: the listing"
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise HubRepoError(f"{what}: the Hub sent it compressed ({encoding[:40]}), which was not asked for")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and (len(declared) > SHORT_HEADER or int(declared) > bound):
            raise HubRepoError(f"{what}: the Hub announced {declared[:SHORT_HEADER]} bytes, more than {bound}")
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk[:bound + 1 - len(body)]
            if len(body) > bound:
                raise HubRepoError(f"{what}: the Hub sent more than {bound} bytes")
            if time.monotonic() > self.deadline:
                raise HubRepoError(self.out_of_time(where))
        return bytes(body)

    def rate_limit_wait(self, response: Any, attempt: int) -> float | None:
        """Seconds to wait before asking again after a 429; None to give up (another status,
        no usable Retry-After, one too long, or no time or retries left)."""
        if response.status_code != 429 or attempt >= self.limits.rate_limit_retries:
            return None
        wait = retry_after(response)
        if wait is None or wait > self.limits.retry_after_seconds:
            return None
        return wait if time.monotonic() + wait < self.deadline else None


def parse_listing(body: bytes, max_files: int, where: str) -> tuple[str, list[ListedFile]]:
    """The commit sha and the files of a model_info answer (``?blobs=true``)."""
    try:
        info = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested past Python's stack
        raise HubRepoError(f"{where}: the Hub's listing of the repo is not JSON") from None
    if not isinstance(info, dict):
        raise HubRepoError(f"{where}: the Hub's listing of the repo is not a JSON object")
    sha = info.get("sha")
    if not isinstance(sha, str) or not COMMIT_SHA.fullmatch(sha):
        raise HubRepoError(f"{where}: the Hub named no commit for this revision")
    siblings = info.get("siblings") or []
    if not isinstance(siblings, list):
        raise HubRepoError(f"{where}: the Hub's listing of the repo has no list of files")
    if len(siblings) > max_files:
        raise HubRepoError(f"{where}: the Hub lists {len(siblings)} files; cardguard reads repos of up to {max_files}")
    return sha, [listed_file(sibling, where) for sibling in siblings]


def listed_file(sibling: Any, where: str) -> ListedFile:
    path = sibling.get("rfilename") if isinstance(sibling, dict) else None
    if not isinstance(path, str):
        raise HubRepoError(f"{where}: the Hub listed a file without a name")
    lfs = sibling.get("lfs")
    if lfs is None:
        size, sha256 = sibling.get("size"), None
    elif isinstance(lfs, dict):
        size, sha256 = lfs.get("size"), lfs.get("sha256")
        if not isinstance(sha256, str) or not LFS_SHA256.fullmatch(sha256):
            raise HubRepoError(f"{where}: the Hub listed {path[:200]!r} in Git LFS without its sha256")
    else:
        raise HubRepoError(f"{where}: the Hub listed {path[:200]!r} with unreadable LFS information")
    if type(size) is not int or not 0 <= size <= MAX_LISTED_SIZE:
        raise HubRepoError(f"{where}: the Hub listed {path[:200]!r} without a believable size")
    return ListedFile(path, size, sha256)


def describe_status(where: str, path: str | None, response: Any) -> str:
    """One line for an answer other than 200 to the listing (``path`` None) or to a file."""
    status = response.status_code
    code = response.headers.get("X-Error-Code", "")
    if code == "GatedRepo":
        return f"{where}: the repo is gated: accept its conditions on the Hub and log in (HF_TOKEN)"
    if code == "RevisionNotFound":
        return f"{where}: no such revision"
    hidden = status == 401 and response.headers.get("X-Error-Message") != UNKNOWN_TOKEN_MESSAGE
    if code == "RepoNotFound" or (path is None and (hidden or status == 404)):
        return f"{where}: no such repo, or it is private and the token (HF_TOKEN or the saved login) cannot read it"
    if status == 401:
        return f"{where}: not authorised (HTTP 401): check HF_TOKEN or the saved login"
    if status == 403:
        return f"{where}: forbidden (HTTP 403): the token (HF_TOKEN or the saved login) may not read this repo"
    if status == 404:
        return f"{where}/{path}: listed, but the Hub serves no such file (HTTP 404)"
    if status == 429:
        return f"{where}: {rate_limit_message(response)}"
    return f"{where}: the Hub answered HTTP {status}"


def describe_failure(where: str, error: Exception) -> str:
    """One line for a request that got no answer (offline mode, a timeout, a broken connection)."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    if isinstance(error, OfflineModeIsEnabled):
        return f"{where}: not read: HF_HUB_OFFLINE is set"
    name = type(error).__name__
    if is_timeout(error):
        return f"{where}: the Hub did not answer in time ({name})"
    if name == "TooManyRedirects":
        return f"{where}: the Hub redirected too many times"
    first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{where}: not read: {name}" + (f": {first_line}" if first_line else "")


def hub_call(repo_id: str, revision: str | None, call: Callable[[], Any]) -> Any:
    """``call()`` (a huggingface_hub read), with a failure turned into one HubRepoError line."""
    try:
        return call()
    except HubRepoError:
        raise
    except Exception as error:  # noqa: BLE001 -- huggingface_hub's errors, httpx's, OSError: all mean "not read"
        raise HubRepoError(describe_hub_error(f"hf://{repo_id}" + (f"@{revision}" if revision else ""), error)) from None


def describe_hub_error(where: str, error: Exception) -> str:
    """One line for a huggingface_hub call that failed: by the Hub's answer when there was one."""
    response = getattr(error, "response", None)
    if response is not None:  # an HfHubHTTPError: the Hub answered, with a status
        return describe_status(where, None, response)
    return describe_failure(where, error)


def is_timeout(error: Exception) -> bool:
    """httpx's ConnectTimeout, ReadTimeout, ... (told by name: httpx is huggingface_hub's to import)."""
    return "timeout" in type(error).__name__.lower() or isinstance(error, TimeoutError)
