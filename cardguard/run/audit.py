"""``audit``: check a fleet of model repos, local folders and Hub repos, and stream one JSON line
per repo into an output folder (docs/audit.md).

The pieces, in the order a run uses them:

- :func:`local_items` / :func:`hub_items`: what to check (every model folder under the paths,
  walked as a stream, see :class:`LocalListing`; every model of a Hub author or search, pinned to
  the commit the listing names), in :func:`audit_order`;
- :func:`in_shard`: the deterministic share of one job of a CI matrix (a stable hash of the id);
- :func:`checked_in_order`: a pool of workers, results handed on in input order as they finish
  (at most ``jobs * WINDOW_PER_JOB`` repos in flight: memory does not grow with the fleet);
- :class:`ProcessThreadPool` (:func:`hub_processes`, :func:`threads_of`): past 8 jobs, the Hub
  repos' workers, threads in several processes, so that their checks use more than one core;
- :class:`ResultCache`: one JSON file per (repo, commit sha) or (folder, content hash), so a
  re-run checks again only what changed;
- :class:`RateGate`: a Hub repo answered 429 with a Retry-After longer than one check waits:
  every Hub worker, in any of the processes, pauses that long, and the repo is asked again;
- :class:`AuditTotals`: the counts the summary needs, kept as the lines go by;
- :func:`write_outputs`: results.jsonl, summary.md and report.html, for a run and a join alike;
- :func:`join_shards`: the ``--out`` folders of a ``--shard I/N`` matrix as one run's (``--join``).

The check itself is given by the caller (cardguard.api.audit passes ``cardguard.check``): this
part sits below the API. Nothing here prints; the results are files in the output folder.

May import: report, settings, artifacts, ground.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import signal
import stat
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from cardguard.codes import RULES
from cardguard.record import Record, factory
from cardguard.report.results_line import fails
from cardguard.safe_paths import open_regular_unguarded, read_descriptor, write_descriptor
from cardguard.settings.targets import folder_order

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from concurrent.futures import Executor, Future
    from typing import Any, BinaryIO
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized

    from cardguard.report.audit_html import Trend
    from cardguard.settings.targets import Target

HUB_URL = "https://huggingface.co"
DRIFT_PREFIX = "CG4"  # the drift rules: generated regions, managed metadata, stated facts
WINDOW_PER_JOB = 4  # repos in flight per worker: enough to keep each busy, bounded in memory
# Local repos sent to a worker process in one task: each task's hand-off (pickling, the pool's
# queues and threads) costs this process CPU, which the listing and the output also need.
REPOS_PER_TASK = 8
# Folders whose configuration file a worker's ResultCache remembers (it lasts the run, and a
# fleet's folders are many): past this many it starts again.
FOLDERS_REMEMBERED = 4096
HASHED_BYTES = 1 << 20  # files up to 1 MiB are hashed by content; larger ones by size and mtime
# A cache file is read up to this size; a longer one (none that a run writes: a line is one
# repo's findings) is cut short, does not parse, and counts as a miss.
CACHED_LINE_BYTES = 64 << 20
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
CACHE_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | CLOEXEC
WORST_SHOWN = 10  # repos listed under "worst repos" in the summary
# A 429 whose Retry-After is longer than one check waits (docs/hub.md) pauses the Hub workers,
# up to this long and this many times per repo; a longer one leaves the repo unreadable.
RATE_LIMIT_MAX_WAIT = 300.0
RATE_LIMIT_WAITS = 3


class AuditItem(Record, frozen=True):
    """One repo to check: a local model folder or a Hub repo at one commit."""

    repo: str  # ORG/NAME, or the folder as shown (relative to the working folder when below it)
    source: str  # "hub" or "local"
    target: str  # what the check is given: hf://ORG/NAME@SHA, or the card's path
    revision: str | None = None  # the Hub commit sha; None for a local folder
    last_modified: str | None = None  # ISO-8601, from the Hub listing or the card's mtime

    @property
    def card_url(self) -> str:
        if self.source == "hub":
            return f"{HUB_URL}/{self.repo}/blob/{self.revision or 'main'}/README.md"
        return Path(os.path.abspath(self.target)).as_uri()


# -- what to check ----------------------------------------------------------------------------

def local_items(paths: list[str], shard: tuple[int, int] | None = None,
                is_card: Callable[[Path], bool] | None = None) -> Iterator[AuditItem]:
    """Every model card under ``paths`` (settings/targets.py decides what is one; ``is_card``, as
    its stream_targets takes it), one at a time in :func:`audit_order`: a walk, not a list, so
    memory does not grow with the fleet. With ``shard``, only that job's share (:func:`in_shard`)."""
    for target, repo in local_targets(paths, shard, is_card):
        yield AuditItem(repo, "local", str(target.card), last_modified=modified_time(target.card))


def modified_time(card: Path) -> str | None:
    """The card's mtime (ISO-8601); None when it cannot be looked at (a dangling link: its
    line says what the check makes of it, and the run goes on)."""
    from datetime import datetime, timezone

    try:
        seconds = card.stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def local_targets(paths: list[str], shard: tuple[int, int] | None,
                  is_card: Callable[[Path], bool] | None) -> Iterator[tuple[Target, str]]:
    """:func:`local_items`' cards, each with its folder as shown (its repo id)."""
    from cardguard.settings.targets import display_path, stream_targets

    for target in stream_targets(paths, is_card):
        repo = display_path(target.model_dir)
        if shard is None or in_shard(repo, shard):
            yield target, repo


class LocalListing:
    """The local folders of one run, walked twice and never held as a list. Made, it walks the
    paths once to count them (``len``: what the progress shows as the total), asking of each
    README.md whether it is a model card and keeping only the paths of those that are not (few
    in a fleet); iterated, it walks them again and asks nothing, so each card is tested once.
    Counting first also means that a path holding no card is an error before anything is written."""

    def __init__(self, paths: list[str], shard: tuple[int, int] | None) -> None:
        from cardguard.settings.targets import card_test

        self.paths = paths
        self.shard = shard
        self.not_cards: set[str] = set()  # absolute paths of the README.md files that are not cards
        self.is_model_card = card_test()
        self.count = sum(1 for _ in local_targets(paths, shard, self.first_look))

    def first_look(self, card: Path) -> bool:
        if self.is_model_card(card):
            return True
        self.not_cards.add(os.path.abspath(card))
        return False

    def seen_as_card(self, card: Path) -> bool:
        return os.path.abspath(card) not in self.not_cards

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[AuditItem]:
        return local_items(self.paths, self.shard, self.seen_as_card)


class HubListingError(Exception):
    """The Hub's model listing could not be read; the message is one line."""


def hub_items(author: str | None, search: str | None) -> list[AuditItem]:
    """The models huggingface_hub's ``HfApi.list_models`` lists for ``author`` and ``search``,
    each pinned to the commit the listing names, in :func:`audit_order`. A 429 is waited out by
    huggingface_hub itself (its ``http_backoff`` honours ``Retry-After``, up to 5 times)."""
    from huggingface_hub import HfApi

    from cardguard.artifacts.hub_repo import describe_hub_error

    where = "the Hub's model listing (" + ", ".join(
        part for part in (f"author={author}" if author else "", f"search={search!r}" if search else "") if part) + ")"
    try:
        listed = HfApi().list_models(author=author, search=search, expand=["sha", "lastModified"])
        items = [hub_item(model.id, model.sha, model.last_modified) for model in listed]
    except Exception as error:  # huggingface_hub's and httpx's errors, the offline switch: all mean "not read"
        raise HubListingError(describe_hub_error(where, error)) from None
    return sorted(items, key=lambda item: audit_order(item.source, item.repo))


def hub_item(repo_id: str, sha: str | None, last_modified: object) -> AuditItem:
    modified = last_modified.isoformat() if hasattr(last_modified, "isoformat") else None
    target = f"hf://{repo_id}" + (f"@{sha}" if sha else "")
    return AuditItem(repo_id, "hub", target, revision=sha, last_modified=modified)


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 <= I <= N) as (I, N); ValueError with a one-line reason otherwise."""
    index, slash, count = text.partition("/")
    if not (slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise ValueError(f"--shard {text}: write I/N with 1 <= I <= N, e.g. 2/4")
    return int(index), int(count)


def in_shard(repo: str, shard: tuple[int, int]) -> bool:
    """Whether ``repo`` falls to job I of N: sha256 of the id, not Python's hash() (salted per process)."""
    index, count = shard
    digest = int.from_bytes(hashlib.sha256(repo.encode("utf-8", "surrogatepass")).digest()[:8], "big")
    return digest % count == index - 1


# -- the pool ---------------------------------------------------------------------------------

def checked_in_order(items: Iterable[AuditItem], work: Callable[[AuditItem], dict], executor: Executor,
                     jobs: int, per_task: int = 1) -> Iterator[dict]:
    """``work(item)`` for every item on ``executor``, yielded in the items' order as soon as each
    one and those before it are done; at most ``jobs * WINDOW_PER_JOB`` are submitted ahead, so a
    slow repo holds back a bounded number of finished ones and the output is the same on every run.
    ``per_task``: the items are submitted in runs of that many, one task each (:func:`each_of`;
    the window then counts runs)."""
    if per_task > 1:
        runs = checked_in_order(runs_of(items, per_task), partial(each_of, work), executor, jobs)
        yield from itertools.chain.from_iterable(runs)
        return
    pending: deque = deque()
    for item in items:
        pending.append(executor.submit(work, item))
        if len(pending) >= jobs * WINDOW_PER_JOB:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# -- what a worker keeps between repos ----------------------------------------------------------

# In each worker thread, what the check of one run keeps between its repos (shared_per_worker):
# a thread's own, never shared between threads, and gone with the thread (a run's pool ends).
WORKER_KEPT = threading.local()


def shared_per_worker(run: str, make: Callable[[], object], uses: int) -> Any:
    """``make()``, made once per worker thread for the run ``run`` and again after ``uses`` uses:
    kept between the repos a worker checks, and what it remembers of them stays bounded."""
    if getattr(WORKER_KEPT, "run", None) != run or WORKER_KEPT.uses_left <= 0:
        WORKER_KEPT.run, WORKER_KEPT.value, WORKER_KEPT.uses_left = run, make(), uses
    WORKER_KEPT.uses_left -= 1
    return WORKER_KEPT.value


# In a local worker process: its run's work (audit_one with the check and the cache), given once
# as the process starts rather than pickled with every repo, so what it keeps between repos (the
# cache's and the check's memos) lasts the run.
PROCESS_WORK: list[Callable[[AuditItem], tuple[dict, bool]]] = []


def install_work(work: Callable[[AuditItem], tuple[dict, bool]]) -> None:
    """A local worker process's initializer: ``work`` is what :func:`installed_work` does."""
    PROCESS_WORK[:] = [work]
    settle_in_as_worker()


def settle_in_as_worker() -> None:
    """What every worker process of an audit, local or Hub, does first."""
    leave_ctrl_c_to_the_audit()
    exit_with_parent()


def leave_ctrl_c_to_the_audit() -> None:
    """In a worker process: ignore SIGINT. Ctrl-C reaches every process of the terminal's group;
    the audit stops its workers itself (it drops the queued repos, lets the running ones end),
    and a worker interrupted on its own could stop while it holds the lock of the queue results
    go back on: the other workers, and the audit's exit, would then wait for it for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# A worker's exit code when the audit that started it is gone.
ORPHANED = 3


def exit_with_parent() -> None:
    """In a worker process: end it as soon as the process that started it is gone (killed, or
    stopped by a SIGTERM from ``timeout`` or a CI runner, which Python does not turn into an
    exception): an orphaned worker would wait for its next task for ever."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:  # the main process: nothing to follow
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(ORPHANED)  # no clean-up to wait for: what a worker writes (the cache) is atomic

    threading.Thread(target=watch, name="cardguard-exit-with-parent", daemon=True).start()


def installed_work(item: AuditItem) -> tuple[dict, bool]:
    """The work :func:`install_work` gave this process, on ``item``."""
    return PROCESS_WORK[0](item)


def runs_of(items: Iterable[AuditItem], size: int) -> Iterator[list[AuditItem]]:
    """``items`` in consecutive lists of ``size`` (the last one may be shorter)."""
    iterator = iter(items)
    while run := list(itertools.islice(iterator, size)):
        yield run


def each_of(work: Callable[[AuditItem], tuple[dict, bool]], run: list[AuditItem]) -> list[tuple[dict, bool]]:
    """``work`` on each item of ``run``, in order: one task of a worker process."""
    return [work(item) for item in run]


# -- Hub repos on more than one core --------------------------------------------------------------

# Concurrent Hub checks one process keeps going: each costs some CPU too (the card's check and
# httpx), so past this many the threads of one process mostly wait for its GIL
# (docs/benchmarks.md, "Audit (issue 15)").
THREADS_PER_PROCESS = 8
# How long the collector waits for a worker process whose results pipe has closed to be gone:
# a pipe closes when its process exits or dies, so this is only a bound.
WORKER_EXIT_GRACE = 10.0


def hub_processes(jobs: int, repos: int, cpus: int) -> int:
    """How many processes check ``repos`` Hub repos with ``jobs`` checks at once: one per
    THREADS_PER_PROCESS of them, at most one per CPU; 1 means threads of this process only."""
    at_once = min(jobs, repos)
    return max(1, min(cpus, -(-at_once // THREADS_PER_PROCESS)))


def threads_of(jobs: int, processes: int) -> list[int]:
    """``jobs`` threads split among ``processes`` as evenly as they go (the first ones get one more)."""
    return [jobs // processes + (index < jobs % processes) for index in range(processes)]


class WorkerStopped(RuntimeError):
    """A worker process stopped before its repos were checked: killed (out of memory, a signal)
    or failed; the futures still waiting get it."""

    @classmethod
    def with_code(cls, exit_code: int | None) -> WorkerStopped:
        if exit_code is not None and exit_code < 0 and -exit_code in signal.valid_signals():
            return cls(f"a Hub worker process was killed by {signal.Signals(-exit_code).name}")
        return cls(f"a Hub worker process stopped (exit code {exit_code})")


class ProcessThreadPool:
    """Worker processes, ``threads[i]`` threads in the i-th, every thread taking the next task from
    one queue: as many checks at once as threads, on as many cores as processes. ``submit(work,
    item)`` returns a Future, as an Executor's does (so :func:`checked_in_order` streams its
    results); ``work`` is pickled with the item and called as ``work(item, gate=gate)``, ``gate``
    the RateGate every process shares. A thread of this process hands the results to their futures.
    Each process keeps its own huggingface_hub session (its shared HTTP client) for its threads.

    Each worker sends its results back on a pipe of its own whose only write end it holds: when it
    exits, or dies (killed, out of memory) even halfway through sending a result, this process
    reads the end of the file there. A queue shared by the workers could not tell that: a worker
    killed while it sent would leave the others waiting for its lock and this process waiting for
    the rest of its message, for ever."""

    def __init__(self, threads: list[int], gate: RateGate, context: BaseContext) -> None:
        self.tasks = context.Queue()
        self.futures: dict[int, Future] = {}
        self.lock = threading.Lock()
        self.numbers = itertools.count()
        self.thread_count = sum(threads)
        self.gate = gate  # kept: its shared memory and lock live as long as this process holds them
        self.stopped = False
        self.workers: list[BaseProcess] = []
        self.results: list[Connection] = []
        for count in threads:
            reader, writer = context.Pipe(duplex=False)
            worker = context.Process(target=serve_tasks, args=(count, gate, self.tasks, writer), daemon=True)
            worker.start()
            writer.close()  # the worker's copy is the only one left: its end is our end of file
            self.workers.append(worker)
            self.results.append(reader)
        self.collector = threading.Thread(target=self.collect, daemon=True)
        self.collector.start()

    def submit(self, work: Callable[..., tuple[dict, bool]], item: AuditItem) -> Future:
        from concurrent.futures import Future

        future: Future = Future()
        number = next(self.numbers)
        with self.lock:
            self.futures[number] = future
        self.tasks.put((number, work, item))
        return future

    def collect(self) -> None:
        """Each result to its future, until every worker has closed its pipe. A worker that
        stopped otherwise than by finishing its tasks (killed, out of memory) fails every future
        still waiting, instead of leaving them waiting. The pipes are closed here, where they are
        read: closed by another thread, a descriptor's number could be reused under the read."""
        try:
            self.hand_out_results()
        finally:
            for pipe in self.results:
                pipe.close()

    def hand_out_results(self) -> None:
        import pickle
        from multiprocessing.connection import wait

        open_pipes = dict(zip(self.results, self.workers))
        while open_pipes:
            for pipe in wait(list(open_pipes)):
                try:
                    number, result, error = pickle.loads(pipe.recv_bytes())
                except (EOFError, OSError):
                    worker = open_pipes.pop(pipe)
                    worker.join(WORKER_EXIT_GRACE)
                    if worker.exitcode != 0:
                        self.fail_waiting(WorkerStopped.with_code(worker.exitcode))
                        return
                    continue
                with self.lock:
                    future = self.futures.pop(number)
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)
        self.fail_waiting(WorkerStopped("the Hub worker processes stopped with repos left unchecked"))

    def fail_waiting(self, error: Exception) -> None:
        with self.lock:
            waiting, self.futures = list(self.futures.values()), {}
        for future in waiting:
            future.set_exception(error)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Every thread takes a None once the tasks before it are done, and its process exits;
        the collector stops when every process has, or when one died, and the others are then
        stopped too.
        ``cancel_futures`` (an interrupted run): the workers are stopped at once, and the futures
        still waiting are cancelled. (``wait``: accepted as an Executor's; this pool always waits.)"""
        if self.stopped:
            return
        self.stopped = True
        if cancel_futures:
            self.abandon()
            with self.lock:
                waiting, self.futures = list(self.futures.values()), {}
            for future in waiting:
                future.cancel()
            return
        for _ in range(self.thread_count):
            self.tasks.put(None)
        self.collector.join()
        self.abandon()

    def abandon(self) -> None:
        """Stop the workers still running without waiting for their queue: a process that died
        may have held the task queue's lock (killed while taking a task), and a process waiting
        for it would never exit. This process's exit does not wait for the tasks put either."""
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        self.tasks.cancel_join_thread()

    def __enter__(self) -> ProcessThreadPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


@contextmanager
def dropping_queued_on_error(*pools: Executor | ProcessThreadPool) -> Iterator[None]:
    """Around the use of ``pools``: when it ends by an exception (Ctrl-C, a full disk), the repos
    queued and not yet started are dropped, not checked first; the checks running finish."""
    try:
        yield
    except BaseException:
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        raise


def serve_tasks(threads: int, gate: RateGate, tasks: Queue, results: Connection) -> None:
    """A Hub worker process: ``threads`` threads, each doing ``(number, work, item)`` tasks until
    it takes a None, and sending ``(number, result, error)`` on ``results``, one at a time."""
    import pickle

    sending = threading.Lock()

    def serve() -> None:
        while (task := tasks.get()) is not None:
            number, work, item = task
            try:
                message = pickle.dumps((number, work(item, gate=gate), None))
            except Exception as error:  # noqa: BLE001 -- handed to the caller's future, as an Executor does
                message = pickle.dumps((number, None, picklable(error)))
            with sending:
                results.send_bytes(message)

    settle_in_as_worker()
    runners = [threading.Thread(target=serve) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()


def picklable(error: Exception) -> Exception:
    """``error``, or a RuntimeError saying what it was when it cannot be pickled (sent as it is,
    it could not be sent at all, and the future would wait for ever)."""
    import pickle

    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 -- any pickling failure: TypeError, PicklingError, AttributeError, ...
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


# -- one repo's line --------------------------------------------------------------------------

def result_line(item: AuditItem, findings: Iterable[object], profile: str | None) -> dict:
    """The results.jsonl line of a checked repo (the schema in docs/audit.md)."""
    shown = [finding_fields(finding) for finding in findings]
    severities = Counter(entry["severity"] for entry in shown)
    return {**item_fields(item), "profile": profile or "auto", "errors": severities["error"],
            "warnings": severities["warning"], "infos": severities["info"],
            "drift": sum(entry["code"].startswith(DRIFT_PREFIX) for entry in shown),
            "status": "checked", "error": None, "findings": shown}


def unreadable_line(item: AuditItem, reason: str, profile: str | None, retry_after: int | None = None) -> dict:
    """The line of a repo that could not be read (no such repo, gated, rate limited, ...);
    ``retry_after``: the seconds a 429 asked to wait."""
    return {**item_fields(item), "profile": profile or "auto", "errors": 0, "warnings": 0, "infos": 0, "drift": 0,
            "status": "unreadable", "error": reason, "retry_after": retry_after, "findings": []}


def item_fields(item: AuditItem) -> dict:
    return {"repo": item.repo, "source": item.source, "revision": item.revision, "card_url": item.card_url,
            "last_modified": item.last_modified}


def finding_fields(finding: object) -> dict:
    fields = ("code", "severity", "line", "column", "message", "path")
    entry = {name: getattr(finding, name) for name in fields}
    entry["severity"] = str(entry["severity"])
    return entry


# -- the cache --------------------------------------------------------------------------------

class ResultCache:
    """One JSON file per key in ``folder``: a Hub repo's key is its id and commit sha; a local
    folder's, the hash of its files (see :func:`folder_hash`). The cardguard version and the
    profile are part of every key: a new release or another profile checks everything again.
    Unreadable repos are not kept (the next run tries them again)."""

    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder
        self.salt = salt
        # For this run only (each worker process has its own copy): the settings hash of the
        # folders above each parent folder, worked out once for all the model folders it holds.
        self.settings_of_parent: dict[Path, str] = {}
        self.config_file_of_folder: dict[Path, Path | None] = {}  # find_config_file's own memo
        self.schemas_of_config: dict[Path, str] = {}

    def key(self, item: AuditItem) -> str | None:
        """None when there is nothing stable to key on (a Hub listing without a sha)."""
        if item.source == "hub":
            identity = f"{item.repo}@{item.revision}" if item.revision else None
        else:
            folder = Path(os.path.abspath(item.target)).parent
            files, own_names = folder_files(folder)
            identity = (f"{folder}#{files}#{self.settings_above(folder)}"
                        f"#{self.schemas_named(folder, own_names)}")
        if identity is None:
            return None
        return hashlib.sha256(f"{self.salt}\0{identity}".encode("utf-8", "surrogatepass")).hexdigest()

    def settings_above(self, folder: Path) -> str:
        """:func:`settings_hash` of ``folder``: it reads only the folders above, the same for
        every model folder of one parent."""
        known = self.settings_of_parent.get(folder.parent)
        if known is None:
            known = self.settings_of_parent[folder.parent] = settings_hash(folder)
        return known

    def schemas_named(self, folder: Path, own_names: frozenset[str] | None = None) -> str:
        """:func:`schemas_hash` of the configuration file that applies to ``folder`` (the
        nearest at or above it), worked out once per configuration file in a run.
        ``own_names``: the names of the files ``folder`` holds, when known: without a
        configuration file among them, the answer is its parent folder's (asked once a run)."""
        from cardguard.settings.config import CONFIG_FILE_NAMES, ConfigError, find_config_file

        if len(self.config_file_of_folder) >= FOLDERS_REMEMBERED:  # one entry per model folder: bounded
            self.config_file_of_folder.clear()
        if own_names is not None and own_names.isdisjoint(CONFIG_FILE_NAMES):
            folder = folder.parent
        try:
            config_file = find_config_file(folder, self.config_file_of_folder)
        except ConfigError:  # an oversized pyproject.toml: the check reports it, its bytes are keyed
            return ""
        if config_file is None:
            return ""
        known = self.schemas_of_config.get(config_file)
        if known is None:
            known = self.schemas_of_config[config_file] = schemas_hash(config_file)
        return known

    def get(self, key: str | None) -> dict | None:
        if key is None:
            return None
        try:
            descriptor = os.open(self.path(key), os.O_RDONLY | CLOEXEC)
        except OSError:
            return None
        try:
            return json.loads(read_descriptor(descriptor, CACHED_LINE_BYTES))
        except (OSError, ValueError):
            return None
        finally:
            os.close(descriptor)

    def put(self, key: str | None, line: dict) -> None:
        if key is None or line["status"] != "checked":
            return
        path, unfinished = self.path(key), self.path(key, f".{os.getpid()}.part")
        data = json.dumps(line, ensure_ascii=True).encode("ascii")
        try:
            descriptor = os.open(unfinished, CACHE_WRITE_FLAGS, 0o666)
        except FileNotFoundError:  # the first key of its two-digit folder: make the folder, once
            os.makedirs(os.path.dirname(unfinished), exist_ok=True)
            descriptor = os.open(unfinished, CACHE_WRITE_FLAGS, 0o666)
        try:
            write_descriptor(descriptor, data)
        finally:
            os.close(descriptor)
        os.replace(unfinished, path)

    def path(self, key: str, suffix: str = ".json") -> str:
        return os.path.join(self.folder, key[:2], key + suffix)


def folder_hash(folder: Path) -> str:
    """A hash of every file below ``folder`` (outside .git): its path, and its bytes when at most
    HASHED_BYTES, else its size and mtime (weights are not read end to end to key a cache)."""
    return folder_files(folder)[0]


def folder_files(folder: Path) -> tuple[str, frozenset[str] | None]:
    """:func:`folder_hash` of ``folder``, and the names of the files directly in it (the walk
    lists them anyway; None when it could not)."""
    digest = hashlib.sha256()
    top = os.fspath(folder)
    own_names: frozenset[str] | None = None  # None: the folder could not be listed
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(name for name in dirs if name != ".git")
        below = root[len(top):].lstrip(os.sep)  # "" for the folder itself
        if root == top:
            own_names = frozenset(files)
        for name in sorted(files):
            digest.update(os.fsencode(os.path.join(below, name) if below else name) + b"\0")
            digest.update(file_fingerprint(os.path.join(root, name)))
    return digest.hexdigest(), own_names


def settings_hash(folder: Path) -> str:
    """A hash of what may configure the check of ``folder`` from above it: every configuration
    file and repository template folder in the folders above (a change there checks it again)."""
    from cardguard.settings.config import CONFIG_FILE_NAMES

    digest = hashlib.sha256()
    for above in folder.parents:
        for name in CONFIG_FILE_NAMES:
            digest.update(os.fsencode(above / name) + b"\0" + file_fingerprint(above / name))
        templates = above / ".cardguard"
        if templates.is_dir():
            digest.update(os.fsencode(templates) + b"\0" + folder_hash(templates).encode())
    return digest.hexdigest()


def schemas_hash(config_file: Path) -> str:
    """A hash of the organisation schemas ``config_file`` names (``schema = "…"``, at the top
    and in every override): a schema may change while the configuration naming it does not."""
    from cardguard.settings.config import ConfigError, load_config

    try:
        config = load_config(config_file)
    except ConfigError:  # the check reports the configuration; its bytes are keyed already
        return ""
    named = [config.base.schema] + [Path(config_file.parent, str(override.values["schema"]))
                                    for override in config.overrides if "schema" in override.values]
    digest = hashlib.sha256()
    for schema in sorted({os.path.abspath(path) for path in named if path is not None}):
        digest.update(os.fsencode(schema) + b"\0" + file_fingerprint(Path(schema)))
    return digest.hexdigest()


def file_fingerprint(path: str | Path) -> bytes:
    """What changes when the file at ``path`` changes: a link's target, and the bytes of the
    regular file it is or leads to (its size and mtime above HASHED_BYTES). Nothing else is
    opened: a FIFO or a device a pull request plants (a link to /dev/zero) would hang the run
    or fill its memory, and the check refuses them anyway."""
    try:
        status = os.lstat(path)
        link = b""
        if stat.S_ISLNK(status.st_mode):
            link = b"link:" + os.fsencode(os.readlink(path)) + b"\0"
            status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return link + f"not a regular file: {stat.S_IFMT(status.st_mode):o}".encode()
        if status.st_size > HASHED_BYTES:
            return link + f"{status.st_size}:{status.st_mtime_ns}".encode()
        return link + regular_file_digest(path)
    except OSError:  # missing or unreadable: the check will say so, and a new file changes the key
        return b"absent"


def regular_file_digest(path: str | Path) -> bytes:
    """The sha256 of at most HASHED_BYTES + 1 bytes of ``path``, opened only when it is a
    regular file (``open_regular_unguarded``)."""
    descriptor = open_regular_unguarded(path)
    try:
        return hashlib.sha256(read_descriptor(descriptor, HASHED_BYTES + 1)).digest()
    finally:
        os.close(descriptor)


def open_regular_file(path: Path) -> BinaryIO:
    """``path`` opened for reading when it is a regular file; OSError otherwise, as for a missing
    one (a FIFO or a device found where a file was expected is refused, not read)."""
    return open(open_regular_unguarded(path), "rb")


# -- totals and comparison --------------------------------------------------------------------

class AuditTotals(Record):
    """What the summary needs, counted as the lines go by (nothing grows with the fleet but the
    per-rule counts, bounded by the rule table, and the few worst repos)."""

    repos: int = 0
    failing: int = 0
    unreadable: int = 0
    cached: int | None = 0  # None when not known: a join of shards (results.jsonl does not say)
    severities: Counter = factory(Counter)
    rules: Counter = factory(Counter)
    worst: list = factory(list)  # (errors, warnings, drift, repo), the WORST_SHOWN largest

    def add(self, line: dict, from_cache: bool | None) -> None:
        """Count ``line``; ``from_cache`` None: not known (a join of shards, see :func:`join_shards`),
        and then the total of cached repos is None too."""
        self.repos += 1
        self.cached = None if from_cache is None or self.cached is None else self.cached + from_cache
        self.failing += fails(line)
        self.unreadable += line["status"] != "checked"
        self.severities.update(error=line["errors"], warning=line["warnings"], info=line["infos"])
        self.rules.update(entry["code"] for entry in line["findings"])
        rank = (line["errors"], line["warnings"], line["drift"], line["repo"])
        if line["errors"] or line["warnings"]:
            self.worst = sorted([*self.worst, rank], key=lambda entry: (-entry[0], -entry[1], -entry[2], entry[3]))
            del self.worst[WORST_SHOWN:]


def read_results(results: Path) -> Iterator[dict]:
    """The lines of a results.jsonl, one at a time."""
    with io.TextIOWrapper(open_regular_file(results), encoding="utf-8") as lines:
        for text in lines:
            if text.strip():
                yield json.loads(text)


def read_previous_run(results: Path) -> tuple[dict[str, bool], Trend]:
    """An earlier run's results.jsonl (``--since``), read once: repo -> whether it failed (one
    bool per repo, for the :class:`Comparison`), and the trend report.html shows."""
    from cardguard.report.audit_html import read_trend

    failures: dict[str, bool] = {}

    def noting_failures(lines: Iterator[dict]) -> Iterator[dict]:
        for line in lines:
            failures[line["repo"]] = fails(line)
            yield line

    trend = read_trend(noting_failures(read_results(results)))
    return failures, trend


class Comparison(Record):
    """This run against an earlier one (``--since``): repos that fail now and did not (new),
    failed and do not (fixed), fail in both (still failing)."""

    new: list = factory(list)
    fixed: list = factory(list)
    still_failing: list = factory(list)

    def add(self, line: dict, before: dict[str, bool]) -> None:
        failed_before, failing_now = before.get(line["repo"], False), fails(line)
        if failing_now and failed_before:
            self.still_failing.append(line["repo"])
        elif failing_now:
            self.new.append(line["repo"])
        elif failed_before:
            self.fixed.append(line["repo"])


# -- one run ----------------------------------------------------------------------------------

class ThreadDeadline:
    """The rate gate's deadline for the threads of one process: ``value`` and ``get_lock()``, as
    a ``multiprocessing.Value("d")`` has them (that one is shared with worker processes)."""

    def __init__(self) -> None:
        self.value = 0.0
        self.lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self.lock


class RateGate:
    """Shared by the Hub workers: after a 429 every one of them waits out its Retry-After
    before asking the Hub anything more, so a rate-limited fleet goes on at the pace the Hub
    allows instead of turning unreadable repo after repo. ``deadline``: a ``multiprocessing.Value("d")``
    to share the gate with worker processes (:meth:`across_processes`); by default, this process's threads."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep,
                 deadline: ThreadDeadline | Synchronized | None = None) -> None:
        # a time.monotonic() value before which no worker asks; that clock is the system's (Linux,
        # macOS, Windows), so the processes of one machine compare their readings with it
        self.deadline = deadline if deadline is not None else ThreadDeadline()
        self.sleep = sleep

    @classmethod
    def across_processes(cls, context: BaseContext) -> RateGate:
        """A gate whose deadline lives in shared memory: handed to worker processes as they start."""
        return cls(deadline=context.Value("d", 0.0))

    @property
    def until(self) -> float:
        return self.deadline.value

    def hold(self, seconds: float) -> None:
        with self.deadline.get_lock():
            self.deadline.value = max(self.deadline.value, time.monotonic() + seconds)

    def wait(self) -> None:
        while (left := self.until - time.monotonic()) > 0:
            self.sleep(left)

    def checked(self, item: AuditItem, check_line: Callable[[AuditItem], dict]) -> dict:
        """``check_line(item)``, asked again after each 429 it waits out (RATE_LIMIT_WAITS at most)."""
        for waits_left in range(RATE_LIMIT_WAITS, -1, -1):
            self.wait()
            line = check_line(item)
            wait = line.get("retry_after") if line["status"] == "unreadable" else None
            if wait is None or wait > RATE_LIMIT_MAX_WAIT or not waits_left:
                return line
            self.hold(wait)
        raise AssertionError("unreachable: the last attempt returns")


def audit_one(item: AuditItem, check_line: Callable[[AuditItem], dict], cache: ResultCache,
              gate: RateGate | None = None) -> tuple[dict, bool]:
    """The line of one repo, and whether it came from the cache (checked only when it did not;
    through ``gate`` for a Hub repo)."""
    key = cache.key(item)
    kept = cache.get(key)
    if kept is not None:
        return {**kept, **item_fields(item)}, True  # where and when are this run's; the findings are the same
    line = check_line(item) if gate is None else gate.checked(item, check_line)
    cache.put(key, line)
    return line, False


def write_results(lines: Iterable[tuple[dict, bool | None]], out: Path, before: dict[str, bool] | None,
                  progress: Callable[[dict], None] | None = None) -> tuple[AuditTotals, Comparison | None]:
    """Each line into ``out``/results.jsonl as it comes (flushed: a reader, or a run cut short,
    sees every repo finished so far), counted into the totals and, with ``before``, compared."""
    totals, comparison = AuditTotals(), Comparison() if before is not None else None
    with (out / "results.jsonl").open("w", encoding="utf-8", errors="backslashreplace") as results:
        for line, from_cache in lines:
            results.write(json.dumps(line, ensure_ascii=False) + "\n")
            results.flush()
            totals.add(line, from_cache)
            if comparison is not None and before is not None:
                comparison.add(line, before)
            if progress is not None:
                progress(line)
    return totals, comparison


def write_outputs(lines: Iterable[tuple[dict, bool | None]], out: Path, before: dict[str, bool] | None,
                  trend: Trend | None, progress: Callable[[dict], None] | None = None,
                  ) -> tuple[AuditTotals, Comparison | None]:
    """What every audit writes into ``out``, a run's or a join's: results.jsonl as the lines come
    (:func:`write_results`), then summary.md from the totals and report.html from results.jsonl
    read back line by line (the page costs no more memory than the run)."""
    from cardguard.report.audit_html import write_report_with_trend
    from cardguard.report.audit_summary import format_audit_summary

    for earlier in ("summary.md", "report.html"):  # a run cut short must not leave an earlier run's beside its lines
        (out / earlier).unlink(missing_ok=True)
    totals, comparison = write_results(lines, out, before, progress)
    # a folder name that is not UTF-8 (a lone surrogate) is shown as its escape, as in results.jsonl
    summary = format_audit_summary(totals, comparison)
    (out / "summary.md").write_text(summary, encoding="utf-8", errors="backslashreplace")
    write_report_with_trend(read_results(out / "results.jsonl"), out / "report.html", trend)
    return totals, comparison


# -- joining the shards of a CI matrix ----------------------------------------------------------

COUNT_FIELDS = ("errors", "warnings", "infos", "drift")


class JoinError(Exception):
    """A shard folder that cannot be joined; the message is one line, naming the file (and line)."""

    def __init__(self, message: str) -> None:
        from cardguard.escape import escape_text

        super().__init__(escape_text(message))  # ids and paths are hostile: no line break gets through


def join_shards(shards: list[Path], out: Path, before: dict[str, bool] | None,
                trend: Trend | None) -> tuple[AuditTotals, Comparison | None]:
    """Write into ``out`` the results.jsonl, summary.md and report.html of one run over every repo
    of ``shards`` (earlier runs' ``--out`` folders, one per ``--shard I/N``). The shards are read
    twice, a line at a time: once to check them all (JoinError, and nothing written), once to write."""
    files = shard_files(shards, out)
    for _ in joined_lines(files):
        pass
    out.mkdir(parents=True, exist_ok=True)
    # whether a shard took a line from its cache is not in results.jsonl: None, "not known"
    return write_outputs(((line, None) for line in joined_lines(files)), out, before, trend)


def shard_files(shards: list[Path], out: Path) -> list[Path]:
    """Each shard's results.jsonl; JoinError for a folder without one, one named twice, or
    ``out`` among them (writing would empty a file still to be read)."""
    if not shards:
        raise JoinError("--join needs at least one shard folder")
    files: list[Path] = []
    for shard in shards:
        results = shard / "results.jsonl"
        if not results.is_file():
            raise JoinError(f"{shard}: no results.jsonl in it (give the --out folders of the shards' runs)")
        if any(os.path.samefile(results, seen) for seen in files):
            raise JoinError(f"{shard}: named twice")
        if (out / "results.jsonl").exists() and os.path.samefile(results, out / "results.jsonl"):
            raise JoinError(f"{shard}: is also --out; join into another folder")
        files.append(results)
    return files


def joined_lines(files: list[Path]) -> Iterator[dict]:
    """The lines of every file in the order one unsharded run writes them. Each file is already
    in that order, so heapq.merge only interleaves them, holding one line per file; a repo in
    two files then comes twice in a row (JoinError)."""
    from heapq import merge

    def tagged(results: Path) -> Iterator[tuple[tuple[bool, tuple[str, ...]], Path, dict]]:
        return ((audit_order(line["source"], line["repo"]), results, line) for line in shard_lines(results))

    previous: tuple[tuple[bool, tuple[str, ...]], Path] | None = None
    for order, results, line in merge(*(tagged(results) for results in files), key=lambda entry: entry[0]):
        if previous is not None and previous[0] == order:
            raise JoinError(f"{line['repo']}: in two shards, {previous[1]} and {results}")
        previous = order, results
        yield line


def audit_order(source: str, repo: str) -> tuple[bool, tuple[str, ...]]:
    """Where a repo goes in results.jsonl, the one order of a run, its listings and a join: local
    folders first, then Hub repos, each by the parts of its id (settings/targets.folder_order,
    the order :func:`local_items`' walk meets folders in; :func:`hub_items` sorts by it)."""
    return source != "local", folder_order(repo)


def shard_lines(results: Path) -> Iterator[dict]:
    """The lines of one shard's results.jsonl, each checked to be a results line that comes after
    the one before it; JoinError naming the file and line otherwise."""
    previous: tuple[bool, tuple[str, ...]] | None = None
    try:
        with open_regular_file(results) as lines:
            for number, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                line = parse_result_line(raw, f"{results}:{number}")
                order = audit_order(line["source"], line["repo"])
                if previous is not None and order <= previous:
                    problem = "twice" if order == previous else "out of order (local folders, then Hub repos, by id)"
                    raise JoinError(f"{results}:{number}: {line['repo']}: {problem}")
                previous = order
                yield line
    except OSError as error:
        raise JoinError(f"{results}: cannot read it: {error.strerror or error}") from None


def parse_result_line(raw: bytes, where: str) -> dict:
    """One results.jsonl line as written by :func:`write_results`; JoinError saying what is wrong."""
    try:
        line = json.loads(raw.decode("utf-8"))
    except ValueError as error:  # UnicodeDecodeError is one
        raise JoinError(f"{where}: not a JSON line: {error}") from None
    problem = result_line_problem(line)
    if problem:
        raise JoinError(f"{where}: not a line of an audit's results.jsonl: {problem}")
    return line


def result_line_problem(line: object) -> str | None:
    """What keeps ``line`` from being counted and ordered like a line of this run, or None."""
    if not isinstance(line, dict):
        return "not a JSON object"
    if not isinstance(line.get("repo"), str):
        return "no repo id"
    if line.get("source") not in ("local", "hub"):
        return "source is neither local nor hub"
    if line.get("status") not in ("checked", "unreadable"):
        return "status is neither checked nor unreadable"
    for name in COUNT_FIELDS:
        if type(line.get(name)) is not int or line[name] < 0:
            return f"{name} is not a count"
    findings = line.get("findings")
    if not isinstance(findings, list) or not all(isinstance(entry, dict) for entry in findings):
        return "findings is not a list of findings"
    # the codes go into summary.md's table as they are: only this cardguard's own
    unknown = [entry.get("code") for entry in findings
               if not (isinstance(entry.get("code"), str) and entry["code"] in RULES)]
    if unknown:
        return f"finding code {unknown[0]!r} is not a rule of this cardguard (a shard run by another version?)"
    return None
