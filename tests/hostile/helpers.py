"""Shared pieces of the hostile-input tests: the CLI in a measured child process, small repos.

``run_cli`` runs ``cardguard`` in a fresh interpreter and reads that child's own peak RSS
(VmHWM, reset by exec) and bytes read (rchar in /proc/self/io), so a test can prove that a
file was refused by its length rather than read, and that nothing slurped or recursed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 60
CLASSIFIER_CONFIG = {
    "model_type": "bert", "architectures": ["BertForSequenceClassification"],
    "id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1},
}
LABELS_CARD = (
    "---\nlicense: mit\n---\n# Model\n\nMy words.\n\n## Labels\n\n"
    "<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n\nMore words.\n"
)

_MEASURED_MAIN = """
import sys
from cardguard.cli import main
code = main(sys.argv[1:])
def field(path, name):
    with open(path) as source:
        return next(line.split()[1] for line in source if line.startswith(name))
print(f"peak-kb={field('/proc/self/status', 'VmHWM')} rchar={field('/proc/self/io', 'rchar:')}", file=sys.stderr)
sys.exit(code)
"""


@dataclass(frozen=True)
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float
    read_mb: float

    def codes(self) -> set[str]:
        """Rule codes in the JSON report (validate, check and sync print one)."""
        data = json.loads(self.stdout) if self.stdout.strip() else {"findings": []}
        return {item["code"] for item in data["findings"]}


def run_cli(args: list[str], cwd: Path, timeout: float = TIME_LIMIT_S, env: dict[str, str] | None = None) -> CliRun:
    """``cardguard ARGS`` in a child process, with its peak memory and bytes read."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED_MAIN, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    stats = result.stderr.rsplit("peak-kb=", 1)
    peak_kb, rchar = stats[1].split() if len(stats) == 2 else ("0", "rchar=0")
    return CliRun(result.returncode, result.stdout, stats[0], int(peak_kb) / 1024,
                  int(rchar.removeprefix("rchar=")) / 2**20)


# Part of CG000's message: a bug that cardguard reported on one card and went on.
GAVE_UP_ON_A_CARD = "failed on this card and did not check"


def assert_clean_failure(run: CliRun) -> None:
    """The run ended as findings (1) or a one-line error (2): never a traceback or internal
    error, whether it ended the run (stderr) or one card (CG000)."""
    assert "Traceback" not in run.stderr, run.stderr
    assert "internal error" not in run.stderr, run.stderr
    assert GAVE_UP_ON_A_CARD not in run.stdout, run.stdout[-2000:]
    assert run.returncode in (1, 2), (run.returncode, run.stdout[-2000:], run.stderr)


def classifier_repo(folder: Path, card: str = LABELS_CARD) -> Path:
    """A git-looking model repo: config.json with two labels, a card with a stale labels region."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".git").mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(CLASSIFIER_CONFIG), encoding="utf-8")
    (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


def git_track(repo: Path) -> Path:
    """Make ``repo`` a real git work tree (its fake ``.git`` folder replaced) with every file
    staged, so git can say which files a link may lead to (cardguard.safe_paths asks it)."""
    fake = repo / ".git"
    if fake.is_dir() and not any(fake.iterdir()):
        fake.rmdir()
    git = ["git", "-c", "init.defaultBranch=main", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True, capture_output=True)
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    return repo


def pickle_opcodes(value: object) -> bytes:
    """The pickle opcodes of ``value`` alone (protocol 2, without PROTO and STOP), to splice."""
    import pickle

    return pickle.dumps(value, protocol=2)[2:-1]


def torch_zip(path: Path, data_pkl: bytes) -> None:
    """A torch zip archive (what torch.save writes) holding ``data_pkl`` as its pickle."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/version", "3\n")
