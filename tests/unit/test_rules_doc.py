"""docs/rules.md is generated from cardguard.codes; this keeps the two in step."""

from __future__ import annotations

import re
from pathlib import Path

from cardguard.codes import RULES
from cardguard.report.rules_doc import rules_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_doc_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(), "run: cardguard rules --format markdown > docs/rules.md"


def test_codes_are_well_formed_and_names_unique() -> None:
    assert all(re.fullmatch(r"CG\d{3}", code) for code in RULES)
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))
    assert all(rule.summary.endswith(".") for rule in RULES.values())


def test_every_code_used_in_the_package_is_in_the_table() -> None:
    package = Path(__file__).resolve().parents[2] / "cardguard"
    used = set()
    for source in package.rglob("*.py"):
        used.update(re.findall(r'"(CG\d{3})"', source.read_text(encoding="utf-8")))
    assert used - set(RULES) == set()
