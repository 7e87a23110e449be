"""Where parse_yaml says each key, value and problem stands (1-based line and column in the file).

The values themselves are compared with PyYAML's in test_yamlpos.py; these pin the positions,
coercions and findings that the rules and the editor read, for the shapes a card's metadata
takes: block and flow collections, aliases and merge keys, CRLF lines, and each bound.
"""

from __future__ import annotations

from cardguard.card.yamlpos import Limits, parse_yaml


def test_keys_values_and_list_items_of_a_block_mapping() -> None:
    doc = parse_yaml("license: mit\ntags:\n- a\n- b\n", "README.md")
    assert doc.ok and doc.value == {"license": "mit", "tags": ["a", "b"]}
    assert doc.key_spans == {("license",): (1, 1), ("tags",): (2, 1), ("tags", 0): (3, 3), ("tags", 1): (4, 3)}
    # A block sequence starts at its first '-'; a list item's key span is the item itself.
    assert doc.value_spans == {
        (): (1, 1), ("license",): (1, 10), ("tags",): (3, 1), ("tags", 0): (3, 3), ("tags", 1): (4, 3),
    }



def test_offsets_point_into_the_parsed_text_and_locate_falls_back_to_an_ancestor() -> None:
    # Positions are kept as offsets and made into lines and columns when asked: the offsets,
    # the spans and locate() must tell the same place.
    text = "license: mit\nmodel-index:\n- name: x\n  results: []\n"
    doc = parse_yaml(text, "README.md", line_offset=3)
    assert text[doc.key_offsets[("model-index", 0, "results")]:].startswith("results:")
    assert text[doc.value_offsets[("license",)]:].startswith("mit")
    assert doc.position(doc.key_offsets[("model-index",)]) == doc.key_spans[("model-index",)] == (5, 1)
    assert doc.locate(("model-index", 0, "results")) == (7, 12)
    assert doc.locate(("model-index", 0, "unknown", 3)) == doc.value_spans[("model-index", 0)] == (6, 3)
    assert doc.locate(("nothing",)) == (4, 1)  # the document's own value: its first line
    assert parse_yaml("", "README.md", line_offset=3).locate(("a",)) == (4, 1)  # an empty document

def test_an_alias_stands_where_it_is_written_and_a_merge_key_is_recorded() -> None:
    doc = parse_yaml("base: &b\n  x: 1\nother:\n  <<: *b\n  y: [1, *b]\n", "README.md")
    assert doc.ok and doc.value == {"base": {"x": 1}, "other": {"x": 1, "y": [1, {"x": 1}]}}
    assert doc.key_spans[("other", "<<")] == (4, 3)
    assert doc.value_spans[("other", "<<")] == (4, 7)  # the alias, not the anchored mapping (1, 7)
    assert doc.value_spans[("other", "y", 1)] == (5, 10)
    assert doc.value_spans[("other",)] == (4, 3)  # a block mapping starts at its first key


def test_crlf_lines_and_the_line_offset() -> None:
    doc = parse_yaml("a: 1\r\nb:\r\n  c: 'd'\r\n", "README.md", line_offset=1)
    assert doc.ok and doc.value == {"a": 1, "b": {"c": "d"}}
    assert doc.key_spans == {("a",): (2, 1), ("b",): (3, 1), ("b", "c"): (4, 3)}
    assert doc.value_spans[("b", "c")] == (4, 6)


def test_a_yaml_1_1_line_break_in_quotes_does_not_move_the_next_line() -> None:
    # PyYAML's Mark.line counts U+2028 as a break; cardguard's line model does not.
    doc = parse_yaml('a: "x\u2028y"\nb: 2\n', "README.md")
    assert doc.ok and doc.value == {"a": "x\u2028y", "b": 2}
    assert doc.key_spans[("b",)] == (2, 1)


def test_surprising_scalars_are_coercions_at_their_value() -> None:
    doc = parse_yaml("v: 3.10\nw: yes\nx: 012\ny: '3.10'\nz: 7\n", "README.md")
    assert doc.value == {"v": 3.1, "w": True, "x": 10, "y": "3.10", "z": 7}
    assert [(c.path, c.text, c.line, c.column) for c in doc.coercions] == [
        (("v",), "3.10", 1, 4), (("w",), "yes", 2, 4), (("x",), "012", 3, 4),
    ]


def _findings(text: str, limits: Limits | None = None) -> list[tuple[str, int, int]]:
    doc = parse_yaml(text, "README.md", line_offset=1, limits=limits)
    return [(finding.code, finding.line, finding.column) for finding in doc.findings]


def test_a_duplicate_key_is_found_at_its_second_occurrence_and_the_last_value_is_kept() -> None:
    doc = parse_yaml("a: 1\nb: 2\na: 3\n", "README.md")
    assert doc.ok and doc.value == {"a": 3, "b": 2}
    assert [(f.code, f.line, f.column) for f in doc.findings] == [("CG007", 3, 1)]


def test_each_bound_and_each_refusal_is_found_where_it_is_met() -> None:
    assert _findings("a: &x [1, 2]\nb: [*x, *x, *x]\n", Limits(max_nodes=8)) == [("CG009", 3, 5)]  # the first alias
    assert _findings("a:\n  b:\n    c: 1\n", Limits(max_depth=2)) == [("CG009", 4, 5)]
    assert _findings("a: 1\n---\nb: 2\n") == [("CG005", 3, 1)]  # a second document
    assert _findings("a: *nope\n") == [("CG005", 2, 4)]
    assert _findings("? [a]\n: b\n") == [("CG005", 2, 3)]  # a list as a key
    assert _findings("a: !!python/object:os.system x\n") == [("CG008", 2, 4)]
    assert _findings("a: " + "1" * 101 + "\n") == [("CG009", 2, 4)]  # a number too long to read
