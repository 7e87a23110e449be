"""The gate every file of a checked repository passes: one function to read, one to write.

In a pull request the author controls every file of the tree, symlinks included. A link that
stays inside the checkout can still lead somewhere the pull request does not own: `.git/config`
(which holds the token ``actions/checkout`` persists), a build output git ignores, a file
nobody committed. So a file is read, created or replaced only when its path, once every link
is followed,

- stays inside the *boundary* (the repository, or a model folder inside it);
- passes through no folder named ``.git``;
- and, when a symlink was followed on the way and the boundary lies in a git work tree,
  names a file git tracks (a folder, for a file to be created: one git does not ignore and
  that holds tracked files). When git cannot answer, the link is refused.

A path without links costs nothing extra: it is opened one component at a time from the
boundary's descriptor with ``O_NOFOLLOW``, so a link shows itself as an error of that open
(and a link swapped in after the check cannot be followed). Only then is the path resolved
and git asked. Refusals are :class:`Refused`, which carries the rule code of the finding.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # typing is imported for type checkers only (cold start)
if TYPE_CHECKING:
    from typing import BinaryIO, Union

    StrPath = Union[str, "os.PathLike[str]"]

GIT_FOLDER = ".git"
TEMP_SUFFIX = ".cardguard-tmp"
GIT_TIMEOUT_SECONDS = 20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
# O_NONBLOCK: opening a FIFO for reading must not wait for a writer (fstat then refuses it).
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)
# Where the platform lacks openat or O_NOFOLLOW (Windows), every path is resolved and checked
# first. (os.replace is not listed in supports_dir_fd; it shares os.rename's support.)
_OPENAT = bool(_NOFOLLOW) and os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd
# What open(O_NOFOLLOW) answers for a link: Linux ELOOP, FreeBSD EMLINK; ENOTDIR when a link
# stands where a folder was asked with O_DIRECTORY.
_LINK_ERRORS = {errno.ELOOP, errno.EMLINK, errno.ENOTDIR}


class Refused(Exception):
    """A path cardguard does not open. ``code`` is the finding's rule code (CG307: the path
    leads where the pull request does not own; CG001: not a regular file, or cannot be
    resolved); ``reason`` reads after the file's name ("resolves outside ...")."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class _LinkOnTheWay(Exception):
    """A component of the path is a symlink."""


# -- the two doors ---------------------------------------------------------------------------------


def open_for_reading(path: StrPath, boundary: StrPath) -> tuple[BinaryIO, int]:
    """Open ``path`` (a path under ``boundary``) for reading: the open file and its size.

    Raises FileNotFoundError when nothing is there (a dangling link included), Refused when
    the gate says no or it is not a regular file, OSError when the system says no.
    """
    descriptor, size = _open_regular(path, boundary)
    try:
        return open(descriptor, "rb"), size  # noqa: SIM115 (the caller closes it)
    except BaseException:
        os.close(descriptor)
        raise


def read_small_file(path: StrPath, boundary: StrPath, max_bytes: int) -> tuple[bytes, int]:
    """The bytes of ``path`` (a path under ``boundary``) and its size as fstat gave it, read
    through the gate as :func:`open_for_reading` opens it; no bytes when that size is over
    ``max_bytes``, else at most ``max_bytes + 1`` (as :func:`read_up_to`). Raises as
    :func:`open_for_reading`, and OSError when the read fails.

    For the small files read whole, one per card (the card, its ``.eval_results``): the
    descriptor is read as it is, without the file object and buffer ``open`` would add."""
    descriptor, size = _open_regular(path, boundary)
    try:
        if size > max_bytes:
            return b"", size
        data = read_descriptor(descriptor, size + 1)
        if len(data) > size:  # the file grew after fstat: read on to one byte past the bound
            data += read_descriptor(descriptor, max_bytes + 1 - len(data))
        return data, size
    finally:
        os.close(descriptor)


class NotRegularFile(OSError):
    """:func:`open_regular_unguarded` found a FIFO, a device, a socket or a folder."""


def open_regular_unguarded(path: StrPath, follow_links: bool = True) -> int:
    """A read descriptor of ``path`` when it is a regular file, opened without the gate (for a
    read that needs no repository boundary: a card's first bytes sniffed to tell a model card,
    a file only hashed); NotRegularFile otherwise. It is opened without waiting: the open of a
    FIFO would wait for a writer for ever, and a device (/dev/zero) would never end."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC | (0 if follow_links else _NOFOLLOW)
    descriptor = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise NotRegularFile(errno.EINVAL, "not a regular file", os.fspath(path))
    return descriptor


def read_descriptor(descriptor: int, wanted: int) -> bytes:
    """Up to ``wanted`` bytes from an open descriptor: fewer only at the end of the file."""
    chunks: list[bytes] = []
    while wanted > 0:
        chunk = os.read(descriptor, wanted)
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def write_descriptor(descriptor: int, data: bytes) -> None:
    """All of ``data`` to an open descriptor (``os.write`` may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _open_regular(path: StrPath, boundary: StrPath) -> tuple[int, int]:
    """A read descriptor for ``path`` through the gate and the file's size; Refused when it is
    not a regular file (see :func:`open_for_reading`)."""
    root = os.path.abspath(boundary)
    parts = _parts_below(os.path.abspath(path), root, boundary)
    descriptor = _open_checked(root, parts)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("CG001", _not_regular(info.st_mode))
        return descriptor, info.st_size
    except BaseException:
        os.close(descriptor)
        raise


def read_up_to(handle: BinaryIO, expected_size: int, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of an open file whose size fstat gave as
    ``expected_size``: one byte past the bound shows a file that grew after the check.

    The first read asks for the expected size (plus that one byte), not for the bound: a
    buffered ``read(n)`` allocates ``n`` bytes up front, 10 MB for every 4 KB card.
    """
    data = handle.read(min(expected_size, max_bytes) + 1)
    if len(data) <= expected_size:
        return data  # the end of the file came where fstat said, or before
    return data + handle.read(max_bytes + 1 - len(data))


def write_file(path: StrPath, boundary: StrPath, data: bytes, new: bool = False) -> None:
    """Replace ``path``'s content atomically, or with ``new=True`` create it (its folder too).

    Replacing writes a temporary file beside the target, flushes, fsyncs and renames it over
    the target: mode, owner and group are kept, a linked file (allowed by the gate) is written
    through its link. Creating never replaces: FileExistsError when something is there. On any
    failure the target is untouched and the temporary file removed. A process killed before
    its rename leaves its temporary file (named ``.NAME.PID.RANDOM.cardguard-tmp``): the next
    write removes those whose process is gone.
    """
    root = os.path.abspath(boundary)
    parts = _parts_below(os.path.abspath(path), root, boundary)
    if new:
        _make_missing_folders(root, parts[:-1])
    folder = _open_folder_checked(root, parts[:-1])
    name = parts[-1]
    try:
        if new:
            _create(folder, name)
        elif stat.S_ISLNK(folder.lstat(name).st_mode):
            folder.close()
            real_root, real_parts = _resolve_allowed(root, parts, folder=False)
            folder, name = _open_folder_resolved(real_root, real_parts[:-1]), real_parts[-1]
        _replace(folder, name, data)
    finally:
        folder.close()


class _Folder:
    """A checked folder: its descriptor where the platform has openat (every name is then
    opened relative to it, so the folder cannot be swapped for a link), else its path."""

    def __init__(self, path: str, descriptor: int | None) -> None:
        self.path = path
        self.descriptor = descriptor

    def at(self, name: str) -> tuple[str, int | None]:
        """``name`` and the dir_fd to pass with it."""
        if self.descriptor is None:
            return os.path.join(self.path, name), None
        return name, self.descriptor

    def lstat(self, name: str) -> os.stat_result:
        where, folder = self.at(name)
        return os.stat(where, dir_fd=folder, follow_symlinks=False)

    def names(self) -> list[str]:
        return os.listdir(self.path if self.descriptor is None else self.descriptor)

    def close(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


def list_folder(path: StrPath, boundary: StrPath) -> list[str]:
    """The names in folder ``path`` (under ``boundary``), when the gate lets it be opened:
    a linked folder's listing would show names from places the pull request does not own."""
    root = os.path.abspath(boundary)
    folder = _open_folder_checked(root, _parts_below(os.path.abspath(path), root, boundary))
    try:
        return folder.names()
    finally:
        folder.close()


# -- where a path leads ----------------------------------------------------------------------------


def _parts_under(path: StrPath, boundary: StrPath) -> list[str]:
    """The components of ``path`` below ``boundary``, written as given (no link followed)."""
    return _parts_below(os.path.abspath(path), os.path.abspath(boundary), boundary)


def _parts_below(absolute: str, root: str, boundary: StrPath) -> list[str]:
    """:func:`_parts_under` of paths already made absolute (``root`` is ``boundary``'s): the
    read of every card makes each absolute once."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    # The usual case, a path written below its boundary, needs no relpath (which normalises
    # both paths again and compares them component by component: most of the gate's cost).
    relative = absolute[len(prefix):] if absolute.startswith(prefix) else os.path.relpath(absolute, root)
    parts = [part for part in relative.replace(os.sep, "/").split("/") if part not in ("", ".")]
    if not parts or parts[0] == "..":
        raise Refused("CG307", f"is not inside {os.fspath(boundary)}; not followed")
    if GIT_FOLDER in parts:
        raise Refused("CG307", "is inside a .git folder; not followed")
    return parts


def _open_checked(root: str, parts: list[str]) -> int:
    """A read descriptor for ``root/parts``: straight when no link is on the way, else after
    the link's target passed the gate."""
    if _OPENAT:
        try:
            return _open_beneath(root, parts, _READ_FLAGS)
        except _LinkOnTheWay:
            pass
    real_root, real_parts = _resolve_allowed(root, parts, folder=False)
    return _open_resolved(real_root, real_parts, _READ_FLAGS)


def _open_folder_checked(root: str, folder_parts: list[str]) -> _Folder:
    """The folder ``root/folder_parts``, opened straight when no link is on the way, else after
    its real path passed the gate."""
    if _OPENAT:
        try:
            return _Folder(os.path.join(root, *folder_parts), _open_beneath(root, [*folder_parts, ""], _FOLDER_FLAGS))
        except _LinkOnTheWay:
            pass
    real_root, real_parts = _resolve_allowed(root, folder_parts, folder=True)
    return _open_folder_resolved(real_root, real_parts)


def _open_folder_resolved(root: str, real_parts: list[str]) -> _Folder:
    path = os.path.join(root, *real_parts)
    if not _OPENAT:
        return _Folder(path, None)
    return _Folder(path, _open_resolved(root, [*real_parts, ""], _FOLDER_FLAGS))


def _resolve_allowed(root: str, parts: list[str], folder: bool) -> tuple[str, list[str]]:
    """Follow every link of ``root/parts``: the real path of ``root`` and the real components
    below it when the gate allows them, else Refused. FileNotFoundError when the path leads
    nowhere."""
    shown = "/".join(parts)
    real_root = os.path.realpath(root)
    try:
        real = os.path.realpath(os.path.join(real_root, *parts), strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(errno.ENOENT, "no such file", shown) from None
    except OSError as error:  # a loop of links
        raise Refused("CG001", f"cannot be resolved (a symlink loop?): {error.strerror or error}") from None
    if os.path.commonpath([real, real_root]) != real_root:
        raise Refused("CG307", f"resolves outside {root} (to {real}); not followed")
    real_parts = [] if real == real_root else os.path.relpath(real, real_root).split(os.sep)
    if GIT_FOLDER in real_parts:
        raise Refused("CG307", f"resolves into a .git folder (to {real}); not followed")
    followed_a_link = real_parts != parts
    problem = _git_objection(real, folder) if followed_a_link else None
    if problem is not None:
        raise Refused("CG307", f"is a symlink to {real}, {problem}; not followed")
    return real_root, real_parts


def _open_resolved(root: str, real_parts: list[str], flags: int) -> int:
    """Open an already checked real path. With openat, a link that appeared since the check
    is refused instead of followed."""
    if not _OPENAT:
        return os.open(os.path.join(root, *real_parts), flags)
    try:
        return _open_beneath(root, real_parts, flags)
    except _LinkOnTheWay:
        raise Refused("CG307", "changed into a symlink while it was being checked; not followed") from None


def _open_beneath(root: str, parts: list[str], flags: int) -> int:
    """Open ``root/parts`` one component at a time, following no link. A last part of ""
    opens the folder itself (``flags`` then are folder flags)."""
    folder = os.open(root, _FOLDER_FLAGS)
    try:
        for name in parts[:-1]:
            inner = _open_component(name, _FOLDER_FLAGS | _NOFOLLOW, folder)
            os.close(folder)
            folder = inner
        if parts[-1] == "":
            opened, folder = folder, -1
            return opened
        return _open_component(parts[-1], flags, folder)
    finally:
        if folder != -1:
            os.close(folder)


def _open_component(name: str, flags: int, folder: int) -> int:
    try:
        return os.open(name, flags, dir_fd=folder)
    except OSError as error:
        if error.errno in _LINK_ERRORS and _is_link(name, folder):
            raise _LinkOnTheWay() from None
        raise


def _is_link(name: str, folder: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _make_missing_folders(root: str, folder_parts: list[str]) -> None:
    """Create the folders a new file needs, each inside an already checked folder."""
    for depth in range(len(folder_parts)):
        parent = _open_folder_checked(root, folder_parts[:depth])
        where, descriptor = parent.at(folder_parts[depth])
        try:
            os.mkdir(where, 0o777, dir_fd=descriptor)
        except FileExistsError:
            pass  # a folder, or a link the next step checks
        finally:
            parent.close()


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    return "is not a regular file (a FIFO, socket or device); not read"


# -- what git says about a link's target -------------------------------------------------------------


def _git_objection(real: str, folder: bool) -> str | None:
    """Why git does not vouch for ``real`` (a path a link led to), or None when it does or
    no git work tree holds it."""
    work_tree = git_work_tree(os.path.dirname(real) if not folder else real)
    if work_tree is None:
        return None
    relative = os.path.relpath(real, work_tree)
    if folder:
        ignored = _git(work_tree, "check-ignore", "-q", "--", relative)
        if ignored is None or ignored[0] not in (0, 1):
            return "and git cannot tell whether that folder is ignored"
        if ignored[0] == 0:
            return "a folder git ignores"
        listed = _git(work_tree, "--literal-pathspecs", "ls-files", "-z", "--", relative)
        if listed is None or listed[0] != 0:
            return "and git cannot tell what that folder holds"
        return None if listed[1] else "a folder holding no file git tracks"
    listed = _git(work_tree, "--literal-pathspecs", "ls-files", "-z", "--error-unmatch", "--", relative)
    if listed is None or listed[0] not in (0, 1):
        return "and git cannot tell whether that file is tracked"
    return None if listed[0] == 0 and listed[1] else "a file git does not track"


def git_work_tree(folder: str) -> str | None:
    """The nearest folder at or above ``folder`` holding ``.git``, or None."""
    current = os.path.abspath(folder)
    while True:
        if os.path.lexists(os.path.join(current, GIT_FOLDER)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _git(work_tree: str, *args: str) -> tuple[int, bytes] | None:
    """git's exit code and output for one question about ``work_tree``; None when git cannot
    be run. (ls-files is asked with --literal-pathspecs, so a name holding ``*`` matches only
    itself; check-ignore takes plain paths and refuses that option.)"""
    return ask_git(work_tree, *args)


def ask_git(work_tree: str, *args: str, own_repository: bool = False) -> tuple[int, bytes] | None:
    """git's exit code and output for one question about ``work_tree``; None when git cannot
    be run. With ``own_repository`` the question is about the repository at ``work_tree``
    itself: variables a calling git sets (GIT_DIR, GIT_INDEX_FILE... in a hook) are dropped."""
    import subprocess  # here, not at the top: only a followed link pays for it

    # core.fsmonitor would name a program to run: a work tree's own configuration never gets to.
    command = ["git", "-c", "core.fsmonitor=false", "-C", work_tree, *args]
    inherited = {name: value for name, value in os.environ.items()
                 if not (own_repository and name.startswith("GIT_"))}
    environment = {**inherited, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, env=environment, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.returncode, done.stdout


# -- the atomic replace ------------------------------------------------------------------------------


def _create(folder: _Folder, name: str) -> None:
    """An empty new file (never over an existing one, never through a link)."""
    where, descriptor = folder.at(name)
    os.close(os.open(where, _CREATE_FLAGS, 0o666, dir_fd=descriptor))


def _replace(folder: _Folder, name: str, data: bytes) -> None:
    info = folder.lstat(name)
    if not stat.S_ISREG(info.st_mode):
        raise Refused("CG001", _not_regular(info.st_mode))
    _remove_stale_temporaries(folder, name)
    temporary, descriptor = folder.at(f".{name}.{os.getpid()}.{os.urandom(4).hex()}{TEMP_SUFFIX}")
    target, _ = folder.at(name)
    handle = os.open(temporary, _CREATE_FLAGS, 0o600, dir_fd=descriptor)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _keep_owner(temporary, descriptor, info)
        os.chmod(temporary, stat.S_IMODE(info.st_mode), dir_fd=descriptor)
        os.replace(temporary, target, src_dir_fd=descriptor, dst_dir_fd=descriptor)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=descriptor)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _keep_owner(temporary: str, descriptor: int | None, info: os.stat_result) -> None:
    if not hasattr(os, "chown"):
        return
    for uid in (info.st_uid, -1):  # owner and group; else the group alone
        try:
            os.chown(temporary, uid, info.st_gid, dir_fd=descriptor)
            return
        except PermissionError:
            continue


def _remove_stale_temporaries(folder: _Folder, name: str) -> None:
    """Delete ``.NAME.PID.*.cardguard-tmp`` files beside ``name`` whose process has ended."""
    if os.name != "posix":
        return  # os.kill(pid, 0) is not a probe on Windows
    prefix = f".{name}."
    try:
        names = folder.names()
    except OSError:
        return
    for candidate in names:
        pid = _temporary_pid(candidate, prefix)
        if pid is not None and not _process_alive(pid):
            where, descriptor = folder.at(candidate)
            try:
                os.unlink(where, dir_fd=descriptor)
            except OSError:
                pass


def _temporary_pid(candidate: str, prefix: str) -> int | None:
    """The pid in ``PREFIX<pid>.<random>.cardguard-tmp``, or None for any other name."""
    if not (candidate.startswith(prefix) and candidate.endswith(TEMP_SUFFIX)):
        return None
    middle = candidate[len(prefix):-len(TEMP_SUFFIX)].split(".")
    if len(middle) != 2 or not middle[0].isdigit() or not middle[1]:
        return None
    return int(middle[0])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a number no pid can be): leave its file
    return True


def _fsync_folder(folder: _Folder) -> None:
    """Make the rename durable (a folder cannot be opened for fsync on Windows)."""
    if folder.descriptor is None:
        return
    try:
        os.fsync(folder.descriptor)
    except OSError:
        pass
