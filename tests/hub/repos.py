"""What the fake Hub stores: repositories of commits of files, branches, pull requests.

A file is a ``Blob``: its bytes, and whether git holds it through Git LFS (weights, by the
patterns of the ``.gitattributes`` the Hub writes into a new repo). A commit is a snapshot of
every file; a branch (or a pull request's ``refs/pr/N``) names a commit; a commit sha names
one too, for as long as the fake runs.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

# The patterns of the .gitattributes the Hub writes into a new model repo (the common ones),
# and its size threshold: such files are stored with Git LFS.
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".gguf",
                ".model", ".npy", ".npz", ".pkl", ".pickle", ".zip", ".gz", ".tar", ".zst", ".tflite")
LFS_MIN_SIZE = 10 * 1024 * 1024
GITATTRIBUTES = "".join(f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in LFS_SUFFIXES)


def is_lfs_path(path: str, size: int) -> bool:
    return path.endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE


def git_blob_id(data: bytes) -> str:
    """The git object id of a blob (what the Hub calls a file's ``oid`` / ``blobId``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Blob:
    data: bytes
    lfs: bool

    # cached: a 200-shard repo is looked up by these on every request
    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @functools.cached_property
    def pointer(self) -> bytes:
        """The Git LFS pointer git stores in place of an LFS file."""
        return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
                f"size {len(self.data)}\n").encode()

    @functools.cached_property
    def blob_id(self) -> str:
        return git_blob_id(self.pointer if self.lfs else self.data)

    @property
    def etag(self) -> str:
        """The ETag the Hub sends: the sha256 for LFS files, the git blob id for the others."""
        return f'"{self.sha256 if self.lfs else self.blob_id}"'


def blob_for(path: str, data: bytes) -> Blob:
    return Blob(data, is_lfs_path(path, len(data)))


def folder_files(folder: Path) -> dict[str, bytes]:
    """The files of a model folder on disk (a library's output), keyed as the Hub names them."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and ".git" not in path.relative_to(folder).parts}


@dataclass(frozen=True)
class Commit:
    sha: str
    summary: str
    files: dict[str, Blob]


@dataclass
class Discussion:
    num: int
    title: str
    description: str
    is_pull_request: bool
    status: str  # "open" | "closed" | "merged" | "draft"
    base: str  # the branch a pull request targets
    author: str
    commits: list[Commit] = field(default_factory=list)

    @property
    def git_reference(self) -> str:
        return f"refs/pr/{self.num}"


@dataclass
class Repo:
    repo_id: str
    private: bool = False
    gated: bool | str = False  # False, "auto" or "manual", as model_info reports it
    readers: frozenset[str] = frozenset()  # tokens that may read a private or gated repo
    branches: dict[str, str] = field(default_factory=dict)  # branch (or refs/pr/N) -> commit sha
    commits: dict[str, Commit] = field(default_factory=dict)
    discussions: list[Discussion] = field(default_factory=list)

    def resolve(self, revision: str) -> Commit | None:
        """The commit a revision names: a branch, a pull request's ref, or a full commit sha."""
        sha = self.branches.get(revision, revision)
        return self.commits.get(sha)

    def add_commit(self, branch: str, summary: str, files: dict[str, Blob]) -> Commit:
        parent = self.branches.get(branch, "")
        digest = hashlib.sha1(f"{self.repo_id}\0{parent}\0{summary}\0{len(self.commits)}".encode())
        for path in sorted(files):
            digest.update(f"\0{path}\0{files[path].blob_id}".encode())
        commit = Commit(digest.hexdigest(), summary, dict(files))
        self.commits[commit.sha] = commit
        self.branches[branch] = commit.sha
        return commit

    def discussion(self, num: int) -> Discussion | None:
        return next((item for item in self.discussions if item.num == num), None)

    def lfs_objects(self) -> dict[str, Blob]:
        """Every LFS file any commit holds, by sha256 (what the CDN and ``lfsFile`` look up)."""
        return {blob.sha256: blob for commit in self.commits.values() for blob in commit.files.values() if blob.lfs}
