"""The fake Hub's endpoints: one handler per endpoint, and the routes that reach them.

Each handler takes the FakeHub, the ``Request`` and the values its route's pattern captured
(unquoted), and returns a ``Reply``, or raises ``Refused`` with the Hub's error reply. The
comment at the top of each names the huggingface_hub function whose request it answers and
the response fields that function reads (the version pinned in pyproject.toml).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

import yaml

from hub.repos import GITATTRIBUTES, Blob, Commit, Discussion, Repo, blob_for

if TYPE_CHECKING:
    from hub.server import FakeHub

TIMESTAMP = "2024-01-01T00:00:00.000Z"  # every date the fake reports: outputs stay reproducible


# --------------------------------------------------------------------------------------
# Requests and replies
# --------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str  # the raw path, still URL-quoted
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    server: str  # "hub" or "cdn": which of the two ports received it

    @property
    def token(self) -> str | None:
        authorization = self.headers.get("Authorization", "")
        return authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    # bytes, or chunks written one after the other (a slow drip); without a Content-Length
    # header, the length of bytes is sent, and chunks end with the connection
    body: bytes | Iterable[bytes] = b""

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(value).encode())


def hub_error(status: int, code: str | None, message: str, **headers: str) -> Reply:
    """An error as the Hub sends it: ``X-Error-Code`` and ``X-Error-Message`` headers (which
    huggingface_hub.utils._http.hf_raise_for_status turns into its error classes), and
    ``{"error": message}`` as the body."""
    error_headers = {"X-Error-Message": message, **headers}
    if code is not None:
        error_headers["X-Error-Code"] = code
    return Reply.json({"error": message}, status, error_headers)


class Refused(Exception):
    """Raised by a handler to answer with an error reply instead."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


# --------------------------------------------------------------------------------------
# Who may read and write
# --------------------------------------------------------------------------------------


def readable_repo(hub: FakeHub, request: Request, repo_id: str, *, content: bool = False) -> Repo:
    """The repo, or the Hub's refusal: a missing or private repo is "not found" (401
    without a token, 404 with one); a gated repo shows its metadata to anyone and its files
    (``content``) only to the tokens it lets in."""
    repo = hub.repos.get(repo_id)
    allowed = repo is not None and (request.token in repo.readers)
    if repo is None or (repo.private and not allowed):
        raise Refused(hub_error(401 if request.token is None else 404, "RepoNotFound", "Repository not found"))
    if content and repo.gated and not allowed:
        message = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
        raise Refused(hub_error(401 if request.token is None else 403, "GatedRepo", message))
    return repo


def writable_repo(hub: FakeHub, request: Request, repo_id: str) -> Repo:
    """The repo, if the request has a token (any token the Hub knows may write to a public
    repo; a private one takes one of its readers), or the Hub's refusal."""
    if request.token is None:
        raise Refused(hub_error(401, None, "You must be authenticated to write to a repository"))
    repo = hub.repos.get(repo_id)
    if repo is None or (repo.private and request.token not in repo.readers):
        raise Refused(hub_error(404, "RepoNotFound", "Repository not found"))
    return repo


def commit_at(repo: Repo, revision: str) -> Commit:
    commit = repo.resolve(revision)
    if commit is None:
        raise Refused(hub_error(404, "RevisionNotFound", f"Invalid rev id: {revision}"))
    return commit


# --------------------------------------------------------------------------------------
# Handlers, one per endpoint
# --------------------------------------------------------------------------------------


def front_matter(readme: Blob | None) -> dict[str, Any] | None:
    """The README's YAML metadata, as the Hub reports it in ``cardData``."""
    if readme is None or not readme.data.startswith(b"---"):
        return None
    parts = readme.data.decode("utf-8", "replace").split("\n---", 1)
    try:
        data = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def sibling(path: str, blob: Blob, with_metadata: bool) -> dict[str, Any]:
    # huggingface_hub.hf_api.ModelInfo.__init__ reads rfilename, size, blobId, lfs{size, sha256, pointerSize}
    entry: dict[str, Any] = {"rfilename": path}
    if with_metadata:
        entry.update(size=len(blob.data), blobId=blob.blob_id)
        if blob.lfs:
            entry["lfs"] = {"size": len(blob.data), "sha256": blob.sha256, "pointerSize": len(blob.pointer)}
    return entry


def model_info(hub: FakeHub, request: Request, repo: str, rev: str = "main") -> Reply:
    # HfApi.model_info: GET /api/models/{repo}[/revision/{rev}]?blobs=True&expand=...
    # -> ModelInfo(**json)
    found = readable_repo(hub, request, repo)
    commit = commit_at(found, rev)
    with_metadata = request.param("blobs") in ("True", "true", "1")
    info: dict[str, Any] = {
        "_id": hashlib.sha1(repo.encode()).hexdigest()[:24], "id": repo, "modelId": repo,
        "author": repo.split("/")[0], "sha": commit.sha, "lastModified": TIMESTAMP, "createdAt": TIMESTAMP,
        "private": found.private, "gated": found.gated, "disabled": False, "downloads": 0, "likes": 0,
        "tags": [], "siblings": [sibling(path, blob, with_metadata) for path, blob in sorted(commit.files.items())],
        "spaces": [], "usedStorage": sum(len(blob.data) for blob in commit.files.values()),
    }
    card_data = front_matter(commit.files.get("README.md"))
    if card_data is not None:
        info["cardData"] = card_data
        info.update({key: card_data[key] for key in ("library_name", "pipeline_tag") if key in card_data})
    expand = request.query.get("expand")
    if expand:  # only the properties asked for
        info = {key: value for key, value in info.items() if key in {"_id", "id", *expand}}
    return Reply.json(info)


def path_entry(path: str, commit: Commit) -> dict[str, Any] | None:
    """One entry of paths-info and tree: a file or a folder; None if nothing is at ``path``."""
    # huggingface_hub.hf_api.RepoFile / RepoFolder: type, path, size, oid, lfs{oid, size, pointerSize}
    blob = commit.files.get(path)
    if blob is not None:
        entry: dict[str, Any] = {"type": "file", "oid": blob.blob_id, "size": len(blob.data), "path": path}
        if blob.lfs:
            entry["lfs"] = {"oid": blob.sha256, "size": len(blob.data), "pointerSize": len(blob.pointer)}
        return entry
    inside = sorted(name for name in commit.files if name.startswith(f"{path}/"))
    if not inside:
        return None
    tree_id = hashlib.sha1("\0".join(inside).encode()).hexdigest()
    return {"type": "directory", "oid": tree_id, "size": 0, "path": path}


def paths_info(hub: FakeHub, request: Request, repo: str, rev: str) -> Reply:
    # HfApi.get_paths_info: POST /api/models/{repo}/paths-info/{rev}, form data paths=...&expand=...
    # -> a list of entries; paths with nothing are left out
    commit = commit_at(readable_repo(hub, request, repo), rev)
    form = parse_qs(request.body.decode())
    entries = (path_entry(path.strip("/"), commit) for path in form.get("paths", []))
    return Reply.json([entry for entry in entries if entry is not None])


def children(commit: Commit, folder: str, recursive: bool) -> list[str]:
    """The paths under ``folder`` ("" for the root): direct children, or all when recursive."""
    prefix = f"{folder}/" if folder else ""
    found: set[str] = set()
    for path in commit.files:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split("/")
        depth = len(parts) if recursive else 1
        found.update(prefix + "/".join(parts[:level]) for level in range(1, depth + 1))
    return sorted(found)


def tree(hub: FakeHub, request: Request, repo: str, rev: str, path: str = "") -> Reply:
    # HfApi.list_repo_tree: GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=...&expand=...
    # -> a list of entries (one page: no Link header)
    commit = commit_at(readable_repo(hub, request, repo), rev)
    folder = path.strip("/")
    if folder and path_entry(folder, commit) is None:
        raise Refused(hub_error(404, "EntryNotFound", f"{folder} does not exist on \"{rev}\""))
    recursive = request.param("recursive") in ("True", "true", "1")
    return Reply.json([path_entry(name, commit) for name in children(commit, folder, recursive)])


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """The (first, last) bytes a single ``Range: bytes=`` asks for; None to send the whole file
    (no header, or one the server ignores); "unsatisfiable" for a range past the end."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        return (max(size - int(last), 0), size - 1) if int(last) > 0 and size else "unsatisfiable"
    if int(first) >= size or (last != "" and int(last) < int(first)):
        return "unsatisfiable"
    return int(first), min(int(last), size - 1) if last else size - 1


def content_reply(request: Request, data: bytes, headers: dict[str, str]) -> Reply:
    """A file's bytes, or the part a Range asks for (206 and Content-Range)."""
    wanted = parse_range(request.headers.get("Range"), len(data))
    headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", **headers}
    if wanted == "unsatisfiable":
        return Reply(416, {**headers, "Content-Range": f"bytes */{len(data)}"})
    if wanted is None:
        return Reply(200, headers, data)
    first, last = wanted
    return Reply(206, {**headers, "Content-Range": f"bytes {first}-{last}/{len(data)}"}, data[first:last + 1])


def file_at(hub: FakeHub, request: Request, repo_id: str, revision: str, path: str) -> tuple[Repo, Commit, Blob]:
    """A file's repo, commit and blob, or the Hub's refusal (the missing file's 404 names the commit)."""
    repo = readable_repo(hub, request, repo_id, content=True)
    commit = commit_at(repo, revision)
    blob = commit.files.get(path)
    if blob is None:
        raise Refused(hub_error(404, "EntryNotFound", "Entry not found", **{"X-Repo-Commit": commit.sha}))
    return repo, commit, blob


def resolve(hub: FakeHub, request: Request, repo: str, rev: str, path: str) -> Reply:
    # huggingface_hub.file_download.get_hf_file_metadata (HEAD; follows redirects on the same
    # host only) reads X-Repo-Commit, X-Linked-Etag or ETag, X-Linked-Size or Content-Length and
    # Location; hf_hub_download (http_get) and parse_safetensors_file_metadata GET it, with Range.
    # As huggingface.co: an LFS file redirects to the CDN; another file of a public repo
    # redirects (307, relative) to its commit-pinned /api/resolve-cache/ URL; a private or gated
    # repo's, or an empty, file is served here.
    found, commit, blob = file_at(hub, request, repo, rev, path)
    headers = {"X-Repo-Commit": commit.sha, "ETag": blob.etag}
    if blob.lfs:
        return Reply(302, {**headers, "Location": f"{hub.cdn_url}/lfs/{blob.sha256}", "X-Linked-Etag": blob.etag,
                           "X-Linked-Size": str(len(blob.data))}, b"Found. Redirecting")
    if not (found.private or found.gated or not blob.data):
        pinned = f"/api/resolve-cache/models/{repo}/{commit.sha}/{quote(path)}?etag={quote(blob.etag)}"
        return Reply(307, {**headers, "Location": pinned}, b"Temporary Redirect")
    return content_reply(request, blob.data, headers)


def resolve_cache(hub: FakeHub, request: Request, repo: str, sha: str, path: str) -> Reply:
    # where resolve redirects a public repo's small file: the same bytes and headers, at a commit
    _, commit, blob = file_at(hub, request, repo, sha, path)
    return content_reply(request, blob.data, {"X-Repo-Commit": commit.sha, "ETag": blob.etag})


def cdn_object(hub: FakeHub, request: Request, oid: str) -> Reply:
    # the CDN an LFS redirect points to: the bytes, with Range; no token needed (on the Hub the
    # URL is signed)
    for repo in hub.repos.values():
        blob = repo.lfs_objects().get(oid)
        if blob is not None:
            return content_reply(request, blob.data, {"ETag": blob.etag})
    return Reply(404, {}, b"NoSuchKey")


def validate_yaml(hub: FakeHub, request: Request) -> Reply:
    # HfApi._validate_yaml (create_commit with a README.md): POST /api/validate-yaml
    # {"content", "repoType"} -> {"errors": [...], "warnings": [...]}; the fake accepts all
    hub.validated_readmes.append(request.json().get("content", ""))
    return Reply.json({"errors": [], "warnings": []})


def preupload(hub: FakeHub, request: Request, repo: str, rev: str) -> Reply:
    # huggingface_hub._commit_api._fetch_upload_modes: POST /api/models/{repo}/preupload/{rev}
    # {"files": [{path, sample, size}]} -> {"files": [{path, uploadMode, shouldIgnore, oid}]};
    # oid (the git blob id of the file there now) lets the client skip unchanged files
    commit = commit_at(writable_repo(hub, request, repo), rev)
    answers = []
    for item in request.json()["files"]:
        current = commit.files.get(item["path"])
        answers.append({"path": item["path"], "uploadMode": "regular", "shouldIgnore": False,
                        "oid": current.blob_id if current is not None and not current.lfs else None})
    return Reply.json({"files": answers, "commitOid": commit.sha})


def apply_operations(files: dict[str, Blob], lines: list[dict[str, Any]], lfs_objects: dict[str, Blob]) -> None:
    """The file operations of a commit payload (huggingface_hub._commit_api._prepare_commit_payload)."""
    for line in lines:
        key, value = line["key"], line["value"]
        path = value.get("path", "")
        if key == "file":
            files[path] = blob_for(path, base64.b64decode(value["content"]))
        elif key == "lfsFile" and value["oid"] in lfs_objects:
            files[path] = lfs_objects[value["oid"]]
        elif key == "deletedFile" and path in files:
            del files[path]
        elif key == "deletedFolder":
            for name in [name for name in files if name.startswith(path.rstrip("/") + "/")]:
                del files[name]
        else:
            raise Refused(hub_error(400, None, f"cannot apply {key} to {path!r}"))


def commit(hub: FakeHub, request: Request, repo: str, rev: str) -> Reply:
    # huggingface_hub._commit_api._send_commit: POST /api/models/{repo}/commit/{rev}[?create_pr=1],
    # NDJSON: a "header" line {summary, description, parentCommit?}, then file operations
    # -> {"commitOid", "commitUrl", "pullRequestUrl" (with create_pr)}
    found = writable_repo(hub, request, repo)
    base = commit_at(found, rev)
    lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
    header = lines[0]["value"] if lines and lines[0]["key"] == "header" else {}
    parent = header.get("parentCommit")
    if parent is not None and parent != base.sha:
        raise Refused(hub_error(412, None, "A commit has happened since. Please refresh and try again."))
    if rev not in found.branches:
        raise Refused(hub_error(400, None, "Can only commit to a branch"))
    files = dict(base.files)
    apply_operations(files, lines[1:], found.lfs_objects())
    branch, pull_request = rev, None
    if request.param("create_pr") == "1":
        pull_request = open_discussion(found, header.get("summary", ""), header.get("description", ""),
                                       is_pull_request=True, base=rev, author="user")
        branch = pull_request.git_reference
    new = found.add_commit(branch, header.get("summary", ""), files)
    pr_for_branch = next((item for item in found.discussions if item.git_reference == branch), None)
    if pr_for_branch is not None:
        pr_for_branch.commits.append(new)
        # a draft (create_pull_request) opens with its first commit: the fake's assumption; the
        # client only reports the status
        pr_for_branch.status = "open" if pr_for_branch.status == "draft" else pr_for_branch.status
    answer = {"success": True, "commitOid": new.sha, "commitUrl": f"{hub.url}/{repo}/commit/{new.sha}",
              "hookOutput": ""}
    if pull_request is not None:
        answer["pullRequestUrl"] = discussion_url(hub, repo, pull_request)
    return Reply.json(answer)


def create_repo(hub: FakeHub, request: Request) -> Reply:
    # HfApi.create_repo: POST /api/repos/create {name, organization, type, visibility?}
    # -> {"url"}; 409 if it exists. A new repo's first commit holds the Hub's .gitattributes.
    if request.token is None:
        raise Refused(hub_error(401, None, "You must be authenticated to create a repository"))
    payload = request.json()
    if payload.get("type", "model") != "model":
        raise Refused(hub_error(400, None, "the fake Hub serves model repos only"))
    repo_id = f"{payload.get('organization') or 'user'}/{payload['name']}"
    url = f"{hub.url}/{repo_id}"
    if repo_id in hub.repos:
        return Reply.json({"error": "You already created this model repo", "url": url}, 409)
    hub.add_repo(repo_id, {"main": {".gitattributes": GITATTRIBUTES.encode()}},
                 private=payload.get("visibility") == "private" or bool(payload.get("private")),
                 readers=[request.token])
    return Reply.json({"url": url, "name": repo_id, "id": hashlib.sha1(repo_id.encode()).hexdigest()[:24]})


def open_discussion(repo: Repo, title: str, description: str, *, is_pull_request: bool, base: str,
                    author: str) -> Discussion:
    num = max((item.num for item in repo.discussions), default=0) + 1
    discussion = Discussion(num, title, description, is_pull_request, "draft" if is_pull_request else "open",
                            base, author)
    repo.discussions.append(discussion)
    if is_pull_request:  # its ref starts at the head of the branch it targets
        repo.branches[discussion.git_reference] = repo.branches[base]
    return discussion


def discussion_url(hub: FakeHub, repo_id: str, discussion: Discussion) -> str:
    # huggingface_hub.hf_api._parse_revision_from_pr_url reads the number after /discussions/
    return f"{hub.url}/{repo_id}/discussions/{discussion.num}"


def discussion_summary(repo: Repo, discussion: Discussion) -> dict[str, Any]:
    # huggingface_hub.community.Discussion, as HfApi.get_repo_discussions builds it
    return {"num": discussion.num, "title": discussion.title, "status": discussion.status,
            "isPullRequest": discussion.is_pull_request, "createdAt": TIMESTAMP,
            "author": {"name": discussion.author}, "repo": {"name": repo.repo_id, "type": "model"},
            "pinned": False, "numComments": 1}


def create_discussion(hub: FakeHub, request: Request, repo: str) -> Reply:
    # HfApi.create_discussion / create_pull_request: POST /api/models/{repo}/discussions
    # {title, description, pullRequest} -> {"num"} (then the client GETs the details)
    found = writable_repo(hub, request, repo)
    payload = request.json()
    discussion = open_discussion(found, payload["title"], payload.get("description", ""),
                                 is_pull_request=bool(payload.get("pullRequest")), base="main", author="user")
    return Reply.json({"num": discussion.num, "pullRequest": discussion.is_pull_request,
                       "url": discussion_url(hub, repo, discussion), "ref": discussion.git_reference})


def list_discussions(hub: FakeHub, request: Request, repo: str) -> Reply:
    # HfApi.get_repo_discussions: GET /api/models/{repo}/discussions?p=&type=&status=&author=
    # -> {"discussions", "count", "start"}; one page
    found = readable_repo(hub, request, repo)
    kind, status = request.param("type") or "all", request.param("status") or "all"
    chosen = [item for item in found.discussions
              if kind == "all" or (kind == "pull_request") == item.is_pull_request
              if status == "all" or status == item.status]
    return Reply.json({"discussions": [discussion_summary(found, item) for item in reversed(chosen)],
                       "count": len(chosen), "start": 0, "numClosedDiscussions": 0})


def discussion_details(hub: FakeHub, request: Request, repo: str, num: str) -> Reply:
    # HfApi.get_discussion_details: GET /api/models/{repo}/discussions/{num}?diff=1
    # -> title, num, status, isPullRequest, events (community.deserialize_event), changes.base,
    # filesWithConflicts, diff
    found = readable_repo(hub, request, repo)
    discussion = found.discussion(int(num))
    if discussion is None:
        raise Refused(hub_error(404, None, "Discussion not found"))
    author = {"name": discussion.author}
    events: list[dict[str, Any]] = [{
        "id": f"{discussion.num}-0", "type": "comment", "createdAt": TIMESTAMP, "author": author,
        "data": {"edited": False, "hidden": False, "latest": {"raw": discussion.description,
                                                               "html": discussion.description,
                                                               "updatedAt": TIMESTAMP}}}]
    events += [{"id": pushed.sha[:24], "type": "commit", "createdAt": TIMESTAMP, "author": author,
                "data": {"subject": pushed.summary, "oid": pushed.sha}} for pushed in discussion.commits]
    details = {**discussion_summary(found, discussion), "events": events, "filesWithConflicts": [],
               "changes": {"base": f"refs/heads/{discussion.base}"}, "diff": ""}
    return Reply.json(details)


def list_models(hub: FakeHub, request: Request) -> Reply:
    # HfApi.list_models: GET /api/models?author=&search=&expand=... (paginate: one page, no Link
    # header) -> a list of ModelInfo(**entry); with expand, only "id" and the properties asked for
    # (cardguard asks for sha and lastModified). Private repos are left out, as for an anonymous caller.
    author, search = request.param("author"), request.param("search")
    wanted = set(request.query.get("expand", [])) | {"id"}
    entries = []
    for repo_id, repo in sorted(hub.repos.items()):
        if repo.private or (author and repo_id.split("/")[0] != author) or (search and search not in repo_id):
            continue
        entry = {"_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "modelId": repo_id,
                 "sha": repo.branches["main"], "lastModified": TIMESTAMP, "createdAt": TIMESTAMP,
                 "private": False, "downloads": 0, "likes": 0, "tags": []}
        entries.append({key: value for key, value in entry.items() if key in wanted or key == "_id"})
    return Reply.json(entries)


Handler = Callable[..., Reply]
REPO = r"(?P<repo>[^/]+/[^/]+)"
API = rf"/api/models/{REPO}"
GET, POST, READ = ("GET",), ("POST",), ("GET", "HEAD")
HUB_ROUTES: list[tuple[tuple[str, ...], re.Pattern[str], Handler]] = [
    (GET, re.compile(r"/api/models"), list_models),
    (GET, re.compile(API), model_info),
    (GET, re.compile(rf"{API}/revision/(?P<rev>[^/]+)"), model_info),
    (POST, re.compile(rf"{API}/paths-info/(?P<rev>[^/]+)"), paths_info),
    (GET, re.compile(rf"{API}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?"), tree),
    (POST, re.compile(rf"{API}/preupload/(?P<rev>[^/]+)"), preupload),
    (POST, re.compile(rf"{API}/commit/(?P<rev>[^/]+)"), commit),
    (GET, re.compile(rf"{API}/discussions"), list_discussions),
    (POST, re.compile(rf"{API}/discussions"), create_discussion),
    (GET, re.compile(rf"{API}/discussions/(?P<num>\d+)"), discussion_details),
    (POST, re.compile(r"/api/repos/create"), create_repo),
    (POST, re.compile(r"/api/validate-yaml"), validate_yaml),
    (READ, re.compile(rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)"), resolve),
    (READ, re.compile(rf"/api/resolve-cache/models/{REPO}/(?P<sha>[0-9a-f]{{40}})/(?P<path>.+)"), resolve_cache),
]
CDN_ROUTES: list[tuple[tuple[str, ...], re.Pattern[str], Handler]] = [
    (READ, re.compile(r"/lfs/(?P<oid>[0-9a-f]{64})"), cdn_object),
]
