"""Where the shipped data folders (schemas/, templates/, hooks/) live.

In a wheel they are inside the package (``cardguard/_data/...``); in a source checkout or an
editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder ``schemas``, ``templates`` or ``hooks``."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name
