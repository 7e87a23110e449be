"""``cardguard.audit`` over local model folders (cardguard/run/audit.py): one line per folder in
results.jsonl, in a stable order, the summary, the cache, ``since`` and ``shard``.

The folders are made in tmp_path: copies of examples/tiny-bert-classifier (clean), the same
with a template placeholder in its card (an error), and a bare card with nothing beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cardguard
from cardguard.api import UsageError
from cardguard.run import audit as fleet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tiny-bert-classifier"
PLACEHOLDER = "\n## Limitations\n\n[More Information Needed]\n"
KEYS = {"repo", "source", "revision", "card_url", "profile", "errors", "warnings", "infos", "drift",
        "last_modified", "status", "error", "findings"}


def clean_model(folder: Path) -> Path:
    shutil.copytree(EXAMPLE, folder)
    return folder


def break_card(folder: Path) -> None:
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + PLACEHOLDER, encoding="utf-8")


@pytest.fixture()
def fleet_root(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    clean_model(root / "b-clean")
    break_card(clean_model(root / "a-broken"))
    (root / "c-bare").mkdir()
    (root / "c-bare" / "README.md").write_text("---\nlicense: mit\nlibrary_name: transformers\n---\n# bare\n",
                                               encoding="utf-8")
    return root


def lines_of(out: Path) -> list[dict]:
    return [json.loads(text) for text in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_one_line_per_model_folder_with_the_findings_check_gives(fleet_root: Path, tmp_path: Path) -> None:
    result = cardguard.audit([fleet_root], out=tmp_path / "out", jobs=2)
    lines = lines_of(tmp_path / "out")
    assert [Path(line["repo"]).name for line in lines] == ["a-broken", "b-clean", "c-bare"]
    for line in lines:
        assert set(line) == KEYS and (line["source"], line["revision"], line["status"]) == ("local", None, "checked")
        card = fleet_root / Path(line["repo"]).name / "README.md"
        assert line["card_url"] == card.resolve().as_uri()
        expected = cardguard.check(card).findings
        assert [(item["code"], item["line"]) for item in line["findings"]] == [(f.code, f.line) for f in expected]
        assert line["errors"] == sum(str(f.severity) == "error" for f in expected)
        assert line["drift"] == sum(f.code.startswith("CG4") for f in expected)
    assert lines[0]["errors"] > 0 and lines[1]["errors"] == 0
    assert lines[1]["profile"] == "trainer"  # examples/tiny-bert-classifier/.cardguard.toml sets it
    assert lines[2]["profile"] == cardguard.check(fleet_root / "c-bare").cards[0].profile_choice.profile
    assert result.totals.repos == 3 and result.exit_code() == 1


def test_the_summary_counts_what_results_jsonl_holds(fleet_root: Path, tmp_path: Path) -> None:
    cardguard.audit([fleet_root], out=tmp_path / "out")
    lines = lines_of(tmp_path / "out")
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    errors = sum(line["errors"] for line in lines)
    warnings = sum(line["warnings"] for line in lines)
    failing = sum(line["errors"] > 0 for line in lines)
    assert f"| {len(lines)} | {failing} | 0 | 0 | {errors} | {warnings} |" in summary
    for code in {item["code"] for line in lines for item in line["findings"]}:
        count = sum(item["code"] == code for line in lines for item in line["findings"])
        assert f"| {code} |" in summary and summary.count(f"| {code} |") == 1
        assert any(row.startswith(f"| {code} |") and row.endswith(f"| {count} |") for row in summary.splitlines())
    assert f"`{lines[0]['repo']}`" in summary.split("### Worst repos")[1]


def test_the_output_is_the_same_whatever_the_number_of_workers(fleet_root: Path, tmp_path: Path) -> None:
    for index in range(6):
        clean_model(fleet_root / f"d-copy-{index}")
    cardguard.audit([fleet_root], out=tmp_path / "one", jobs=1)
    cardguard.audit([fleet_root], out=tmp_path / "four", jobs=4)
    assert (tmp_path / "one" / "results.jsonl").read_bytes() == (tmp_path / "four" / "results.jsonl").read_bytes()


def test_results_come_in_input_order_however_long_each_takes() -> None:
    def slow_first(number: int) -> int:
        time.sleep(0.05 if number % 3 == 0 else 0.0)
        return number

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(fleet.checked_in_order(range(20), slow_first, pool, 3)) == list(range(20))


def test_at_most_a_window_of_repos_is_in_flight() -> None:
    submitted, yielded, most = [0], [0], [0]
    lock = threading.Lock()

    def work(number: int) -> int:
        with lock:
            submitted[0] += 1
            most[0] = max(most[0], submitted[0] - yielded[0])
        return number

    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in fleet.checked_in_order(range(200), work, pool, 2):
            yielded[0] += 1
    assert 1 < most[0] <= 2 * fleet.WINDOW_PER_JOB


def test_runs_of_items_go_as_one_task_each_and_come_back_in_order_within_the_window() -> None:
    tasks: list[int] = []
    submitted, yielded, most = [0], [0], [0]
    lock = threading.Lock()

    def work(number: int) -> int:
        time.sleep(0.01 if number % 7 == 0 else 0.0)
        with lock:
            submitted[0] += 1
            most[0] = max(most[0], submitted[0] - yielded[0])
        return number

    class CountingPool(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            tasks.append(len(args[1]))  # each_of's run
            return super().submit(*args, **kwargs)

    with CountingPool(max_workers=2) as pool:
        for number in fleet.checked_in_order(range(45), work, pool, 2, per_task=4):
            assert number == yielded[0]
            yielded[0] += 1
    assert yielded[0] == 45 and tasks == [4] * 11 + [1]
    assert most[0] <= 2 * fleet.WINDOW_PER_JOB * 4


def test_each_line_is_in_the_file_before_the_next_repo_is_counted(fleet_root: Path, tmp_path: Path) -> None:
    seen: list[int] = []

    def progress(done: int, total: int, line: dict) -> None:
        seen.append(len(lines_of(tmp_path / "out")))

    cardguard.audit([fleet_root], out=tmp_path / "out", progress=progress)
    assert seen == [1, 2, 3]


def test_a_rerun_checks_again_only_the_folder_that_changed(fleet_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = cardguard.audit([fleet_root], out=out)
    assert first.totals.cached == 0
    again = cardguard.audit([fleet_root], out=out)
    assert again.totals.cached == 3
    break_card(fleet_root / "b-clean")
    changed = cardguard.audit([fleet_root], out=out)
    assert changed.totals.cached == 2
    assert lines_of(out)[1]["errors"] > 0


def test_a_configuration_above_the_folders_is_part_of_the_cache_key(fleet_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cardguard.audit([fleet_root], out=out)
    (fleet_root / ".cardguard.toml").write_text('profile = "minimal"\n', encoding="utf-8")
    rerun = cardguard.audit([fleet_root], out=out)
    assert rerun.totals.cached == 0
    assert lines_of(out) == lines_of(cardguard.audit([fleet_root], out=tmp_path / "fresh").out)


def test_an_organisation_schema_named_by_the_configuration_is_part_of_the_cache_key(fleet_root: Path,
                                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    (fleet_root / "schemas").mkdir()
    schema = fleet_root / "schemas" / "org.json"
    schema.write_text('{"type": "object"}', encoding="utf-8")
    (fleet_root / ".cardguard.toml").write_text('schema = "schemas/org.json"\n', encoding="utf-8")
    cardguard.audit([fleet_root], out=out)
    assert cardguard.audit([fleet_root], out=out).totals.cached == 3  # nothing changed
    schema.write_text('{"type": "object", "required": ["our_team"]}', encoding="utf-8")  # the configuration did not
    rerun = cardguard.audit([fleet_root], out=out)
    # c-bare is configured by the file above; the two copies of the example by their own .cardguard.toml
    assert rerun.totals.cached == 2
    assert lines_of(out) == lines_of(cardguard.audit([fleet_root], out=tmp_path / "fresh").out)
    assert ["our_team" in json.dumps(line["findings"]) for line in lines_of(out)] == [False, False, True]


def test_a_run_cut_short_leaves_its_lines_and_no_earlier_summary_beside_them(fleet_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cardguard.audit([fleet_root], out=out)
    first = lines_of(out)[0]
    assert (out / "summary.md").exists() and (out / "report.html").exists()

    def interrupted_after_one_repo():  # what the pools yield when Ctrl-C comes after the first repo
        yield first, False
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fleet.write_outputs(interrupted_after_one_repo(), out, None, None)
    assert lines_of(out) == [first]
    assert not (out / "summary.md").exists() and not (out / "report.html").exists()


def test_a_local_worker_process_killed_mid_run_ends_the_run_with_a_usage_error(tmp_path: Path) -> None:
    """Killed as the kernel's out-of-memory killer kills: one line saying so, and the lines done kept."""
    import multiprocessing
    import signal

    root = tmp_path / "fleet"
    for number in range(400):  # 50 tasks of 8: most still to do when the first line comes back
        (root / f"m{number:03d}").mkdir(parents=True)
        (root / f"m{number:03d}" / "README.md").write_text("---\nlicense: mit\n---\n# bare\n", encoding="utf-8")
    killed: list[int] = []

    def kill_a_worker(done: int, total: int, line: dict) -> None:
        if not killed:
            worker = multiprocessing.active_children()[0]
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    with pytest.raises(UsageError, match=r"the audit stopped after \d+ of 400 repos: a local worker process stopped"):
        cardguard.audit([root], out=tmp_path / "out", jobs=2, progress=kill_a_worker)
    assert killed and 0 < len(lines_of(tmp_path / "out")) < 400


def test_since_names_new_fixed_and_still_failing(fleet_root: Path, tmp_path: Path) -> None:
    cardguard.audit([fleet_root], out=tmp_path / "before")
    shutil.copy(EXAMPLE / "README.md", fleet_root / "a-broken" / "README.md")  # fixed
    break_card(fleet_root / "b-clean")  # newly failing
    result = cardguard.audit([fleet_root], out=tmp_path / "after", since=tmp_path / "before")
    by_name = {Path(line["repo"]).name: line["repo"] for line in lines_of(tmp_path / "after")}
    comparison = result.comparison
    assert comparison.new == [by_name["b-clean"]] and comparison.fixed == [by_name["a-broken"]]
    still = [by_name["c-bare"]] if lines_of(tmp_path / "before")[2]["errors"] else []
    assert comparison.still_failing == still
    summary = (tmp_path / "after" / "summary.md").read_text(encoding="utf-8")
    assert f"**Newly failing:** `{by_name['b-clean']}`" in summary and f"**Fixed:** `{by_name['a-broken']}`" in summary


def test_shards_split_the_fleet_into_disjoint_parts(fleet_root: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(9):
        (fleet_root / f"e-{index}").mkdir()
        (fleet_root / f"e-{index}" / "README.md").write_text("---\nlicense: mit\n---\n# e\n", encoding="utf-8")
    # Repo ids relative to the working folder ("fleet/e-0"): the same in every run, so which
    # shard each lands in is too (absolute ids hold pytest's numbered temporary folder, and
    # some of those left a share empty).
    monkeypatch.chdir(tmp_path)
    fleet = Path("fleet")
    everything = {line["repo"] for line in (cardguard.audit([fleet], out=tmp_path / "all"), lines_of(tmp_path / "all"))[1]}
    assert "fleet/e-0" in everything
    parts = []
    for index in (1, 2, 3):
        cardguard.audit([fleet], out=tmp_path / f"shard{index}", shard=f"{index}/3")
        parts.append({line["repo"] for line in lines_of(tmp_path / f"shard{index}")})
    assert set.union(*parts) == everything and sum(map(len, parts)) == len(everything)
    assert all(parts)  # 12 folders: each of three shares holds some


def test_a_shard_does_not_depend_on_the_process() -> None:
    repos = [f"org/model-{index}" for index in range(40)]
    here = [fleet.in_shard(repo, (2, 5)) for repo in repos]
    code = f"from cardguard.run.audit import in_shard; print([in_shard(r, (2, 5)) for r in {repos!r}])"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    there = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert there.stdout.strip() == str(here) and 0 < sum(here) < len(repos)


@pytest.mark.parametrize("shard", ["0/3", "4/3", "1", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(shard: str, fleet_root: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--shard"):
        cardguard.audit([fleet_root], out=tmp_path / "out", shard=shard)


def test_nothing_to_audit_and_an_unreadable_since_are_usage_errors(fleet_root: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="PATHS, --hub-author or --hub-search"):
        cardguard.audit([], out=tmp_path / "out")
    with pytest.raises(UsageError, match="--since"):
        cardguard.audit([fleet_root], out=tmp_path / "out", since=tmp_path / "nowhere")


def test_the_hub_listing_offline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="model listing .author=org.*HF_HUB_OFFLINE"):
        cardguard.audit(out=tmp_path / "out", hub_author="org")


def test_hostile_folder_names_stay_inside_their_line_and_cell(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    names = ["pipe|name", "line\nbreak", os.fsdecode(b"not-utf8-\xff")]
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text("---\nlicense: mit\n---\n# x\n", encoding="utf-8")
    cardguard.audit([root], out=tmp_path / "out")
    lines = lines_of(tmp_path / "out")  # one JSON object per line: no raw line break got in
    assert sorted(Path(line["repo"]).name for line in lines) == sorted(names)
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "pipe\\|name" in summary and "line\nbreak" not in summary


def test_a_folder_whose_configuration_is_broken_is_unreadable_and_the_run_goes_on(fleet_root: Path,
                                                                                     tmp_path: Path) -> None:
    (fleet_root / "c-bare" / ".cardguard.toml").write_text("profile = [unclosed\n", encoding="utf-8")
    result = cardguard.audit([fleet_root], out=tmp_path / "out")
    broken, clean, bare = lines_of(tmp_path / "out")
    assert bare["status"] == "unreadable" and ".cardguard.toml" in bare["error"] and bare["findings"] == []
    assert (broken["status"], clean["status"]) == ("checked", "checked")
    assert result.totals.unreadable == 1
    assert len(list((tmp_path / "out" / "cache").glob("*/*.json"))) == 2  # the unreadable one is tried again next time


def test_each_repo_of_a_shared_configuration_has_its_findings_in_its_own_line(fleet_root: Path,
                                                                              tmp_path: Path) -> None:
    # the workers share a configuration cache between repos: CG503 must still be in every line
    (fleet_root / ".cardguard.toml").write_text("[limits]\ncard-bytes = 999999999999\n", encoding="utf-8")
    shutil.copytree(fleet_root / "c-bare", fleet_root / "d-bare")
    for threads, jobs in ((True, 1), (False, 2)):
        out = tmp_path / f"out-{jobs}"
        cardguard.audit([fleet_root], out=out, jobs=jobs, threads=threads)
        bare_lines = [line for line in lines_of(out) if line["repo"].endswith("-bare")]
        assert len(bare_lines) == 2
        for line in bare_lines:
            expected = cardguard.check(fleet_root / Path(line["repo"]).name).findings
            assert [(item["code"], item["line"]) for item in line["findings"]] == [(f.code, f.line) for f in expected]
            assert "CG503" in [item["code"] for item in line["findings"]]


def test_what_a_worker_keeps_is_made_again_for_another_run_and_after_its_uses() -> None:
    made: list[int] = []

    def make() -> int:
        made.append(len(made))
        return made[-1]

    kept = [fleet.shared_per_worker(run, make, uses=2) for run in ("one", "one", "one", "two", "one")]
    assert kept == [0, 0, 1, 2, 3]
    elsewhere: list[int] = []
    worker = threading.Thread(target=lambda: elsewhere.append(fleet.shared_per_worker("one", make, uses=2)))
    worker.start()
    worker.join()
    assert elsewhere == [4]  # another thread's own


def test_the_run_writes_report_html_with_the_trend_even_into_its_own_since_folder(fleet_root: Path,
                                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    cardguard.audit([fleet_root], out=out)
    first = (out / "report.html").read_text(encoding="utf-8")
    assert "c-bare" in first and "<table" in first
    (fleet_root / "c-bare" / "README.md").write_text("---\nlicense: apache2\n---\n# x\n", encoding="utf-8")
    cardguard.audit([fleet_root], out=out, since=out)  # --since naming --out: the old results are read first
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "CG101" in page and "Compared with the previous run of 3 repos: 0 new, 0 no longer audited" in page
    assert 'class="delta worse" title="vs previous">+1<' in page  # one error more than the run it replaced


@pytest.mark.parametrize(("retry_after", "asked"), [
    (0, fleet.RATE_LIMIT_WAITS + 1),  # waited out each time, then given up: unreadable
    (fleet.RATE_LIMIT_MAX_WAIT + 1, 1),  # longer than an audit waits: unreadable at once
    (None, 1),  # unreadable for another reason: never asked again
])
def test_a_rate_limited_repo_is_asked_again_a_bounded_number_of_times(retry_after: float | None, asked: int) -> None:
    item = fleet.AuditItem("org/a", "hub", "hf://org/a")
    calls = []

    def rate_limited(given: fleet.AuditItem) -> dict:
        calls.append(given)
        return fleet.unreadable_line(given, "rate limited by the Hub (HTTP 429)", None, retry_after)

    line = fleet.RateGate().checked(item, rate_limited)
    assert len(calls) == asked and line["status"] == "unreadable" and line["retry_after"] == retry_after


def test_a_rate_limit_holds_every_worker_of_the_gate() -> None:
    gate, slept = fleet.RateGate(sleep=lambda seconds: slept.append(seconds) or time.sleep(seconds)), []
    gate.hold(0.2)
    gate.wait()  # another worker, asking after the 429 one of them got
    assert slept and 0 < sum(slept) <= 0.2 and gate.until <= time.monotonic()
