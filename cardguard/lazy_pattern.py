"""Keep PyYAML's import from compiling a regular expression cardguard never uses.

``import yaml`` runs ``yaml.reader``, which compiles ``NON_PRINTABLE``, a character class over
all of Unicode: about 57 million instructions, a seventh of a whole `cardguard validate` run.
Only the pure-Python ``yaml.Reader`` uses it; cardguard parses with libyaml's ``CParser``.

:func:`defer` puts a stand-in into ``re``'s compile cache under that pattern's key, so the
``re.compile`` in ``yaml.reader`` returns the stand-in, which compiles the real pattern the
first time anything calls it. Every user of the pattern still gets the real behaviour. ``re``'s
cache is a private detail: where it does not look as expected, nothing is changed.
"""

from __future__ import annotations

import re
import sys

YAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"


class LazyPattern:
    """Looks like a compiled pattern; compiles the real one on first use."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            pattern, flags = self._source
            cache = getattr(re, "_cache", {})
            if cache.get((str, pattern, flags)) is self:
                del cache[(str, pattern, flags)]  # so that re.compile compiles instead of finding us
            self._compiled = re.compile(pattern, flags)
        return self._compiled

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._pattern(), name)


def defer(pattern: str = YAML_NON_PRINTABLE, flags: int = 0) -> bool:
    """Make the next ``re.compile(pattern, flags)`` return a :class:`LazyPattern`."""
    if "yaml.reader" in sys.modules:
        return False  # too late: PyYAML is already imported
    cache = getattr(re, "_cache", None)
    if not isinstance(cache, dict):
        return False
    cache.setdefault((str, pattern, flags), LazyPattern(pattern, flags))
    return True
