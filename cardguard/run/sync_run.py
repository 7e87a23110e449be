"""The sync and check pipelines for one card: read card and facts, plan, report, write.

``check`` = validate + semantic drift rules + what ``sync`` would change (regions, managed
metadata, required regions), and writes nothing. ``sync`` writes the planned text atomically.
The CLI calls :func:`check_target` / :func:`sync_target` once per card and only prints.
"""

from __future__ import annotations

import os
from functools import partial

from cardguard.record import Record, factory
from pathlib import Path

from cardguard import codes
from cardguard.artifacts import Facts, read_facts
from cardguard.budget import budget_spent, spent_message
from cardguard.card.reader import Card
from cardguard.settings.config import ConfigError, Limits, Settings, apply_policy
from cardguard.expect.facts_compare import artifact_disagreements
from cardguard.findings import Finding
from cardguard.lines import to_lf
from cardguard.artifacts.hub_id import resolve_hub_id
from cardguard.run.eval_results_sync import plan_eval_results, write_change
from cardguard.expect.evaluation import EvaluationTarget
from cardguard.expect.expected import ExpectOptions, Expected, TemplateFolders, derive_expected
from cardguard.expect.managed import MANAGED_KEYS, Unknown
from cardguard.rules.profile_choice import ProfileChoice
from cardguard.artifacts.remote import HubSource, hub_source_for
from cardguard.rules.unsynced import check_findings, file_change_findings, sync_findings
from cardguard.safe_paths import Refused
from cardguard.edit.figures import FigureChange, plan_figures, write_figure
from cardguard.edit.sync import FileChange, SyncPlan, plan_sync, write_atomically
from cardguard.settings.targets import Target, display_path, shown_in
from cardguard.run.validate import ConfigCache, card_path, load_card, resolve_profile, validate_target

class SyncResult(Record):
    target: Target
    settings: Settings
    plan: SyncPlan | None
    findings: list[Finding] = factory(list)
    written: bool = False
    file_changes: list[FileChange] = factory(list)  # .eval_results files
    from_check: bool = False  # a `check` result: its diff also shows drifted unmarked library sections (CG419)
    profile_choice: ProfileChoice | None = None  # check: the profile `auto` chose, when it was auto

    @property
    def changed(self) -> bool:
        return self._card_differs() or bool(self.file_changes)

    def diff(self) -> str:
        return self._card_diff() + "".join(change.diff() for change in self.file_changes)

    def _card_diff(self) -> str:
        if self.plan is None:
            return ""
        if self.from_check and self.plan.library_drift:
            return self.plan.check_diff()
        return self.plan.diff() if self.plan.changed else ""

    def _card_differs(self) -> bool:
        """Whether :meth:`_card_diff` shows anything, without writing it: the diff compares the
        two texts with "\\n" line breaks, so it is empty exactly when they are equal so written."""
        if self.plan is None:
            return False
        plan = self.plan
        if self.from_check and plan.library_drift and plan.checked_text is not None:
            return to_lf(plan.checked_text) != to_lf(plan.original)
        return plan.changed and to_lf(plan.new_text) != to_lf(plan.original)


def expect_options(settings: Settings, override_dirs: TemplateFolders, add_missing: bool,
                   library_drift: bool = False) -> ExpectOptions:
    managed = settings.managed_keys if settings.managed_keys is not None else MANAGED_KEYS
    unknown = [key for key in managed if key not in MANAGED_KEYS]
    if unknown:
        raise ConfigError(f"managed-keys: {unknown[0]!r} cannot be managed (choose from {', '.join(MANAGED_KEYS)})")
    return ExpectOptions(managed_keys=managed, required_regions=settings.regions_required(), add_missing=add_missing,
                         override_dirs=override_dirs, evaluation=EvaluationTarget(**settings.evaluation),
                         compare_library_sections=library_drift)


def read_target_facts(target: Target, *, limits: Limits | None = None, hub: HubSource | None = None,
                      hub_id: str | None = None) -> Facts:
    """The folder's facts, with its Hub id (``hub_id``: the configured one, if any; a Hub
    repo's copy is that repo); with ``hub``, LFS-pointer weights are read from that Hub repo."""
    # --hub-repo: the folder's place in the clone says where its files are; a Hub repo's copy
    # (target.hub) was made from its source, subfolder included
    remote = hub_source_for(hub.repo_id, hub.revision, target.model_dir) if hub is not None else target.hub
    facts = read_facts(target.model_dir, display_root=files_display_root(target),
                       limits=(limits or Limits()).for_artifacts(), remote=remote)
    facts.hub_id = resolve_hub_id(target.model_dir, hub_id or (target.hub.repo_id if target.hub else None))
    return facts


def files_display_root(target: Target) -> str:
    """What findings put before the path of a file in the model folder: "" for the working
    folder itself, else the folder as shown ("models/bert")."""
    if target.display_root is not None:
        return target.display_root
    if os.path.abspath(target.model_dir) == os.getcwd():  # display_path shows the working folder absolute
        return ""
    return display_path(target.model_dir)



def expect_target(settings: Settings, card: Card, facts: Facts, override_dirs: TemplateFolders, add_missing: bool,
                  library_drift: bool = False) -> Expected | None:
    """What the card should say, derived once; None when the card cannot be read (its
    findings say why). ``override_dirs``: looks up the repository's template folders for the
    card, called only when a region is rendered."""
    if not card.text and card.findings:
        return None
    return derive_expected(card, facts, expect_options(settings, override_dirs, add_missing, library_drift))


def sync_target(target: Target, configs: ConfigCache, add_missing: bool = False, write: bool = True,
                hub: HubSource | None = None) -> SyncResult:
    """Plan the card's new text and, when ``write`` and something changed, write it."""
    settings = configs.settings_for(target)
    config_findings = configs.new_config_findings(target)
    root = configs.repository_root(target.model_dir)
    card = load_card(target, settings, root)
    settings, _ = resolve_profile(settings, card)  # required-regions are listed by profile
    if not card.text and not card.findings:
        card.findings.append(codes.finding("CG001", target.display, 1, 1, "the card is empty"))
    if refused_by_the_gate(card):
        return SyncResult(target, settings, None, config_findings + apply_policy(card.findings, settings, card.ignored_codes))
    facts = read_target_facts(target, limits=settings.limits, hub=hub, hub_id=settings.hub_id)
    expected = expect_target(settings, card, facts, partial(configs.override_dirs, target), add_missing)
    if expected is None:
        return SyncResult(target, settings, None, config_findings + apply_policy(card.findings, settings, card.ignored_codes))
    plan = plan_sync(card, expected)
    result = SyncResult(target, settings, plan)
    result.file_changes, file_findings = eval_results_changes(target, settings, expected, root)
    figures, figure_findings = figure_changes(target, expected)
    result.file_changes += figures
    result.findings = config_findings + apply_policy(
        sync_findings(card, plan) + file_findings + figure_findings, settings, card.ignored_codes)
    if write and not plan.blocked and _out_of_time(result, target):
        return result
    if write and not plan.blocked:
        result.written = _write(target, configs, plan, result)
    return result


def _out_of_time(result: SyncResult, target: Target) -> bool:
    """True (and a CG009 finding) when the run's time budget ran out while this card was
    planned: a render may have been cut short, so the card is not written at all."""
    if not budget_spent():
        return False
    result.findings.append(codes.finding("CG009", target.display, 1, 1, f"not rewritten: {spent_message()}",
                                         "give the run more time with --timeout SECONDS"))
    return True


def refused_by_the_gate(card: Card) -> bool:
    """True when the card was not read because its path leads where the pull request does not
    own (CG307): its folder's artifacts and `.eval_results` are then not read either."""
    return not card.text and any(finding.code == "CG307" and finding.path == card.path for finding in card.findings)


def _write(target: Target, configs: ConfigCache, plan: SyncPlan, result: SyncResult) -> bool:
    """Write the card and the `.eval_results` changes; a write the gate refuses becomes its
    finding (the card was read through the same gate, so this is a link changed meanwhile)."""
    written, where, root = False, target.display, configs.repository_root(target.model_dir)
    try:
        if plan.changed:
            write_atomically(card_path(target), plan.new_bytes(), root)
            written = True
        for change in result.file_changes:
            where = change.display
            if isinstance(change, FigureChange):
                write_figure(change)
            else:
                write_change(change, root)
            written = True
    except Refused as refusal:
        result.findings.append(codes.finding(refusal.code, where, 1, 1, f"{where} {refusal.reason}"))
    return written


def eval_results_changes(target: Target, settings: Settings, expected: Expected, root: Path
                         ) -> tuple[list[FileChange], list[Finding]]:
    """With ``eval-results-files = true``: the `.eval_results` change the results files ask for
    (``root``: the repository the model folder is in, which no written path may leave)."""
    if not settings.eval_results_files or isinstance(expected.eval_results, Unknown):
        return [], []
    change, findings = plan_eval_results(target.model_dir, expected.eval_results, root,
                                         partial(shown_in, target))
    return ([change] if change is not None else []), findings


def figure_changes(target: Target, expected: Expected) -> tuple[list[FileChange], list[Finding]]:
    """The figures regions show (training-curves) that are missing or differ beside the card.
    A Hub repo's copy holds its figures as a clone does (hub_repo.FIGURE_FILES): compared alike."""
    if not expected.figures:
        return [], []
    changes, findings = plan_figures(target.model_dir, expected.figures, partial(shown_in, target))
    return list(changes), findings


def check_target(target: Target, configs: ConfigCache, hub: HubSource | None = None) -> SyncResult:
    """validate + drift: every finding, and the plan whose diff shows what sync would change.
    What the card should say is derived once; the drift findings and the diff both read it."""
    validated = validate_target(target, configs)
    card, settings = validated.card, validated.settings
    if refused_by_the_gate(card):
        return SyncResult(target, settings, None, validated.findings, profile_choice=validated.profile_choice)
    facts = read_target_facts(target, limits=settings.limits, hub=hub, hub_id=settings.hub_id)
    expected = expect_target(settings, card, facts, partial(configs.override_dirs, target), add_missing=False,
                             library_drift=True)
    result = SyncResult(target, settings, None, from_check=True, profile_choice=validated.profile_choice)
    found: list[Finding] = list(facts.findings) + _disagreement_findings(target, facts)
    if expected is not None:
        result.plan = plan = plan_sync(card, expected)
        found.extend(check_findings(card, facts, expected, plan))
        result.file_changes, file_findings = eval_results_changes(target, settings, expected,
                                                              configs.repository_root(target.model_dir))
        figures, figure_findings = figure_changes(target, expected)
        result.file_changes += figures
        found.extend(file_findings + figure_findings + file_change_findings(result.file_changes, plan))
    result.findings = validated.findings + apply_policy(found, settings, card.ignored_codes)
    return result


def _disagreement_findings(target: Target, facts: Facts) -> list[Finding]:
    """CG313: artifacts of the folder that contradict each other, shown at the first one."""
    disagreements = artifact_disagreements(facts)
    if not disagreements:  # the display root is worked out only for a finding to show
        return []
    root = files_display_root(target)
    prefix = root.rstrip("/") + "/" if root else ""
    return [codes.finding("CG313", prefix + item.file, 1, 1, item.message,
                          f"keep the files of one training run together (copy {item.other} and {item.file} "
                          "from the same output folder)")
            for item in disagreements]
