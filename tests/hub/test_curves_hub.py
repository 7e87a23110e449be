"""The training-curves figure wherever the card travels on the Hub (the fake one, tests/hub/).

A Trainer-like folder (a card with the `training-curves` region, trainer_state.json and the
SVG `cardguard sync` drew beside it) is served as a repo:

- ``check hf://ORG/NAME`` reads the figure as a clone holds it, so it gives the findings of
  ``check`` on the folder (an up-to-date figure is no CG420 on either side; a stale one is
  CG420 on both);
- ``sync --hub ORG/NAME --create-pr`` after a retrain proposes the redrawn figure with the card;
- ``push --sync`` of a folder whose figure is stale uploads the redrawn one.

Drawing needs matplotlib (the plots extra): without it those tests skip, and one that runs
everywhere serves a figure drawn elsewhere: left alone without matplotlib, on both sides.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sync.test_curves import CARD, LOG, model_folder, needs_matplotlib, write_log

import cardguard
from cardguard.artifacts.hub_repo import FIGURE_DOWNLOAD_BYTES, FIGURE_FILES
from cardguard.expect.curves import FIGURE_PATH, plots_available
from hub.repos import GITATTRIBUTES, folder_files
from hub.server import FakeHub
from hub.test_hf_target import findings_in_child, with_paths_after
from hub.test_push import cardguard_cli

REPO = "org/curves"
RETRAINED = [*LOG, {"epoch": 3.0, "step": 30, "eval_loss": 0.5, "eval_accuracy": 0.8, "eval_runtime": 1.0}]


def synced_folder(root: Path) -> Path:
    """The Trainer-like folder, synced: its card shows the figure and the SVG is beside it."""
    needs_matplotlib()
    root.mkdir(parents=True, exist_ok=True)
    folder = model_folder(root)
    (folder / ".cardguard.toml").write_text('profile = "minimal"\n', encoding="utf-8")  # no template sections
    assert cardguard.sync(folder, profile="minimal").cards[0].written
    assert (folder / FIGURE_PATH).is_file()
    return folder


def figure_downloads(hub: FakeHub) -> list:
    """The GETs that sent the figure's bytes (not the redirect to them)."""
    return [record for record in hub.requests_to(FIGURE_PATH, "GET") if record.status == 200]


def served_and_local(folder: Path, home: Path, subfolder: str = "") -> tuple[list, list, list]:
    """``check`` of ``folder`` served as the repo (in ``subfolder`` of it) and of the folder on
    disk, each finding's path below the folder; and the downloads of the figure."""
    prefix = f"{subfolder}/" if subfolder else ""
    served = {prefix + path: data for path, data in folder_files(folder).items()}
    with FakeHub({REPO: {"main": served}}) as hub:
        remote = findings_in_child(hub, home, "check", f"hf://{REPO}/{subfolder}".rstrip("/"))
        local = findings_in_child(hub, home, "check", str(folder))
        sha = hub.sha(REPO)
        figure_reads = figure_downloads(hub)
    return (with_paths_after(f"hf://{REPO}@{sha}/{prefix}", remote), with_paths_after(f"{folder}/", local),
            figure_reads)


def codes(findings: list[list]) -> list[str]:
    return [code for code, *_ in findings]


def test_the_figure_path_is_one_the_hub_reader_fetches() -> None:
    assert FIGURE_PATH in FIGURE_FILES


def test_a_figure_drawn_elsewhere_is_read_alike_with_or_without_matplotlib(tmp_path: Path, home: Path) -> None:
    shown = "![Training curves: Training loss, Evaluation loss, Accuracy](assets/training_curves.svg)\n"
    card = CARD.replace("<!-- cardguard:end", shown + "<!-- cardguard:end")
    folder = model_folder(tmp_path, card=card)
    (folder / ".cardguard.toml").write_text('profile = "minimal"\n', encoding="utf-8")
    (folder / "assets").mkdir()
    (folder / FIGURE_PATH).write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><!-- drawn elsewhere --></svg>\n")
    remote, local, _ = served_and_local(folder, home)
    assert remote == local
    # without matplotlib the figure cannot be drawn to compare: left alone, never drift
    assert ("CG420" in codes(remote)) is plots_available()


@pytest.mark.parametrize("stale", [False, True], ids=["up-to-date", "stale"])
def test_check_of_a_served_repo_with_a_figure_gives_the_findings_of_the_folder(tmp_path: Path, home: Path,
                                                                               stale: bool) -> None:
    folder = synced_folder(tmp_path)
    if stale:  # a retrain the card's figure was not redrawn for
        write_log(folder, RETRAINED)
    remote, local, figure_reads = served_and_local(folder, home)
    assert remote == local
    assert ("CG420" in codes(remote)) is stale
    assert len(figure_reads) == 1  # the figure, once (the Hub redirects each file to its cache)


def test_a_model_in_a_subfolder_of_the_repo_has_its_figure_read_too(tmp_path: Path, home: Path) -> None:
    folder = synced_folder(tmp_path)
    remote, local, figure_reads = served_and_local(folder, home, subfolder="models/tiny")
    assert remote == local and "CG420" not in codes(remote)
    assert len(figure_reads) == 1


def test_a_figure_over_the_bound_is_not_downloaded_and_is_stale_on_both_sides(tmp_path: Path, home: Path) -> None:
    folder = synced_folder(tmp_path)
    huge = b"<svg>" + b" " * FIGURE_DOWNLOAD_BYTES + b"</svg>"
    (folder / FIGURE_PATH).write_bytes(huge)
    remote, local, figure_reads = served_and_local(folder, home)
    assert remote == local
    assert "CG420" in codes(remote) and figure_reads == []


def test_sync_create_pr_proposes_the_redrawn_figure_with_the_card(tmp_path: Path, home: Path) -> None:
    folder = synced_folder(tmp_path / "served")
    write_log(folder, RETRAINED)  # retrained: a new point, drawn only once synced
    served = folder_files(folder)
    local = synced_folder_after_retrain(tmp_path / "local")
    with FakeHub({REPO: {"main": served}}) as hub:
        code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
        proposed = hub.files(REPO, "refs/pr/1")
        (pull_request,) = hub.repos[REPO].discussions
    assert code == 0, out + err
    assert proposed[FIGURE_PATH] == (local / FIGURE_PATH).read_bytes() != served[FIGURE_PATH]
    assert proposed["README.md"] == (local / "README.md").read_bytes()
    assert proposed == {**served, "README.md": proposed["README.md"], FIGURE_PATH: proposed[FIGURE_PATH]}
    assert FIGURE_PATH in pull_request.description


def synced_folder_after_retrain(root: Path) -> Path:
    """What `cardguard sync` makes of the retrained folder on disk (no Hub involved)."""
    folder = synced_folder(root)
    write_log(folder, RETRAINED)
    cardguard.sync(folder, profile="minimal")
    return folder


def test_sync_create_pr_on_a_repo_whose_figure_is_current_opens_nothing(tmp_path: Path, home: Path) -> None:
    folder = synced_folder(tmp_path)
    with FakeHub({REPO: {"main": folder_files(folder)}}) as hub:
        code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
        commits = hub.requests_to("/commit/", "POST")
    assert code == 0, out + err
    assert commits == []


def test_push_sync_uploads_the_redrawn_figure(tmp_path: Path, home: Path) -> None:
    folder = synced_folder(tmp_path)
    stale = (folder / FIGURE_PATH).read_bytes()
    write_log(folder, RETRAINED)
    with FakeHub({REPO: {"main": {".gitattributes": GITATTRIBUTES.encode()}}}) as hub:
        refused, _, _ = cardguard_cli(hub, home, "push", str(folder), REPO)
        code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--sync")
        uploaded = hub.files(REPO)
    assert refused == 1  # the stale figure is drift: push without --sync sends nothing
    assert code == 0, out + err
    assert uploaded[FIGURE_PATH] == (folder / FIGURE_PATH).read_bytes() != stale
    assert json.loads(uploaded["trainer_state.json"])["log_history"] == RETRAINED
