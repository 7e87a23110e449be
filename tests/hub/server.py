"""A small fake of the Hugging Face Hub's HTTP endpoints, for tests that drive the real client.

``FakeHub`` serves model repositories from memory on 127.0.0.1 (port 0, a thread of the test),
speaking the requests that huggingface_hub (the version pinned in pyproject.toml) makes for:

- ``HfApi.model_info`` (siblings, sha, private, gated; ``files_metadata`` sizes and LFS info),
- ``HfApi.list_models`` (author, search; expand sha and lastModified; public repos, one page),
- ``HfApi.get_paths_info`` and ``HfApi.list_repo_tree``,
- ``hf_hub_download`` and ``HfApi.file_exists``: HEAD and GET on ``/resolve/``, with Range,
- ``HfApi.get_safetensors_metadata``: range reads of each shard's header and the index,
- uploads: ``create_repo``, ``upload_folder``, ``create_commit`` (also ``create_pr=True``),
  ``create_pull_request`` and the discussions listing.

Where things are: tests/hub/repos.py holds what is stored (files, commits, branches, pull
requests); tests/hub/endpoints.py has one handler per endpoint, each naming, in a comment, the
huggingface_hub function whose request it answers and the response fields that function reads
(a field it never reads is left out); this module runs the two sockets and records requests;
tests/hub/client.py runs the real client against it.

Two listening sockets, like the Hub and its CDN: files stored with Git LFS (weights, see
``repos.is_lfs_path``) are answered on the Hub's port by a redirect to the "CDN" port, a different
origin, so the client handles them as on huggingface.co (it keeps the ``X-Linked-*`` headers of
the redirect, and drops its token when it follows it). The other files of a public repo are
redirected, as there, to a commit-pinned ``/api/resolve-cache/`` URL on the same port: request
counts match what the client makes against the Hub.

Simplifications, said plainly: the preupload answer is always ``regular``, so an upload carries
every file inside the commit payload (no LFS batch or Xet transfer is ever asked for, and
``hf_xet``, installed with huggingface_hub, stays idle); a file under an LFS path is still
stored and served as LFS. Pagination is one page. ``expand`` on paths-info/tree, security scans,
tags, branches and merges of pull requests are not served (404), nor are datasets and spaces.

Tests see every request in ``FakeHub.requests`` (method, path, Range, status, body bytes sent,
which port) and can slow every request (``latency``), answer chosen requests with a status
(``fail``: 401, 403, 404, 429 with Retry-After, ...), or put any ``Interceptor`` in front of the
routes for hostile behaviours (a reply's body may be an iterable of chunks, sent one by one, and
its headers may lie about ``Content-Length``).

Pointing the client at it: huggingface_hub reads ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and
``HF_HOME`` once, when it is imported, and the test session imports it offline. So the client
runs in a child process whose environment is ``FakeHub.client_env(...)`` (see tests/hub/client.py).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from hub.endpoints import CDN_ROUTES, HUB_ROUTES, Refused, Reply, Request, hub_error
from hub.repos import Blob, Repo, blob_for

DEFAULT_TOKEN = "hf_fake_token"  # the token FakeHub accepts unless told otherwise


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    range: str | None
    status: int
    bytes_sent: int  # body bytes written (0 for HEAD)
    server: str  # "hub" or "cdn"
    token: str | None


# Something that may answer a request before the routes do (return None to let it through).
Interceptor = Callable[[Request], Reply | None]


@dataclass
class Fault:
    """Answer matching requests with ``reply`` instead, ``times`` times (None: every time)."""

    reply: Reply
    method: str | None = None
    path_contains: str = ""
    times: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __call__(self, request: Request) -> Reply | None:
        if self.method not in (None, request.method) or self.path_contains not in unquote(request.path):
            return None
        with self.lock:  # requests arrive on several threads
            if self.times is not None:
                if self.times <= 0:
                    return None
                self.times -= 1
        return self.reply


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class FakeHub:
    """The Hub's endpoints on 127.0.0.1, serving ``repos`` = {repo_id: {branch: {path: bytes}}}."""

    def __init__(self, repos: dict[str, dict[str, dict[str, bytes]]] | None = None, *,
                 tokens: Iterable[str] = (DEFAULT_TOKEN,), latency: float = 0.0) -> None:
        self.repos: dict[str, Repo] = {}
        self.tokens = set(tokens)  # every token the Hub knows; another one is refused (401)
        self.latency = latency  # seconds added before every answer, on both ports
        self.interceptors: list[Interceptor] = []
        self.requests: list[RequestRecord] = []
        self.validated_readmes: list[str] = []  # what /api/validate-yaml was sent
        self.lock = threading.RLock()
        self.servers: list[ThreadingHTTPServer] = []
        for repo_id, revisions in (repos or {}).items():
            self.add_repo(repo_id, revisions)

    # -- set-up ----------------------------------------------------------------------

    def add_repo(self, repo_id: str, revisions: dict[str, dict[str, bytes]] | None = None, *,
                 private: bool = False, gated: bool | str = False, readers: Iterable[str] = (),
                 in_git: Iterable[str] = ()) -> Repo:
        """``in_git``: paths git holds itself although LFS would take them by name (a file
        committed before the .gitattributes that names its suffix)."""
        repo = Repo(repo_id, private=private, gated=gated, readers=frozenset(readers))
        kept_in_git = frozenset(in_git)
        for branch, files in (revisions or {"main": {}}).items():
            repo.add_commit(branch, f"files of {branch}", {
                path: Blob(data, lfs=False) if path in kept_in_git else blob_for(path, data)
                for path, data in files.items()})
        with self.lock:
            self.repos[repo_id] = repo
        return repo

    def fail(self, status: int, *, code: str | None = None, message: str = "", method: str | None = None,
             path_contains: str = "", times: int | None = None, **headers: str) -> Fault:
        """Answer matching requests with an error (e.g. ``fail(429, Retry_After="1", times=1)``;
        underscores in header names become dashes)."""
        reply = hub_error(status, code, message or f"injected {status}",
                          **{name.replace("_", "-"): value for name, value in headers.items()})
        fault = Fault(reply, method, path_contains, times)
        self.interceptors.append(fault)
        return fault

    # -- what tests read -------------------------------------------------------------

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        commit = self.repos[repo_id].resolve(revision)
        if commit is None:
            raise KeyError(f"{repo_id} has no revision {revision!r}")
        return {path: blob.data for path, blob in commit.files.items()}

    def sha(self, repo_id: str, revision: str = "main") -> str:
        return self.repos[repo_id].branches[revision]

    def requests_to(self, path_contains: str, method: str | None = None) -> list[RequestRecord]:
        return [record for record in self.requests
                if path_contains in unquote(record.path) and method in (None, record.method)]

    # -- running ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The endpoint (``HF_ENDPOINT``)."""
        return self._url_of(0)

    @property
    def cdn_url(self) -> str:
        return self._url_of(1)

    def _url_of(self, index: int) -> str:
        host, port = self.servers[index].server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        for role in ("hub", "cdn"):
            handler = type(f"{role.title()}Handler", (HubHandler,), {"hub": self, "role": role})
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            serve = functools.partial(server.serve_forever, poll_interval=0.05)  # a quick stop()
            threading.Thread(target=serve, name=f"fake-{role}", daemon=True).start()
            self.servers.append(server)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers.clear()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_env(self, home: Path, base: dict[str, str], token: str | None = DEFAULT_TOKEN) -> dict[str, str]:
        """``base`` (a child's environment), online and pointed at this server: ``HF_ENDPOINT``,
        ``HF_HOME`` (cache, saved token) under ``home``, and ``HF_TOKEN`` (none if None)."""
        env = {name: value for name, value in base.items()
               if name not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_TOKEN",
                               "HF_HUB_CACHE", "HF_TOKEN_PATH")}
        env.update(HF_ENDPOINT=self.url, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_PROGRESS_BARS="1")
        if token is not None:
            env["HF_TOKEN"] = token
        return env

    # -- answering -------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        for interceptor in list(self.interceptors):
            reply = interceptor(request)
            if reply is not None:
                return reply
        try:
            self.check_token(request)
            return self.route(request)
        except Refused as refused:
            return refused.reply
        except Exception as error:  # noqa: BLE001 -- a request the fake cannot read: a 500 the test sees
            return hub_error(500, None, f"fake hub: {type(error).__name__}: {error}")

    def route(self, request: Request) -> Reply:
        routes = CDN_ROUTES if request.server == "cdn" else HUB_ROUTES
        path = urlsplit(request.path).path
        for methods, pattern, handler in routes:
            match = pattern.fullmatch(path)
            if match and request.method in methods:
                arguments = {name: unquote(value) for name, value in match.groupdict().items() if value is not None}
                with self.lock:
                    return handler(self, request, **arguments)
        return hub_error(404, None, "Sorry, we can't find the page you are looking for.")

    def check_token(self, request: Request) -> None:
        # huggingface_hub.utils._http.hf_raise_for_status: this message is the one 401 it does
        # not read as "repository not found"
        if request.server == "hub" and request.token is not None and request.token not in self.tokens:
            raise Refused(hub_error(401, None, "Invalid credentials in Authorization header"))

    def record(self, request: Request, status: int, bytes_sent: int) -> None:
        with self.lock:
            self.requests.append(RequestRecord(request.method, request.path, request.headers.get("Range"),
                                               status, bytes_sent, request.server, request.token))


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


class HubHandler(BaseHTTPRequestHandler):
    """Reads a request, asks the FakeHub for the reply, writes it, records it."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects of the Hub
    hub: FakeHub
    role: str

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # the names http.server calls
        self.handle_one()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def handle_one(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, parse_qs(url.query), self.headers,
                          self.rfile.read(length) if length else b"", self.role)
        reply = self.hub.answer(request)
        if isinstance(reply.body, bytes):  # logged before it is sent: a test that has its answer sees it
            self.hub.record(request, reply.status, 0 if self.command == "HEAD" else len(reply.body))
            self.write(reply)
        else:
            self.hub.record(request, reply.status, self.write(reply))

    def write(self, reply: Reply) -> int:
        """Send the reply; the number of body bytes sent. A reply that sets its own
        Content-Length (perhaps a lie) or sends chunks ends its connection."""
        self.send_response(reply.status)
        headers = dict(reply.headers)
        if "Content-Length" in headers or not isinstance(reply.body, bytes):
            self.close_connection = True
            headers["Connection"] = "close"
        else:
            headers["Content-Length"] = str(len(reply.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return 0
        chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
        sent = 0
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: that is its right
            self.close_connection = True
        return sent
