"""Metadata rules: the card's YAML front matter against the Hub's rules (CG101-CG117).

The shape of valid metadata lives in ``schemas/model-card-metadata.schema.json``; this module
runs it with :mod:`cardguard.rules.schema_check` and turns each schema error into a finding at the
line of the offending value, worded like the Hub's own messages
(``"model-index[0].results[0].dataset.config" must be a string``) plus what to do.
A few checks are not schema questions (doubtful values, keys that are near misses of known
ones, missing recommended keys) and are written out below.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from cardguard import codes
from cardguard.findings import Autofix, Finding, Severity
from cardguard.record import Record
from cardguard.resources import data_dir
from cardguard.rules.schema_check import InstancePath, SchemaError, SchemaValidator, check_organisation_schema

METADATA_SCHEMA_FILE = "model-card-metadata.schema.json"
LICENSES_URL = "https://huggingface.co/docs/hub/repositories-licenses"
TASKS_URL = "https://huggingface.co/tasks"
LIBRARIES_URL = "https://huggingface.co/docs/hub/models-libraries"

# Pipeline tags the Hub removed; old cards still carry them. Value: what to write instead.
REMOVED_PIPELINE_TAGS: dict[str, str] = {
    "conversational": 'use "text-generation" (or "image-text-to-text") and add the tag "conversational"',
    "text2text-generation": 'use "text-generation" (text2text-generation is now one of its subtasks)',
}
# The removed tags with one documented successor, which --fix writes. "conversational" has two
# ("text-generation" or "image-text-to-text"), so only its author can choose.
PIPELINE_TAG_SUCCESSORS: dict[str, str] = {"text2text-generation": "text-generation"}


def is_removed_pipeline_tag(value: Any) -> bool:
    return isinstance(value, str) and value in REMOVED_PIPELINE_TAGS


class CardLike(Protocol):
    """What the metadata rules need from a card (cardguard.card.reader.Card provides it)."""

    path: str

    @property
    def metadata(self) -> dict[str, Any] | None: ...

    def locate(self, path: InstancePath, value: bool = True) -> tuple[int, int]: ...


class HubVocabulary(Record, frozen=True):
    """The Hub's known values, read from the schema so that there is one source."""

    licenses: tuple[str, ...]
    pipeline_tags: tuple[str, ...]
    library_names: tuple[str, ...]
    known_keys: tuple[str, ...]


@functools.cache
def metadata_schema() -> dict:
    path = data_dir("schemas") / METADATA_SCHEMA_FILE
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def metadata_validator() -> SchemaValidator:
    return SchemaValidator(metadata_schema())


@functools.cache
def hub_vocabulary() -> HubVocabulary:
    schema = metadata_schema()
    defs = schema["$defs"]
    return HubVocabulary(
        licenses=tuple(defs["license_id"]["enum"]),
        pipeline_tags=tuple(defs["pipeline_tag"]["enum"]),
        library_names=tuple(defs["library_name"]["enum"]),
        known_keys=tuple(schema["properties"]),
    )


# -- entry point --------------------------------------------------------------------------


def check_metadata(card: CardLike, *, org_schema: dict | None = None) -> list[Finding]:
    """All metadata findings for one card; [] when the card has no (parsed) metadata."""
    metadata = card.metadata
    if metadata is None:
        return []
    instance = json_ready(metadata, _holds_date_as_read(card))
    findings: list[Finding] = []
    for error in one_error_per_value(metadata_validator().errors(instance), card):
        findings.extend(hub_schema_findings(error, card))
    near_misses = near_miss_keys(metadata)
    findings.extend(near_miss_findings(card, near_misses))
    if metadata:  # an empty block is already CG011
        findings.extend(missing_key_findings(card, metadata, set(near_misses.values())))
    findings.extend(empty_results_findings(card, metadata))
    findings.extend(split_none_findings(card, metadata))
    if org_schema is not None:
        findings.extend(org_schema_findings(card, instance, org_schema))
    return findings


def json_ready(value: Any, holds_date: bool | None = None) -> Any:
    """The value as JSON would hold it: YAML timestamps become their ISO text, as values and
    as mapping keys (``2020-01-01: x``). Most metadata holds no timestamp and is returned as
    it is: looking for one costs less than copying every mapping and list. ``holds_date``:
    whether ``value`` holds one, when the caller knows (the YAML reader says so); else the
    value is searched."""
    if holds_date is None:
        holds_date = _holds_date(value)
    return _with_dates_as_text(value) if holds_date else value


def _holds_date_as_read(card: CardLike) -> bool | None:
    """Whether the card's YAML reader built a date (YamlDoc.holds_date); None when the card
    does not say (a card-like object without a YAML document)."""
    return getattr(getattr(card, "yaml", None), "holds_date", None)


def _holds_date(value: Any) -> bool:
    """True when a date or datetime is somewhere in ``value`` (a key or a value)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):  # most items: tested first
            continue
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, datetime.date):
            return True
    return False


def _with_dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {_iso_if_date(key): _with_dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_dates_as_text(item) for item in value]
    return _iso_if_date(value)


def _iso_if_date(value: Any) -> Any:
    # datetime.datetime is a datetime.date: one isinstance covers both.
    return value.isoformat() if isinstance(value, datetime.date) else value


# -- schema errors -> findings ------------------------------------------------------------


def one_error_per_value(errors: Iterable[SchemaError], card: CardLike) -> list[SchemaError]:
    """The errors without those about a value whose type is already wrong: `pipeline_tag: false`
    is a boolean (CG109), and only that; that no task is named "false" follows from it. Every
    key the schema gives both a type and a set of values (an enum, a pattern) is treated alike.
    A YAML 1.1 word (`pipeline_tag: yes`) is text to the Hub: its value is still checked."""
    listed = list(errors)
    if not listed:  # most cards
        return listed
    wrong_type = {error.path for error in listed if error.keyword == "type" and not _is_yaml11_word(error, card)}
    return _kept_errors(listed, wrong_type)


def _kept_errors(errors: list[SchemaError], wrong_type: set[InstancePath]) -> list[SchemaError]:
    """The type errors, and the other errors about a value whose type is not wrong."""
    return [error for error in errors if error.keyword == "type" or error.path not in wrong_type]


def hub_schema_findings(error: SchemaError, card: CardLike) -> list[Finding]:
    """Findings for one error of the Hub metadata schema."""
    if error.keyword == "anyOf":
        chosen = best_branch(error)
        if chosen is None:
            return _type_error_findings(error, union_of_forms(error), card)
        return [finding for sub_error in one_error_per_value(chosen, card) for finding in hub_schema_findings(sub_error, card)]
    if error.keyword == "type":
        return _type_error_findings(error, type_phrase(error.expected), card)
    if error.keyword == "required" and error.path == () and error.expected in ("license_name", "license_link"):
        if error.expected == "license_link" and "license_name" not in error.value:
            return []  # one finding names both
        return [_license_other_finding(error, card)]
    code = rule_code(error)
    line, column = card.locate(error.path)
    message, fix = describe(error)
    found = codes.finding(code, card.path, line, column, message, fix)
    autofix = certain_value_fix(code, error)
    return [found if autofix is None else found.replace(autofix=autofix)]


def certain_value_fix(code: str, error: SchemaError) -> Autofix | None:
    """The value ``--fix`` writes, where there is exactly one: CG101, the licence id the value
    spells in another case or form (``Apache-2.0``, ``Apache License 2.0``); CG106, a removed
    pipeline tag's one documented successor."""
    if len(error.path) != 1 or not isinstance(error.value, str):
        return None
    if code == "CG101":
        new = certain_id(error.value, hub_vocabulary().licenses)
    elif code == "CG106":
        new = PIPELINE_TAG_SUCCESSORS.get(error.value)
    else:
        return None
    return None if new is None else Autofix("set-value", error.path, error.value, new)


def best_branch(error: SchemaError) -> tuple[SchemaError, ...] | None:
    """The ``anyOf`` alternative the author most likely meant, or None when the value has
    none of the alternatives' forms (then the error is about its type)."""
    candidates = [branch for branch in error.branches if not _wrong_form(branch, error.path)]
    if not candidates:
        return None
    return min(candidates, key=len)


def _wrong_form(branch: tuple[SchemaError, ...], path: InstancePath) -> bool:
    """True when the value is not even of this alternative's kind: its ``type`` fails, or it
    fails an ``enum``/``const`` none of whose values has the value's JSON type."""
    for sub_error in branch:
        if sub_error.path != path:
            continue
        if sub_error.keyword == "type":
            return True
        if sub_error.keyword in ("enum", "const"):
            allowed = sub_error.expected if sub_error.keyword == "enum" else [sub_error.expected]
            if all(json_type(item) != json_type(sub_error.value) for item in allowed):
                return True
    return False


def json_type(value: Any) -> str:
    """The JSON Schema type name of a loaded value ('integer' counts as 'number')."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__


def union_of_forms(error: SchemaError) -> str:
    """'a string or an array', 'one of "auto", "manual" or a boolean' … for an anyOf."""
    forms: list[str] = []
    for branch in error.branches:
        for sub_error in branch:
            if sub_error.path != error.path:
                continue
            if sub_error.keyword == "type":
                forms.append(type_phrase(sub_error.expected))
            elif sub_error.keyword in ("enum", "const"):
                allowed = sub_error.expected if sub_error.keyword == "enum" else [sub_error.expected]
                forms.append("one of " + ", ".join(json.dumps(item) for item in allowed))
    unique = list(dict.fromkeys(forms))
    return " or ".join(unique) if unique else "of another form"


_ARTICLES = {"array": "an array", "object": "an object", "integer": "an integer"}


def type_phrase(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_ARTICLES.get(name, f"a {name}") for name in names)


def _type_error_findings(error: SchemaError, wanted: str, card: CardLike) -> list[Finding]:
    value = error.value
    wants_string = "a string" in wanted
    if isinstance(value, bool) and wants_string and _is_yaml11_coercion(card, error.path):
        return []  # the card reader reports it already (CG010: quote it), and the Hub reads it as text
    code = "CG110" if error.path[:1] == ("model-index",) else "CG109"
    line, column = card.locate(error.path)
    fix = type_fix(error.path, value, wanted)
    if value is None and len(error.path) == 1:
        # `key:` with nothing after it. huggingface_hub drops such keys; whether the Hub
        # rejects them is not known, so this is only doubtful.
        message = f'"{format_path(error.path)}" is empty (null); it should be {wanted}'
        return [codes.finding(code, card.path, line, column, message, fix, severity=Severity.WARNING)]
    message = f'"{format_path(error.path)}" must be {wanted}, not {kind_of(value)}'
    found = codes.finding(code, card.path, line, column, message, fix)
    if code == "CG110" and value is None and isinstance(error.path[-1], str):  # removed, an empty key is no value
        found = found.replace(autofix=Autofix("remove-key", tuple(error.path), None, None))
    return [found]


def _is_yaml11_word(error: SchemaError, card: CardLike) -> bool:
    """True for a boolean the card wrote as a YAML 1.1 word (`yes`, `on`): text to the Hub."""
    return isinstance(error.value, bool) and _is_yaml11_coercion(card, error.path)


def _is_yaml11_coercion(card: CardLike, path: InstancePath) -> bool:
    yaml_doc = getattr(card, "yaml", None)
    coercions = getattr(yaml_doc, "coercions", ())
    return any(tuple(coercion.path) == tuple(path) for coercion in coercions)


def kind_of(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {quote_value(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def type_fix(path: InstancePath, value: Any, wanted: str) -> str | None:
    """What to do about a value of the wrong type."""
    if value is None:
        return "give it a value or remove it (an empty key or list item loads as null)"
    if isinstance(value, bool) and "a string" in wanted:
        return f'quote it ("{str(value).lower()}") if it is meant as text'
    if isinstance(value, (int, float)) and "a string" in wanted:
        return f'quote it ("{value}") so that it stays text'
    if isinstance(value, str) and path[:1] == ("widget",) and wanted == "an object":
        return f"write it as `- text: {quote_value(value)}`"
    if isinstance(value, dict) and wanted.startswith("an array"):
        return "make it a list: put `- ` before the first key of each item"
    if isinstance(value, str) and "an array" in wanted:
        return f"make it a list: `{path[-1] if path else 'key'}:` then `- {quote_value(value, quotes=False)}` on the next line"
    if isinstance(value, (list, dict)) and "a string" in wanted:
        return "write a single string here"
    if path[:1] == ("co2_eq_emissions",):
        return "give the emissions in grams as a number, e.g. `co2_eq_emissions: {emissions: 12.5, source: ...}`"
    return None


def rule_code(error: SchemaError) -> str:
    """The rule a (non-type) schema error breaks, from where it is and which keyword failed."""
    root = error.path[0] if error.path else None
    if root == "model-index":
        return "CG118" if error.keyword == "required" and error.expected == "dataset" else "CG110"
    if error.keyword == "enum":
        return {
            "license": "CG101",
            "library_name": "CG104",
            "pipeline_tag": "CG106" if is_removed_pipeline_tag(error.value) else "CG105",
        }.get(root, "CG115")
    if error.keyword == "pattern":
        return {"language": "CG103", "base_model": "CG113", "new_version": "CG113", "datasets": "CG114"}.get(
            root, "CG109"
        )
    if error.keyword == "const":
        return "CG115"
    return "CG109"


def describe(error: SchemaError) -> tuple[str, str | None]:
    """Message and fix for a schema error other than ``type`` and ``anyOf``."""
    shown = format_path(error.path)
    root = error.path[0] if error.path else None
    if error.keyword == "enum":
        return describe_enum(root, shown, error)
    if error.keyword == "pattern":
        return describe_pattern(root, shown, error.value)
    if error.keyword == "required":
        return describe_required(error)
    if error.keyword == "const":
        return f'"{shown}" must be {json.dumps(error.expected)}', None
    if error.keyword in ("minItems", "minLength"):
        return f'"{shown}" must not be empty', "give it a value or remove it"
    return f'"{shown}" is not valid ({error.keyword})', None


# For keys whose values are a Hub list: what an unknown value is, and what to do without a guess.
_UNKNOWN_VALUE_WORDING: dict[str, tuple[str, str]] = {
    "license": ("is not a Hub licence id",
                f'use an id from {LICENSES_URL}, or "other" with license_name and license_link'),
    "pipeline_tag": ("is not a Hub task; the Hub ignores it", f"use a task id from {TASKS_URL}"),
    "library_name": ("is not a library the Hub knows; the model page gets no library integration",
                     f"see {LIBRARIES_URL} for the ids; leave it if this is a library of your own"),
}


def hub_list_for(root: str) -> tuple[str, ...]:
    vocabulary = hub_vocabulary()
    return {"license": vocabulary.licenses, "pipeline_tag": vocabulary.pipeline_tags,
            "library_name": vocabulary.library_names}[root]


def describe_enum(root: Any, shown: str, error: SchemaError) -> tuple[str, str | None]:
    value = error.value
    if root == "pipeline_tag" and is_removed_pipeline_tag(value):
        return f'"{shown}" {quote_value(value)} is a task the Hub has removed', REMOVED_PIPELINE_TAGS[value]
    if root in _UNKNOWN_VALUE_WORDING:
        what, otherwise = _UNKNOWN_VALUE_WORDING[root]
        guess = certain_id(value, hub_list_for(root)) or suggest(value, hub_list_for(root))
        return f'"{shown}" with value {quote_value(value)} {what}', f'did you mean "{guess}"?' if guess else otherwise
    allowed = ", ".join(json.dumps(item) for item in error.expected)
    guess = suggest(value, [item for item in error.expected if isinstance(item, str)])
    message = f'"{shown}" must be one of [{allowed}], not {quote_value(value)}'
    return message, f'did you mean "{guess}"?' if guess else None


def describe_pattern(root: Any, shown: str, value: str) -> tuple[str, str | None]:
    if root == "language":
        return f'"{shown}" with value {quote_value(value)} is not an ISO 639 language code', language_fix(value)
    if root in ("base_model", "new_version"):
        message = f'"{shown}" with value {quote_value(value)} is not valid. Use a model id from https://hf.co/models.'
        return message, repo_id_fix(value, "model")
    if root == "datasets":
        message = f'"{shown}" with value {quote_value(value)} is not valid. If possible, use a dataset id from https://hf.co/datasets.'
        return message, repo_id_fix(value, "dataset")
    return f'"{shown}" with value {quote_value(value)} is not valid', None


def language_fix(value: str) -> str:
    primary = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    if re.fullmatch(r"[a-z]{2,3}", primary):
        if primary != value.lower():
            return f'use "{primary}" (a region or script can go in language_bcp47: ["{value}"])'
        return f'use "{primary}"'
    return 'use a two- or three-letter ISO 639 code such as "en", or "multilingual"'


_HUB_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<rest>[^?#]+)")
_LOCAL_PATH = re.compile(r"^(?:[/~.]|[A-Za-z]:[\\/])|\\")


def repo_id_fix(value: str, kind: str) -> str:
    """What to write instead of a value that is not a Hub repo id."""
    if not value.strip():
        return f"write the Hub id of the {kind} or remove the entry"
    hub_url = _HUB_URL.match(value)
    if hub_url:
        parts = [part for part in hub_url.group("rest").split("/") if part]
        if parts and parts[0] in ("datasets", "models", "spaces"):
            parts = parts[1:]
        if parts:
            return f'write the id, not the URL: "{"/".join(parts[:2])}"'
    if value.startswith(("http://", "https://")):
        return f"write the Hub id of the {kind} (namespace/name), not a URL; the Hub only links Hub ids"
    if _LOCAL_PATH.search(value) or value.count("/") > 1:
        writer = "PEFT, Trainer and axolotl write it" if kind == "model" else "AutoTrain writes it"
        return f"this is a local path ({writer} when the {kind} was loaded from disk); write its Hub id (namespace/name)"
    return f"a Hub {kind} id is namespace/name with letters, digits, '-', '_' and '.' only"


# -- required properties --------------------------------------------------------------------

# What to add when a model-index part is missing, by (parent part, missing key).
_MODEL_INDEX_PARTS: dict[str, str] = {
    "name": "add `name: <model name>` to this model-index entry",
    "results": "add `results:`, a list of results each with task, dataset and metrics",
    "task": "add `task:` with `type: <task id>` (e.g. text-classification) and optionally `name:`",
    "metrics": "add `metrics:`, a list of `- type: <metric id>` / `value: <number>` items",
    "type": "add `type:` (the id: a task id, a dataset id or a metric id such as accuracy)",
    "value": "add `value: <number>`",
    "url": "add `url:` (a link to the source of the result), or remove `source`",
}
# The same for other parts of the metadata.
_OTHER_PARTS: dict[str, str] = {
    "options": "add `options:`, the list of choices of this select field",
    "emissions": "add `emissions: <grams of CO2-eq, a number>`",
    "role": "add `role:` (system, user or assistant)",
    "content": "add `content:` (the message text)",
    "label": "add `label:` (the text shown)",
}


def describe_required(error: SchemaError) -> tuple[str, str | None]:
    missing = error.expected
    where = format_path(error.path) if error.path else "the metadata"
    message = f'"{where}" is missing "{missing}"'
    present = [key for key in error.value if isinstance(key, str)] if isinstance(error.value, dict) else []
    close = near_miss_of(missing, present)
    if close is not None:
        return message, f'found "{close}": rename it to "{missing}"' + _shape_hint(missing)
    if error.path[:1] == ("model-index",) and missing == "dataset":
        return f'"{where}" has no "dataset"', (
            "add `dataset:` with `type: <Hub dataset id>` and `name: <readable name>`; the Hub shows the "
            "result without it, but huggingface_hub's ModelCard.load raises on such a card")
    if error.path[:1] == ("model-index",):
        return message, _MODEL_INDEX_PARTS.get(missing)
    return message, _OTHER_PARTS.get(missing, f'add "{missing}"')


def _shape_hint(missing: str) -> str:
    return " and make it a list (`- ` before each item)" if missing in ("metrics", "results") else ""


def near_miss_of(wanted: str, present: Iterable[str]) -> str | None:
    """A present key that is probably a misspelling of ``wanted`` (`metric` for `metrics`)."""
    present = [key for key in present if key != wanted]
    for key in present:
        if normalise_key(key) == normalise_key(wanted):
            return key
    import difflib  # only when a suggestion is needed: off the fast path

    matches = difflib.get_close_matches(wanted, present, n=1, cutoff=0.7)
    return matches[0] if matches else None


def _license_other_finding(error: SchemaError, card: CardLike) -> Finding:
    metadata = error.value if isinstance(error.value, dict) else {}
    missing = [name for name in ("license_name", "license_link") if name not in metadata]
    line, column = card.locate(("license",))
    names = " and ".join(f'"{name}"' for name in missing)
    return codes.finding(
        "CG102", card.path, line, column,
        f'"license: other" needs {names} to say which licence applies',
        "add `license_name: <short-lowercase-id>` and `license_link: LICENSE` (a file in the repo, or a URL); "
        f"or use a Hub licence id if one fits ({LICENSES_URL})",
    )


# -- checks that are not schema questions ---------------------------------------------------


def normalise_key(key: str) -> str:
    return key.casefold().replace("-", "_").replace(" ", "_")


@functools.cache
def _known_keys() -> frozenset[str]:
    return frozenset(hub_vocabulary().known_keys)


@functools.cache
def _library_names() -> frozenset[str]:
    return frozenset(hub_vocabulary().library_names)


@functools.cache
def _known_keys_by_normal_form() -> dict[str, str]:
    return {normalise_key(key): key for key in hub_vocabulary().known_keys}


def near_miss_keys(metadata: dict) -> dict[str, str]:
    """Unknown top-level keys that look like known ones: {key in the card: known key}."""
    known = _known_keys()
    by_normal_form = _known_keys_by_normal_form()
    misses: dict[str, str] = {}
    for key in metadata:
        if not isinstance(key, str) or key in known:
            continue
        normal = normalise_key(key)
        target = by_normal_form.get(normal) or _close_known_key(normal)
        if target is not None:
            misses[key] = target
    return misses


@functools.lru_cache(maxsize=4096)  # bounded: keys are the cards' own; the same few recur in a batch
def _close_known_key(normal: str) -> str | None:
    """The known key whose normal form is close to ``normal`` (difflib's ratio >= 0.85)."""
    import difflib

    by_normal_form = _known_keys_by_normal_form()
    close = difflib.get_close_matches(normal, list(by_normal_form), n=1, cutoff=0.85)
    return by_normal_form[close[0]] if close else None


def near_miss_findings(card: CardLike, misses: dict[str, str]) -> list[Finding]:
    if not misses:  # most cards
        return []
    findings = []
    present = set(card.metadata or {})
    targets = list(misses.values())
    for key, known in misses.items():
        line, column = card.locate((key,), value=False)
        message = f'"{key}" is not a key the Hub reads; did you mean "{known}"?'
        fix = f'rename it to "{known}"'
        if key == "model_index":
            fix += " (the old spelling; the Hub shows no results from it), then fix what cardguard reports in it"
        elif known == "license":
            fix += " and give a Hub licence id (TRL writes `licence: license`, which is neither)"
        found = codes.finding("CG112", card.path, line, column, message, fix)
        # Certain only when the known key is not there already and no other key is a near miss of it.
        if known not in present and targets.count(known) == 1:
            found = found.replace(autofix=Autofix("rename-key", (key,), key, known))
        findings.append(found)
    return findings


def missing_key_findings(card: CardLike, metadata: dict, near_miss_targets: set[str]) -> list[Finding]:
    no_license = "license" not in metadata and "license" not in near_miss_targets
    no_library = "library_name" not in metadata and "library_name" not in near_miss_targets
    if not (no_license or no_library):
        return []
    findings = []
    line, column = card.locate(())
    if no_license:
        findings.append(codes.finding(
            "CG107", card.path, line, column, 'the metadata has no "license"',
            f"add `license: <id>` with an id from {LICENSES_URL} (or `other` with license_name and license_link)",
        ))
    if no_library:
        findings.append(codes.finding(
            "CG108", card.path, line, column, 'the metadata has no "library_name"', library_name_fix(metadata),
        ))
    return findings


def library_name_fix(metadata: dict) -> str:
    tags = metadata.get("tags")
    tags = tags if isinstance(tags, list) else [tags]
    library_tag = _library_tag(tags)
    if library_tag is not None:
        return (f"add `library_name: {library_tag}`; the Hub no longer infers it from the tag "
                f'"{library_tag}" for new repos')
    return "add `library_name: <library>` (e.g. transformers, diffusers, peft, sentence-transformers)"


def _library_tag(tags: list[Any]) -> str | None:
    """The first tag that is a library id the Hub knows."""
    known = _library_names()
    return next((tag for tag in tags if isinstance(tag, str) and tag in known), None)


def empty_results_findings(card: CardLike, metadata: dict) -> list[Finding]:
    findings = []
    for index, entry in _model_index_entries(metadata):
        if entry.get("results") == []:
            path = ("model-index", index, "results")
            line, column = card.locate(path)
            findings.append(codes.finding(
                "CG111", card.path, line, column,
                f'"{format_path(path)}" is empty: the Hub shows no evaluation results',
                "add results (task, dataset, metrics) or remove model-index; Trainer fills them only when "
                "it has the dataset's Hub id (pass `dataset_tags=` to `push_to_hub`/`create_model_card`; "
                "`dataset=` alone is only a display name) and the evaluation logged a metric it knows "
                "(accuracy, f1, ...; not just the loss)",
            ))
    return findings


def split_none_findings(card: CardLike, metadata: dict) -> list[Finding]:
    """CG119: a model-index result whose dataset ``split`` is the text ``None``: transformers
    writes ``str(split)`` of an evaluation dataset that has none (one built in memory), and the
    Hub shows a split named "None". ``--fix`` removes the line: no split is better than a wrong one."""
    findings = []
    for path, value in _result_datasets(metadata):
        if value.get("split") == "None":
            split = (*path, "split")
            line, column = card.locate(split)
            found = codes.finding(
                "CG119", card.path, line, column,
                f'"{format_path(split)}" is the text \'None\': transformers wrote the split of an '
                "evaluation dataset that has none, and the Hub shows a split named None",
                "write the split the evaluation used (`split: test`), or remove the line",
            )
            findings.append(found.replace(autofix=Autofix("remove-key", split, "None", None)))
    return findings


def _model_index_entries(metadata: dict) -> Iterator[tuple[int, dict]]:
    """Each mapping of the ``model-index`` list, with its index; nothing when it is not a list."""
    entries = metadata.get("model-index")
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, dict):
            yield index, entry


def _result_datasets(metadata: dict) -> Iterator[tuple[InstancePath, dict]]:
    """Each ``model-index[i].results[j].dataset`` mapping, with its path."""
    for index, entry in _model_index_entries(metadata):
        results = entry.get("results")
        for number, result in enumerate(results if isinstance(results, list) else ()):
            dataset = result.get("dataset") if isinstance(result, dict) else None
            if isinstance(dataset, dict):
                yield ("model-index", index, "results", number, "dataset"), dataset


def org_schema_findings(card: CardLike, instance: dict, org_schema: dict) -> list[Finding]:
    """CG117 findings: the metadata against the organisation's own JSON Schema."""
    try:
        errors = check_organisation_schema(instance, org_schema)  # bounded in time and memory
    except ValueError as problem:
        line, column = card.locate(())
        return [codes.finding("CG117", card.path, line, column,
                              f"cannot check the organisation schema: {problem}", "fix the configured schema")]
    findings = []
    for error in errors:
        line, column = card.locate(error.path)
        where = f'"{format_path(error.path)}"' if error.path else "the metadata"
        findings.append(codes.finding("CG117", card.path, line, column,
                                      f"{where} breaks the organisation schema: {error.message}"))
    return findings


# -- small helpers ----------------------------------------------------------------------------


_PLAIN_KEY = re.compile(r"[\w-]+")


def format_path(path: InstancePath) -> str:
    """``model-index[0].results[0].dataset.config``, as the Hub writes paths."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text


def suggest(value: Any, choices: Iterable[str]) -> str | None:
    """The choice the author most likely meant: same letters in another case or with
    '_' for '-', else the closest spelling."""
    if not isinstance(value, str):
        return None
    return _closest_choice(value, tuple(choices))


# Cached for the run: difflib compares the value with every choice (the Hub knows a few hundred
# licences), and a batch meets the same misspelling on many cards.
@functools.lru_cache(maxsize=256)
def _closest_choice(value: str, choices: tuple[str, ...]) -> str | None:
    folded, normalised = _choices_by_spelling(choices)
    if value.casefold() in folded:
        return folded[value.casefold()]
    if _loose(value) in normalised:
        return normalised[_loose(value)]
    import difflib

    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


@functools.cache
def _choices_by_spelling(choices: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Each choice by its case-folded and by its loose form (:func:`_loose`), built once a run."""
    return {choice.casefold(): choice for choice in choices}, {_loose(choice): choice for choice in choices}


# Words a licence's name carries that its Hub id leaves out ("Apache License, Version 2.0").
_LICENCE_NOISE_WORDS = frozenset({"license", "licence", "version"})


def alias_form(text: str) -> str:
    """``text`` reduced to what tells one id from another: lower case, words split at any
    punctuation, "license"/"version" dropped, a trailing ``.0`` dropped (``apache 2`` is
    ``apache-2.0``)."""
    words = [word for word in re.split(r"[^a-z0-9+]+", text.casefold()) if word and word not in _LICENCE_NOISE_WORDS]
    if len(words) > 1 and words[-1] == "0" and words[-2].isdigit():
        words.pop()
    return "-".join(words)


@functools.cache
def _ids_by_alias_form(choices: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    by_form: dict[str, tuple[str, ...]] = {}
    for choice in choices:
        form = alias_form(choice)
        by_form[form] = by_form.get(form, ()) + (choice,)
    return by_form


def certain_id(value: Any, choices: Iterable[str]) -> str | None:
    """The one id of ``choices`` that ``value`` is another spelling of (its case, separators,
    or the words "license"/"version"); None when no id or more than one id has its form."""
    if not isinstance(value, str) or not alias_form(value):
        return None
    ids = _ids_by_alias_form(tuple(choices)).get(alias_form(value), ())
    return ids[0] if len(ids) == 1 else None


def _loose(text: str) -> str:
    return re.sub(r"[-_ .]+", "-", text.casefold().strip())


def quote_value(value: Any, quotes: bool = True, limit: int = 60) -> str:
    """The value as a message shows it: JSON-quoted, cut at ``limit`` characters, and every
    character a reader cannot see written as its escape (see :func:`_invisibles_escaped`)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _invisibles_escaped(json.dumps(text, ensure_ascii=False) if quotes else text)


def _invisibles_escaped(text: str) -> str:
    """``text`` with each blank other than the space (U+00A0, U+3000...) and each invisible
    format character (zero-width space, bidirectional controls, BOM) written as ``\\uXXXX``:
    a value pasted from a web page reads "fill-mask #x" where the card holds U+00A0, and the
    finding would not say why that is not a Hub task."""
    if text.isascii():
        return text
    return "".join(f"\\u{ord(char):04x}" if char != " " and unicodedata.category(char) in ("Zs", "Cf") else char
                   for char in text)

