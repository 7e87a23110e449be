"""A small JSON Schema (draft 2020-12) validator for cardguard's own schemas.

Why not jsonschema: ``import jsonschema`` alone costs about 190 ms, more than the whole budget
of a cold ``cardguard validate``. Our schemas (``schemas/*.schema.json``) use only a handful of
keywords, so this module interprets exactly those and refuses, when the schema is loaded, any
keyword it does not implement. tests/test_schema_check.py proves that it reports the same errors
as ``jsonschema.Draft202012Validator`` on real cards and on generated instances.

Organisation schemas are arbitrary JSON Schema, so they go through the real jsonschema
(:func:`validate_with_jsonschema`, imported lazily, only when such a schema is configured).
They are files of the repository being checked, so their regular expressions (``pattern``,
``patternProperties``) run on RE2, whose matching time is linear in the text: ``^(a+)+$``
against ``"aaaa…!"`` cannot hang a run. A pattern RE2 cannot compile (backreferences,
lookaround) makes the schema unusable, which the caller reports as a finding. The whole
evaluation (:func:`check_organisation_schema`) runs in a forked child bounded in time and
memory: ``anyOf`` over a recursive ``$ref`` costs time exponential in the metadata's depth
without any pattern. The shipped schema is cardguard's own and keeps Python's ``re``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from cardguard.budget import spent_message, time_left
from cardguard.child_process import ChildFailed, ChildTimedOut, call_bounded
from cardguard.record import Record, factory

InstancePath = tuple[str | int, ...]


class SchemaError(Record, frozen=True):
    """One way an instance breaks a schema.

    ``expected`` holds the value of the failing keyword, the piece a message needs: the type
    name(s) for ``type``, the allowed values for ``enum``, the pattern for ``pattern``, the
    missing property's name for ``required`` (one error per missing property).
    ``branches`` holds, for ``anyOf``, the errors of each alternative in order.
    ``message`` is set only for errors from the real jsonschema (organisation schemas).
    """

    path: InstancePath
    keyword: str
    expected: Any = None
    value: Any = None
    branches: tuple[tuple["SchemaError", ...], ...] = factory(tuple, compare=False)
    message: str = ""


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword (or a form of one) that this validator does not implement."""


# Keywords that never fail validation; ``$defs`` is still walked so that its schemas are checked.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default", "deprecated"}
)

# How each implemented keyword holds subschemas, for the load-time walk.
_ONE_SUBSCHEMA = ("items", "not", "if", "then", "else", "additionalProperties")
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs")
_NO_SUBSCHEMA = ("type", "enum", "const", "pattern", "required", "minItems", "minLength", "minimum", "$ref")


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "integer": _is_integer,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


# The checks are called once per value of every card: a comprehension in one of them would
# make every call allocate a cell for each variable it reads (Python 3.11), so they loop, or
# call these helpers where a comprehension reads best.


def _has_any_type(instance: Any, names: list[str]) -> bool:
    return any(_TYPE_TESTS[name](instance) for name in names)


def _equals_any(instance: Any, allowed: list[Any]) -> bool:
    return any(json_equal(instance, item) for item in allowed)


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON Schema defines it: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    return type(left) is type(right) and left == right


# What a keyword's check returns: its errors, () or [] when there is none.
Errors = list[SchemaError] | tuple[()]
# A keyword's check: (instance, the keyword's value, the schema holding it, the instance's path).
Check = Callable[[Any, Any, dict, InstancePath], Errors]


class SchemaValidator:
    """Validate instances against one schema that uses only the keywords implemented here."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._references: dict[str, dict] = {}  # every $ref, resolved once by the load-time walk
        self._check_supported(schema, "#")
        self._checks: dict[int, list[tuple[Check, Any]]] = {}  # see _checks_for
        self._building: set[int] = set()  # the schemas _checks_for is listing now
        self._keywords: dict[str, Check] = {
            "type": self._type,
            "enum": self._enum,
            "const": self._const,
            "pattern": self._pattern,
            "minLength": self._min_length,
            "minItems": self._min_items,
            "minimum": self._minimum,
            "required": self._required,
            "properties": self._properties,
            "additionalProperties": self._additional_properties,
            "prefixItems": self._prefix_items,
            "items": self._items,
            "anyOf": self._any_of,
            "allOf": self._all_of,
            "not": self._not,
            "if": self._if,
            "$ref": self._ref,
        }

    def errors(self, instance: Any) -> list[SchemaError]:
        """Every error at the top level (``anyOf`` errors carry their branches' errors)."""
        return list(self._validate(instance, self.schema, ()))

    def is_valid(self, instance: Any) -> bool:
        return not self._validate(instance, self.schema, ())

    # -- the load-time walk ----------------------------------------------------------------

    def _check_supported(self, schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(f"{where}: only object schemas are supported, not {schema!r}")
        for keyword, value in schema.items():
            here = f"{where}/{keyword}"
            if keyword in _ONE_SUBSCHEMA:
                if keyword == "additionalProperties" and value is False:
                    continue
                self._check_supported(value, here)
            elif keyword in _SUBSCHEMA_LISTS:
                for index, subschema in enumerate(value):
                    self._check_supported(subschema, f"{here}/{index}")
            elif keyword in _SUBSCHEMA_MAPS:
                for name, subschema in value.items():
                    self._check_supported(subschema, f"{here}/{name}")
            elif keyword == "$ref":
                self._references[value] = self._resolve(value)
            elif keyword == "pattern":
                self._patterns[value] = re.compile(value)
            elif keyword == "type":
                unknown = {value} if isinstance(value, str) else set(value)
                if unknown - _TYPE_TESTS.keys():
                    raise UnsupportedSchemaError(f"{here}: unknown type {sorted(unknown - _TYPE_TESTS.keys())}")
            elif keyword not in _NO_SUBSCHEMA and keyword not in _ANNOTATIONS:
                raise UnsupportedSchemaError(
                    f"{here}: keyword {keyword!r} is not implemented by cardguard.rules.schema_check; "
                    "implement it there (and prove it in tests/test_schema_check.py) or avoid it"
                )
        if "then" in schema or "else" in schema:
            if "if" not in schema:
                raise UnsupportedSchemaError(f"{where}: 'then'/'else' without 'if'")

    def _resolve(self, ref: str) -> dict:
        if not ref.startswith("#/"):
            raise UnsupportedSchemaError(f"$ref {ref!r}: only local references (#/...) are supported")
        node: Any = self.schema
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UnsupportedSchemaError(f"$ref {ref!r} points nowhere")
            node = node[part]
        return node

    # -- validation ----------------------------------------------------------------------
    #
    # Every check returns a list of errors, () when there is none (most checks of most cards):
    # no generator per keyword and per value. The keywords of each (sub)schema that have a
    # check are looked up once per schema (_checks_for), not once per value validated.

    def _validate(self, instance: Any, schema: dict, path: InstancePath) -> Errors:
        checks = self._checks.get(id(schema))
        if checks is None:
            checks = self._checks_for(schema)
        errors: Errors = ()  # no list for a valid value (nearly every value of nearly every card)
        for check, expected in checks:
            found = check(instance, expected, schema, path)
            if found:
                errors = [*errors, *found] if errors else found
        return errors

    def _checks_for(self, schema: dict) -> list[tuple[Check, Any]]:
        """(check, keyword value) for each keyword of ``schema`` that has a check, in order; a
        ``$ref``'s value is the schema it points to, and ``properties``, ``items`` and ``anyOf``
        hold the plans their checks read. Listed at the first use of ``schema``."""
        checks = self._checks.get(id(schema))  # every schema is held by self.schema: ids stay
        if checks is None:
            checks = self._checks[id(schema)] = []
            self._building.add(id(schema))
            for keyword, value in schema.items():
                if keyword == "$ref":
                    value = self._references.get(value) or self._resolve(value)  # the walk skips annotations' values
                if keyword == "properties":
                    value = self._property_plan(value)
                elif keyword == "items":
                    value = (value, self._one_type(value), len(schema.get("prefixItems", ())))
                elif keyword == "anyOf":
                    value = [(subschema, self._leading_type(subschema)) for subschema in value]
                if keyword in self._keywords:
                    checks.append((self._keywords[keyword], value))
            if len(checks) == 1 and checks[0][0] == self._ref and id(checks[0][1]) not in self._building:
                # A schema that is only a reference checks what its target checks: one level
                # less per value. Not a target still being listed (a recursive schema): its
                # checks are not all known yet, and the plans above must not take it for a type.
                checks = self._checks[id(schema)] = self._checks_for(checks[0][1])
            self._building.discard(id(schema))
        return checks

    def _property_plan(self, properties: dict) -> list[tuple[str, dict, str | None]]:
        """(name, subschema, the subschema's type when that is its one check) per property, in
        the schema's order: most properties (``{"type": "string"}``) need no walk."""
        return [(name, subschema, self._one_type(subschema)) for name, subschema in properties.items()]

    def _leading_type(self, schema: dict) -> str | None:
        """The type name when ``schema``'s first check is a single type."""
        checks = self._checks_for(schema)
        if checks and checks[0][0] == self._type and isinstance(checks[0][1], str):
            return checks[0][1]
        return None

    def _one_type(self, schema: dict) -> str | None:
        """The type name when ``schema``'s one check (after references) is a single type."""
        checks = self._checks_for(schema)
        if len(checks) == 1 and checks[0][0] == self._type and isinstance(checks[0][1], str):
            return checks[0][1]
        return None

    def _type(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if isinstance(expected, str):
            matches = _TYPE_TESTS[expected](instance)
        else:
            matches = _has_any_type(instance, expected)
        return () if matches else [SchemaError(path, "type", expected, instance)]

    def _enum(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if isinstance(instance, str):
            found = instance in expected  # a string equals only an identical string
        else:
            found = _equals_any(instance, expected)
        return () if found else [SchemaError(path, "enum", expected, instance)]

    def _const(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        return () if json_equal(instance, expected) else [SchemaError(path, "const", expected, instance)]

    def _pattern(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if isinstance(instance, str) and not self._patterns[expected].search(instance):
            return [SchemaError(path, "pattern", expected, instance)]
        return ()

    def _min_length(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if isinstance(instance, str) and len(instance) < expected:
            return [SchemaError(path, "minLength", expected, instance)]
        return ()

    def _min_items(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if isinstance(instance, list) and len(instance) < expected:
            return [SchemaError(path, "minItems", expected, instance)]
        return ()

    def _minimum(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if _TYPE_TESTS["number"](instance) and instance < expected:
            return [SchemaError(path, "minimum", expected, instance)]
        return ()

    def _required(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if not isinstance(instance, dict):
            return ()
        errors: list[SchemaError] | None = None  # made at the first error: most mappings have every key
        for name in expected:
            if name not in instance:
                errors = errors or []
                errors.append(SchemaError(path, "required", name, instance))
        return errors or ()

    def _properties(self, instance: Any, plan: Any, schema: dict, path: InstancePath) -> Errors:
        if not isinstance(instance, dict):
            return ()
        errors: list[SchemaError] = []
        for name, subschema, wanted in plan:  # see _property_plan
            if name not in instance:
                continue
            value = instance[name]
            if wanted is None:
                errors.extend(self._validate(value, subschema, path + (name,)))
            elif not _TYPE_TESTS[wanted](value):
                errors.append(SchemaError(path + (name,), "type", wanted, value))
        return errors

    def _additional_properties(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if not isinstance(instance, dict):
            return ()
        extras = [name for name in instance if name not in schema.get("properties", {})]
        if expected is False:
            return [SchemaError(path, "additionalProperties", tuple(extras), instance)] if extras else ()
        errors: list[SchemaError] = []
        for name in extras:
            errors.extend(self._validate(instance[name], expected, path + (name,)))
        return errors

    def _prefix_items(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        if not isinstance(instance, list):
            return ()
        errors: list[SchemaError] = []
        for index, (item, subschema) in enumerate(zip(instance, expected)):
            errors.extend(self._validate(item, subschema, path + (index,)))
        return errors

    def _items(self, instance: Any, plan: Any, schema: dict, path: InstancePath) -> Errors:
        if not isinstance(instance, list):
            return ()
        expected, wanted, start = plan  # the items' schema, its one type or None, the first index it covers
        if wanted is not None:  # most lists (tags, datasets …): one test per item, no walk
            test = _TYPE_TESTS[wanted]
            wrong: list[SchemaError] | None = None  # made at the first error
            for index in range(start, len(instance)):
                if not test(instance[index]):
                    wrong = wrong or []
                    wrong.append(SchemaError(path + (index,), "type", wanted, instance[index]))
            return wrong or ()
        errors: list[SchemaError] = []
        for index in range(start, len(instance)):
            errors.extend(self._validate(instance[index], expected, path + (index,)))
        return errors

    def _any_of(self, instance: Any, plan: Any, schema: dict, path: InstancePath) -> Errors:
        # plan: (branch, the type its first check wants, or None). The value usually matches the
        # first branch that wants its type (a list of tags: the array branch): tried first, it
        # spares building the errors of the branches before it. Validation has no side effects,
        # so the answer is the same; when no branch matches, every branch's errors, in order.
        tried, tried_errors = None, None
        for subschema, leading_type in plan:
            if leading_type is not None and _TYPE_TESTS[leading_type](instance):
                tried, tried_errors = subschema, self._validate(instance, subschema, path)
                if not tried_errors:
                    return ()
                break
        branches = []
        for subschema, _ in plan:
            branch_errors = tried_errors if subschema is tried else self._validate(instance, subschema, path)
            if not branch_errors:
                return ()
            branches.append(tuple(branch_errors))
        return [SchemaError(path, "anyOf", None, instance, tuple(branches))]

    def _all_of(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        errors: list[SchemaError] = []
        for subschema in expected:
            errors.extend(self._validate(instance, subschema, path))
        return errors

    def _not(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        return () if self._validate(instance, expected, path) else [SchemaError(path, "not", expected, instance)]

    def _if(self, instance: Any, expected: Any, schema: dict, path: InstancePath) -> Errors:
        condition_holds = not self._validate(instance, expected, path)
        branch = schema.get("then") if condition_holds else schema.get("else")
        return () if branch is None else self._validate(instance, branch, path)

    def _ref(self, instance: Any, target: dict, schema: dict, path: InstancePath) -> Errors:
        return self._validate(instance, target, path)  # _checks_for resolved the reference


MAX_ORG_SCHEMA_SECONDS = 5.0  # per card; less when the run's budget (--timeout) has less left
MAX_ORG_SCHEMA_MEMORY = 512 * 1024 * 1024  # address space the evaluation may add


def check_organisation_schema(instance: Any, schema: dict) -> list[SchemaError]:
    """:func:`validate_with_jsonschema`, the evaluation in a child bounded in time and memory.

    The schema is checked here (its cost grows with the schema's size only, and the warm
    jsonschema caches then serve every child); the evaluation against the metadata runs in the
    child. The errors come back with their path, keyword and message only (what a finding
    needs). Raises ValueError with a one-line reason when the schema cannot be used or the
    evaluation goes over a bound.
    """
    validator = organisation_validator(schema)
    seconds = time_left(MAX_ORG_SCHEMA_SECONDS)
    if seconds <= 0:
        raise ValueError(f"not checked: {spent_message()}")
    try:
        answer = json.loads(call_bounded(lambda: _errors_as_json(validator, instance), seconds, MAX_ORG_SCHEMA_MEMORY))
    except ChildTimedOut:
        reason = spent_message() if seconds < MAX_ORG_SCHEMA_SECONDS else "the schema is too costly to evaluate"
        raise ValueError(f"evaluation stopped after {seconds:.1f} s: {reason}") from None
    except ChildFailed as error:
        raise ValueError(f"evaluation failed: {error}") from None
    if "refused" in answer:
        raise ValueError(answer["refused"])
    return [SchemaError(tuple(path), keyword, message=message) for path, keyword, message in answer["errors"]]


def _errors_as_json(validator: Any, instance: Any) -> str:
    """What the child sends back: the errors, or why the schema was refused."""
    try:
        errors = _errors(validator, instance)
    except ValueError as problem:
        return json.dumps({"refused": str(problem)})
    return json.dumps({"errors": [[list(error.path), error.keyword, error.message] for error in errors]}, default=str)


def validate_with_jsonschema(instance: Any, schema: dict) -> list[SchemaError]:
    """Validate against an arbitrary JSON Schema with the real jsonschema (imported here, lazily).

    The draft is taken from the schema's ``$schema`` (2020-12 when absent). Raises
    ``ValueError`` when the schema itself is not valid for its draft. Runs here, unbounded
    in time: organisation schemas go through :func:`check_organisation_schema`.
    """
    return _errors(organisation_validator(schema), instance)


def organisation_validator(schema: dict) -> Any:
    """A jsonschema validator for ``schema`` whose patterns run on RE2; ValueError when the
    schema is not valid JSON Schema or uses what RE2 cannot cover."""
    import jsonschema  # deliberately lazy: ~190 ms, only for organisation schemas
    import re2  # noqa: F401 - here, before check_organisation_schema forks, so no child imports it again

    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
        _refuse_what_re2_cannot_cover(schema)
        return _with_linear_time_patterns(validator_class)(schema)
    except jsonschema.SchemaError as error:
        raise ValueError(f"the schema is not valid JSON Schema: {error.message}") from None
    except RecursionError:
        raise ValueError("the schema is nested too deeply") from None


def _errors(validator: Any, instance: Any) -> list[SchemaError]:
    try:
        return [_from_jsonschema_error(error) for error in validator.iter_errors(instance)]
    except RecursionError:
        raise ValueError("the schema or the metadata checked against it is nested too deeply") from None


class UnsupportedPatternError(ValueError):
    """An organisation schema's pattern that the linear-time engine (RE2) cannot run."""


@functools.lru_cache(maxsize=1024)
def linear_time_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2; UnsupportedPatternError when RE2 refuses it."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the finding says it instead
    try:
        return re2.compile(pattern, options=options)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) else error
        raise UnsupportedPatternError(
            f"pattern {pattern!r} cannot run on the linear-time engine (RE2): {reason}; "
            "backreferences and lookaround are not supported"
        ) from None


def _refuse_what_re2_cannot_cover(schema: Any) -> None:
    """jsonschema's ``unevaluatedProperties`` matches ``patternProperties`` with Python's ``re``
    internally, where no keyword override reaches; a schema using both is refused."""
    keywords = _keywords_used(schema)
    if {"unevaluatedProperties", "patternProperties"} <= keywords:
        raise UnsupportedPatternError(
            "unevaluatedProperties together with patternProperties is not supported in organisation "
            "schemas (their patterns could not run on the linear-time engine); use additionalProperties"
        )


def _keywords_used(schema: Any) -> set[str]:
    """Every object key anywhere in the schema (a loop, not recursion: schemas may nest deeply)."""
    found: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            found.update(key for key in node if isinstance(key, str))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


_LINEAR_TIME_CLASSES: dict[type, type] = {}


def _with_linear_time_patterns(validator_class: type) -> type:
    """``validator_class`` with ``pattern``, ``patternProperties`` and ``additionalProperties``
    matching on RE2 (jsonschema's own use ``re.search``)."""
    if validator_class not in _LINEAR_TIME_CLASSES:
        import jsonschema

        _LINEAR_TIME_CLASSES[validator_class] = jsonschema.validators.extend(validator_class, {
            "pattern": _pattern_keyword,
            "patternProperties": _pattern_properties_keyword,
            "additionalProperties": _additional_properties_keyword,
        })
    return _LINEAR_TIME_CLASSES[validator_class]


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[Any]:
    import jsonschema

    if validator.is_type(instance, "string") and not linear_time_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties_keyword(validator: Any, patterns: dict, instance: Any, schema: dict) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = linear_time_pattern(pattern)
        for name, value in instance.items():
            if compiled.search(name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional_properties_keyword(validator: Any, allowed: Any, instance: Any, schema: dict) -> Iterator[Any]:
    import jsonschema

    if not validator.is_type(instance, "object"):
        return
    extras = [name for name in instance if not _declared(name, schema)]
    if validator.is_type(allowed, "object"):
        for name in extras:
            yield from validator.descend(instance[name], allowed, path=name)
    elif not allowed and extras:  # the messages are jsonschema's own
        listed = ", ".join(repr(name) for name in sorted(extras, key=str))
        if "patternProperties" in schema:
            patterns = ", ".join(repr(pattern) for pattern in sorted(schema["patternProperties"]))
            verb = "does" if len(extras) == 1 else "do"
            yield jsonschema.ValidationError(f"{listed} {verb} not match any of the regexes: {patterns}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield jsonschema.ValidationError(f"Additional properties are not allowed ({listed} {verb} unexpected)")


def _declared(name: str, schema: dict) -> bool:
    """True when ``properties`` or a ``patternProperties`` pattern of ``schema`` covers ``name``."""
    if name in schema.get("properties", {}):
        return True
    return any(linear_time_pattern(pattern).search(name) for pattern in schema.get("patternProperties", {}))


def _from_jsonschema_error(error: Any) -> SchemaError:
    """Turn a ``jsonschema.ValidationError`` into our SchemaError (paths made absolute)."""
    branches: dict[Any, list[SchemaError]] = {}
    for sub_error in error.context or ():
        branch_index = sub_error.relative_schema_path[0] if sub_error.relative_schema_path else 0
        branches.setdefault(branch_index, []).append(_from_jsonschema_error(sub_error))
    expected = error.validator_value
    if error.validator == "required":
        # jsonschema yields one error per missing name but keeps the whole list as its value;
        # its message, "'x' is a required property", says which name this one is about.
        expected = next((name for name in expected if error.message.startswith(f"{name!r} ")), expected)
    return SchemaError(
        path=tuple(error.absolute_path),
        keyword=str(error.validator),
        expected=expected,
        value=error.instance,
        branches=tuple(tuple(errors) for errors in branches.values()),
        message=error.message,
    )
