"""How large a zip archive's central directory claims to be, read from its end records alone.

``zipfile.ZipFile`` reads the whole central directory into memory and builds one ``ZipInfo``
per entry before anything can look at it, so a sparse file whose end record claims a
directory as large as the file costs that many bytes of memory. This module reads only the
end of central directory record (and the zip64 one it may point to), as the zip format
(PKWARE APPNOTE.TXT, sections 4.3.14-4.3.16) lays them out, so a caller can refuse the
archive before ``zipfile`` does that work.
"""

from __future__ import annotations

import struct

from cardguard.record import Record

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import BinaryIO

_END_RECORD = struct.Struct("<4s4H2LH")  # signature, disks, entries (this disk, all), size, offset, comment
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # signature, disk of the zip64 record, its offset, disks
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_RECORD = struct.Struct("<4sQ2H2L4Q")  # signature, size, versions, disks, entries x2, size, offset
_ZIP64_RECORD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF


class CentralDirectory(Record, frozen=True):
    """What the end records claim: the number of entries and the directory's size in bytes.
    Where an archive gives two figures (per disk and in all, zip32 and zip64), the larger."""

    entries: int
    size: int


def central_directory(handle: BinaryIO, file_size: int) -> CentralDirectory | None:
    """The central directory an archive's end records claim, or None when there is no end record."""
    tail_start = max(0, file_size - _END_RECORD.size - _MAX_COMMENT)
    handle.seek(tail_start)
    tail = handle.read(file_size - tail_start)
    claims = [_claim_at(handle, tail, at, tail_start) for at in _end_record_positions(tail)]
    if not claims:
        return None
    return CentralDirectory(entries=max(c.entries for c in claims), size=max(c.size for c in claims))


def _end_record_positions(tail: bytes) -> set[int]:
    """Where an end record may start: zipfile takes one ending the file, else the last signature."""
    last_possible = len(tail) - _END_RECORD.size
    positions = {tail.rfind(_END_SIGNATURE, 0, last_possible + len(_END_SIGNATURE))}
    if tail.startswith(_END_SIGNATURE, last_possible):
        positions.add(last_possible)
    return {at for at in positions if 0 <= at <= last_possible}


def _claim_at(handle: BinaryIO, tail: bytes, at: int, tail_start: int) -> CentralDirectory:
    _, _, _, disk_entries, all_entries, size, _, _ = _END_RECORD.unpack_from(tail, at)
    claimed = CentralDirectory(entries=max(disk_entries, all_entries), size=size)
    zip64 = _zip64_directory(handle, tail, at, tail_start)
    if zip64 is None:
        return claimed
    return CentralDirectory(entries=max(claimed.entries, zip64.entries), size=max(claimed.size, zip64.size))


def _zip64_directory(handle: BinaryIO, tail: bytes, end_at: int, tail_start: int) -> CentralDirectory | None:
    """The zip64 end record's claim, when a zip64 locator sits right before the end record."""
    locator_at = end_at - _ZIP64_LOCATOR.size
    if locator_at < 0 or tail[locator_at : locator_at + 4] != _ZIP64_LOCATOR_SIGNATURE:
        return None
    _, _, record_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
    # zipfile looks for the zip64 record right before the locator, whatever offset it names.
    candidates = {record_offset, tail_start + locator_at - _ZIP64_RECORD.size}
    claims = [claim for offset in candidates if (claim := _zip64_record_at(handle, offset)) is not None]
    if not claims:
        return None
    return CentralDirectory(entries=max(c.entries for c in claims), size=max(c.size for c in claims))


def _zip64_record_at(handle: BinaryIO, offset: int) -> CentralDirectory | None:
    if offset < 0:
        return None
    handle.seek(offset)
    record = handle.read(_ZIP64_RECORD.size)
    if len(record) < _ZIP64_RECORD.size or record[:4] != _ZIP64_RECORD_SIGNATURE:
        return None
    _, _, _, _, _, _, disk_entries, all_entries, size, _ = _ZIP64_RECORD.unpack(record)
    return CentralDirectory(entries=max(disk_entries, all_entries), size=size)
