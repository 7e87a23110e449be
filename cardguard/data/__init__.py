"""Mappings kept as data (JSON), read with :func:`load_json`: part of the ground floor.

May import: ground.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def load_json(name: str) -> Any:
    """The parsed content of ``cardguard/data/<name>``."""
    return json.loads((_HERE / name).read_text(encoding="utf-8"))
