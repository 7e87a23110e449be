"""The gate's reading helpers: a path split below its boundary, a bounded read."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cardguard import safe_paths
from cardguard.safe_paths import Refused, _parts_under, read_descriptor, read_small_file, read_up_to


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


def test_read_small_file_gives_the_bytes_and_the_size(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"---\nlicense: mit\n---\n")
    assert read_small_file(tmp_path / "README.md", tmp_path, 1000) == (b"---\nlicense: mit\n---\n", 21)


def test_read_small_file_over_the_bound_reads_nothing(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"x" * 101)
    assert read_small_file(str(tmp_path / "README.md"), str(tmp_path), 100) == (b"", 101)
    assert read_small_file(tmp_path / "README.md", tmp_path, 101) == (b"x" * 101, 101)


def test_read_small_file_refuses_a_folder_a_link_out_and_a_missing_file(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (tmp_path / "secret").write_bytes(b"token")
    (model / "README.md").symlink_to(tmp_path / "secret")
    with pytest.raises(Refused) as folder:
        read_small_file(model / "sub", model, 100)
    assert folder.value.code == "CG001"
    with pytest.raises(Refused) as outside:
        read_small_file(model / "README.md", model, 100)
    assert outside.value.code == "CG307"
    with pytest.raises(FileNotFoundError):
        read_small_file(model / "missing.md", model, 100)


def test_read_descriptor_reads_to_the_end_or_to_what_is_wanted(tmp_path: Path) -> None:
    (tmp_path / "data").write_bytes(b"x" * 10)
    descriptor = os.open(tmp_path / "data", os.O_RDONLY)
    try:
        assert read_descriptor(descriptor, 4) == b"xxxx"
        assert read_descriptor(descriptor, 100) == b"x" * 6
        assert read_descriptor(descriptor, 100) == b""
    finally:
        os.close(descriptor)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_an_unguarded_open_refuses_a_fifo_at_once_and_a_link_when_told(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(safe_paths.NotRegularFile):
        safe_paths.open_regular_unguarded(tmp_path / "fifo")  # a blocking open would wait here for ever
    (tmp_path / "file").write_bytes(b"bytes")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    descriptor = safe_paths.open_regular_unguarded(tmp_path / "link")
    assert os.read(descriptor, 10) == b"bytes"
    os.close(descriptor)
    with pytest.raises(OSError):
        safe_paths.open_regular_unguarded(tmp_path / "link", follow_links=False)
