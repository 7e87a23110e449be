"""``cardguard.join_audits`` (``cardguard audit --join``): the output folders of a ``--shard I/N``
matrix joined into what one unsharded run writes, and shard folders that cannot be joined.

The fleet is made once in a temporary folder: copies of examples/tiny-bert-classifier, some with
a template placeholder in their card (an error), bare cards, and folders with hostile names.
Every shard is a real ``cardguard.audit`` run over it; tests/hub/test_audit_join_hub.py joins
shards that hold Hub repos too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import cardguard
from cardguard.api import UsageError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tiny-bert-classifier"
PLACEHOLDER = "\n## Limitations\n\n[More Information Needed]\n"
BARE_CARD = "---\nlicense: mit\nlibrary_name: transformers\n---\n# bare\n"
OUTPUTS = ("results.jsonl", "summary.md", "report.html")


def make_fleet(root: Path) -> Path:
    for index in range(4):
        shutil.copytree(EXAMPLE, root / f"clean-{index}")
    for index in range(3):
        card = shutil.copytree(EXAMPLE, root / f"broken-{index}") / "README.md"
        card.write_text(card.read_text(encoding="utf-8") + PLACEHOLDER, encoding="utf-8")
    for name in ("bare-0", "bare-1", "pipe|name", "line\nbreak", os.fsdecode(b"not-utf8-\xff")):
        (root / name).mkdir()
        (root / name / "README.md").write_text(BARE_CARD, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def fleet_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def unsharded(fleet_root: Path, tmp_path_factory: pytest.TempPathFactory) -> cardguard.AuditResult:
    return cardguard.audit([fleet_root], out=tmp_path_factory.mktemp("unsharded"), threads=True)


def run_shards(fleet_root: Path, folder: Path, count: int, **options: object) -> list[Path]:
    shards = [folder / f"shard-{index}" for index in range(1, count + 1)]
    for index, shard in enumerate(shards, 1):
        cardguard.audit([fleet_root], out=shard, shard=f"{index}/{count}", threads=True, **options)
    return shards


def repos_in(out: Path) -> list[str]:
    with (out / "results.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(text)["repo"] for text in lines]


def without_cache_count(summary: str) -> str:
    """summary.md with the "from cache" cell (4th of the totals row) blanked: a join shows n/a."""
    lines = summary.splitlines()
    cells = lines[4].split(" | ")
    cells[3] = "?"
    return "\n".join([*lines[:4], " | ".join(cells), *lines[5:]])


@pytest.mark.parametrize("count", [2, 3, 4])
def test_joined_shards_write_what_one_unsharded_run_writes(count: int, fleet_root: Path, tmp_path: Path,
                                                           unsharded: cardguard.AuditResult) -> None:
    shards = run_shards(fleet_root, tmp_path, count)
    assert sum(bool(repos_in(shard)) for shard in shards) >= 2  # the join has lines to interleave
    joined = cardguard.join_audits(shards, out=tmp_path / "joined")
    whole, out = unsharded.out, tmp_path / "joined"
    assert (out / "results.jsonl").read_bytes() == (whole / "results.jsonl").read_bytes()
    assert (out / "report.html").read_bytes() == (whole / "report.html").read_bytes()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.splitlines()[4].split(" | ")[3] == "n/a"
    assert without_cache_count(summary) == without_cache_count((whole / "summary.md").read_text(encoding="utf-8"))
    totals, whole_totals = joined.totals, unsharded.totals
    assert (totals.repos, totals.failing, totals.unreadable) == (whole_totals.repos, whole_totals.failing, 0)
    assert totals.severities == whole_totals.severities and totals.cached is None
    assert joined.exit_code() == unsharded.exit_code() == 1  # the broken cards fail


def test_a_join_compares_with_since_as_the_unsharded_run_does(tmp_path: Path) -> None:
    fleet_root = make_fleet(tmp_path / "fleet")
    before = cardguard.audit([fleet_root], out=tmp_path / "before", threads=True).out
    shutil.copy(EXAMPLE / "README.md", fleet_root / "broken-0" / "README.md")  # fixed
    card = fleet_root / "clean-1" / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + PLACEHOLDER, encoding="utf-8")  # newly failing
    whole = cardguard.audit([fleet_root], out=tmp_path / "whole", since=before, threads=True)
    joined = cardguard.join_audits(run_shards(fleet_root, tmp_path, 3), out=tmp_path / "joined", since=before)
    assert (joined.comparison.new, joined.comparison.fixed) == (whole.comparison.new, whole.comparison.fixed)
    assert joined.comparison.still_failing == whole.comparison.still_failing
    assert len(whole.comparison.new) == len(whole.comparison.fixed) == 1
    assert (tmp_path / "joined" / "report.html").read_bytes() == (tmp_path / "whole" / "report.html").read_bytes()
    summary = (tmp_path / "joined" / "summary.md").read_text(encoding="utf-8")
    assert "### Since the previous run" in summary
    assert without_cache_count(summary) == without_cache_count(
        (tmp_path / "whole" / "summary.md").read_text(encoding="utf-8"))


def test_a_shard_with_no_repos_joins(fleet_root: Path, tmp_path: Path, unsharded: cardguard.AuditResult) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "results.jsonl").write_bytes(b"")
    joined = cardguard.join_audits([empty, unsharded.out], out=tmp_path / "joined")
    assert (tmp_path / "joined" / "results.jsonl").read_bytes() == (unsharded.out / "results.jsonl").read_bytes()
    assert joined.totals.repos == unsharded.totals.repos


# -- shards that cannot be joined: one line, naming the file (and line), and nothing written -----

def first_lines(unsharded: cardguard.AuditResult) -> list[str]:
    return (unsharded.out / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def shard_of(folder: Path, lines: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder


def edited(line: str, **changes: object) -> str:
    return json.dumps({**json.loads(line), **changes}) + "\n"


BAD_LINES = {
    "not JSON": (lambda good: [good[0], "{not json\n"], r"/a/results\.jsonl:2: not a JSON line"),
    "not UTF-8": (lambda good: [good[0], "\udcff\n"], r"/a/results\.jsonl:2: not a JSON line"),
    "a list": (lambda good: ["[1, 2]\n"], r"/a/results\.jsonl:1: .*not a JSON object"),
    "no repo": (lambda good: [edited(good[0], repo=None)], r":1: .*no repo id"),
    "odd source": (lambda good: [edited(good[0], source="ftp")], r":1: .*source is neither"),
    "odd status": (lambda good: [edited(good[0], status="fine")], r":1: .*status is neither"),
    "text count": (lambda good: [edited(good[0], errors="2")], r":1: .*errors is not a count"),
    "bool count": (lambda good: [edited(good[0], drift=True)], r":1: .*drift is not a count"),
    "negative count": (lambda good: [edited(good[0], warnings=-1)], r":1: .*warnings is not a count"),
    "findings not a list": (lambda good: [edited(good[0], findings={"code": "CG101"})], r":1: .*findings is not"),
    "finding without code": (lambda good: [edited(good[0], findings=[{"line": 1}])], r":1: .*code None is not"),
    "finding code null": (lambda good: [edited(good[0], findings=[{"code": None}])], r":1: .*code None is not"),
    "finding code a list": (lambda good: [edited(good[0], findings=[{"code": []}])], r":1: .*code \[\] is not"),
    "not a rule": (lambda good: [edited(good[0], findings=[{"code": "| <b>x"}])], r":1: .*code '\| <b>x' is not"),
    "out of order": (lambda good: [good[1], good[0]], r"/a/results\.jsonl:2: .*out of order"),
    "twice in one shard": (lambda good: [good[0], good[0]], r"/a/results\.jsonl:2: .*twice"),
    "hub before local": (lambda good: [edited(good[0], source="hub"), good[1]], r"/a/results\.jsonl:2: .*out of order"),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_a_malformed_line_is_a_usage_error_naming_its_file_and_line(case: str, tmp_path: Path,
                                                                    unsharded: cardguard.AuditResult) -> None:
    make_lines, message = BAD_LINES[case]
    good = first_lines(unsharded)
    shard = shard_of(tmp_path / "a", [])
    (shard / "results.jsonl").write_bytes("".join(make_lines(good)).encode("utf-8", "surrogateescape"))
    with pytest.raises(UsageError, match=message) as raised:
        cardguard.join_audits([shard_of(tmp_path / "b", good[2:]), shard], out=tmp_path / "out")
    assert "results.jsonl" in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()


def test_a_repo_in_two_shards_is_a_usage_error_naming_both(tmp_path: Path, unsharded: cardguard.AuditResult) -> None:
    good = first_lines(unsharded)
    one, two = shard_of(tmp_path / "one", good[:3]), shard_of(tmp_path / "two", good[2:])
    repo = json.loads(good[2])["repo"]
    with pytest.raises(UsageError, match=f"{re.escape(repo)}: in two shards, .*one.*results.jsonl and .*two.*results.jsonl"):
        cardguard.join_audits([one, two], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_hostile_repo_id_stays_on_one_line_of_the_error(tmp_path: Path, unsharded: cardguard.AuditResult) -> None:
    line = edited(first_lines(unsharded)[0], repo="evil\nrepo\x1b[31m")
    one, two = shard_of(tmp_path / "one", [line]), shard_of(tmp_path / "two", [line])
    with pytest.raises(UsageError, match="in two shards") as raised:
        cardguard.join_audits([one, two], out=tmp_path / "out")
    assert "\n" not in str(raised.value) and "\x1b" not in str(raised.value)


def test_folders_that_cannot_be_joined_are_usage_errors(tmp_path: Path, unsharded: cardguard.AuditResult) -> None:
    shard = shard_of(tmp_path / "shard", first_lines(unsharded))
    (tmp_path / "no-results").mkdir()
    cases = [
        ([tmp_path / "no-results"], tmp_path / "out", "no-results: no results.jsonl in it"),
        ([tmp_path / "missing"], tmp_path / "out", "missing: no results.jsonl in it"),
        ([shard, tmp_path / "shard"], tmp_path / "out", "shard: named twice"),
        ([shard], shard, "shard: is also --out"),
        ([], tmp_path / "out", "at least one shard folder"),
    ]
    for shards, out, message in cases:
        with pytest.raises(UsageError, match=message):
            cardguard.join_audits(shards, out=out)
    assert not (tmp_path / "out").exists()
    assert (shard / "results.jsonl").read_text(encoding="utf-8") == "".join(first_lines(unsharded))


def test_an_unreadable_since_is_a_usage_error(tmp_path: Path, unsharded: cardguard.AuditResult) -> None:
    with pytest.raises(UsageError, match="--since"):
        cardguard.join_audits([unsharded.out], out=tmp_path / "out", since=tmp_path / "nowhere")


def test_odd_values_in_the_fields_the_join_neither_orders_nor_counts_by_pass_through(tmp_path: Path) -> None:
    odd = {"repo": "org/a", "source": "hub", "status": "checked", "errors": 1, "warnings": 0, "infos": 0,
           "drift": 0, "card_url": "javascript:alert(1)", "profile": [], "revision": {}, "last_modified": 3,
           "findings": [{"code": "CG101", "line": "x", "severity": 5, "message": "<script>", "path": None}]}
    text = json.dumps(odd, ensure_ascii=False) + "\n"
    joined = cardguard.join_audits([shard_of(tmp_path / "odd", [text])], out=tmp_path / "out")
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8") == text
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and 'href="javascript' not in page  # report.html's own escaping, given odd input
    assert joined.exit_code() == 1
