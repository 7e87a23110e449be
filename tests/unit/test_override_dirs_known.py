"""override_dirs_for with a run's ``known`` answers: the same folders as looking afresh, for
every model folder of a tree, whichever was asked first."""

from __future__ import annotations

from pathlib import Path

from cardguard.expect.render import OVERRIDE_DIR, override_dirs_for


def make_tree(root: Path) -> list[Path]:
    """outer/.cardguard/templates above a repository repo/ (.git) with templates at its root
    and in models/a; models/a, models/b and a copy below a top of its own."""
    for folder in ("outer", "outer/repo", "outer/repo/models/a", "outer/repo/models/b/deep", "outer/repo/copy/m"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for holder in ("outer", "outer/repo", "outer/repo/models/a", "outer/repo/copy"):
        (root / holder / OVERRIDE_DIR).mkdir(parents=True)
    (root / "outer/repo/.git").mkdir()
    return [root / "outer/repo/models/a", root / "outer/repo/models/b/deep", root / "outer/repo/models/b",
            root / "outer/repo", root / "outer/repo/copy/m"]


def test_known_answers_are_the_fresh_ones(tmp_path: Path) -> None:
    folders = make_tree(tmp_path)
    top = tmp_path / "outer/repo/copy"
    for order in (folders, folders[::-1]):
        known: dict = {}
        for folder in order:
            for folder_top in (None, top):
                assert override_dirs_for(folder, folder_top, known) == override_dirs_for(folder, folder_top)


def test_the_walk_stops_at_the_repository_and_at_the_top(tmp_path: Path) -> None:
    a, deep, *_, copied = make_tree(tmp_path)
    repo = (tmp_path / "outer/repo").resolve()
    known: dict = {}
    assert override_dirs_for(a, None, known) == (repo / "models/a" / OVERRIDE_DIR, repo / OVERRIDE_DIR)
    assert override_dirs_for(deep, None, known) == (repo / OVERRIDE_DIR,)
    assert override_dirs_for(copied, tmp_path / "outer/repo/copy", known) == (repo / "copy" / OVERRIDE_DIR,)


def test_a_git_file_ends_the_walk_and_a_templates_file_is_no_folder(tmp_path: Path) -> None:
    """A worktree's or a submodule's ``.git`` is a file: it ends the walk as a folder does; a
    ``.cardguard/templates`` that is a file holds no template."""
    model = tmp_path / "outer/work/model"
    model.mkdir(parents=True)
    (tmp_path / "outer" / OVERRIDE_DIR).mkdir(parents=True)  # above the worktree: not reached
    (tmp_path / "outer/work/.git").write_text("gitdir: /elsewhere\n", encoding="utf-8")
    (tmp_path / "outer/work" / OVERRIDE_DIR).mkdir(parents=True)
    (model / ".cardguard").mkdir()
    (model / OVERRIDE_DIR).write_text("not a folder\n", encoding="utf-8")
    work = (tmp_path / "outer/work").resolve()
    assert override_dirs_for(model, None, {}) == (work / OVERRIDE_DIR,)


def test_a_linked_model_folder_is_looked_into_where_it_leads(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "models/real").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / OVERRIDE_DIR).mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere/linked"
    link.symlink_to(repo / "models/real", target_is_directory=True)
    assert override_dirs_for(link, None, {}) == (repo.resolve() / OVERRIDE_DIR,)
