"""The gate's reading helpers: a path split below its boundary, a bounded read."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cardguard.safe_paths import Refused, _parts_under, read_up_to


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
