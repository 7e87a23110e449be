"""The gate's reading helpers: a path split below its boundary, a bounded read."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cardguard.safe_paths import Refused, _parts_under, read_file, read_up_to


@pytest.mark.parametrize("relative", ["README.md", "a/b/README.md", "a/./b/../README.md", "a//README.md"])
def test_parts_under_matches_relpath(tmp_path: Path, relative: str) -> None:
    path = os.path.join(tmp_path, relative)
    expected = os.path.relpath(os.path.abspath(path), os.path.abspath(tmp_path)).split(os.sep)
    assert _parts_under(path, tmp_path) == expected
    assert _parts_under(path, str(tmp_path) + os.sep) == expected


@pytest.mark.parametrize("outside", ["..", "../x", "."])
def test_parts_under_refuses_what_is_not_below(tmp_path: Path, outside: str) -> None:
    with pytest.raises(Refused):
        _parts_under(tmp_path / "model" / outside, tmp_path / "model")


def test_parts_under_a_sibling_with_the_same_prefix_is_outside(tmp_path: Path) -> None:
    with pytest.raises(Refused):
        _parts_under(tmp_path / "model-b" / "README.md", tmp_path / "model")


def test_read_up_to_reads_the_whole_file_of_the_expected_size() -> None:
    assert read_up_to(io.BufferedReader(io.BytesIO(b"x" * 100)), 100, 1000) == b"x" * 100


def test_read_up_to_reads_a_file_that_grew_up_to_one_byte_past_the_bound() -> None:
    grown = io.BufferedReader(io.BytesIO(b"x" * 5000))
    assert len(read_up_to(grown, 100, 1000)) == 1001
    assert len(read_up_to(io.BufferedReader(io.BytesIO(b"x" * 500)), 100, 1000)) == 500


def test_read_up_to_a_file_that_shrank() -> None:
    assert read_up_to(io.BufferedReader(io.BytesIO(b"x" * 10)), 100, 1000) == b"x" * 10


def test_read_file_reads_the_whole_file_and_gives_its_size(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"x" * 5000)
    assert read_file(tmp_path / "README.md", tmp_path, 10_000) == (b"x" * 5000, 5000)


def test_read_file_reads_nothing_of_a_file_over_the_bound(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"x" * 101)
    assert read_file(tmp_path / "README.md", tmp_path, 100) == (b"", 101)


def test_read_file_refuses_a_folder_and_a_path_outside(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    with pytest.raises(Refused):
        read_file(tmp_path / "model", tmp_path, 100)
    with pytest.raises(Refused):
        read_file(tmp_path / "other.md", tmp_path / "model", 100)
