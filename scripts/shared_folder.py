"""The ``../shared`` folder beside the checkout (the Hub's reference lists, the card corpus).

It is not part of this repository: a clone has no ``../shared`` unless the project's shared
folder was laid beside it. A script that needs it checks with ``required`` first, and where
it is absent says so in one line on stderr and exits 2 (never a traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXIT_MISSING = 2


def required(folder: Path, what: str, instead: str) -> Path:
    """``folder`` when it is a directory; else one line on stderr and exit 2.

    ``what`` says what the folder holds, ``instead`` how to point the script elsewhere."""
    if folder.is_dir():
        return folder
    script = Path(sys.argv[0]).name or "this script"
    where = " (../shared lies beside the checkout; a clone does not bring it)" if SHARED in (folder, *folder.parents) else ""
    sys.stderr.write(f"{script}: needs {what} in {folder}, which is not there{where}; {instead}\n")
    raise SystemExit(EXIT_MISSING)
