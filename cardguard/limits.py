"""The bounds of the artifact readers (cardguard/artifacts/), with their defaults.

A ground module, not a part of artifacts/: the settings take their defaults from here
(``[tool.cardguard.limits]``, cardguard/settings/config.py), and a cold ``validate`` loads the
settings but none of the artifact readers.
"""

from __future__ import annotations

from cardguard.record import Record

MiB = 1024 * 1024

# The card reader's default bound on README.md (limits.card_bytes); here, on the ground floor,
# because the Hub reader (artifacts/hub_repo.py) checks a card's listed size before download too.
MAX_CARD_BYTES = 10 * MiB

# The safetensors format refuses headers above 100 MB (MAX_HEADER_SIZE in safetensors' Rust code).
SAFETENSORS_HEADER_LIMIT = 100_000_000


class Limits(Record, frozen=True):
    """Size and count bounds, each checked before the work it bounds; anything over one is
    reported (CG311 for a whole file not read, CG009 for the counts inside a file) and not read.

    The counts keep the memory a file can cost in proportion to the bound rather than to what
    its bytes claim: a 70 MB header can hold 10^6 tensors, a sparse zip any directory size.
    """

    max_json_bytes: int = 64 * MiB
    max_safetensors_header_bytes: int = SAFETENSORS_HEADER_LIMIT
    max_pickle_bytes: int = 64 * MiB
    max_text_bytes: int = 16 * MiB  # emissions.csv, chat_template.jinja
    max_json_depth: int = 100  # arrays and objects inside each other; readers and `facts` recurse
    # Values and keys of one JSON document (every JSON artifact, each safetensors header).
    max_json_values: int = 2_000_000
    max_safetensors_tensors: int = 100_000  # per safetensors header
    max_index_shards: int = 10_000  # distinct files a weight index names
    max_zip_members: int = 100_000  # entries of a torch zip archive (one per tensor storage)
    max_zip_directory_bytes: int = 8 * MiB  # its central directory, which zipfile reads whole
    max_pickle_opcodes: int = 1_000_000  # per pickle; also bounds its memo indexes
    max_pickle_int_digits: int = 100  # decimal digits of one pickled integer


class HubLimits(Record, frozen=True):
    """Bounds of reading a Hub repo as it stands (``hf://``, cardguard/artifacts/hub_repo.py).

    Not settable from a configuration: the repo's own configuration is one of the files read
    under these bounds. Each file's byte bound is the ``Limits`` one for its kind; these bound
    the listing, the time and the waiting."""

    listing_bytes: int = 16 * MiB  # the model_info answer that lists every file with its size
    listed_files: int = 100_000  # entries of that listing
    # All files downloaded from one repo together: each is under its own bound, but a repo can
    # list 100,000 module configs, and the temporary folder must not fill the disk.
    download_bytes: int = 256 * MiB
    # A safetensors file git holds itself (no LFS; the Hub refuses such files from 10 MiB on)
    # is downloaded whole up to this size; above it, its header is read by Range like LFS weights.
    git_weights_bytes: int = 10 * MiB
    request_seconds: float = 10.0  # to connect, and between two received chunks
    total_seconds: float = 60.0  # the listing and every download of one repo (less when --timeout leaves less)
    retry_after_seconds: float = 5.0  # the longest Retry-After of a 429 that is waited for
    rate_limit_retries: int = 3  # 429 answers waited out per request before giving up
