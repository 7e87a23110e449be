"""Recognise a card saved as UTF-16 or UTF-32 instead of UTF-8 (CG002's message).

Windows tools write UTF-16 (PowerShell 5's ``>`` and ``Out-File``, Notepad's "Unicode");
every ASCII character then carries a NUL byte, so without this the card reads as "a binary
file". The Hub reads cards as UTF-8 only. Recognised: a UTF-32 or UTF-16 byte order mark,
or, without one, bytes with NULs that decode strictly in one of the four wide encodings into
text of which at most one character in a hundred is a control or format character (binary
data decodes into many).
"""

from __future__ import annotations

import codecs

from cardguard.record import Record

# (codec, its byte order mark, what a person calls it, iconv's name without a mark). UTF-32
# first: a UTF-32-LE byte order mark begins with the UTF-16-LE one.
_WIDE_ENCODINGS = (
    ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32 (little-endian)", "UTF-32LE"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32 (big-endian)", "UTF-32BE"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 (little-endian)", "UTF-16LE"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 (big-endian)", "UTF-16BE"),
)
_LINE_BREAKS_AND_TABS = str.maketrans("", "", "\t\n\r")
_MAX_UNPRINTABLE_SHARE = 0.01
_SAMPLE_BYTES = 64 * 1024  # enough to tell text from binary; a 10 MB card is not decoded whole


class WideEncoding(Record, frozen=True):
    """A UTF-16 or UTF-32 encoding a card's bytes are in."""

    description: str  # "UTF-16 (little-endian)"
    has_bom: bool
    iconv_name: str  # what `iconv -f` takes for it


def wide_encoding(raw: bytes) -> WideEncoding | None:
    """The UTF-16 or UTF-32 encoding ``raw`` is written in, or None (UTF-8, binary, other)."""
    for codec, mark, description, iconv_name in _WIDE_ENCODINGS:
        if raw.startswith(mark) and _reads_as_text(raw[len(mark):], codec):
            family = description.split()[0]  # "UTF-16": iconv reads the byte order from the mark
            return WideEncoding(description, True, family)
    if b"\x00" not in raw:
        return None
    for codec, _mark, description, iconv_name in _WIDE_ENCODINGS:
        if _reads_as_text(raw, codec):
            return WideEncoding(description, False, iconv_name)
    return None


def _reads_as_text(raw: bytes, codec: str) -> bool:
    """Whether the first bytes of ``raw`` decode in ``codec`` into text, not binary noise."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        text = decoder.decode(raw[:_SAMPLE_BYTES], final=len(raw) <= _SAMPLE_BYTES)
    except UnicodeDecodeError:
        return False
    characters = text.translate(_LINE_BREAKS_AND_TABS)
    unprintable = sum(1 for character in characters if not character.isprintable() and character != " ")
    return bool(characters) and "\x00" not in characters and unprintable <= len(characters) * _MAX_UNPRINTABLE_SHARE
