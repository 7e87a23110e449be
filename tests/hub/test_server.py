"""The fake Hub (tests/hub/server.py), driven by the real huggingface_hub client.

Every client call runs in a child process (tests/hub/client.py says why) with ``HF_ENDPOINT``
at the server, ``HF_HOME`` in ``tmp_path`` and a dummy ``HF_TOKEN``; the child refuses any
connection off the machine, and the tests check the server saw the requests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from hub.client import run_client
from hub.endpoints import Reply, Request, parse_range
from hub.repos import folder_files, git_blob_id
from hub.server import DEFAULT_TOKEN, FakeHub

REPO = "org/tiny"
README = b"---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# Tiny\n"
CONFIG = b'{"model_type": "bert", "hidden_size": 8}\n'


def safetensors_bytes(tmp_path: Path, tensors: dict[str, np.ndarray], name: str = "w.safetensors",
                      metadata: dict[str, str] | None = None) -> bytes:
    """A real file written by the safetensors package."""
    save_file(tensors, str(tmp_path / name), metadata=metadata)
    return (tmp_path / name).read_bytes()


@pytest.fixture()
def weights(tmp_path: Path) -> bytes:
    return safetensors_bytes(tmp_path, {"w": np.zeros((2, 3), np.float32), "b": np.zeros(3, np.float16)})


@pytest.fixture()
def hub(weights: bytes) -> Iterator[FakeHub]:
    files = {"README.md": README, "config.json": CONFIG, "model.safetensors": weights}
    with FakeHub({REPO: {"main": files, "v1": {"README.md": b"# old\n"}}}) as server:
        yield server


def client(hub: FakeHub, home: Path, snippet: str, token: str | None = DEFAULT_TOKEN) -> Any:
    """The snippet's ``result``; fails the test if it raised."""
    answer = run_client(hub, home, snippet, token=token)
    assert answer["error"] is None, answer["error"]["traceback"]
    return answer["result"]


def client_error(hub: FakeHub, home: Path, snippet: str, token: str | None = DEFAULT_TOKEN) -> dict[str, Any]:
    """What the snippet raised: its class names, HTTP status and headers, message."""
    answer = run_client(hub, home, snippet, token=token)
    assert answer["error"] is not None, f"no error; result: {answer['result']}"
    return answer["error"]


# -- reading -------------------------------------------------------------------------------


def test_model_info_lists_files_with_sizes_and_lfs_info(hub: FakeHub, home: Path, weights: bytes) -> None:
    info = client(hub, home, f"""
        info = api.model_info("{REPO}", files_metadata=True)
        result = {{"sha": info.sha, "private": info.private, "gated": info.gated,
                   "card": info.card_data.to_dict(),
                   "files": {{s.rfilename: [s.size, s.blob_id, s.lfs and s.lfs.sha256] for s in info.siblings}}}}
    """)
    assert info["sha"] == hub.sha(REPO) and len(info["sha"]) == 40
    assert (info["private"], info["gated"]) == (False, False)
    assert info["card"] == {"license": "apache-2.0", "library_name": "transformers"}
    assert info["files"] == {
        "README.md": [len(README), git_blob_id(README), None],
        "config.json": [len(CONFIG), git_blob_id(CONFIG), None],
        "model.safetensors": [len(weights), info["files"]["model.safetensors"][1], hashlib.sha256(weights).hexdigest()],
    }
    assert [(r.method, r.path) for r in hub.requests] == [("GET", f"/api/models/{REPO}?blobs=true")]
    assert hub.requests[0].token == DEFAULT_TOKEN


def test_model_info_at_a_revision_and_an_unknown_one(hub: FakeHub, home: Path) -> None:
    main_sha = hub.sha(REPO)
    answer = client(hub, home, f"""
        from huggingface_hub.errors import RevisionNotFoundError
        by_branch = api.model_info("{REPO}", revision="v1")
        by_sha = api.model_info("{REPO}", revision="{main_sha}")
        try:
            api.model_info("{REPO}", revision="nope")
            unknown = None
        except RevisionNotFoundError as error:
            unknown = error.response.status_code
        result = [[s.rfilename for s in by_branch.siblings], by_sha.sha, unknown]
    """)
    assert answer == [["README.md"], main_sha, 404]


def test_hf_hub_download_of_a_small_file_fills_the_cache_in_hf_home(hub: FakeHub, home: Path) -> None:
    path = client(hub, home, f"""
        from huggingface_hub import hf_hub_download
        first = hf_hub_download("{REPO}", "config.json")
        second = hf_hub_download("{REPO}", "config.json")  # cached: only a HEAD to check the ETag
        assert first == second
        result = first
    """)
    assert Path(path).read_bytes() == CONFIG
    assert Path(path).is_relative_to(home / "hub" / "models--org--tiny" / "snapshots" / hub.sha(REPO))
    pinned = f"/api/resolve-cache/models/{REPO}/{hub.sha(REPO)}/config.json"
    seen = [(r.method, r.path.split("?")[0], r.status) for r in hub.requests]
    assert seen == [("HEAD", f"/{REPO}/resolve/main/config.json", 307), ("HEAD", pinned, 200),
                    ("GET", pinned, 200),
                    ("HEAD", f"/{REPO}/resolve/main/config.json", 307), ("HEAD", pinned, 200)]
    assert hub.requests[2].bytes_sent == len(CONFIG)


def test_an_lfs_file_is_redirected_to_the_cdn_without_the_token(hub: FakeHub, home: Path, weights: bytes) -> None:
    path = client(hub, home, f"""
        from huggingface_hub import hf_hub_download
        result = hf_hub_download("{REPO}", "model.safetensors", revision="main")
    """)
    assert Path(path).read_bytes() == weights
    head, get = hub.requests
    assert (head.method, head.status, head.server, head.token) == ("HEAD", 302, "hub", DEFAULT_TOKEN)
    assert (get.method, get.status, get.server, get.token) == ("GET", 200, "cdn", None)
    assert get.path == f"/lfs/{hashlib.sha256(weights).hexdigest()}" and get.bytes_sent == len(weights)


def test_a_file_in_a_folder_at_a_commit_sha(home: Path) -> None:
    files = {"1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}'}
    with FakeHub({REPO: {"main": files}}) as hub:
        sha = hub.sha(REPO)
        hub.add_repo("org/other")  # commits elsewhere do not move this one
        text = client(hub, home, f"""
            from huggingface_hub import hf_hub_download
            result = open(hf_hub_download("{REPO}", "1_Pooling/config.json", revision="{sha}")).read()
        """)
        assert text == files["1_Pooling/config.json"].decode()
        assert hub.requests[0].path == f"/{REPO}/resolve/{sha}/1_Pooling/config.json"


def test_get_paths_info_gives_sizes_and_lfs_and_skips_missing_paths(hub: FakeHub, home: Path,
                                                                    weights: bytes) -> None:
    entries = client(hub, home, f"""
        entries = api.get_paths_info("{REPO}", ["config.json", "model.safetensors", "missing.txt"])
        result = [[e.path, e.size, e.lfs and e.lfs.sha256] for e in entries]
    """)
    assert entries == [["config.json", len(CONFIG), None],
                       ["model.safetensors", len(weights), hashlib.sha256(weights).hexdigest()]]
    assert [(r.method, r.path) for r in hub.requests] == [("POST", f"/api/models/{REPO}/paths-info/main")]


def test_list_repo_tree_flat_and_recursive(home: Path) -> None:
    files = {"README.md": b"x", "1_Pooling/config.json": b"{}", "1_Pooling/deep/a.txt": b"a"}
    with FakeHub({REPO: {"main": files}}) as hub:
        trees = client(hub, home, f"""
            from huggingface_hub.hf_api import RepoFolder
            def listing(**options):
                return [[e.path, isinstance(e, RepoFolder)] for e in api.list_repo_tree("{REPO}", **options)]
            result = [listing(), listing(recursive=True), listing(path_in_repo="1_Pooling")]
        """)
    assert trees == [
        [["1_Pooling", True], ["README.md", False]],
        [["1_Pooling", True], ["1_Pooling/config.json", False], ["1_Pooling/deep", True],
         ["1_Pooling/deep/a.txt", False], ["README.md", False]],
        [["1_Pooling/config.json", False], ["1_Pooling/deep", True]],
    ]


def test_get_safetensors_metadata_reads_the_header_by_range(hub: FakeHub, home: Path) -> None:
    metadata = client(hub, home, f"""
        found = api.get_safetensors_metadata("{REPO}")
        result = [found.sharded, found.parameter_count, found.weight_map]
    """)
    assert metadata == [False, {"F32": 6, "F16": 3}, {"w": "model.safetensors", "b": "model.safetensors"}]
    reads = [(r.method, r.server, r.range, r.status) for r in hub.requests]
    assert reads == [("HEAD", "hub", None, 302),  # file_exists
                     ("GET", "hub", "bytes=0-100000", 302), ("GET", "cdn", "bytes=0-100000", 206)]
    assert hub.requests[-1].bytes_sent < 200  # the whole (small) file, never more


def test_get_safetensors_metadata_of_a_sharded_checkpoint(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / "sharded"
    folder.mkdir()
    shards = [f"model-0000{n}-of-00002.safetensors" for n in (1, 2)]
    for n, shard in enumerate(shards, start=1):
        safetensors_bytes(folder, {f"layer{n}.weight": np.zeros((4, n), np.float32)}, shard)
    weight_map = {f"layer{n}.weight": shard for n, shard in enumerate(shards, start=1)}
    index = {"metadata": {"total_size": 48}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with FakeHub({REPO: {"main": folder_files(folder)}}) as hub:
        metadata = client(hub, home, f"""
            found = api.get_safetensors_metadata("{REPO}")
            result = [found.sharded, found.metadata, found.parameter_count, found.weight_map,
                      sorted(found.files_metadata)]
        """)
        assert metadata == [True, {"total_size": 48}, {"F32": 12}, weight_map, shards]
        shard_reads = hub.requests_to("/lfs/")
        assert sorted(r.range for r in shard_reads) == ["bytes=0-100000"] * 2
        assert len(hub.requests_to("model.safetensors.index.json", "GET")) == 1


def test_a_repo_without_safetensors_is_not_a_safetensors_repo(home: Path) -> None:
    with FakeHub({REPO: {"main": {"pytorch_model.bin": b"pickle"}}}) as hub:
        error = client_error(hub, home, f'api.get_safetensors_metadata("{REPO}")')
        assert error["type"] == "NotASafetensorsRepoError"
        assert [(r.method, r.status) for r in hub.requests] == [("HEAD", 404), ("HEAD", 404)]


def test_a_header_longer_than_the_first_read_is_fetched_with_a_second_range(tmp_path: Path, home: Path) -> None:
    long_metadata = {"notes": "x" * 150_000}
    data = safetensors_bytes(tmp_path, {"w": np.zeros(2, np.float32)}, metadata=long_metadata)
    header_length = int.from_bytes(data[:8], "little")
    with FakeHub({REPO: {"main": {"model.safetensors": data}}}) as hub:
        metadata = client(hub, home, f"""
            found = api.get_safetensors_metadata("{REPO}")
            result = found.files_metadata["model.safetensors"].metadata["notes"]
        """)
        assert metadata == long_metadata["notes"]
        assert [r.range for r in hub.requests_to("/lfs/")] == ["bytes=0-100000", f"bytes=8-{header_length + 7}"]


# -- writing -------------------------------------------------------------------------------


def test_upload_folder_makes_a_commit_that_later_reads_see(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_bytes(README + b"\nMore words.\n")
    (folder / "config.json").write_bytes(CONFIG)  # unchanged: the client leaves it out
    before = hub.sha(REPO)
    answer = client(hub, home, f"""
        from huggingface_hub import hf_hub_download
        info = api.upload_folder(folder_path="{folder}", repo_id="{REPO}", commit_message="Update card")
        readme = open(hf_hub_download("{REPO}", "README.md"), encoding="utf-8").read()
        result = [info.oid, info.commit_url, readme]
    """)
    oid, url, readme = answer
    assert oid == hub.sha(REPO) != before and url == f"{hub.url}/{REPO}/commit/{oid}"
    assert readme.endswith("More words.\n") and hub.files(REPO)["README.md"] == README + b"\nMore words.\n"
    assert hub.files(REPO, before)["README.md"] == README  # the old commit is still readable by its sha
    (commit,) = hub.requests_to("/commit/main", "POST")
    assert len(hub.requests_to("/preupload/main", "POST")) == 1 and commit.status == 200


def test_create_commit_with_create_pr_opens_a_pull_request(hub: FakeHub, home: Path) -> None:
    main_before = hub.sha(REPO)
    answer = client(hub, home, f"""
        from huggingface_hub import CommitOperationAdd
        info = api.create_commit("{REPO}", [CommitOperationAdd("README.md", b"---\\nlicense: mit\\n---\\n# New\\n")],
                                 commit_message="Fix the card", create_pr=True)
        listed = [[d.num, d.title, d.is_pull_request, d.status] for d in api.get_repo_discussions("{REPO}")]
        result = [info.pr_url, info.pr_num, info.pr_revision, listed]
    """)
    assert answer == [f"{hub.url}/{REPO}/discussions/1", 1, "refs/pr/1", [[1, "Fix the card", True, "open"]]]
    assert hub.sha(REPO) == main_before  # main is untouched; the PR's ref holds the change
    assert hub.files(REPO, "refs/pr/1")["README.md"] == b"---\nlicense: mit\n---\n# New\n"
    assert hub.validated_readmes == ["---\nlicense: mit\n---\n# New\n"]
    assert [r.path for r in hub.requests_to("/commit/", "POST")] == [f"/api/models/{REPO}/commit/main?create_pr=1"]


def test_upload_folder_with_create_pr_commits_to_the_pull_request_ref(hub: FakeHub, home: Path,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("# Rewritten\n")
    pr_url = client(hub, home, f"""
        result = api.upload_folder(folder_path="{folder}", repo_id="{REPO}", create_pr=True).pr_url
    """)
    assert pr_url == f"{hub.url}/{REPO}/discussions/1"
    assert hub.files(REPO, "refs/pr/1")["README.md"] == b"# Rewritten\n"
    assert hub.files(REPO)["README.md"] == README
    assert [r.path for r in hub.requests_to("/commit/", "POST")] == [f"/api/models/{REPO}/commit/refs%2Fpr%2F1"]


def test_create_repo_then_upload(home: Path) -> None:
    with FakeHub() as hub:
        answer = client(hub, home, """
            from huggingface_hub.errors import HfHubHTTPError
            url = api.create_repo("org/new")
            api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="org/new")
            try:
                api.create_repo("org/new")
                again = None
            except HfHubHTTPError as error:
                again = error.response.status_code
            api.create_repo("org/new", exist_ok=True)
            result = [url.repo_id, again, sorted(s.rfilename for s in api.model_info("org/new").siblings)]
        """)
        assert answer == ["org/new", 409, [".gitattributes", "config.json"]]
        assert hub.files("org/new")["config.json"] == b"{}"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "status"), [(DEFAULT_TOKEN, 404), (None, 401)])
def test_a_missing_repo_is_repository_not_found(hub: FakeHub, home: Path, token: str | None, status: int) -> None:
    error = client_error(hub, home, 'api.model_info("org/missing")', token=token)
    assert error["type"] == "RepositoryNotFoundError" and error["status"] == status
    assert error["headers"]["x-error-code"] == "RepoNotFound"


@pytest.fixture()
def private_repo(hub: FakeHub) -> str:
    hub.add_repo("org/private", {"main": {"config.json": CONFIG}}, private=True, readers=["hf_owner"])
    hub.tokens.add("hf_owner")
    return "org/private"


@pytest.mark.parametrize("token", [DEFAULT_TOKEN, None])
def test_a_private_repo_is_not_found_by_others(hub: FakeHub, home: Path, private_repo: str, token: str | None) -> None:
    error = client_error(hub, home, f'api.model_info("{private_repo}")', token=token)
    assert (error["type"], error["status"]) == ("RepositoryNotFoundError", 401 if token is None else 404)


def test_a_private_repo_is_read_by_its_reader_without_the_redirect(hub: FakeHub, home: Path,
                                                                    private_repo: str) -> None:
    answer = client(hub, home, f"""
        from huggingface_hub import hf_hub_download
        result = [api.model_info("{private_repo}").private, open(hf_hub_download("{private_repo}", "config.json")).read()]
    """, token="hf_owner")
    assert answer == [True, CONFIG.decode()]
    assert hub.requests_to("/resolve-cache/") == []  # as on the Hub, a private repo's files are served directly


@pytest.mark.parametrize(("token", "status"), [(DEFAULT_TOKEN, 403), (None, 401)])
def test_a_gated_repo_shows_its_info_and_refuses_its_files(hub: FakeHub, home: Path, token: str | None,
                                                           status: int) -> None:
    hub.add_repo("org/gated", {"main": {"config.json": CONFIG}}, gated="manual")
    error = client_error(hub, home, """
        assert api.model_info("org/gated").gated == "manual"
        from huggingface_hub import hf_hub_download
        hf_hub_download("org/gated", "config.json")
    """, token=token)
    assert error["type"] == "GatedRepoError" and error["status"] == status
    assert "RepositoryNotFoundError" in error["classes"]


def test_a_missing_file_is_remote_entry_not_found(hub: FakeHub, home: Path) -> None:
    error = client_error(hub, home, f"""
        from huggingface_hub import hf_hub_download
        hf_hub_download("{REPO}", "missing.json")
    """)
    assert error["type"] == "RemoteEntryNotFoundError" and error["status"] == 404


def test_an_unknown_token_is_refused(hub: FakeHub, home: Path) -> None:
    error = client_error(hub, home, f'api.model_info("{REPO}")', token="hf_stolen")
    assert error["type"] == "HfHubHTTPError" and error["status"] == 401


def test_429_surfaces_with_its_retry_after(hub: FakeHub, home: Path) -> None:
    hub.fail(429, message="slow down", path_contains="/api/models/", Retry_After="30")
    error = client_error(hub, home, f'api.model_info("{REPO}")')
    assert (error["type"], error["status"], error["headers"]["retry-after"]) == ("HfHubHTTPError", 429, "30")


def test_a_download_waits_out_one_429_and_retries(hub: FakeHub, home: Path) -> None:
    hub.fail(429, method="HEAD", path_contains="config.json", times=1, Retry_After="0")
    path = client(hub, home, f"""
        from huggingface_hub import hf_hub_download
        result = hf_hub_download("{REPO}", "config.json")
    """)
    assert Path(path).read_bytes() == CONFIG
    assert [(r.method, r.status) for r in hub.requests] == [("HEAD", 429), ("HEAD", 307), ("HEAD", 200),
                                                            ("GET", 200)]


# -- the server's own knobs ----------------------------------------------------------------


def test_latency_is_added_to_every_request(hub: FakeHub, home: Path) -> None:
    hub.latency = 0.3
    elapsed = client(hub, home, f"""
        import time
        started = time.monotonic()
        api.model_info("{REPO}")
        api.model_info("{REPO}")
        result = time.monotonic() - started
    """)
    assert elapsed >= 0.6  # two loopback requests take milliseconds


def test_an_interceptor_answers_before_the_routes(hub: FakeHub, home: Path) -> None:
    def malformed_json(request: Request) -> Reply | None:
        return Reply(200, {"Content-Type": "application/json"}, b"{not json") if "/api/" in request.path else None

    hub.interceptors.append(malformed_json)
    error = client_error(hub, home, f'api.model_info("{REPO}")')
    assert "JSONDecodeError" in error["classes"]


def test_a_reply_may_lie_about_its_length(hub: FakeHub, home: Path) -> None:
    def short_body(request: Request) -> Reply | None:
        if "/api/models/" not in request.path:
            return None
        return Reply(200, {"Content-Type": "application/json", "Content-Length": str(2**40)}, [b'{"id":', b'"x"}'])

    hub.interceptors.append(short_body)
    error = client_error(hub, home, f'api.model_info("{REPO}")')
    assert error["type"] == "RemoteProtocolError"  # httpx: the body ended before its length
    assert [(r.method, r.status, r.bytes_sent) for r in hub.requests] == [("GET", 200, 10)]


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-7", (0, 7)), ("bytes=8-", (8, 99)), ("bytes=-10", (90, 99)),
    ("bytes=0-100000", (0, 99)), ("bytes=100-", "unsatisfiable"), ("bytes=5-2", "unsatisfiable"),
    ("bytes=0-1,4-5", None), ("lines=1-2", None),
])
def test_range_headers(header: str | None, expected: object) -> None:
    assert parse_range(header, 100) == expected
