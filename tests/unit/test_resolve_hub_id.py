"""resolve_hub_id: the configured id, else the Hub remote of the clone the folder is the top of,
else the folder's own name, resolved; and a ReadContext's root is the folder resolved."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cardguard.artifacts.files import ReadContext
from cardguard.artifacts.hub_id import resolve_hub_id


def test_the_configured_id_wins(tmp_path: Path) -> None:
    assert resolve_hub_id(tmp_path, "org/name") == "org/name"


def test_a_folder_is_named_by_its_resolved_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "bert-tiny"
    model.mkdir()
    (tmp_path / "link").symlink_to(model)
    assert resolve_hub_id(tmp_path / "link") == "bert-tiny"
    assert resolve_hub_id(str(model) + "/") == "bert-tiny"
    monkeypatch.chdir(model)
    assert resolve_hub_id(".") == "bert-tiny"


def test_the_filesystem_root_has_no_name() -> None:
    assert resolve_hub_id("/") == "MODEL_ID"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_top_of_a_hub_clone_is_named_by_its_remote(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", "https://huggingface.co/org/model"], check=True)
    (clone / "sub").mkdir()
    assert resolve_hub_id(clone) == "org/model"
    assert resolve_hub_id(clone / "sub") == "sub"  # inside a clone, not its top


def test_a_read_context_opens_files_inside_the_resolved_folder(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "link").symlink_to(model)
    ctx = ReadContext(tmp_path / "link")
    assert ctx.root == str(model.resolve())
    assert ctx.read_json("config.json") == {"a": 1}
