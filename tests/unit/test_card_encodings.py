"""A card saved as UTF-16 or UTF-32 is CG002 with a message that names the encoding and
says how to convert it; a truly binary file is still called binary."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from cardguard.card.reader import parse_card_bytes
from tests.hostile.helpers import run_cli

CARD = "---\nlicense: mit\nlibrary_name: transformers\n---\n# Modèle 😀\n\nUn modèle.\n"


@pytest.mark.parametrize(("raw", "named", "iconv_name"), [
    pytest.param(codecs.BOM_UTF16_LE + CARD.encode("utf-16-le"), "UTF-16 (little-endian) text (with a byte order mark)",
                 "UTF-16", id="utf-16-le-bom"),  # PowerShell 5's '>' and Out-File, Notepad's "Unicode"
    pytest.param(codecs.BOM_UTF16_BE + CARD.encode("utf-16-be"), "UTF-16 (big-endian) text (with a byte order mark)",
                 "UTF-16", id="utf-16-be-bom"),
    pytest.param(CARD.encode("utf-16-le"), "UTF-16 (little-endian) text (without a byte order mark)", "UTF-16LE",
                 id="utf-16-le"),
    pytest.param(CARD.encode("utf-16-be"), "UTF-16 (big-endian) text (without a byte order mark)", "UTF-16BE",
                 id="utf-16-be"),
    pytest.param(codecs.BOM_UTF32_LE + CARD.encode("utf-32-le"), "UTF-32 (little-endian) text (with a byte order mark)",
                 "UTF-32", id="utf-32-le-bom"),
    pytest.param(CARD.encode("utf-32-be"), "UTF-32 (big-endian) text (without a byte order mark)", "UTF-32BE",
                 id="utf-32-be"),
    pytest.param(codecs.BOM_UTF16_LE + "日本語のモデル".encode("utf-16-le"),
                 "UTF-16 (little-endian) text (with a byte order mark)", "UTF-16", id="utf-16-cjk-no-nul-bytes"),
])
def test_a_wide_encoding_is_named_with_how_to_convert(raw: bytes, named: str, iconv_name: str) -> None:
    card = parse_card_bytes(raw, "README.md")
    assert [finding.code for finding in card.findings] == ["CG002"]
    message, fix = card.findings[0].message, card.findings[0].fix
    assert named in message and "binary" not in message
    assert f"iconv -f {iconv_name} -t UTF-8" in fix


def test_the_conversion_the_fix_names_gives_back_the_card(tmp_path: Path) -> None:
    raw = CARD.encode("utf-16")  # with the platform's byte order mark, as Windows writes it
    fix = parse_card_bytes(raw, "README.md").findings[0].fix
    codec = fix.split("iconv -f ", 1)[1].split()[0]
    converted = raw.decode(codec.lower())  # Python's codec of the same name reads it the way iconv does
    assert converted.lstrip("\ufeff") == CARD
    assert parse_card_bytes(converted.lstrip("\ufeff").encode("utf-8"), "README.md").findings == []


@pytest.mark.parametrize("raw", [
    pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(64) + os.urandom(2000), id="png-like"),
    pytest.param(bytes(range(256)) * 8, id="all-bytes"),
    pytest.param(b"---\nlicense: mit\n---\n\x00\x00\x00", id="utf-8-with-nul"),
    pytest.param(codecs.BOM_UTF16_LE + b"\x00\xd8" * 50, id="utf-16-mark-then-broken-surrogates"),
])
def test_a_binary_file_is_still_called_binary(raw: bytes) -> None:
    card = parse_card_bytes(raw, "README.md")
    assert [finding.code for finding in card.findings] == ["CG002"]
    assert "UTF-16" not in card.findings[0].message and "UTF-32" not in card.findings[0].message


def test_validate_reports_a_utf16_card_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "README.md").write_bytes(CARD.encode("utf-16"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "README.md").write_text(CARD, encoding="utf-8")
    run = run_cli(["validate", "a/README.md", "b/README.md"], cwd=tmp_path)
    assert run.returncode == 1
    assert "UTF-16 (little-endian)" in run.stdout and "Traceback" not in run.stderr
    assert "a/README.md" in run.stdout
