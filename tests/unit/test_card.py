"""Splitting a card into metadata and body, exactly as the Hub does, with positions."""

from __future__ import annotations

import pytest

from cardguard.card.reader import detect_newline, parse_card, parse_card_bytes, read_card


def codes_of(card) -> list[str]:
    return [f.code for f in card.findings]


@pytest.mark.parametrize(
    ("text", "metadata"),
    [
        ("---\nlicense: mit\n---\n# Hi\n", {"license": "mit"}),
        ("\n\n  ---\nlicense: mit\n---\nbody", {"license": "mit"}),  # whitespace before the opener
        ("---\nlicense: mit\n---   \t\nbody", {"license": "mit"}),  # spaces/tabs after the closer
        ("---\r\nlicense: mit\r\n---\r\nbody", {"license": "mit"}),
        ("---\nlicense: mit\n---", {"license": "mit"}),  # closer at end of file
    ],
)
def test_front_matter_is_found_where_the_hub_finds_it(text: str, metadata: dict) -> None:
    card = parse_card(text, "README.md")
    assert card.metadata == metadata
    assert codes_of(card) == []


def test_text_before_the_block_means_no_metadata() -> None:
    card = parse_card("Intro\n---\nlicense: mit\n---\n", "README.md")
    assert card.metadata is None
    assert codes_of(card) == ["CG012"]
    assert card.findings[0].line == 2


@pytest.mark.parametrize("fence", ["```", "~~~"])
def test_a_metadata_example_in_a_code_block_is_not_misplaced_metadata(fence: str) -> None:
    text = f"# How to tag your model\n\n{fence}yaml\n---\nlicense: mit\npipeline_tag: fill-mask\n---\n{fence}\n"
    card = parse_card(text, "README.md")
    assert codes_of(card) == ["CG003"]


def test_no_front_matter() -> None:
    card = parse_card("# Just a title\n\nText.\n", "README.md")
    assert card.metadata is None
    assert codes_of(card) == ["CG003"]
    assert [h.title for h in card.body.headings] == ["Just a title"]


def test_unterminated_front_matter() -> None:
    card = parse_card("---\nlicense: mit\n# Title\n", "README.md")
    assert card.metadata is None
    assert codes_of(card) == ["CG004"]


@pytest.mark.parametrize("text", ["---\n---\nbody", "---\n\n---\nbody", "---\n# only a comment\n---\n"])
def test_empty_metadata(text: str) -> None:
    card = parse_card(text, "README.md")
    assert codes_of(card) == ["CG011"]


@pytest.mark.parametrize(("yaml_text", "kind"), [("- a\n- b", "list"), ("just text", "str"), ("42", "int")])
def test_metadata_that_is_not_a_mapping(yaml_text: str, kind: str) -> None:
    card = parse_card(f"---\n{yaml_text}\n---\n", "README.md")
    assert card.metadata is None
    assert codes_of(card) == ["CG006"]
    assert kind in card.findings[0].message


def test_bom_is_removed_and_remembered() -> None:
    card = parse_card_bytes("\ufeff---\nlicense: mit\n---\n".encode(), "README.md")
    assert card.has_bom
    assert card.metadata == {"license": "mit"}


def test_crlf_positions_count_lines_once() -> None:
    card = parse_card("---\r\nlicense: mit\r\ntags:\r\n- a\r\n- b\r\n---\r\n## Uses\r\n", "README.md")
    assert card.newline == "\r\n"
    assert card.locate(("tags", 1)) == (5, 3)
    assert card.locate(("license",), value=False) == (2, 1)
    assert [(h.title, h.line) for h in card.body.headings] == [("Uses", 7)]


@pytest.mark.parametrize(("text", "newline"), [("a\nb\n", "\n"), ("a\r\nb\r\n", "\r\n"), ("a\rb\r", "\r"), ("a\r\nb\n", "\n")])
def test_newline_detection_follows_the_hub(text: str, newline: str) -> None:
    assert detect_newline(text) == newline


def test_positions_of_nested_values() -> None:
    text = (
        "---\n"
        "model-index:\n"
        "- name: m\n"
        "  results:\n"
        "  - task:\n"
        "      type: text-classification\n"
        "    metrics:\n"
        "    - type: accuracy\n"
        "      value: 0.9\n"
        "---\n"
    )
    card = parse_card(text, "README.md")
    assert card.locate(("model-index", 0, "results", 0, "metrics", 0, "value")) == (9, 14)
    assert card.locate(("model-index", 0, "results", 0, "metrics", 0, "value"), value=False) == (9, 7)
    # an unknown path falls back to its nearest known ancestor
    assert card.locate(("model-index", 0, "results", 0, "dataset")) == (5, 5)


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    card = parse_card("---\nlicense: mit\ntags: [a]\nlicense: apache-2.0\n---\n", "README.md")
    assert codes_of(card) == ["CG007"]
    assert (card.findings[0].line, card.findings[0].column) == (4, 1)
    assert card.metadata["license"] == "apache-2.0"  # what PyYAML (and so huggingface_hub) keeps


def test_duplicate_key_in_a_nested_mapping() -> None:
    card = parse_card("---\nmodel-index:\n- name: a\n  name: b\n---\n", "README.md")
    assert codes_of(card) == ["CG007"]
    assert card.findings[0].line == 4


def test_tab_indentation_says_so() -> None:
    card = parse_card("---\ntags:\n\t- a\n---\n", "README.md")
    assert codes_of(card) == ["CG005"]
    assert card.findings[0].line == 3
    assert "tabs" in card.findings[0].fix


def test_yaml_syntax_error_has_the_right_line() -> None:
    card = parse_card("---\nlicense: mit\ntags: [a, b\nlanguage: en\n---\n# x\n", "README.md")
    assert codes_of(card) == ["CG005"]
    assert 3 <= card.findings[0].line <= 5


@pytest.mark.parametrize(
    "payload",
    [
        "x: !!python/object/apply:os.system ['touch pwned']",
        "x: !!python/object:__main__.Evil {}",
        "x: !!python/name:os.system",
        "x: !custom 1",
        "x: !!python/tuple [1, 2]",
    ],
)
def test_unsafe_tags_are_refused_and_never_constructed(payload: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    card = parse_card(f"---\n{payload}\n---\n", "README.md")
    assert codes_of(card) == ["CG008"]
    assert card.metadata is None
    assert not (tmp_path / "pwned").exists()


def test_alias_bomb_is_bounded() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for index in range(1, 10):
        previous, current = chr(ord("a") + index - 1), chr(ord("a") + index)
        lines.append(f"{current}: &{current} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]")
    card = parse_card("---\n" + "\n".join(lines) + "\n---\n", "README.md")
    assert codes_of(card) == ["CG009"]


def test_aliases_within_bounds_load_like_pyyaml() -> None:
    card = parse_card("---\nbase: &b [x, y]\ntags: *b\nwidget: {<<: {text: hi}, example_title: t}\n---\n", "README.md")
    assert card.metadata == {"base": ["x", "y"], "tags": ["x", "y"], "widget": {"text": "hi", "example_title": "t"}}


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_bounded(opener: str) -> None:
    depth = 10_000
    closer = "]" if opener == "[" else "}"
    card = parse_card("---\nx: " + opener * depth + closer * depth + "\n---\n", "README.md")
    assert codes_of(card) == ["CG009"]


def test_deep_block_nesting_is_bounded() -> None:
    yaml_text = "".join("  " * level + f"k{level}:\n" for level in range(150)) + "  " * 150 + "v\n"
    card = parse_card("---\n" + yaml_text + "---\n", "README.md")
    assert codes_of(card) == ["CG009"]


@pytest.mark.parametrize(
    ("line", "shown"),
    [("language: no", "false"), ("language: [en, no]", "false"), ("license: on", "true"), ("library_version: 3.10", "3.1")],
)
def test_yaml_1_1_traps_say_to_quote(line: str, shown: str) -> None:
    card = parse_card(f"---\n{line}\n---\n", "README.md")
    traps = [f for f in card.findings if f.code == "CG010"]
    assert len(traps) == 1
    assert shown in traps[0].message and "quote" in traps[0].fix


@pytest.mark.parametrize("line", ['language: "no"', "inference: false", "value: 3.14", "epochs: 3"])
def test_quoted_or_plain_values_are_not_traps(line: str) -> None:
    card = parse_card(f"---\n{line}\n---\n", "README.md")
    assert codes_of(card) == []


def test_binary_file(tmp_path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    card = read_card(path, "README.md")
    assert codes_of(card) == ["CG002"]


def test_non_utf8_card_points_at_the_byte(tmp_path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes("---\nlicense: mit\n---\nCaf\xe9\n".encode("latin-1"))
    card = read_card(path, "README.md")
    assert codes_of(card) == ["CG002"]
    assert card.findings[0].line == 4


def test_huge_card_is_refused_without_reading_it(tmp_path) -> None:
    path = tmp_path / "README.md"
    with open(path, "wb") as handle:
        handle.write(b"---\nlicense: mit\n")
        handle.truncate(50 * 1024 * 1024)
    card = read_card(path, "README.md")
    assert codes_of(card) == ["CG009"]


def test_huge_yaml_block_is_refused(tmp_path) -> None:
    path = tmp_path / "README.md"
    path.write_text("---\ntags:\n" + "- tag\n" * 1_000_000 + "---\n")
    card = read_card(path, "README.md", max_bytes=64 * 1024 * 1024)
    assert codes_of(card) == ["CG009"]


@pytest.mark.parametrize("kind", ["directory", "fifo", "missing"])
def test_unreadable_cards_are_findings(tmp_path, kind: str) -> None:
    import os

    path = tmp_path / "README.md"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    card = read_card(path, "README.md")
    assert codes_of(card) == ["CG001"]


def test_directives_silence_codes_and_unknown_codes_are_reported() -> None:
    card = parse_card("---\nlicense: mit\n---\n<!-- cardguard: ignore CG201, CG203 -->\n<!-- cardguard: ignore CG999 -->\n", "R")
    assert card.ignored_codes == {"CG201", "CG203"}
    assert codes_of(card) == ["CG501"]
    assert card.findings[0].line == 5


def test_malformed_directive() -> None:
    card = parse_card("---\nlicense: mit\n---\n<!-- cardguard: please be quiet -->\n", "R")
    assert codes_of(card) == ["CG502"]
