"""Git LFS pointer files: what a checkout without LFS content holds instead of the weights.

A pointer is a tiny text file (spec: https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md):

    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a2146...
    size 12345
"""

from __future__ import annotations

from cardguard.lines import split_lines
from cardguard.record import Record

# The spec caps pointers at 1024 bytes.
MAX_POINTER_BYTES = 1024
_VERSION_PREFIX = b"version https://git-lfs.github.com/spec/"


class LfsPointer(Record, frozen=True):
    oid: str
    size: int


def parse_lfs_pointer(data: bytes) -> LfsPointer | None:
    """The pointer described by ``data``, or None when ``data`` is not an LFS pointer."""
    if len(data) > MAX_POINTER_BYTES or not data.startswith(_VERSION_PREFIX):
        return None
    try:
        lines = split_lines(data.decode("ascii"))
    except UnicodeDecodeError:
        return None
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        fields[key] = value.strip()
    size_text = fields.get("size", "")
    if not size_text.isdigit() or "oid" not in fields:
        return None
    return LfsPointer(oid=fields["oid"], size=int(size_text))
