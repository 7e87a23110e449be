"""Section rules: required sections present and written, no template leftovers.

A profile is a list of required sections. Each is matched against every heading of the card
case-insensitively, ignoring ``[optional]``, emphasis and trailing punctuation; a section may
have aliases (the spellings that real generators use).
"""

from __future__ import annotations

import functools
import re

from cardguard import codes
from cardguard.card.markdown import Section, line_indices, normalize_title, occurrences
from cardguard.card.reader import Card
from cardguard.findings import Finding
from cardguard.record import Record


class RequiredSection(Record, frozen=True):
    title: str
    aliases: tuple[str, ...] = ()

    def keys(self) -> frozenset[str]:
        return _keys_of(self.title, self.aliases)


@functools.lru_cache(maxsize=None)
def _keys_of(title: str, aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize_title(name) for name in (title, *aliases))


def _sections(*specs: str | tuple[str, ...]) -> tuple[RequiredSection, ...]:
    built = []
    for spec in specs:
        if isinstance(spec, tuple):
            built.append(RequiredSection(spec[0], spec[1:]))
        else:
            built.append(RequiredSection(spec))
    return tuple(built)


# The non-optional sections of the Hub's annotated model card template
# (huggingface_hub templates/modelcard_template.md), in its order.
_HUB = _sections(
    "Model Details",
    "Model Description",
    "Uses",
    "Direct Use",
    ("Out-of-Scope Use", "Out of Scope Use"),
    ("Bias, Risks, and Limitations", "Bias, Risks and Limitations", "Risks and Limitations", "Limitations"),
    "How to Get Started with the Model",
    "Training Details",
    "Training Data",
    "Evaluation",
    ("Testing Data, Factors & Metrics", "Testing Data, Factors and Metrics"),
    "Results",
    "Environmental Impact",
    "Model Card Contact",
)

# What transformers' Trainer writes (TrainingSummary.to_model_card).
_TRAINER = _sections(
    "Model description",
    "Intended uses & limitations",
    "Training and evaluation data",
    "Training procedure",
    "Training hyperparameters",
    "Framework versions",
)

# What sentence-transformers' model card template always writes.
_SENTENCE_TRANSFORMERS = _sections(
    "Model Details",
    "Model Description",
    "Full Model Architecture",
    "Usage",
    "Direct Usage (Sentence Transformers)",
    "Framework Versions",
)

# What sentence-transformers 2.x wrote (its ModelCardTemplate): still most ST cards on the Hub.
_SENTENCE_TRANSFORMERS_2 = _sections(
    "Usage (Sentence-Transformers)",
    "Full Model Architecture",
)

PROFILES: dict[str, tuple[RequiredSection, ...]] = {
    "hub": _HUB,
    # PEFT writes the Hub's template (create_or_update_model_card) plus its framework line.
    "peft": _HUB,
    "trainer": _TRAINER,
    "sentence-transformers": _SENTENCE_TRANSFORMERS,
    "minimal": (),
}

_PLACEHOLDERS = (
    re.compile(r"\[\s*More Information Needed\s*\]", re.IGNORECASE),
    # Also the Hub template's default Recommendations sentence ("... More information needed
    # for further recommendations."): nobody wrote it.
    re.compile(r"(?<![\w\[])More information needed", re.IGNORECASE),
    re.compile(r"\[\s*(TODO|TBD|FIXME|Your Name|Model ID)\s*\]", re.IGNORECASE),
    # Trainer's intro with no dataset name ("on the None dataset") or an empty base model
    # ("a fine-tuned version of [](https://huggingface.co/)").
    re.compile(r"\bthe None dataset"),  # Python's None, as Trainer prints it
    re.compile(r"(?<!!)\[\s*\]\(\s*https?://huggingface\.co/?\s*\)", re.IGNORECASE),
)
# Trainer's note above every card it writes, hidden in an HTML comment; the author was to remove it.
_HIDDEN_INSTRUCTION = "proofread and complete it, then remove this comment"
# The blanks before and after the emphasis marks are two runs only when there is a mark
# between them: `\s*[_*]*\s*` would try every split of one long run of blanks (quadratic, and
# Unicode blanks such as U+00A0 do not make a line indented code).
_INSTRUCTIONS = re.compile(
    r"^\s*(?:[_*]+\s*)?("
    r"Provide (a|the) (quick|longer|basic)|This section (is meant|describes|provides|addresses)"
    r"|Address questions around|This should link to a Dataset Card|These are the (things|evaluation metrics)"
    r"|If there is a paper or blog post|Relevant interpretability work|Total emissions \(in grams"
    r"|If relevant, include terms|This relates heavily to the Technical Specifications"
    r")",
    re.IGNORECASE,
)
_TEMPLATE_DELIMITERS = (("{{", "}}"), ("{%", "%}"))
_INLINE_CODE = re.compile(r"`+[^`]*`+")
_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}(\s|$)")


def check_sections(card: Card, profile: str, extra_required: tuple[str, ...] = (),
                   chosen_because: str | None = None) -> list[Finding]:
    """All section findings for one card under one profile; ``chosen_because`` is why the
    `auto` profile chose it (None when the profile was set)."""
    if card.body is None:
        return []
    findings = _required_section_findings(card, profile, extra_required, chosen_because)
    findings.extend(_leftover_findings(card))
    if card.metadata is not None and not card.body_text.strip():
        line = min(card.front_matter.closing_line if card.front_matter else 1, card.line_count)
        findings.append(codes.finding(
            "CG206", card.path, line, 1, "the card has metadata but no Markdown body",
            "describe the model below the metadata block (cardguard init writes a skeleton)",
        ))
    return findings


# A library whose card layout changed between versions: each layout it wrote is accepted.
_OLDER_LAYOUTS: dict[str, tuple[tuple[RequiredSection, ...], ...]] = {
    "sentence-transformers": (_SENTENCE_TRANSFORMERS_2,),
}


def required_sections(profile: str, extra_required: tuple[str, ...] = ()) -> tuple[RequiredSection, ...]:
    return PROFILES[profile] + tuple(RequiredSection(title) for title in extra_required)


def heading_keys(card: Card) -> frozenset[str]:
    """The normalized titles of the card's headings: worked out once per card, then matched
    against every profile's layouts."""
    return frozenset() if card.body is None else card.body.heading_keys


@functools.lru_cache(maxsize=None)
def _layouts(profile: str) -> tuple[tuple[RequiredSection, ...], ...]:
    """The profile's current layout, then its older ones."""
    return (PROFILES[profile], *_OLDER_LAYOUTS.get(profile, ()))


@functools.lru_cache(maxsize=None)
def _layout_keys(profile: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """Per layout of the profile (see :func:`_layouts`), the keys of each required section."""
    return tuple(tuple(wanted.keys() for wanted in layout) for layout in _layouts(profile))


def _count_present(keys: frozenset[str], wanted_keys: tuple[frozenset[str], ...]) -> int:
    present = 0
    for wanted in wanted_keys:
        if not keys.isdisjoint(wanted):
            present += 1
    return present


def _closest_layout(keys: frozenset[str], profile: str) -> int:
    """The position in :func:`_layouts` of the profile's layout the card (its heading ``keys``)
    follows most closely (its current layout, 0, on a tie)."""
    if len(_layouts(profile)) == 1:
        return 0
    return _best_layout(keys, _layout_keys(profile))


def _best_layout(keys: frozenset[str], layouts: tuple[tuple[frozenset[str], ...], ...]) -> int:
    """The position of the layout with the largest share of its sections in ``keys`` (the first
    of equals)."""
    scores = [_count_present(keys, wanted) / len(wanted) for wanted in layouts]
    return scores.index(max(scores))


def profile_fits(keys: frozenset[str], profile: str) -> bool:
    """True when the card with heading ``keys`` has every section the profile requires (in
    one of its layouts). A loop, not any() over a generator: it runs for several profiles per card."""
    for wanted in _layout_keys(profile):
        if _has_all(keys, wanted):
            return True
    return False


def _has_all(keys: frozenset[str], wanted_keys: tuple[frozenset[str], ...]) -> bool:
    """True when ``keys`` hold one key of every required section (the first one missing ends the look)."""
    for wanted in wanted_keys:
        if keys.isdisjoint(wanted):
            return False
    return True


def _required_section_findings(card: Card, profile: str, extra_required: tuple[str, ...],
                               chosen_because: str | None) -> list[Finding]:
    assert card.body is not None
    keys = heading_keys(card)
    required, lookups = _required_layout(profile, _closest_layout(keys, profile), extra_required)
    if not required:
        return []
    by_key = card.body.section_by_key
    findings: list[Finding] = []
    fitting = ""  # found only when a section is missing: it compares the card with every profile
    missing_line = _missing_section_line(card)
    for wanted, names in zip(required, lookups):
        section = _section_for(names, by_key)
        if section is None:
            fitting = fitting or fitting_profile(keys, profile)
            message, fix = _missing_text(wanted.title, profile, chosen_because, fitting)
            findings.append(codes.finding("CG201", card.path, missing_line, 1, message, fix))
        elif _is_empty(section):
            findings.append(codes.finding(
                "CG202", card.path, section.heading.line, 1,
                f"section '{section.heading.title}' is empty",
                "write its content, or silence the rule for this card with <!-- cardguard: ignore CG202 -->",
            ))
    return findings


@functools.lru_cache(maxsize=256)
def _required_layout(profile: str, layout: int, extra_required: tuple[str, ...]
                     ) -> tuple[tuple[RequiredSection, ...], tuple[tuple[str, ...], ...]]:
    """The sections required under the profile's ``layout`` (see :func:`_layouts`) plus the
    configured ``extra_required`` titles, and the keys to look each up by (:func:`_lookup_keys`):
    worked out once per run, not once per card."""
    required = _layouts(profile)[layout] + tuple(RequiredSection(title) for title in extra_required)
    return required, tuple(_lookup_keys(wanted) for wanted in required)


def _lookup_keys(wanted: RequiredSection) -> tuple[str, ...]:
    """The keys of a required section's names: its title's first, then its aliases' in order."""
    return tuple(dict.fromkeys(normalize_title(name) for name in (wanted.title, *wanted.aliases)))


def _section_for(names: tuple[str, ...], by_key: dict[str, Section]) -> Section | None:
    """The card's section under the first of a required section's names it has (their keys,
    ``names``), None when it has none. Most required sections have one name: one lookup."""
    section = by_key.get(names[0])
    if section is None and len(names) > 1:
        for key in names[1:]:
            section = by_key.get(key)
            if section is not None:
                break
    return section


def _missing_section_line(card: Card) -> int:
    """Where a missing section is reported: the line the body begins on, or the card's last
    line when the body is empty (the card then ends with the front matter's closing line)."""
    assert card.body is not None
    if card.body_text:  # the body's first line holds a character of the card: no need to count them all
        return card.body.first_line
    return min(card.body.first_line, card.line_count)


# The texts of CG201 findings, worked out once per required section, profile and advice: a
# batch reports the same missing sections on card after card.
@functools.lru_cache(maxsize=1024)
def _missing_text(title: str, profile: str, chosen_because: str | None, fitting: str) -> tuple[str, str]:
    """(message, fix) of a CG201 finding: the section ``title`` the ``profile`` requires is
    missing; ``fitting`` is the profile the card does fit (:func:`fitting_profile`)."""
    about_profile = f"profile '{profile}'" + (f", chosen by auto: {chosen_because}" if chosen_because else "")
    return (f"required section '{title}' is missing ({about_profile})",
            f"add a heading '## {title}' with its content, or {_profile_advice(fitting)}")


def _profile_advice(fitting: str) -> str:
    if fitting == "minimal":
        return 'set profile = "minimal" (no required sections) if the card is complete as it is'
    return f'set profile = "{fitting}" (the card has all of its sections)'


def sections_present(keys: frozenset[str], profile: str) -> int:
    """How many sections of the profile's current layout the card with heading ``keys`` has."""
    return _count_present(keys, _layout_keys(profile)[0])


def fitting_profile(keys: frozenset[str], rejected: str) -> str:
    """A profile other than ``rejected`` whose every required section the card (its heading
    ``keys``) has, or "minimal" (which requires none) when there is no such profile."""
    for name, required in PROFILES.items():
        if name in (rejected, "minimal") or required == PROFILES.get(rejected):
            continue
        if profile_fits(keys, name):
            return name
    return "minimal"


def _is_empty(section: Section) -> bool:
    """No visible line under the heading holds anything but blanks and headings. The lines are
    looked at one by one, up to the first that holds text: a top section spans most of a card."""
    for line in section.visible_lines():
        # Only a line whose text starts with '#' can be a heading: the others skip the regex.
        if line.strip() and (line.lstrip(" ")[:1] != "#" or not _HEADING_LINE.match(line)):
            return False
    return True


def _leftover_findings(card: Card) -> list[Finding]:
    """Placeholders, template instructions and unrendered template syntax, line by line."""
    assert card.body is not None
    body = card.body
    findings: list[Finding] = []
    for index in _lines_with_hints(hint_text(body.lf_text)):
        line = body.lines[index]
        file_line = body.first_line + index
        if _HIDDEN_INSTRUCTION in line.lower() and not body.in_code[index]:
            findings.append(codes.finding(
                "CG204", card.path, file_line, 1,
                "Trainer's note to proofread and complete the card is still in it",
                "complete the card, then remove the comment as the note asks",
            ))
        if not body.visible[index] or body.in_code[index]:
            continue
        prose = _without_comments(_INLINE_CODE.sub("", line))
        findings.extend(_placeholder_findings(card.path, file_line, prose, line))
        if _INSTRUCTIONS.match(prose):
            findings.append(codes.finding(
                "CG204", card.path, file_line, 1,
                "the template's instruction to the author is still in the card",
                "replace it with the information it asks for",
            ))
        template = _template_syntax(prose)
        if template is not None:
            findings.append(codes.finding(
                "CG205", card.path, file_line, _column_of(line, template),
                f"unrendered template syntax {template!r}",
                "render the template, or put literal braces inside a code span",
            ))
    return findings


def hint_text(text: str) -> str:
    """``text`` with its ASCII letters lowered: the text the hints are looked for in.

    Every hint is lower-case ASCII, so this finds the same hints on the same lines as
    ``text.lower()``: the only characters outside ASCII that ``str.lower`` turns into ASCII are
    U+0130 ("i" and a combining dot, and no hint has anything but an ASCII letter after its
    "i") and the Kelvin sign ("k", in no hint). It costs a fraction of ``str.lower`` on a text
    that is not all ASCII (emoji, other scripts), which lowers character by character through
    the Unicode tables, where ``bytes.lower`` changes only the ASCII letters of the UTF-8 text."""
    if text.isascii():
        return text.lower()
    return text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")


# A line is looked at only if its lower-cased text holds one of these hints. Each hint is found
# from an anchor it starts with: one search of the whole body per anchor, and one check of the
# places found for all the anchor's hints. "[" and "{" are rare in prose and a one-character
# search runs at memory speed; an anchor shared by several hints saves a search of the body for
# each of the others.
_HINTS_BY_ANCHOR: dict[str, tuple[str, ...]] = {
    "{": ("{{", "{%"),
    "this ": ("this section", "this should link", "this relates heavily"),
    "if ": ("if there is a paper", "if relevant"),
    **{hint: (hint,) for hint in (
        "information needed", "provide ", "address questions", "these are the", "relevant interpretability",
        "total emissions", "the none dataset", _HIDDEN_INSTRUCTION,
    )},
}


def _lines_with_hints(lowered: str) -> list[int]:
    """Indices of the lines of ``lowered`` (the lower-cased body, lines joined by "\n") that
    may hold leftovers, in order. Each hint is looked for with str.find, so most lines never
    meet a regex. (A regex alternation of the hints costs more: it tries its branches at every
    position whose character starts one.) Lowering can lengthen a line ("İ" becomes two
    characters) but never adds or removes a line break, so lines are counted in ``lowered``."""
    return line_indices(lowered, _hint_positions(lowered))


# What may follow a "[" after spaces, as the placeholders' patterns allow: "[ TODO ]", "[ ](...)".
_BRACKETED_HINTS = ("todo", "tbd", "fixme", "your name", "model id", "](")
# A "[", the spaces of its line (what str.isspace() calls a space, "\n" aside), a bracketed hint.
# Links make "[" common: the regex tries each in C rather than a loop here.
_BRACKETED = re.compile(r"\[[^\S\n]*(?:" + "|".join(map(re.escape, _BRACKETED_HINTS)) + ")")


def _hint_positions(lowered: str) -> list[int]:
    positions: list[int] = []
    for match in _BRACKETED.finditer(lowered):
        positions.append(match.start())
    for anchor, hints in _HINTS_BY_ANCHOR.items():
        for position in occurrences(lowered, anchor):
            if lowered.startswith(hints, position):
                positions.append(position)
    return positions


def _placeholder_findings(path: str, file_line: int, prose: str, line: str) -> list[Finding]:
    for pattern in _PLACEHOLDERS:
        match = pattern.search(prose)
        if match:
            return [codes.finding(
                "CG203", path, file_line, _column_of(line, match.group(0)),
                f"template placeholder {match.group(0)!r} left in the card",
                "replace it with real information, or delete the line",
            )]
    return []


def _column_of(line: str, fragment: str) -> int:
    return line.find(fragment) + 1 if fragment in line else 1


def _without_comments(line: str) -> str:
    """``line`` without its closed HTML comments, in one scan (``<!--.*?-->`` rescans the rest
    of the line for every unclosed opening)."""
    pieces, position = [], 0
    while (start := line.find("<!--", position)) != -1:
        end = line.find("-->", start + len("<!--"))
        if end == -1:
            break  # no later opening can be closed either
        pieces.append(line[position:start])
        position = end + len("-->")
    pieces.append(line[position:])
    return "".join(pieces)


def _template_syntax(prose: str) -> str | None:
    """The first ``{{ ... }}`` or ``{% ... %}`` in ``prose``. Only the first opening of each
    kind can start one: if it has no closing after it, no later opening has."""
    found: tuple[int, int] | None = None
    for opening, closing in _TEMPLATE_DELIMITERS:
        start = prose.find(opening)
        end = prose.find(closing, start + len(opening)) if start != -1 else -1
        if end != -1 and (found is None or start < found[0]):
            found = (start, end + len(closing))
    return prose[found[0]:found[1]] if found is not None else None
