"""``cardguard audit`` as a command: a progress bar on a terminal (run under a pseudo-terminal),
plain lines when piped (CI logs), the exit codes, and usage errors as one line."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from helpers import BAD_CARD, CONFIG, GOOD_CARD, run, subprocess_env

AUDIT = [sys.executable, "-m", "cardguard", "audit"]


def make_fleet(root: Path, cards: list[str]) -> Path:
    root.mkdir(parents=True)
    (root / ".cardguard.toml").write_text(CONFIG, encoding="utf-8")
    for index, card in enumerate(cards):
        folder = root / f"model-{index}"
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(card, encoding="utf-8")
        (folder / "config.json").write_text('{"model_type": "bert", "hidden_size": 8}\n', encoding="utf-8")
    return root


def run_in_terminal(args: list[str], cwd: Path, columns: int = 100, rows: int = 24) -> tuple[int, str]:
    """Run ``args`` with stdout and stderr on a pseudo-terminal of that size; (exit code, what
    the terminal showed)."""
    controller, terminal = pty.openpty()
    # a new pseudo-terminal is 0 columns wide, and tqdm draws a bar as wide as the terminal
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(args, cwd=cwd, env=subprocess_env(), stdin=subprocess.DEVNULL,
                               stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.wait(timeout=120), shown.decode("utf-8", "replace")


def test_on_a_terminal_a_progress_bar_shows(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD] * 3)
    code, shown = run_in_terminal([*AUDIT, "fleet", "--out", "out"], tmp_path)
    assert code == 0, shown
    assert "cardguard audit: 100%|" in shown and "3/3" in shown
    assert "cardguard audit: 3/3 repos" not in shown  # the plain lines are for logs only


def test_a_terminal_that_reports_no_size_still_gets_a_bar(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD] * 3)
    code, shown = run_in_terminal([*AUDIT, "fleet", "--out", "out"], tmp_path, columns=0, rows=0)
    assert code == 0, shown
    assert "cardguard audit: 100%|" in shown and "3/3" in shown


def test_piped_plain_lines_and_no_bar(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD, BAD_CARD])
    result = run([*AUDIT, "fleet", "--out", "out"], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "cardguard audit: 2/2 repos, 1 failing\n" in result.stderr
    assert "\r" not in result.stderr and "%|" not in result.stderr
    lines = [json.loads(text) for text in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [line["errors"] > 0 for line in lines] == [False, True]


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD])
    for arguments in (["fleet", "--out", "out", "--shard", "3/2"], ["--out", "out"],
                      ["fleet", "--out", "out", "--since", "nowhere"], ["fleet", "--out", "out", "--jobs", "0"],
                      ["nowhere", "--out", "out"], ["fleet", "--out", "fleet/model-0/README.md"]):
        result = run([*AUDIT, *arguments], tmp_path)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("cardguard: error: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing written when the run could not start
