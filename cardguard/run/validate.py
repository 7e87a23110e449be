"""The validate pipeline for one card: read it, run the metadata and section rules, apply
the configuration. The CLI calls :func:`validate_target` once per card."""

from __future__ import annotations

import copy
import functools
import json
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable

from cardguard import codes
from cardguard.card.reader import CARD_NOT_FOUND, Card, parse_card_bytes, read_card_bytes, unread_card
from cardguard.settings.config import (SCHEMA_MAX_BYTES, Config, ConfigError, Limits, Settings, apply_policy,
                              find_config_file, load_config, read_bounded)
from cardguard.findings import Finding
from cardguard.rules.profile_choice import AUTO, ProfileChoice, choose_profile
from cardguard.rules.eval_results import check_eval_results
from cardguard.rules.metadata import check_metadata
from cardguard.rules.sections import check_sections
from cardguard.safe_paths import Refused, list_folder, read_small_file
from cardguard.settings.targets import Target, display_path, shown_in
from cardguard.card.yamlpos import Limits as YamlLimits, parse_yaml
from cardguard.record import Record, factory

EVAL_RESULTS_DIR = ".eval_results"
# The files of a folder's .eval_results, or the finding of why they were not listed.
EvalResultsListing = tuple[list[Path], Finding | None]


class CardResult(Record):
    target: Target
    settings: Settings  # with the profile `auto` chose, when it was auto
    card: Card
    findings: list[Finding] = factory(list)
    profile_choice: ProfileChoice | None = None  # set when the profile was auto


class Options(Record):
    """What the command line says, on top of the configuration files."""

    config_file: Path | None = None
    profile: str | None = None
    hub_id: str | None = None  # the Hub id every card is checked as (push: the repo it goes to)


class ConfigCache:
    """Configuration files and organisation schemas, each read once per run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._configs: dict[Path | None, Config] = {}
        self._schemas: dict[Path, dict[str, Any]] = {}
        self._config_files: dict[Path, Path | None] = {}
        self._repository_roots: dict[Path, Path] = {}
        self._git_folders: dict[Path, Path | None] = {}  # a folder -> the nearest at or above it with .git
        self._override_dirs: dict[tuple[Path, Path | None], tuple[Path, ...]] = {}  # see override_dirs_for
        self._config_file_by_dir: dict[Path, Path | None] = {}
        self._eval_results_listings: dict[Path, EvalResultsListing] = {}
        self._with_profile: dict[tuple[int, str], tuple[Settings, Settings]] = {}
        self._reported_sources: set[Path | None] = set()

    def for_another_run(self) -> ConfigCache:
        """A cache for one more run over the same files (an audit's next repo): what this one
        has read and looked up is shared with it (the model folders of a fleet share the
        folders above them), and its configuration findings (CG503) are its own to report once."""
        another = copy.copy(self)
        another._reported_sources = set()
        return another

    def _config_file_for(self, target: Target) -> Path | None:
        model_dir = target.model_dir
        if model_dir not in self._config_file_by_dir:
            top = Path(os.path.abspath(target.config_top)) if target.config_top is not None else None
            self._config_file_by_dir[model_dir] = find_config_file(model_dir, self._config_files, top)
        return self._config_file_by_dir[model_dir]

    def repository_root(self, model_dir: Path) -> Path:
        """:func:`repository_root`, asked once per folder in a run, and each folder above it
        looked into once per run: the model folders of a fleet share the folders above them."""
        if model_dir not in self._repository_roots:
            self._repository_roots[model_dir] = repository_root(model_dir, self._git_folders)
        return self._repository_roots[model_dir]

    def override_dirs(self, target: Target) -> tuple[Path, ...]:
        """:func:`override_dirs_for` the target's folder, each folder above it looked into once
        per run. Asked by check and sync only: validate does not import the template machinery."""
        from cardguard.expect.render import override_dirs_for

        return override_dirs_for(target.model_dir, target.config_top, self._override_dirs)

    def eval_results_files(self, model_dir: Path, root: Path) -> EvalResultsListing:
        """:func:`eval_results_files`, listed once per folder in a run (the cards of a folder
        share its ``.eval_results``)."""
        if model_dir not in self._eval_results_listings:
            self._eval_results_listings[model_dir] = eval_results_files(model_dir, root)
        return self._eval_results_listings[model_dir]

    def settings_for(self, target: Target) -> Settings:
        source = self.options.config_file or self._config_file_for(target)
        if source not in self._configs:
            self._configs[source] = self._load(source, target) if source else Config()
        settings = self._configs[source].settings_for(target.card)
        if self.options.profile:
            settings = self.with_profile(settings, self.options.profile)
        if self.options.hub_id:
            settings = settings.replace(hub_id=self.options.hub_id)
        return settings

    def with_profile(self, settings: Settings, profile: str) -> Settings:
        """``settings`` with ``profile``, made once per run for each settings and profile: the
        cards of a folder share their settings (frozen records, safely shared)."""
        key = (id(settings), profile)
        if key not in self._with_profile:
            # The entry holds ``settings`` too, so its id cannot pass to another object.
            self._with_profile[key] = (settings, settings.replace(profile=profile))
        return self._with_profile[key][1]

    def _load(self, source: Path, target: Target) -> Config:
        """A configuration file; one the repository holds is read through the gate."""
        if self.options.config_file is not None:
            return load_config(source)
        shown = shown_in(target, source) if target.display_root is not None else None  # a Hub repo's: hf://...
        return load_config(source, self._repository_boundary(source, target), shown)

    def _repository_boundary(self, path: Path, target: Target) -> Path | None:
        """The repository when ``path`` lies inside it (a file the pull request may have
        written), else None (a file of the machine's, above the repository)."""
        root = self.repository_root(target.model_dir)
        inside = os.path.relpath(os.path.abspath(path), root).split(os.sep)[0] != ".."
        return root if inside else None

    def new_config_findings(self, target: Target) -> list[Finding]:
        """Findings about the configuration file the target uses (CG503), the first time it is
        used in this run; they are not subject to that file's own ignore list."""
        source = self.options.config_file or self._config_file_for(target)
        if source in self._reported_sources or source not in self._configs:
            return []
        self._reported_sources.add(source)
        return list(self._configs[source].findings)

    def schema_boundary(self, target: Target) -> Path | None:
        """Where an organisation schema named by the target's configuration must stay: the
        repository, when that configuration is one of its files (a pull request's); None for
        a configuration from ``--config`` or from above the repository (the machine's)."""
        if self.options.config_file is not None:
            return None
        source = self._config_file_for(target)
        return None if source is None else self._repository_boundary(source, target)

    def schema(self, path: Path, boundary: Path | None = None) -> dict[str, Any]:
        """The organisation schema at ``path``; read through the gate (cardguard.safe_paths)
        when ``boundary`` is given."""
        if path not in self._schemas:
            try:
                loaded = json.loads(read_bounded(path, SCHEMA_MAX_BYTES, boundary))
            except ConfigError as error:  # refused by the gate, not a regular file, too large
                raise ConfigError(f"the schema {error}") from None
            except OSError as error:
                raise ConfigError(f"cannot read the schema {path}: {error.strerror or error}") from None
            except (ValueError, UnicodeDecodeError) as error:
                raise ConfigError(f"the schema {path} is not valid JSON: {error}") from None
            except RecursionError:
                raise ConfigError(f"the schema {path} is nested too deeply") from None
            if not isinstance(loaded, dict):
                raise ConfigError(f"the schema {path} must be a JSON object")
            self._schemas[path] = loaded
        return self._schemas[path]


def validate_target(target: Target, configs: ConfigCache) -> CardResult:
    """All validate findings for one card, after ignores and severity overrides."""
    settings = configs.settings_for(target)
    root = configs.repository_root(target.model_dir)
    card = load_card(target, settings, root)
    settings, choice = resolve_profile(settings, card, configs.with_profile)
    findings = list(card.findings)
    if card.text or card.front_matter is not None:
        org_schema = configs.schema(settings.schema, configs.schema_boundary(target)) if settings.schema else None
        findings.extend(check_metadata(card, org_schema=org_schema))
        findings.extend(check_sections(card, settings.profile, settings.required_sections,
                                       choice.reason if choice else None))
    findings.extend(eval_results_findings(configs.eval_results_files(target.model_dir, root), settings, root,
                                          partial(shown_in, target)))
    kept = configs.new_config_findings(target) + apply_policy(findings, settings, card.ignored_codes)
    return CardResult(target, settings, card, kept, choice)


def resolve_profile(settings: Settings, card: Card,
                    with_profile: Callable[[Settings, str], Settings] | None = None) -> tuple[Settings, ProfileChoice | None]:
    """``settings`` with the profile `auto` chooses for ``card``, and that choice; unchanged
    settings and None when the configuration or --profile named a profile. ``with_profile``
    makes the changed settings (:meth:`ConfigCache.with_profile`); a copy when not given."""
    if settings.profile != AUTO:
        return settings, None
    choice = choose_profile(card)
    if with_profile is None:
        return settings.replace(profile=choice.profile), choice
    return with_profile(settings, choice.profile), choice


def load_card(target: Target, settings: Settings, root: Path | None = None) -> Card:
    """Read the target's card; ``root`` is its repository's folder (found when not given)."""
    limits = settings.limits
    root = root or repository_root(target.model_dir)
    raw, problem = read_card_bytes(target.card, root, limits.card_bytes)  # the gate makes it absolute
    if problem == CARD_NOT_FOUND and not target.card.exists() and not target.card.is_symlink():
        # Asked only when the read found nothing: a card that is there costs no extra look.
        return Card(path=target.display, text="", findings=[codes.finding(
            "CG001", target.display, 1, 1, "this model folder has no README.md model card",
            "write one with `cardguard init`",
        )])
    if problem is not None:
        return unread_card(target.display, problem)
    return parse_card_bytes(raw, target.display, yaml_limits(limits))


# A run has one or a few configurations: the YAML bounds are made once for each rather than
# once per card (a Limits record by keyword is ~14 k instructions; a lookup, a hash of its values).
@functools.lru_cache(maxsize=16)
def yaml_limits(limits: Limits) -> YamlLimits:
    """``limits.for_yaml()``, made once per configuration's limits."""
    return limits.for_yaml()


def card_path(target: Target) -> Path:
    """:func:`card_file` as a Path."""
    return Path(card_file(target))


def card_file(target: Target) -> str:
    """The card's absolute path as named (no link followed): the gate (cardguard.safe_paths)
    then sees every link from the repository's folder down, the model folder's own included."""
    return os.path.abspath(target.card)


def repository_root(model_dir: Path, known: dict[Path, Path | None] | None = None) -> Path:
    """The nearest folder at or above ``model_dir`` holding ``.git``; the model folder without one.
    ``known``: what earlier walks found for each folder they looked into (a run's memo: the
    model folders of a fleet share the folders above them).

    The walk goes up the path as named, not as resolved: a model folder reached through a
    link (``models -> /elsewhere``) belongs to the repository it is named in, whose gate then
    refuses the link, rather than making ``/elsewhere`` a repository of its own."""
    folder = Path(os.path.abspath(model_dir))
    known = {} if known is None else known
    visited: list[Path] = []
    found: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in known:
            found = known[candidate]
            break
        visited.append(candidate)
        if (candidate / ".git").exists():
            found = candidate
            break
    for seen in visited:
        known[seen] = found
    return found or folder


def eval_results_findings(listing: EvalResultsListing, settings: Settings, root: Path,
                          shown_as: Callable[[Path], str] = display_path) -> list[Finding]:
    """Check every ``.eval_results/*.yaml`` file next to the card: ``listing`` is what
    :func:`eval_results_files` gave for its folder; ``root``, the repository; ``shown_as``,
    how findings show a file."""
    paths, refusal = listing
    findings: list[Finding] = [refusal] if refusal is not None else []
    if not paths:  # most cards
        return findings
    limits_of_yaml = yaml_limits(settings.limits)
    for path in paths:
        shown = shown_as(path)
        text, problem = read_small_text(path, root, settings.limits.yaml_bytes)
        if problem is not None:
            code, message = problem
            findings.append(codes.finding(code, shown, 1, 1, f"{shown} {message}" if code == "CG307" else message))
            continue
        doc = parse_yaml(text, shown, limits=limits_of_yaml)
        findings.extend(doc.findings)
        if doc.ok:
            findings.extend(check_eval_results(doc.value, shown, doc.locate))
    return findings


def eval_results_files(model_dir: Path, root: Path) -> EvalResultsListing:
    """The ``.yaml`` then ``.yml`` files of ``.eval_results``, each sorted; or the CG307
    finding of a folder linked where the pull request does not own (its names are not listed).
    Paths are absolute as named, under the repository ``root``, for the gate to check."""
    folder_name = os.path.join(os.path.abspath(model_dir), EVAL_RESULTS_DIR)
    if not os.path.lexists(folder_name):  # most cards: nothing to list, no Path, no gate to walk
        return [], None
    folder = Path(folder_name)
    try:
        names = list_folder(folder, root)
    except Refused as refusal:
        shown = display_path(folder)
        return [], codes.finding(refusal.code, shown, 1, 1, f"{shown} {refusal.reason}")
    except OSError:  # no such folder, or a file of that name
        return [], None
    visible = [name for name in names if not name.startswith(".")]
    chosen = sorted(name for name in visible if name.endswith(".yaml")) + sorted(
        name for name in visible if name.endswith(".yml"))
    return [folder / name for name in chosen], None


def read_small_text(path: Path, boundary: Path, max_bytes: int) -> tuple[str, tuple[str, str] | None]:
    """UTF-8 text of a small file read through the gate, or (rule code, why not): CG307 for
    a link the gate refuses (the message then follows the file's name), CG116 otherwise."""
    try:
        data, size = read_small_file(path, boundary, max_bytes)
    except Refused as refusal:
        return "", ("CG307" if refusal.code == "CG307" else "CG116", refusal.reason)
    except OSError as error:  # opening it or reading it
        return "", ("CG116", f"cannot read: {error.strerror or error}")
    if size > max_bytes or len(data) > max_bytes:
        return "", ("CG116", f"larger than {max_bytes:,} bytes (limits.yaml-bytes)")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return "", ("CG116", "not UTF-8 text")
