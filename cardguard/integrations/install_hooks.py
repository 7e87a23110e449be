"""``cardguard install-hooks``: put the plain git hooks of ``hooks/`` into a repository.

For model repos cloned from the Hub that do not use the pre-commit framework. The hooks
folder is the one git itself uses (``git rev-parse --git-path hooks``), so ``core.hooksPath``
and worktrees are respected. A hook file that is not cardguard's is never replaced unless
``force`` is given, and then it is kept as ``<name>.cardguard-backup``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cardguard.record import Record
from cardguard.resources import data_dir

MARKER = "# cardguard-hook: "
PYTHON_LINE = 'cardguard_python=""'
BACKUP_SUFFIX = ".cardguard-backup"


class InstallError(Exception):
    """The hooks cannot be installed; printed as one line, exit code 2."""


class Installed(Record, frozen=True):
    name: str
    path: Path
    action: str  # "installed", "updated", "unchanged", "replaced (backup: …)"


def hooks_dir(cwd: Path | None = None) -> Path:
    """The folder git runs hooks from for the repository at ``cwd``."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
            cwd=cwd, capture_output=True, text=True, check=False,
        )
    except FileNotFoundError:
        raise InstallError("git is not installed") from None
    if result.returncode != 0:
        raise InstallError(f"not inside a git repository ({result.stderr.strip() or 'git rev-parse failed'})")
    return Path(result.stdout.strip())


def hook_text(name: str, python: str = sys.executable) -> str:
    """The shipped hook script, told which Python has cardguard installed."""
    source = data_dir("hooks") / name
    text = source.read_text(encoding="utf-8")
    if PYTHON_LINE not in text:
        raise InstallError(f"{source} is not a cardguard hook script")
    return text.replace(PYTHON_LINE, f"cardguard_python={_sh_quote(python)}", 1)


def is_cardguard_hook(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return MARKER in head


def install(names: list[str], target: Path, force: bool = False, python: str = sys.executable) -> list[Installed]:
    """Install the named hooks into ``target``; refuses (before writing anything) to replace a
    foreign hook unless ``force``."""
    foreign = [name for name in names if (target / name).exists() and not is_cardguard_hook(target / name)]
    if foreign and not force:
        listed = ", ".join(str(target / name) for name in foreign)
        raise InstallError(f"{listed}: a hook that is not cardguard's is already there; use --force to replace it (it is kept as *{BACKUP_SUFFIX})")
    target.mkdir(parents=True, exist_ok=True)
    return [_install_one(name, target, python, name in foreign) for name in names]


def _install_one(name: str, target: Path, python: str, foreign: bool) -> Installed:
    path = target / name
    text = hook_text(name, python)
    action = "installed"
    if foreign:
        backup = path.with_name(name + BACKUP_SUFFIX)
        os.replace(path, backup)
        action = f"replaced (the old hook is {backup})"
    elif path.exists():
        if path.read_text(encoding="utf-8", errors="replace") == text and os.access(path, os.X_OK):
            return Installed(name, path, "unchanged")
        action = "updated"
    _write_executable(path, text)
    return Installed(name, path, action)


def _write_executable(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, 0o755)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
