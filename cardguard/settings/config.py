"""Configuration: ``[tool.cardguard]`` in the nearest pyproject.toml, or ``.cardguard.toml``.

Found by walking up from the card's folder; the first file that configures cardguard wins.
In ``.cardguard.toml`` the settings sit at the top level (or under ``[tool.cardguard]``).

    [tool.cardguard]
    profile = "auto"                      # auto (the default) | hub | trainer | sentence-transformers | peft | minimal
    required-sections = ["Limitations"]   # on top of the profile's
    ignore = ["CG107"]                    # rule codes never reported
    severity = { CG104 = "error", CG111 = "info" }
    schema = "schemas/our-org.json"       # applied on top of the built-in schema
    fail-on = "error"                     # error | warning | info | never (report, never fail)

    [tool.cardguard.limits]
    card-bytes = 10485760
    yaml-depth = 100

    [[tool.cardguard.overrides]]          # later entries win
    paths = ["legacy/**"]
    profile = "minimal"

    [[tool.cardguard.overrides]]
    paths = ["models/bert"]
    hub-id = "our-org/bert-finetuned"     # what get-started loads and init names the card

    [[tool.cardguard.overrides]]
    paths = ["datasets/**"]
    model-card = false                    # these README.md files are not model cards
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO

from cardguard import codes
from cardguard.card.yamlpos import Limits as YamlLimits
from cardguard.findings import Finding, Severity
from cardguard.limits import MAX_CARD_BYTES
from cardguard.limits import Limits as ArtifactLimits
from cardguard.record import Record, factory
from cardguard.settings.targets import display_path

CONFIG_FILE_NAMES = (".cardguard.toml", "pyproject.toml")
# "auto" (the default) picks one of the others per card from what wrote it (cardguard/rules/profile_choice.py).
PROFILES = ("auto", "hub", "trainer", "sentence-transformers", "peft", "minimal")
# A configuration file larger than this is refused unread (checked with fstat first): a
# pull request controls these files, and a sparse 2 GiB pyproject.toml costs it nothing.
CONFIG_MAX_BYTES = 1024 * 1024
SCHEMA_MAX_BYTES = 4 * 1024 * 1024  # the organisation schema a configuration names


class ConfigError(Exception):
    """The configuration cannot be used; the CLI prints it as one line and exits 2."""


# The defaults are the readers' own bounds, so each is written once: the card reader's, the
# YAML loader's and the artifact readers' (docs/security.md lists default and ceiling).
_CARD_READER = YamlLimits()
_ARTIFACT_READERS = ArtifactLimits()


class Limits(Record, frozen=True):
    """``[tool.cardguard.limits]``: the readers' bounds under the names a configuration uses."""

    card_bytes: int = MAX_CARD_BYTES
    yaml_bytes: int = _CARD_READER.max_bytes
    yaml_depth: int = _CARD_READER.max_depth
    yaml_nodes: int = _CARD_READER.max_nodes
    json_bytes: int = _ARTIFACT_READERS.max_json_bytes
    json_depth: int = _ARTIFACT_READERS.max_json_depth
    safetensors_header_bytes: int = _ARTIFACT_READERS.max_safetensors_header_bytes  # the format's own limit
    pickle_bytes: int = _ARTIFACT_READERS.max_pickle_bytes
    text_bytes: int = _ARTIFACT_READERS.max_text_bytes  # emissions.csv, chat_template.jinja
    # Counts inside artifacts, checked before the work they bound (cardguard/limits.py).
    json_values: int = _ARTIFACT_READERS.max_json_values  # values and keys of one JSON document or safetensors header
    safetensors_tensors: int = _ARTIFACT_READERS.max_safetensors_tensors  # per safetensors header
    index_shards: int = _ARTIFACT_READERS.max_index_shards  # distinct files a weight index names
    zip_members: int = _ARTIFACT_READERS.max_zip_members  # entries of a torch zip archive
    zip_directory_bytes: int = _ARTIFACT_READERS.max_zip_directory_bytes  # its central directory
    pickle_opcodes: int = _ARTIFACT_READERS.max_pickle_opcodes  # per pickle; also bounds its memo indexes
    pickle_int_digits: int = _ARTIFACT_READERS.max_pickle_int_digits  # decimal digits of one pickled integer

    def for_yaml(self) -> YamlLimits:
        """The YAML loader's bounds (cards and ``.eval_results`` files)."""
        return YamlLimits(max_depth=self.yaml_depth, max_nodes=self.yaml_nodes, max_bytes=self.yaml_bytes)

    def for_artifacts(self) -> ArtifactLimits:
        """The artifact readers' bounds."""
        return ArtifactLimits(
            max_json_bytes=self.json_bytes, max_safetensors_header_bytes=self.safetensors_header_bytes,
            max_pickle_bytes=self.pickle_bytes, max_text_bytes=self.text_bytes, max_json_depth=self.json_depth,
            max_json_values=self.json_values, max_safetensors_tensors=self.safetensors_tensors,
            max_index_shards=self.index_shards, max_zip_members=self.zip_members,
            max_zip_directory_bytes=self.zip_directory_bytes, max_pickle_opcodes=self.pickle_opcodes,
            max_pickle_int_digits=self.pickle_int_digits,
        )


# The hard ceiling of each limit. The configuration is a file of the repository being checked
# (in a pull request, the author's), so no value in it can lift a bound past these; a larger
# value is clamped and reported as CG503. docs/security.md lists default and ceiling.
LIMIT_CEILINGS = Limits(
    card_bytes=64 * 1024 * 1024,
    yaml_bytes=16 * 1024 * 1024,
    yaml_depth=200,
    yaml_nodes=1_000_000,
    json_bytes=128 * 1024 * 1024,
    json_depth=200,
    safetensors_header_bytes=100_000_000,  # the format's own limit: no file may go past it
    pickle_bytes=128 * 1024 * 1024,
    text_bytes=64 * 1024 * 1024,
    json_values=20_000_000,
    safetensors_tensors=1_000_000,
    index_shards=100_000,
    zip_members=1_000_000,
    zip_directory_bytes=64 * 1024 * 1024,
    pickle_opcodes=10_000_000,
    pickle_int_digits=4_300,  # Python's own int/str conversion limit
)


class Settings(Record, frozen=True):
    """The settings that apply to one card, after overrides."""

    profile: str = "auto"
    required_sections: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = factory(dict)
    schema: Path | None = None
    fail_on: Severity | None = Severity.ERROR  # None: "never", findings are reported and nothing fails
    limits: Limits = Limits()
    # sync / check (docs/sync.md): regions a card must carry, by profile ("*": every profile)
    required_regions: dict[str, tuple[str, ...]] = factory(dict)
    managed_keys: tuple[str, ...] | None = None  # None: every key sync can manage
    eval_results_files: bool = False
    evaluation: dict[str, str] = factory(dict)  # [tool.cardguard.evaluation]
    hub_id: str | None = None  # the folder's Hub id (cardguard/artifacts/hub_id.py); None: found from git or the folder
    model_card: bool | None = None  # is the README.md a model card? None: decided by what it holds (targets.py)

    def regions_required(self) -> tuple[str, ...]:
        return self.required_regions.get(self.profile, self.required_regions.get("*", ()))


class Override(Record, frozen=True):
    paths: tuple[str, ...]
    values: dict[str, Any]


class Config(Record, frozen=True):
    """A configuration file's settings, and the folder its relative paths start from."""

    base: Settings = Settings()
    overrides: tuple[Override, ...] = ()
    root: Path | None = None
    source: Path | None = None
    findings: tuple[Finding, ...] = ()  # about the file itself: limits above their ceiling (CG503)

    def settings_for(self, card_path: Path) -> Settings:
        settings = self.base
        if not self.overrides:
            return settings
        relative = _relative_posix(card_path, self.root)
        for override in self.overrides:
            if any(_matches(relative, pattern) for pattern in override.paths):
                settings = _apply(settings, override.values, self.root, f"{self.source}: overrides")
        return settings


def _relative_posix(path: Path, root: Path | None) -> str:
    resolved = path.resolve()
    if root is not None:
        try:
            return resolved.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return resolved.as_posix()


def _matches(relative: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    return (
        fnmatch.fnmatch(relative, pattern)
        or fnmatch.fnmatch(relative, pattern + "/*")
        or fnmatch.fnmatch(relative, pattern + "/**")
        or relative.startswith(pattern + "/")
    )


def find_config_file(start: Path, cache: dict[Path, Path | None] | None = None, top: Path | None = None) -> Path | None:
    """The nearest file at or above ``start`` that configures cardguard, looking no higher
    than ``top`` when given (a Hub repo's temporary copy: only the repo's own files count).

    ``cache`` (folder -> answer) lets a batch run over one tree ask the file system once
    per folder.
    """
    folder = Path(os.path.abspath(start))
    if not folder.is_dir():
        folder = folder.parent
    cache = {} if cache is None else cache
    visited: list[Path] = []
    found: Path | None = None
    for candidate_dir in (folder, *folder.parents):
        if candidate_dir in cache:
            found = cache[candidate_dir]
            break
        visited.append(candidate_dir)
        found = _configuring_file_in(candidate_dir)
        if found is not None or candidate_dir == top:
            break
    for seen in visited:
        cache[seen] = found
    return found


def _configuring_file_in(folder: Path) -> Path | None:
    for name in CONFIG_FILE_NAMES:
        candidate = folder / name
        if candidate.is_file() and _configures_cardguard(candidate):
            return candidate
    return None


def _configures_cardguard(path: Path) -> bool:
    """True for a .cardguard.toml, and for a pyproject.toml with a [tool.cardguard] table.

    An oversized pyproject.toml raises ConfigError: whether it configures cardguard cannot
    be known without reading it, and silently skipping it would change the run's settings.
    """
    if path.name != "pyproject.toml":
        return True
    try:
        return b"[tool.cardguard" in read_bounded(path, CONFIG_MAX_BYTES)
    except OSError:
        return False


def read_bounded(path: Path, max_bytes: int, boundary: Path | None = None, shown: str | None = None) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes``, its size checked before reading.

    With ``boundary`` (the repository, for a file the repository holds) the file is opened
    through the gate (cardguard.safe_paths): a link into ``.git`` or out of the repository is
    refused. Raises OSError when it cannot be opened, ConfigError when it is refused, not a
    regular file (a FIFO is opened without blocking) or too large. ``shown``: the file as
    messages name it (default: its path).
    """
    shown = shown or str(path)
    if boundary is None:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        handle = os.fdopen(descriptor, "rb")
    else:
        handle = _open_in_repository(path, boundary, shown)
    with handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ConfigError(f"{shown} is not a regular file; not read")
        if status.st_size > max_bytes:
            raise ConfigError(f"{shown} is {status.st_size:,} bytes, over the {max_bytes:,}-byte bound; not read")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the check
        raise ConfigError(f"{shown} is over the {max_bytes:,}-byte bound; not read")
    return data


def _open_in_repository(path: Path, boundary: Path, shown: str) -> BinaryIO:
    from cardguard.safe_paths import Refused, open_for_reading

    try:
        handle, _ = open_for_reading(path, boundary)
    except Refused as refusal:
        raise ConfigError(f"{shown} {refusal.reason}") from None
    return handle


def read_config_text(path: Path, boundary: Path | None = None, shown: str | None = None) -> str:
    """A configuration file's text, read under CONFIG_MAX_BYTES (through the gate when
    ``boundary`` is given); ConfigError otherwise, naming the file as ``shown``."""
    shown = shown or str(path)
    try:
        return read_bounded(path, CONFIG_MAX_BYTES, boundary, shown).decode("utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {shown}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{shown} is not valid TOML: {error}") from None


def load_config(path: Path, boundary: Path | None = None, shown: str | None = None) -> Config:
    """Read one configuration file; raises ConfigError with a one-line reason. ``boundary``:
    the repository, when the file is one of its own (read through the gate); ``shown``: the
    file as messages and findings name it (a Hub repo's hf://... path), default its path."""
    text = read_config_text(path, boundary, shown)
    where = shown or str(path)
    data = _parse_toml(text, where)
    table = data.get("tool", {}).get("cardguard")
    if table is None:
        if path.name == "pyproject.toml":
            return Config(root=path.parent, source=path)
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.cardguard] must be a table")
    table = dict(table)
    raw_overrides = table.pop("overrides", [])
    base = _apply(Settings(), table, path.parent, where)
    overrides = tuple(_read_override(item, path.parent, where)
                      for item in _as_list(raw_overrides, f"{where}: overrides"))
    findings = _ceiling_findings(shown or display_path(path), text,
                                 [table, *[item for item in raw_overrides if isinstance(item, dict)]])
    return Config(base=base, overrides=overrides, root=path.parent, source=path, findings=tuple(findings))


def _parse_toml(text: str, where: str) -> dict[str, Any]:
    tomllib = _toml_module()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{where}: arrays or inline tables nested too deeply to read") from None


def _toml_module():  # type: ignore[no-untyped-def]
    """tomllib (or tomli before 3.11), imported only when a configuration file exists."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def _read_override(item: Any, root: Path, where: str) -> Override:
    if not isinstance(item, dict) or "paths" not in item:
        raise ConfigError(f"{where}: each [[tool.cardguard.overrides]] needs 'paths'")
    values = dict(item)
    patterns = tuple(str(p) for p in _as_list(values.pop("paths"), f"{where}: overrides.paths"))
    _apply(Settings(), values, root, f"{where}: overrides")  # validate now, fail early
    return Override(patterns, values)


def _as_list(value: Any, where: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    return value


def _apply(settings: Settings, values: dict[str, Any], root: Path | None, where: str) -> Settings:
    """Return ``settings`` updated with the keys of one table, checking each value."""
    changes: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key == "profile":
            changes["profile"] = check_profile(str(value), where)
        elif key in ("required_sections", "extra_required_sections"):
            changes["required_sections"] = tuple(str(v) for v in _as_list(value, f"{where}: {raw_key}"))
        elif key == "ignore":
            changes["ignore"] = frozenset(_check_code(str(v), where) for v in _as_list(value, f"{where}: ignore"))
        elif key == "severity":
            changes["severity"] = _read_severities(value, where)
        elif key == "schema":
            changes["schema"] = (root / str(value)) if root else Path(str(value))
        elif key == "fail_on":
            changes["fail_on"] = _read_fail_on(str(value), f"{where}: fail-on")
        elif key == "limits":
            changes["limits"] = _read_limits(value, settings.limits, where)
        elif key == "required_regions":
            changes["required_regions"] = _read_required_regions(value, where)
        elif key == "managed_keys":
            changes["managed_keys"] = tuple(str(v) for v in _as_list(value, f"{where}: managed-keys"))
        elif key == "eval_results_files":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: eval-results-files must be true or false")
            changes["eval_results_files"] = value
        elif key == "evaluation":
            changes["evaluation"] = _read_evaluation(value, where)
        elif key == "hub_id":
            changes["hub_id"] = _read_hub_id(value, where)
        elif key == "model_card":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: model-card must be true or false")
            changes["model_card"] = value
        else:
            raise ConfigError(f"{where}: unknown setting {raw_key!r}")
    return settings.replace(**changes)


def _read_hub_id(value: Any, where: str) -> str:
    """``hub-id = "org/name"``: the Hub id of the folders the table applies to."""
    from cardguard.artifacts.hub_id import is_repo_id  # only a configuration that sets it pays the import

    if not isinstance(value, str) or not is_repo_id(value):
        shown = repr(value if not isinstance(value, str) else value[:100])
        raise ConfigError(f"{where}: hub-id {shown} is not a Hub model id; expected \"org/name\" "
                          "(letters, digits, '-', '_', '.'; no '--' or '..'; at most 96 characters each)")
    return value


EVALUATION_KEYS = ("dataset", "dataset-name", "task-id", "task", "metric", "model-name")


def _read_evaluation(value: Any, where: str) -> dict[str, str]:
    """``[tool.cardguard.evaluation]``: what was evaluated (docs/sync.md), strings only."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: evaluation must be a table")
    for key, item in value.items():
        if key not in EVALUATION_KEYS or not isinstance(item, str) or not item:
            raise ConfigError(f"{where}: evaluation.{key}: expected one of {', '.join(EVALUATION_KEYS)} "
                              "with a non-empty string")
    return {str(key).replace("-", "_"): item for key, item in value.items()}


def _read_required_regions(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """A list (every profile) or a table of lists by profile name."""
    from cardguard.card.regions import REGION_NAMES

    table = value if isinstance(value, dict) else {"*": value}
    result = {}
    for profile, names in table.items():
        if profile == "auto":
            raise ConfigError(f"{where}: required-regions: name the profiles auto chooses between "
                              "(hub, trainer, sentence-transformers, peft, minimal), not 'auto'")
        if profile != "*":
            check_profile(str(profile), f"{where}: required-regions")
        listed = tuple(str(name) for name in _as_list(names, f"{where}: required-regions"))
        unknown = [name for name in listed if name not in REGION_NAMES]
        if unknown:
            raise ConfigError(f"{where}: required-regions: unknown region {unknown[0]!r} (known: {', '.join(REGION_NAMES)})")
        result[str(profile)] = listed
    return result


def check_profile(name: str, where: str = "--profile") -> str:
    if name not in PROFILES:
        raise ConfigError(f"{where}: unknown profile {name!r} (choose from {', '.join(PROFILES)})")
    return name


def _check_code(code: str, where: str) -> str:
    code = code.strip().upper()
    if code not in codes.RULES:
        raise ConfigError(f"{where}: {code!r} is not a cardguard rule code (see docs/rules.md)")
    return code


def _read_severity(name: str, where: str) -> Severity:
    try:
        return Severity.parse(name)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None


def _read_fail_on(name: str, where: str) -> Severity | None:
    """The severity at which a card fails; None for "never" (as the CLI's ``--fail-on never``)."""
    if name.strip().lower() == "never":
        return None
    try:
        return Severity.parse(name)
    except ValueError as error:
        raise ConfigError(f"{where}: {error} or never") from None


def _read_severities(value: Any, where: str) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: severity must be a table like {{ CG104 = \"error\" }}")
    return {_check_code(code, where): _read_severity(str(level), f"{where}: severity.{code}") for code, level in value.items()}


def _read_limits(value: Any, current: Limits, where: str) -> Limits:
    """The limits of one table, each clamped to its ceiling (load_config reports the clamp)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: limits must be a table")
    known = set(Limits.fields())
    changes = {}
    for raw_key, number in value.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise ConfigError(f"{where}: unknown limit {raw_key!r} (known: {', '.join(sorted(known))})")
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise ConfigError(f"{where}: limits.{raw_key} must be a positive whole number")
        changes[key] = min(number, getattr(LIMIT_CEILINGS, key))
    return current.replace(**changes)


def _ceiling_findings(shown: str, text: str, tables: list[dict[str, Any]]) -> list[Finding]:
    """CG503 for each configured limit above its ceiling (the run uses the ceiling)."""
    findings = []
    for table in tables:
        limits = table.get("limits")
        if not isinstance(limits, dict):
            continue
        for raw_key, number in limits.items():
            ceiling = getattr(LIMIT_CEILINGS, str(raw_key).replace("-", "_"))
            if number > ceiling:
                findings.append(codes.finding(
                    "CG503", shown, _setting_line(text, str(raw_key)), 1,
                    f"limits.{raw_key} = {number:,} is above its hard ceiling {ceiling:,}; the ceiling is used",
                    f"set limits.{raw_key} to at most {ceiling:,} (docs/security.md lists every ceiling)",
                ))
    return findings


def _setting_line(text: str, key: str) -> int:
    """The first line that assigns ``key`` (bare, quoted or dotted), or 1."""
    assignment = re.compile(r"(?<![\w-])[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if assignment.search(line):
            return number
    return 1


def apply_policy(findings: list[Finding], settings: Settings, card_ignores: frozenset[str] = frozenset()) -> list[Finding]:
    """Drop ignored codes and apply severity overrides."""
    if not (settings.ignore or settings.severity or card_ignores):  # most runs: nothing to apply
        return list(findings)
    kept = []
    for item in findings:
        if item.code in settings.ignore or item.code in card_ignores:
            continue
        level = settings.severity.get(item.code)
        kept.append(item if level is None else item.with_severity(level))
    return kept
