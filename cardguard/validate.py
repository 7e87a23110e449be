"""The validate pipeline for one card: read it, run the metadata and section rules, apply
the configuration. The CLI calls :func:`validate_target` once per card."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardguard import codes
from cardguard.card import Card, read_card
from cardguard.config import (SCHEMA_MAX_BYTES, Config, ConfigError, Settings, apply_policy, find_config_file,
                              load_config, read_bounded)
from cardguard.findings import Finding
from cardguard.rules.eval_results import check_eval_results
from cardguard.rules.metadata import check_metadata
from cardguard.rules.sections import check_sections
from cardguard.targets import Target, display_path
from cardguard.yamlpos import Limits as YamlLimits
from cardguard.yamlpos import parse_yaml

EVAL_RESULTS_DIR = ".eval_results"


@dataclass
class CardResult:
    target: Target
    settings: Settings
    card: Card
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Options:
    """What the command line says, on top of the configuration files."""

    config_file: Path | None = None
    profile: str | None = None


class ConfigCache:
    """Configuration files and organisation schemas, each read once per run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._configs: dict[Path | None, Config] = {}
        self._schemas: dict[Path, dict[str, Any]] = {}
        self._config_files: dict[Path, Path | None] = {}
        self._repository_roots: dict[Path, Path] = {}
        self._config_file_by_dir: dict[Path, Path | None] = {}
        self._reported_sources: set[Path | None] = set()

    def _config_file_for(self, model_dir: Path) -> Path | None:
        if model_dir not in self._config_file_by_dir:
            self._config_file_by_dir[model_dir] = find_config_file(model_dir, self._config_files)
        return self._config_file_by_dir[model_dir]

    def repository_root(self, model_dir: Path) -> Path:
        """:func:`repository_root`, asked once per folder in a run."""
        if model_dir not in self._repository_roots:
            self._repository_roots[model_dir] = repository_root(model_dir)
        return self._repository_roots[model_dir]

    def settings_for(self, target: Target) -> Settings:
        source = self.options.config_file or self._config_file_for(target.model_dir)
        if source not in self._configs:
            self._configs[source] = load_config(source) if source else Config()
        settings = self._configs[source].settings_for(target.card)
        if self.options.profile:
            from dataclasses import replace

            settings = replace(settings, profile=self.options.profile)
        return settings

    def new_config_findings(self, target: Target) -> list[Finding]:
        """Findings about the configuration file the target uses (CG503), the first time it is
        used in this run; they are not subject to that file's own ignore list."""
        source = self.options.config_file or self._config_file_for(target.model_dir)
        if source in self._reported_sources or source not in self._configs:
            return []
        self._reported_sources.add(source)
        return list(self._configs[source].findings)

    def schema(self, path: Path) -> dict[str, Any]:
        if path not in self._schemas:
            try:
                loaded = json.loads(read_bounded(path, SCHEMA_MAX_BYTES).decode("utf-8"))
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
    card = load_card(target, settings, configs.repository_root(target.model_dir))
    findings = list(card.findings)
    if card.text or card.front_matter is not None:
        org_schema = configs.schema(settings.schema) if settings.schema else None
        findings.extend(check_metadata(card, org_schema=org_schema))
        findings.extend(check_sections(card, settings.profile, settings.required_sections))
    findings.extend(eval_results_findings(target.model_dir, settings))
    kept = configs.new_config_findings(target) + apply_policy(findings, settings, card.ignored_codes)
    return CardResult(target, settings, card, kept)


def load_card(target: Target, settings: Settings, root: Path | None = None) -> Card:
    """Read the target's card; ``root`` is its repository's folder (found when not given)."""
    limits = settings.limits
    yaml_limits = YamlLimits(max_depth=limits.yaml_depth, max_nodes=limits.yaml_nodes, max_bytes=limits.yaml_bytes)
    if not target.card.exists() and not target.card.is_symlink():
        return Card(path=target.display, text="", findings=[codes.finding(
            "CG001", target.display, 1, 1, "this model folder has no README.md model card",
            "write one with `cardguard init`",
        )])
    root = root or repository_root(target.model_dir)
    if resolves_outside(target.card, root):
        return Card(path=target.display, text="", findings=[codes.finding(
            "CG307", target.display, 1, 1,
            f"the card is a symlink resolving outside the repository ({root}); not read and never written",
        )])
    return read_card(target.card, target.display, max_bytes=limits.card_bytes, yaml_limits=yaml_limits)


def repository_root(model_dir: Path) -> Path:
    """The nearest folder at or above ``model_dir`` holding ``.git``; the model folder without one."""
    folder = model_dir.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def resolves_outside(path: Path, root: Path) -> bool:
    """True when ``path`` (a link, or inside a linked folder) resolves outside ``root``."""
    try:
        resolved = os.path.realpath(path, strict=False)
    except (OSError, RuntimeError):  # a loop: reading it reports CG001
        return False
    root_text = os.path.realpath(root)
    return not (resolved == root_text or resolved.startswith(root_text.rstrip(os.sep) + os.sep))


def eval_results_findings(model_dir: Path, settings: Settings) -> list[Finding]:
    """Check every ``.eval_results/*.yaml`` file next to the card."""
    folder = model_dir / EVAL_RESULTS_DIR
    if not folder.is_dir():
        return []
    findings: list[Finding] = []
    yaml_limits = YamlLimits(max_depth=settings.limits.yaml_depth, max_nodes=settings.limits.yaml_nodes,
                             max_bytes=settings.limits.yaml_bytes)
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        shown = display_path(path)
        if resolves_outside(path, model_dir):
            findings.append(codes.finding("CG307", shown, 1, 1, f"{shown} resolves outside the model folder; not read"))
            continue
        text, problem = _read_small_text(path, settings.limits.yaml_bytes)
        if problem is not None:
            findings.append(codes.finding("CG116", shown, 1, 1, problem))
            continue
        doc = parse_yaml(text, shown, limits=yaml_limits)
        findings.extend(doc.findings)
        if doc.ok:
            findings.extend(check_eval_results(doc.value, shown, doc.locate))
    return findings


def _read_small_text(path: Path, max_bytes: int) -> tuple[str, str | None]:
    try:
        if not path.is_file():
            return "", "not a regular file"
        if path.stat().st_size > max_bytes:
            return "", f"larger than {max_bytes:,} bytes (limits.yaml-bytes)"
        return path.read_bytes().decode("utf-8"), None
    except OSError as error:
        return "", f"cannot read: {error.strerror or error}"
    except UnicodeDecodeError:
        return "", "not UTF-8 text"
