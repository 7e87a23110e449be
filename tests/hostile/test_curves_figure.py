"""A hostile model folder around the training-curves figure (cardguard/edit/figures.py).

The figure's path is cardguard's own (``assets/training_curves.svg``), never read from the
card: a region whose image points at ``../../etc/passwd`` or at an absolute path is replaced
whole, and nothing is written but the SVG inside the model folder. A huge file, a FIFO or a
folder in the figure's place is a finding (or redrawn), never a traceback, a hang or a read
of the whole file. The CLI runs in a child (helpers.run_cli) so memory and bytes read are
measured. (Linked ``assets/`` folders and a linked SVG: tests/sync/test_curves.py.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hostile.helpers import assert_clean_failure, run_cli

FIGURE_PATH = "assets/training_curves.svg"
LOG = [
    {"epoch": 1.0, "step": 10, "loss": 0.9},
    {"epoch": 1.0, "step": 10, "eval_loss": 0.8, "eval_accuracy": 0.6},
    {"epoch": 2.0, "step": 20, "loss": 0.6},
    {"epoch": 2.0, "step": 20, "eval_loss": 0.7, "eval_accuracy": 0.7},
]


def card(region_text: str = "") -> str:
    return ("---\nlicense: mit\nlibrary_name: transformers\n---\n# tiny\n\nMy words.\n\n## Training curves\n\n"
            f"<!-- cardguard:begin training-curves -->\n{region_text}<!-- cardguard:end training-curves -->\n")


def curves_folder(root: Path, region_text: str = "") -> Path:
    folder = root / "model"
    folder.mkdir(parents=True)
    (folder / ".cardguard.toml").write_text('profile = "minimal"\n', encoding="utf-8")
    (folder / "README.md").write_text(card(region_text), encoding="utf-8")
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": 20, "log_history": LOG}), encoding="utf-8")
    return folder


def files_below(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*")}


def needs_matplotlib() -> None:
    pytest.importorskip("matplotlib", reason="drawing the figure needs the plots extra")


@pytest.mark.parametrize("pointed_at", ["../../etc/passwd", "/etc/passwd", "../outside.svg",
                                        "file:///etc/passwd", "assets/../../outside.svg"])
def test_a_region_pointing_elsewhere_is_replaced_and_only_the_figure_is_written(tmp_path: Path,
                                                                                pointed_at: str) -> None:
    needs_matplotlib()
    folder = curves_folder(tmp_path / "inside", f"![Training curves]({pointed_at})\n")
    outside = tmp_path / "outside.svg"
    outside.write_text("keep me", encoding="utf-8")
    before = files_below(tmp_path)

    checked = run_cli(["check", "--format", "json", str(folder)], tmp_path)
    assert_clean_failure(checked)
    assert {"CG405", "CG420"} <= checked.codes()
    assert files_below(tmp_path) == before  # check writes nothing

    synced = run_cli(["sync", "--format", "json", str(folder)], tmp_path)
    assert_clean_failure(synced)
    assert files_below(tmp_path) == before | {"inside/model/assets", f"inside/model/{FIGURE_PATH}"}
    assert outside.read_text(encoding="utf-8") == "keep me"
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert pointed_at not in text and f"]({FIGURE_PATH})" in text
    assert run_cli(["check", str(folder)], tmp_path).returncode == 0


def test_a_huge_figure_is_stale_without_being_read_and_sync_replaces_it(tmp_path: Path) -> None:
    needs_matplotlib()
    folder = curves_folder(tmp_path, f"![Training curves]({FIGURE_PATH})\n")
    (folder / "assets").mkdir()
    with open(folder / FIGURE_PATH, "wb") as huge:
        huge.truncate(4 * 2**30)  # 4 GiB, sparse: it reads as zeros

    checked = run_cli(["check", "--format", "json", str(folder)], tmp_path)
    assert_clean_failure(checked)
    assert "CG420" in checked.codes()
    assert checked.read_mb < 64 and checked.peak_mb < 1024  # its size was enough: not read

    synced = run_cli(["sync", str(folder)], tmp_path)
    assert_clean_failure(synced)
    assert (folder / FIGURE_PATH).stat().st_size < 2**20
    assert (folder / FIGURE_PATH).read_bytes().startswith(b"<?xml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_in_the_figures_place_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    needs_matplotlib()
    folder = curves_folder(tmp_path, f"![Training curves]({FIGURE_PATH})\n")
    (folder / "assets").mkdir()
    os.mkfifo(folder / FIGURE_PATH)
    for command in ("check", "sync"):
        ran = run_cli([command, "--format", "json", str(folder)], tmp_path, timeout=30)
        assert_clean_failure(ran)
        assert "CG001" in ran.codes()
    assert (folder / FIGURE_PATH).is_fifo()  # not replaced


def test_a_folder_in_the_figures_place_is_a_finding_and_left_as_it_is(tmp_path: Path) -> None:
    needs_matplotlib()
    folder = curves_folder(tmp_path, f"![Training curves]({FIGURE_PATH})\n")
    (folder / FIGURE_PATH).mkdir(parents=True)
    (folder / FIGURE_PATH / "keep.txt").write_text("keep me", encoding="utf-8")
    for command in ("check", "sync"):
        ran = run_cli([command, "--format", "json", str(folder)], tmp_path)
        assert_clean_failure(ran)
        assert "CG001" in ran.codes()
    assert (folder / FIGURE_PATH / "keep.txt").read_text(encoding="utf-8") == "keep me"


def test_a_broken_matplotlib_is_no_matplotlib_and_no_figure_is_opened(tmp_path: Path) -> None:
    """A matplotlib that is found but does not import (here a stand-in that raises
    ImportError) counts as none: the region says how to install it, no figure is expected, so
    none is looked at (a FIFO there cannot hang the run), and nothing fails."""
    folder = curves_folder(tmp_path)
    (folder / "assets").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / FIGURE_PATH)
    blocker = tmp_path / "no-matplotlib"
    (blocker / "matplotlib").mkdir(parents=True)
    (blocker / "matplotlib" / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), str(blocker)])}
    ran = run_cli(["sync", "--format", "json", str(folder)], tmp_path, timeout=30, env=env)
    assert ran.returncode == 1 and "CG000" not in ran.codes(), ran.stdout  # 1: sync rewrote the card
    assert "pip install 'cardguard[plots]'" in (folder / "README.md").read_text(encoding="utf-8")
