"""cardguard's public Python API: the one way in for the CLI, the hooks and the Action.

    import cardguard

    report = cardguard.check("models/bert")           # a card, a model folder or a tree
    for finding in report.findings:
        print(finding.path, finding.line, finding.code, finding.message)
    raise SystemExit(report.exit_code())              # 0, or 1 when a finding fails the run

``validate``, ``check`` and ``sync`` return a :class:`Report`; ``read_facts`` returns the
checkpoint's :class:`~cardguard.artifacts.Facts`; ``init`` writes a new card. Nothing here
prints, exits or changes global state. A path, option or configuration that cannot be used
raises :class:`UsageError` (the CLI prints it as one line and exits 2); a file that cannot be
read raises ``OSError``. A bug hit on one card becomes a CG000 finding on that card, and the
run goes on with the next (set ``CARDGUARD_DEBUG=1`` to let it raise instead). docs/api.md
has examples.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from functools import partial

TYPE_CHECKING = False  # typing is imported for type checkers only (the CLI's cold start)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from multiprocessing.context import BaseContext
    from pathlib import Path
    from typing import Literal

    from cardguard.artifacts import Facts
    from cardguard.artifacts.remote import HubSource
    from cardguard.findings import Severity
    from cardguard.report.audit_html import Trend
    from cardguard.run.audit import AuditItem, AuditTotals, Comparison, LocalListing
    from cardguard.run.hub_sync import HubSyncResult
    from cardguard.run.push import PushResult, UploadFile
    from cardguard.run.results import CardReport, Report
    from cardguard.run.sync_run import SyncResult
    from cardguard.run.validate import CardResult, ConfigCache
    from cardguard.settings.config import Settings
    from cardguard.settings.targets import Target

    PathArg = str | os.PathLike[str]

DEFAULT_TIMEOUT = 60.0  # seconds for a whole run (the CLI's --timeout default)
RESULT_TYPES = ("CardReport", "Report")  # defined in cardguard/run/results.py, loaded on first use
HUB_RESULT_TYPES = {"PushResult": "push", "HubSyncResult": "hub_sync"}  # in cardguard/run/, the same way


class UsageError(Exception):
    """A path, option or configuration the run cannot use, or a run that could not finish (its
    time budget ran out, an audit's worker process was killed); the message is one line. The
    CLI exits 2 with it."""


def __getattr__(name: str) -> object:
    """``Report`` and ``CardReport``, imported when first asked for: ``read_facts`` (the facts
    hook) never needs them, nor the rule modules they refer to."""
    if name in RESULT_TYPES:
        from cardguard.run import results

        return getattr(results, name)
    if name in HUB_RESULT_TYPES:
        from importlib import import_module

        return getattr(import_module(f"cardguard.run.{HUB_RESULT_TYPES[name]}"), name)
    raise AttributeError(f"module 'cardguard.api' has no attribute {name!r}")


def validate(paths: PathArg | Sequence[PathArg] = ".", *, profile: str | None = None, config: PathArg | None = None,
             skip_non_cards: bool = False, fix: bool = False, timeout: float | None = DEFAULT_TIMEOUT) -> Report:
    """Metadata, sections and ``.eval_results`` of every card behind ``paths``.

    ``profile``: the required-section profile (default: the configuration's, else ``auto``);
    ``config``: a configuration file instead of the one found beside the cards;
    ``skip_non_cards``: a README.md named in ``paths`` is checked only when it is a model card;
    ``fix``: first apply the metadata fixes cardguard is certain of (the card is rewritten);
    ``timeout``: seconds for the whole run (None: no overall bound)."""
    from cardguard.run.validate import validate_target

    def validated(target: Target, configs: ConfigCache) -> CardReport:
        return _validated_card(validate_target(target, configs))

    with _run(timeout):
        _refuse_hub_writes(paths, "--fix" if fix else "")
        return _card_run("validate", paths, profile, config, skip_non_cards, _fixes_first(fix, validated))


def check(paths: PathArg | Sequence[PathArg] = ".", *, profile: str | None = None, config: PathArg | None = None,
          skip_non_cards: bool = False, fix: bool = False, hub_repo: str | None = None,
          hub_revision: str | None = None, hub_id: str | None = None,
          timeout: float | None = DEFAULT_TIMEOUT) -> Report:
    """``validate``, plus drift: generated regions, managed metadata and stated facts against the
    checkpoint; each card's ``diff`` is what ``sync`` would change. Writes nothing unless ``fix``.

    ``hub_repo`` / ``hub_revision``: the Hub repo the folders mirror, whose safetensors headers
    are read over HTTP when the local files are Git LFS pointers; ``hub_id``: the Hub id the
    cards are checked as (default: configured, else the clone's Hub remote, else the folder's
    name). Other options as ``validate``."""
    with _run(timeout):
        _refuse_hub_writes(paths, "--fix" if fix else "")
        hub = _hub_source(hub_repo, hub_revision)
        checked = partial(_checked_card, hub=hub)
        return _card_run("check", paths, profile, config, skip_non_cards, _fixes_first(fix, checked), hub_id)


def _checked_card(target: Target, configs: ConfigCache, hub: HubSource | None) -> CardReport:
    """``check``'s work on one card."""
    from cardguard.run.sync_run import check_target

    return _synced_card(check_target(target, configs, hub=hub))


def sync(paths: PathArg | Sequence[PathArg] = ".", *, write: bool = True, add_missing: bool = False,
         profile: str | None = None, config: PathArg | None = None, skip_non_cards: bool = False,
         hub_repo: str | None = None, hub_revision: str | None = None, hub_id: str | None = None,
         timeout: float | None = DEFAULT_TIMEOUT) -> Report:
    """Rewrite the generated regions and managed metadata of every card from its checkpoint.

    ``write=False`` writes nothing: each card's ``diff`` shows what would change;
    ``add_missing``: also adopt sections a library wrote and add required regions that are
    missing. A card is written atomically, or not at all. Other options as ``check``."""
    from cardguard.run.sync_run import sync_target

    def synced(target: Target, configs: ConfigCache) -> CardReport:
        result = sync_target(target, configs, add_missing=add_missing, write=write, hub=hub)
        return _synced_card(result, with_diff=not write)

    with _run(timeout):
        _refuse_hub_writes(paths, "sync")
        hub = _hub_source(hub_repo, hub_revision)
        return _card_run("sync", paths, profile, config, skip_non_cards, synced, hub_id)


def read_facts(path: PathArg = ".", *, hub_repo: str | None = None, hub_revision: str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> Facts:
    """What the checkpoint files of the model folder ``path`` say (headers only; no code runs).
    Problems with a file are ``Facts.findings``; a ``path`` that is not a folder raises UsageError."""
    from cardguard.artifacts import read_facts as read_folder_facts

    with _run(timeout):
        folder = os.fspath(path)
        if folder.startswith("hf://"):  # run/hub_targets.py, loaded only for such a path
            return _hub_facts(folder)
        if not os.path.isdir(folder):
            raise UsageError(f"{folder}: not a folder")
        hub = _hub_source(hub_repo, hub_revision)
        if hub is not None:
            from pathlib import Path

            from cardguard.artifacts.remote import hub_source_for

            hub = hub_source_for(hub.repo_id, hub.revision, Path(folder))
        return read_folder_facts(folder, remote=hub)


def _hub_facts(spec: str) -> Facts:
    """``read_facts`` of an ``hf://ORG/NAME[@REVISION]`` repo, its paths shown as ``hf://ORG/NAME@SHA/...``."""
    from cardguard.artifacts import read_facts as read_folder_facts
    from cardguard.run.hub_targets import hub_target

    _check_hub_endpoint()
    with ExitStack() as hub_folders:
        target = hub_target(spec, hub_folders)
        facts = read_folder_facts(target.model_dir, display_root=target.display_root or "", remote=target.hub)
    facts.model_dir = target.display_root or spec  # the temporary folder is gone
    return facts


def init(path: PathArg = ".", *, timeout: float | None = DEFAULT_TIMEOUT) -> Path:
    """Write README.md for the checkpoint folder ``path`` and return its path; never
    overwrites a card (UsageError when there is one)."""
    from pathlib import Path

    from cardguard.edit.init_card import CardExists, init_card
    from cardguard.run.validate import ConfigCache, Options
    from cardguard.safe_paths import Refused
    from cardguard.settings.targets import CARD_NAME, Target, display_path

    with _run(timeout):
        folder = Path(path)
        if not folder.is_dir():
            raise UsageError(f"{os.fspath(path)}: not a folder")
        card = folder / CARD_NAME
        hub_id = ConfigCache(Options()).settings_for(Target(card, folder, display_path(card))).hub_id
        try:
            return init_card(folder, hub_id)
        except CardExists as error:
            raise UsageError(str(error)) from None
        except Refused as refusal:
            raise UsageError(f"{card} {refusal.reason}") from None


# -- one run ----------------------------------------------------------------------------------

@contextmanager
def _run(timeout: float | None) -> Iterator[None]:
    """One run: its time budget, and the errors a caller can act on raised as UsageError."""
    from cardguard.budget import run_budget

    if timeout is not None and not 0 < timeout < float("inf"):
        raise UsageError(f"timeout must be a positive number of seconds, not {timeout!r}")
    try:
        if timeout is None:
            yield
        else:
            with run_budget(timeout):
                yield
    except Exception as error:
        if _is_usage_problem(error):
            raise UsageError(str(error)) from error
        raise


def _is_usage_problem(error: Exception) -> bool:
    """A bad configuration or path, or a run out of time: the caller's to act on. (Imported
    here, when something failed: ``read_facts`` does not load the configuration reader.)"""
    from cardguard.budget import RunOutOfTime
    from cardguard.settings.config import ConfigError
    from cardguard.settings.targets import TargetError

    return isinstance(error, (ConfigError, TargetError, RunOutOfTime))


def _card_run(command: str, paths: PathArg | Sequence[PathArg], profile: str | None, config: PathArg | None,
              skip_non_cards: bool, work: Callable[[Target, ConfigCache], CardReport],
              hub_id: str | None = None, configs: ConfigCache | None = None) -> Report:
    """``work`` on each card behind ``paths``, each inside the CG000 guard (run/card_guard.py);
    a card reached after the time budget is spent gets CG009 and is not read. ``configs``: the
    run's configuration cache when the caller has one (an audit's worker), else a new one."""
    from cardguard.budget import budget_spent, not_checked_finding
    from cardguard.run.card_guard import run_one_card
    from cardguard.run.results import CardReport, Report

    if configs is None:
        configs = _configs(profile, config, hub_id)
    debug = bool(os.environ.get("CARDGUARD_DEBUG"))
    cards = []
    with ExitStack() as hub_folders:  # the temporary folders of hf:// targets, removed at the end
        targets, skipped = _select_targets(_path_list(paths), configs, skip_non_cards, hub_folders)
        for target in targets:
            if budget_spent():
                cards.append(CardReport(target.display, (not_checked_finding(target.display),), fail_on=None))
                continue
            outcome = run_one_card(partial(work, target, configs), target, configs, debug)
            cards.append(outcome if isinstance(outcome, CardReport) else _synced_card(outcome))
    return Report(command, tuple(cards), tuple(skipped))


def _fail_on(settings: Settings) -> Severity | Literal["never"]:
    """A card's configured fail-on as its CardReport holds it (the configuration's None is "never")."""
    return "never" if settings.fail_on is None else settings.fail_on


def _validated_card(result: CardResult) -> CardReport:
    """validate's result for one card (run/validate.py) as the API shows it."""
    from cardguard.run.results import CardReport

    return CardReport(result.target.display, tuple(result.findings), _fail_on(result.settings),
                      profile_choice=result.profile_choice, profile=_profile_used(result))


def _synced_card(result: SyncResult, with_diff: bool = True) -> CardReport:
    """check's or sync's result for one card (run/sync_run.py) as the API shows it; its diff
    when ``with_diff`` (a sync that wrote the card has no use for one)."""
    from cardguard.run.results import CardReport

    changed = result.changed
    return CardReport(
        result.target.display, tuple(result.findings), _fail_on(result.settings),
        profile_choice=result.profile_choice, changed=changed, diff=result.diff() if changed and with_diff else "",
        written=result.written, blocked=result.plan is not None and result.plan.blocked,
        profile=_profile_used(result),
    )


def _profile_used(result: CardResult | SyncResult) -> str:
    """The profile a card was checked with: ``auto``'s choice, else the one configured or given."""
    return result.profile_choice.profile if result.profile_choice is not None else result.settings.profile


def _fixes_first(fix: bool, check: Callable[[Target, ConfigCache], CardReport]
                 ) -> Callable[[Target, ConfigCache], CardReport]:
    """``check`` itself, or with ``fix`` the card's certain fixes and then ``check`` (run/fix.py)."""
    if not fix:
        return check
    from cardguard.run.fix import fix_then_check

    return partial(fix_then_check, check=check)


def _configs(profile: str | None, config: PathArg | None, hub_id: str | None = None) -> ConfigCache:
    """The run's configuration cache: ``profile``, ``config`` and ``hub_id`` on top of the files found."""
    from pathlib import Path

    from cardguard.run.validate import ConfigCache, Options
    from cardguard.settings.config import check_profile

    if profile:
        check_profile(profile)
    if hub_id is not None:
        _check_repo_id(hub_id)
    if config is not None and not Path(config).is_file():
        raise UsageError(f"--config {os.fspath(config)}: no such file")
    return ConfigCache(Options(config_file=Path(config) if config is not None else None, profile=profile,
                               hub_id=hub_id))


def _path_list(paths: PathArg | Sequence[PathArg]) -> list[str]:
    """One path or several, as the strings target selection takes."""
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(path) for path in paths]


def _select_targets(paths: list[str], configs: ConfigCache, skip_non_cards: bool,
                    hub_folders: ExitStack) -> tuple[list[Target], list[str]]:
    """The cards behind the paths (``model-card`` from the configuration decides where set),
    and the README.md files skipped as not model cards; an ``hf://`` path is the card of that
    Hub repo, materialised in a folder ``hub_folders`` removes (run/hub_targets.py)."""
    from cardguard.run.hub_targets import hub_target, is_hub_target
    from cardguard.settings.targets import Target, display_path, select_targets

    def configured(card: Path) -> bool | None:
        return configs.settings_for(Target(card, card.parent, display_path(card))).model_card

    local = [path for path in paths if not is_hub_target(path)]
    if len(local) < len(paths):
        _check_hub_endpoint()
    hub_targets = [hub_target(path, hub_folders) for path in paths if is_hub_target(path)]
    if not local and hub_targets:
        return hub_targets, []
    selection = select_targets(local, skip_non_cards=skip_non_cards, configured=configured)
    return selection.targets + hub_targets, selection.skipped


def _refuse_hub_writes(paths: PathArg | Sequence[PathArg], writer: str) -> None:
    """A ``writer`` (sync, --fix) given an ``hf://`` target would write into the run's temporary
    copy of the repo, not to the Hub: refused (a Hub pull request is issue 14's next step)."""
    from cardguard.run.hub_targets import is_hub_target

    hub_paths = [path for path in _path_list(paths) if is_hub_target(path)]
    if writer and hub_paths:
        raise UsageError(f"{hub_paths[0]}: {writer} cannot write to a Hub repo; run it on a clone")


def _hub_source(hub_repo: str | None, hub_revision: str | None) -> HubSource | None:
    if not hub_repo:
        if hub_revision:
            raise UsageError("--hub-revision needs --hub-repo")
        return None
    from cardguard.artifacts.remote import HubSource

    _check_hub_endpoint()
    return HubSource(hub_repo, hub_revision or "main")


# -- the Hub: push, sync_hub (issue 14) ------------------------------------------------------

def push(folder: PathArg, repo_id: str, *, revision: str | None = None, create_pr: bool = False,
         sync_first: bool = False, fix: bool = False, dry_run: bool = False, fail_on: str | None = None,
         commit_message: str | None = None, profile: str | None = None, config: PathArg | None = None,
         timeout: float | None = DEFAULT_TIMEOUT) -> PushResult:
    """Upload the model folder ``folder`` to the Hub repo ``repo_id`` only when its card passes
    ``check`` at ``fail_on`` (None: each card's configured fail-on); a refused push sends no
    request at all. ``sync_first``: first rewrite the local card as ``sync`` does; ``fix``: apply
    the metadata fixes cardguard is certain of before the check, as ``check(fix=True)``;
    ``dry_run``: list what would be uploaded, send nothing; ``create_pr``: upload into a new Hub
    pull request (against the default branch). The upload is huggingface_hub's
    ``upload_folder`` (its auth, endpoint and ignore patterns); the repo must exist.
    ``timeout`` bounds the sync and the check, not the upload. Other options as ``check``."""
    from pathlib import Path

    from cardguard.artifacts.hub_repo import HubRepoError
    from cardguard.run.push import PushResult, upload, upload_listing

    model_dir, files = _push_folder(folder, repo_id, revision, create_pr, fail_on)
    # the cards are checked (and synced) as the repo they go to: a snippet must load ORG/NAME
    synced = sync(model_dir, profile=profile, config=config, hub_id=repo_id, timeout=timeout) if sync_first else None
    report = check(model_dir, profile=profile, config=config, fix=fix, hub_id=repo_id, timeout=timeout)
    if synced is not None:
        files = upload_listing(Path(model_dir))  # again: sync may have added files (.eval_results)
    refused = report.exit_code(fail_on) != 0
    if refused or dry_run:
        return PushResult(report, files, refused=refused, dry_run=dry_run, synced=synced)
    try:
        sent = upload(Path(model_dir), repo_id, revision=revision, create_pr=create_pr, commit_message=commit_message)
    except HubRepoError as error:
        raise UsageError(str(error)) from None
    return PushResult(report, files, refused=False, synced=synced, commit_url=sent.commit_url, pr_url=sent.pr_url)


def sync_hub(repo_id: str, *, revision: str | None = None, create_pr: bool = False, add_missing: bool = False,
             profile: str | None = None, config: PathArg | None = None, title: str | None = None,
             timeout: float | None = DEFAULT_TIMEOUT) -> HubSyncResult:
    """``sync`` on the card of the Hub repo ``repo_id`` at ``revision`` (default: main), read as
    ``hf://`` targets are, in a temporary folder; the Hub repo itself is never written, unless
    ``create_pr``: then what sync changed (README.md, ``.eval_results/*.yaml``, the
    training-curves SVG) is proposed as
    one commit on a new pull request against that branch (``title``: its title), unless an open
    pull request of that title already holds exactly those files (``already_proposed``: it is
    named instead). Nothing changed, or ``create_pr`` not set: no write request. Each card's
    ``diff`` in the report is the change."""
    from cardguard.artifacts.hub_repo import HubRepoError
    from cardguard.run.hub_sync import CardSnapshot, HubSyncResult, open_proposal, open_pull_request
    from cardguard.run.sync_run import sync_target

    _check_repo_id(repo_id)
    snapshots: list[tuple[Target, CardSnapshot]] = []

    def synced_on_hub(target: Target, configs: ConfigCache) -> CardReport:
        snapshot = CardSnapshot(target.model_dir)
        snapshot.take_before()
        result = sync_target(target, configs, add_missing=add_missing, write=True)
        snapshot.take_after()
        snapshots.append((target, snapshot))
        return _synced_card(result)

    spec = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
    with _run(timeout):
        report = _card_run("sync", spec, profile, config, False, synced_on_hub)
    if not snapshots:  # the card failed before it was read (a CG000 or CG009 finding says why)
        return HubSyncResult(report, repo_id, "")
    target, snapshot = snapshots[0]
    commit = target.hub.revision if target.hub is not None else ""
    changes = snapshot.changes()
    if not (create_pr and changes):
        return HubSyncResult(report, repo_id, commit, tuple(sorted(changes)))
    try:
        proposed = open_proposal(repo_id, title, changes)
        if proposed is not None:
            return HubSyncResult(report, repo_id, commit, tuple(sorted(changes)), pr_url=proposed,
                                 already_proposed=True)
        sent = open_pull_request(repo_id, revision, commit, changes, title)
    except HubRepoError as error:
        raise UsageError(str(error)) from None
    return HubSyncResult(report, repo_id, commit, tuple(sorted(changes)), pr_url=sent.pr_url,
                         commit_url=sent.commit_url)


def _push_folder(folder: PathArg, repo_id: str, revision: str | None, create_pr: bool,
                 fail_on: str | None) -> tuple[str, tuple[UploadFile, ...]]:
    """The model folder a push uploads and its files, once the push's options were found usable:
    the folder holds a card to check (README.md), and no Git LFS pointer would replace a file on
    the Hub."""
    from pathlib import Path

    from cardguard.run.push import lfs_pointers, upload_listing

    model_dir = os.fspath(folder)
    _check_repo_id(repo_id)
    _check_hub_endpoint()
    if create_pr and revision not in (None, "main"):
        raise UsageError("--create-pr opens a pull request against the default branch; leave out --revision")
    if fail_on is not None and fail_on not in ("error", "warning", "info", "never"):
        raise UsageError(f"fail_on must be error, warning, info or never, not {fail_on!r}")
    if not os.path.isdir(model_dir):
        raise UsageError(f"{model_dir}: not a folder")
    if not os.path.isfile(os.path.join(model_dir, "README.md")):
        raise UsageError(f"{model_dir}: no README.md to check; write one first (`cardguard init {model_dir}`)")
    files = upload_listing(Path(model_dir))
    pointers = lfs_pointers(Path(model_dir), files)
    if pointers:
        raise UsageError(f"{os.path.join(model_dir, pointers[0])} is a Git LFS pointer, not the file it stands for "
                         "(run `git lfs pull`); cardguard push will not upload it")
    return model_dir, files


def _check_hub_endpoint() -> None:
    """UsageError when ``$HF_ENDPOINT`` is set to something that is not a Hub address: each
    door to the Hub asks before huggingface_hub is imported (which fails on some such values)."""
    from cardguard.artifacts.hub_id import endpoint_problem

    endpoint = os.environ.get("HF_ENDPOINT", "")
    problem = endpoint_problem(endpoint)
    if problem is not None:
        raise UsageError(f"HF_ENDPOINT={endpoint!r} is not a usable Hub address ({problem}); "
                         "set it to a URL such as https://huggingface.co, or unset it")


def _check_repo_id(repo_id: str) -> None:
    from cardguard.artifacts.hub_id import is_repo_id

    if not is_repo_id(repo_id):
        raise UsageError(f"{repo_id}: not a Hub model repo id; write ORG/NAME")


# -- a fleet: audit (issue 15) ------------------------------------------------------------------

def audit(paths: Sequence[PathArg] = (), *, out: PathArg, hub_author: str | None = None,
          hub_search: str | None = None, jobs: int | None = None, shard: str | None = None,
          since: PathArg | None = None, profile: str | None = None, threads: bool = False,
          progress: Callable[[int, int, dict], None] | None = None) -> AuditResult:
    """``check`` every model folder under ``paths`` and every Hub model of ``hub_author`` /
    ``hub_search`` (each as ``hf://ORG/NAME@SHA``, the commit the listing names), streaming one
    JSON line per repo into ``out``/results.jsonl in a stable order (local folders, then Hub
    repos, each sorted by the parts of its id) and writing ``out``/summary.md and ``out``/report.html at the end (docs/audit.md).

    ``jobs``: workers (default: 8 threads for the Hub; past 8, spawned processes, one per 8 jobs
    and at most one per CPU, with the ``jobs`` threads split among them; for local folders, as
    many processes as CPUs: their check is CPU work, which threads would only take turns at,
    see docs/audit.md);
    ``threads``: local folders are checked in threads of this process instead;
    ``shard``: ``"I/N"``, this job's share of the repos (a stable hash of each id);
    ``since``: an earlier run's output folder, to compare with (new / fixed / still failing);
    ``progress(done, total, line)``: called after each repo. A repo whose check fails (no such
    repo, gated, rate limited past huggingface_hub's and hf://'s retries) is a line with status
    ``unreadable``; results already in ``out``/cache for the same commit or folder content
    are reused. A worker process that stops (killed, out of memory) ends the run with a
    UsageError; results.jsonl then holds the repos done before."""
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
    from itertools import chain

    from cardguard import __version__
    from cardguard.run import audit as fleet

    folder, shard_of = _audit_options(out, shard, profile, jobs)
    before, trend = _previous_run(since)
    local, hub = _audit_items(paths, hub_author, hub_search, shard_of)
    folder.mkdir(parents=True, exist_ok=True)  # once the paths and the listing were usable
    cache = fleet.ResultCache(folder / "cache", f"{__version__}\0{profile or 'auto'}")
    check_line = partial(_audit_line, profile=profile, run=os.urandom(8).hex())
    work = partial(fleet.audit_one, check_line=check_line, cache=cache)
    total, done = len(local) + len(hub), [0]

    def counted(line: dict) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total, line)

    local_jobs, hub_jobs = jobs or os.cpu_count() or 1, jobs or 8
    in_threads = threads or local_jobs == 1 or not local
    local_pool = ThreadPoolExecutor(local_jobs) if in_threads else ProcessPoolExecutor(
        local_jobs, _spawned(), initializer=fleet.install_work, initargs=(work,))
    local_work = work if in_threads else fleet.installed_work  # a process's work is given once, as it starts
    per_task = 1 if in_threads else fleet.REPOS_PER_TASK
    hub_pool, hub_work = _hub_pool(hub_jobs, len(hub), work)
    try:
        with local_pool as local_workers, hub_pool as hub_workers, fleet.dropping_queued_on_error(local_workers, hub_workers):
            lines = chain(fleet.checked_in_order(local, local_work, local_workers, local_jobs, per_task),
                          fleet.checked_in_order(hub, hub_work, hub_workers, hub_jobs))
            totals, comparison = fleet.write_outputs(lines, folder, before, trend, counted)
    except (fleet.WorkerStopped, BrokenExecutor) as error:
        stopped = (error if isinstance(error, fleet.WorkerStopped)
                   else "a local worker process stopped (killed, or out of memory)")
        raise UsageError(f"the audit stopped after {done[0]} of {total} repos: {stopped}; results.jsonl holds "
                         "those, and the same command run again checks only the rest") from None
    return AuditResult(folder, totals, comparison)


def join_audits(shards: Sequence[PathArg], *, out: PathArg, since: PathArg | None = None) -> AuditResult:
    """Join the output folders of the jobs of a CI matrix (each an ``audit`` with ``shard="I/N"``)
    into ``out``: one results.jsonl in the order one unsharded run writes it, summary.md and
    report.html, as that run would write them (summary.md's "from cache" is ``n/a``: a shard's
    results.jsonl does not say). ``since``: as for ``audit``. Each shard's results.jsonl is
    streamed; UsageError (and nothing written) when a folder has no results.jsonl, a line of
    one is not an audit's (naming the file and line), or a repo is in two shards."""
    from pathlib import Path

    from cardguard.run import audit as fleet

    folder, _ = _audit_options(out, None, None, None)
    before, trend = _previous_run(since)
    try:
        totals, comparison = fleet.join_shards([Path(shard) for shard in shards], folder, before, trend)
    except fleet.JoinError as error:
        raise UsageError(str(error)) from None
    return AuditResult(folder, totals, comparison)


def _previous_run(since: PathArg | None) -> tuple[dict[str, bool] | None, Trend | None]:
    """What this run compares with: ``since``'s results.jsonl, read once and before this run
    writes its own (``since`` may be ``out`` itself): which repos failed, and report.html's trend."""
    from pathlib import Path

    from cardguard.run.audit import read_previous_run

    if since is None:
        return None, None
    earlier = Path(since) / "results.jsonl"
    try:
        return read_previous_run(earlier)
    except OSError as error:
        raise UsageError(f"--since {os.fspath(since)}: cannot read {earlier}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"--since {os.fspath(since)}: cannot read {earlier}: {error}") from None


def _hub_pool(jobs: int, repos: int, work: Callable[..., tuple[dict, bool]]) -> tuple[object, Callable]:
    """The workers of the Hub repos and the work each is given. Up to run/audit.py's
    THREADS_PER_PROCESS jobs: threads of this process sharing a RateGate. Past that, spawned
    processes, one per THREADS_PER_PROCESS jobs and at most one per CPU, with the jobs (no more than
    the repos) split among their threads and one RateGate shared by all (its deadline in shared memory): a check costs
    CPU too, and the threads of one process share one core (docs/audit.md, "Workers")."""
    from concurrent.futures import ThreadPoolExecutor

    from cardguard.run import audit as fleet

    processes = fleet.hub_processes(jobs, repos, os.cpu_count() or 1)
    if processes == 1:
        return ThreadPoolExecutor(max_workers=jobs), partial(work, gate=fleet.RateGate())
    context = _spawned()
    gate = fleet.RateGate.across_processes(context)
    return fleet.ProcessThreadPool(fleet.threads_of(min(jobs, repos), processes), gate, context), work


def _spawned() -> BaseContext:
    """Worker processes started fresh ("spawn"), not forked: a caller of the API may have
    threads running (a fork copies their locks mid-use; Python 3.12 warns of it)."""
    import multiprocessing

    return multiprocessing.get_context("spawn")


class AuditResult:
    """What ``audit`` wrote (``out``: results.jsonl, summary.md, report.html, cache/) and its counts
    (``totals``, and ``comparison`` with ``since``: run/audit.py's AuditTotals and Comparison)."""

    def __init__(self, out: Path, totals: AuditTotals, comparison: Comparison | None) -> None:
        self.out = out
        self.totals = totals
        self.comparison = comparison

    def exit_code(self) -> int:
        """1 when a repo fails (an error finding, or unreadable), else 0."""
        return 1 if self.totals.failing else 0


def _audit_options(out: PathArg, shard: str | None, profile: str | None,
                   jobs: int | None) -> tuple[Path, tuple[int, int] | None]:
    """The output folder and the shard; UsageError on a bad one (or a bad profile or --jobs)."""
    from pathlib import Path

    from cardguard.run.audit import parse_shard
    from cardguard.settings.config import check_profile

    if profile:
        with _run(None):
            check_profile(profile)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    try:
        shard_of = parse_shard(shard) if shard is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {os.fspath(out)}: not a folder")
    return folder, shard_of


def _audit_items(paths: Sequence[PathArg], hub_author: str | None, hub_search: str | None,
                 shard: tuple[int, int] | None) -> tuple[LocalListing | list, list]:
    """The local folders (a listing walked as the run goes, see run/audit.LocalListing) and the
    Hub repos to check (this shard's); UsageError when there are none to look at, a path holds
    no model card, or the Hub's listing fails."""
    from cardguard.run.audit import LocalListing, in_shard

    if not paths and hub_author is None and hub_search is None:
        raise UsageError("audit needs PATHS, --hub-author or --hub-search")
    with _run(None):  # the local listing is counted here: a path without cards is an error now
        local = LocalListing(_path_list(paths), shard) if paths else []
    hub = _hub_listing(hub_author, hub_search) if hub_author is not None or hub_search is not None else []
    if shard is not None:
        hub = [item for item in hub if in_shard(item.repo, shard)]
    return local, hub


def _hub_listing(author: str | None, search: str | None) -> list:
    from cardguard.run.audit import HubListingError, hub_items

    _check_hub_endpoint()
    try:
        return hub_items(author, search)
    except HubListingError as error:
        raise UsageError(str(error)) from None


def _audit_line(item: AuditItem, profile: str | None, run: str) -> dict:
    """One repo's results.jsonl line: ``check`` on it, or status ``unreadable`` with the reason.
    A module-level function, so that worker processes can be given it; ``run``: the audit's
    own token (:func:`_audit_check`)."""
    from cardguard.artifacts.hub_repo import rate_limit_of
    from cardguard.run.audit import result_line, unreadable_line

    try:
        report = _audit_check(item, profile, run)
    except (UsageError, OSError) as error:
        return unreadable_line(item, str(error), profile, rate_limit_of(error))
    used = next((card.profile for card in report.cards if card.profile), profile)
    return result_line(item, report.findings, used)


# Local repos one worker's configuration cache serves before it is made again: a fresh cache
# per repo looked up the configuration and the folders above each folder again, and one kept
# for the whole fleet would grow with it (it remembers each folder).
CONFIGS_SHARED_FOR = 256


def _audit_check(item: AuditItem, profile: str | None, run: str) -> Report:
    """``check(item.target, profile=profile)``. A local folder's check shares its worker's
    configuration cache of this ``run`` (its configuration findings are still reported in each
    repo's line): the folders of a fleet share the configuration and the folders above them."""
    from cardguard.run.audit import shared_per_worker

    if item.source != "local":
        return check(item.target, profile=profile)
    with _run(DEFAULT_TIMEOUT):
        shared = shared_per_worker(run, partial(_configs, profile, None), CONFIGS_SHARED_FOR)
        checked = partial(_checked_card, hub=None)
        return _card_run("check", item.target, profile, None, False, checked, configs=shared.for_another_run())
