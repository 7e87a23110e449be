"""Atomic writes, repository templates in the sandbox, and `cardguard init`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cardguard.edit import sync
from cardguard.cli import main
from cardguard.expect.render import RenderError, TemplateSource, render
from tests.sync.helpers import classifier_facts, plan_text

STALE = "# Card\n\nMy words.\n\n<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n"


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_failure_mid_write_leaves_card_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    card = tmp_path / "README.md"
    card.write_bytes(b"original\r\n")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class Breaking:
            def __init__(self, stream):  # type: ignore[no-untyped-def]
                self.stream = stream

            def __enter__(self):  # type: ignore[no-untyped-def]
                return self

            def __exit__(self, *exc):  # type: ignore[no-untyped-def]
                self.stream.close()

            def write(self, data: bytes) -> None:
                self.stream.write(data[: len(data) // 2])
                boom()

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Breaking(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError):
        sync.write_atomically(card, b"new content that must never be half-written")
    assert card.read_bytes() == b"original\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_write_keeps_mode_and_writes_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "README.md"
    link.symlink_to(real)
    sync.write_atomically(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_cli_sync_writes_bom_crlf_and_status_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cardguard.run.sync_run.read_target_facts", lambda target, **_: classifier_facts())
    card = tmp_path / "README.md"
    card.write_bytes(("\ufeff" + STALE.replace("\n", "\r\n")).encode("utf-8"))
    assert main(["sync", "--check", str(card)]) == 1
    captured = capsys.readouterr()
    assert "-stale" in captured.out and "+| 0 | negative |" in captured.out
    assert card.read_bytes().startswith("\ufeff# Card".encode("utf-8"))  # --check wrote nothing
    assert main(["sync", str(card)]) == 1
    captured = capsys.readouterr()
    assert "rewrote" in captured.err and "rewrote" not in captured.out
    data = card.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"| 2 | positive |\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert b"My words.\r\n" in data
    assert main(["sync", str(card)]) == 0  # idempotent: nothing left to do


def _source(text: str) -> TemplateSource:
    return TemplateSource("labels", text, Path("labels.md.j2"), sandboxed=True)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ not_defined }}", "undefined"),
        ("{{ ''.__class__.__mro__ }}", "sandbox"),
        ("{{ 'x' * 10000000 }}", "repetition"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}", "characters"),
    ],
)
def test_repository_templates_are_bounded(template: str, reason: str) -> None:
    with pytest.raises(RenderError, match=reason):
        render(_source(template), {"labels": []})


def test_repository_override_is_used_and_errors_are_findings(tmp_path: Path) -> None:
    overrides = tmp_path / ".cardguard" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "labels.md.j2").write_text("{% for id, name in labels %}* {{ name }}\n{% endfor %}{{ oops }}",
                                            encoding="utf-8")
    plan = plan_text(STALE, classifier_facts(), override_dirs=lambda: (overrides,))
    assert [f.code for f in plan.findings] == ["CG407"] and not plan.changed
    (overrides / "labels.md.j2").write_text("{% for id, name in labels %}* {{ name }}\n{% endfor %}", encoding="utf-8")
    plan = plan_text(STALE, classifier_facts(), override_dirs=lambda: (overrides,))
    assert "* neutral\n" in plan.new_text


def test_init_writes_card_and_refuses_to_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    facts = classifier_facts().replace(model_dir=str(tmp_path))  # the folder init writes in, and its name
    monkeypatch.setattr("cardguard.edit.init_card.read_facts", lambda folder: facts.replace())
    assert main(["init", str(tmp_path)]) == 0
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\nlibrary_name: transformers\npipeline_tag: text-classification\n")
    assert "<!-- cardguard:begin labels -->" in text and "| 1 | neutral |" in text
    assert "## Bias, Risks, and Limitations" in text and "[More Information Needed]" in text
    assert plan_text(text, facts).changed is False  # init output is already in sync
    lines = text.splitlines()
    after_regions = [lines[number + 1] for number, line in enumerate(lines[:-1]) if line.startswith("<!-- cardguard:end ")]
    assert len(after_regions) >= 4 and set(after_regions) == {""}  # a blank line before the next heading
    assert main(["init", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("label", "cell"), [
    ("plain", "plain"),
    ("a|b", "a\\|b"),
    ("two\nlines", "two lines"),
    ("cr\rand\r\ncrlf", "cr and crlf"),
])
def test_a_label_stays_one_table_cell(label: str, cell: str) -> None:
    from cardguard.expect.render import find_template

    table = render(find_template("labels", ()), {"labels": [[0, label], [1, "other"]]})
    rows = table.strip("\n").split("\n")
    assert rows[2] == f"| 0 | {cell} |" and rows[3] == "| 1 | other |" and len(rows) == 4
