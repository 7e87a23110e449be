"""Region markers: well-formed regions are found; every malformed form is a finding and blocks sync."""

from __future__ import annotations

import pytest

from cardguard.card.regions import scan_regions
from tests.sync.helpers import classifier_facts, plan_text

GOOD = """# Card

<!-- cardguard:begin labels -->
old
<!-- cardguard:end labels -->

```
<!-- cardguard:begin not-a-region -->
```
"""


def test_finds_region_and_ignores_markers_in_code() -> None:
    scan = scan_regions(GOOD, "README.md")
    assert scan.ok
    assert [(r.name, r.begin_line, r.end_line) for r in scan.regions] == [("labels", 3, 5)]
    region = scan.regions[0]
    assert GOOD[region.content_start:region.content_end] == "old\n"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("<!-- cardguard:begin nonsense -->\n<!-- cardguard:end nonsense -->\n", "CG401", 1),
        ("x\n<!-- cardguard:begin labels -->\nbody\n", "CG402", 2),
        ("<!-- cardguard:end labels -->\n", "CG402", 1),
        ("<!-- cardguard:begin labels -->\n<!-- cardguard:begin eval-results -->\n"
         "<!-- cardguard:end eval-results -->\n<!-- cardguard:end labels -->\n", "CG403", 2),
        ("<!-- cardguard:begin labels -->\n<!-- cardguard:end labels -->\n"
         "<!-- cardguard:begin labels -->\n<!-- cardguard:end labels -->\n", "CG404", 3),
        ("text <!-- cardguard:begin labels --> more\n", "CG402", 1),
        ("<!-- cardguard:begin -->\n", "CG402", 1),
    ],
)
def test_malformed_markers_are_findings_and_block_sync(text: str, code: str, line: int) -> None:
    scan = scan_regions(text, "README.md")
    assert (code, line) in [(f.code, f.line) for f in scan.findings]
    plan = plan_text(text, classifier_facts())
    assert plan.blocked and not plan.changed


def test_crlf_offsets() -> None:
    text = "a\r\n<!-- cardguard:begin labels -->\r\nold\r\n<!-- cardguard:end labels -->\r\n"
    region = scan_regions(text, "README.md").regions[0]
    assert text[region.content_start:region.content_end] == "old\r\n"
