"""The audit's report.html: one self-contained page over the lines of results.jsonl.

The page holds counts at the top, a bar per rule (inline SVG), and one table row per repo
that sorts by a click on a column header and filters by text, severity and profile; each repo
opens to its findings, each linked to its line on the Hub or to the local file. Given the
previous run's results, it shows the trend: counts and per-repo deltas.

Nothing leaves the page: CSS and JavaScript are inline, and a Content-Security-Policy lets
only those two (by their hashes) run, so the page can make no request. Every string of a
result is hostile (a repo name, a finding message): each is escaped for HTML here, after
``escape_text`` has made its control characters visible, and a link is written only for an
``https://huggingface.co/`` or ``file:///`` URL.

Results are streamed: the repo rows go to a temporary file while the counts are tallied, and
the page is then written (counts first, rows copied after) beside ``out`` and moved into place,
so a reader never sees half a report.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import os
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

from cardguard.codes import RULES
from cardguard.escape import escape_text
from cardguard.record import Record, factory

SEVERITIES = ("error", "warning", "info")
LINKABLE_PREFIXES = ("https://huggingface.co/", "file:///")
# Characters a well-formed URL holds only percent-encoded: one of them means a hostile URL.
NOT_IN_URLS = frozenset('"<>`\\ ')
# The chart shows this many rules; the rest are summed in one line under it.
CHART_RULES = 40
ASSETS = Path(__file__).with_name("audit_html_assets")


class RepoResult(Record, frozen=True):
    """One line of results.jsonl, with every field checked for its type."""

    repo: str
    source: str
    revision: str
    card_url: str
    profile: str
    errors: int
    warnings: int
    infos: int
    drift: int
    last_modified: str
    status: str
    error: str
    findings: list[dict[str, Any]]


class Trend(Record):
    """What the previous run held: per repo (errors, warnings, drift), and the totals."""

    per_repo: dict[str, tuple[int, int, int]] = factory(dict)
    rule_counts: Counter[str] = factory(Counter)
    totals: Counter[str] = factory(Counter)


class Tally(Record):
    """The counts of the page's top and of its chart, summed while the rows stream by."""

    totals: Counter[str] = factory(Counter)
    rule_counts: Counter[str] = factory(Counter)
    rule_repos: Counter[str] = factory(Counter)
    rule_severity: dict[str, str] = factory(dict)
    profiles: Counter[str] = factory(Counter)


def write_report_html(results: Iterable[dict[str, Any]], out: Path,
                      previous: Iterable[dict[str, Any]] | None = None) -> None:
    """Write report.html for ``results`` (the dicts of results.jsonl) to ``out``, with the
    trend against ``previous`` when given. Only the counts are held in memory (and, with
    ``previous``, three numbers per earlier repo); the rows stream through a temporary file."""
    write_report_with_trend(results, out, read_trend(previous) if previous is not None else None)


def write_report_with_trend(results: Iterable[dict[str, Any]], out: Path, trend: Trend | None) -> None:
    """``write_report_html`` with the previous run already read (``read_trend``): an audit reads
    it before its new results may overwrite the old ones (``--since`` naming ``--out``)."""
    tally = Tally()
    # A local folder's name may not be UTF-8 (a lone surrogate): shown as its escape, as in
    # results.jsonl and summary.md.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="backslashreplace") as rows:
        for raw in results:
            result = parse_result(raw)
            add_to_tally(tally, result)
            if trend is not None and result.repo in trend.per_repo:
                tally.totals["in_previous"] += 1
            rows.write(repo_rows(result, trend))
        rows.seek(0)
        write_page(out, tally, trend, rows)


def write_page(out: Path, tally: Tally, trend: Trend | None, rows: IO[str]) -> None:
    # Opened with "x" (not mkstemp, which makes the file 0600) so the report gets the umask's mode.
    temporary = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", errors="backslashreplace") as page:
            page.write(page_head(tally, trend))
            shutil.copyfileobj(rows, page)
            page.write(page_tail())
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# -- reading results ------------------------------------------------------------------------


def parse_result(raw: Any) -> RepoResult:
    """A line of results.jsonl; a field of the wrong type (or a line that is not an object)
    reads as missing."""
    if not isinstance(raw, dict):
        raw = {}
    findings = raw.get("findings")
    return RepoResult(
        repo=text_field(raw, "repo") or "(unnamed)",
        source=text_field(raw, "source"),
        revision=text_field(raw, "revision"),
        card_url=text_field(raw, "card_url"),
        profile=text_field(raw, "profile") or "-",
        errors=count_field(raw, "errors"),
        warnings=count_field(raw, "warnings"),
        infos=count_field(raw, "infos"),
        drift=count_field(raw, "drift"),
        last_modified=text_field(raw, "last_modified"),
        status=text_field(raw, "status") or "checked",
        error=text_field(raw, "error"),
        findings=[item for item in findings if isinstance(item, dict)] if isinstance(findings, list) else [],
    )


def text_field(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def count_field(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def read_trend(previous: Iterable[dict[str, Any]]) -> Trend:
    trend = Trend()
    for raw in previous:
        result = parse_result(raw)
        trend.per_repo[result.repo] = (result.errors, result.warnings, result.drift)
        trend.totals.update(repo_totals(result))
        trend.rule_counts.update(finding_code(item) for item in result.findings)
    return trend


def add_to_tally(tally: Tally, result: RepoResult) -> None:
    tally.totals.update(repo_totals(result))
    tally.profiles[result.profile] += 1
    codes = [finding_code(item) for item in result.findings]
    tally.rule_counts.update(codes)
    tally.rule_repos.update(set(codes))
    for code, item in zip(codes, result.findings):
        severity = finding_severity(item)
        worst = tally.rule_severity.get(code)
        if worst is None or SEVERITIES.index(severity) < SEVERITIES.index(worst):
            tally.rule_severity[code] = severity


def repo_totals(result: RepoResult) -> Counter[str]:
    unreadable = result.status == "unreadable"
    clean = not unreadable and result.errors == 0 and result.warnings == 0 and result.drift == 0
    return Counter(repos=1, errors=result.errors, warnings=result.warnings, infos=result.infos,
                   drift=result.drift, unreadable=int(unreadable), clean=int(clean),
                   failing=int(result.errors > 0 or unreadable))


def finding_code(item: dict[str, Any]) -> str:
    return text_field(item, "code") or "?"


def finding_severity(item: dict[str, Any]) -> str:
    severity = text_field(item, "severity").lower()
    return severity if severity in SEVERITIES else "info"


def finding_line(item: dict[str, Any]) -> int:
    return count_field(item, "line")


# -- escaping and links ---------------------------------------------------------------------


# Codes, locations ("README.md:12") and messages repeat across findings and repos: each
# distinct text is escaped once. Bounded, as the texts come from the results.
@functools.lru_cache(maxsize=4096)
def esc(text: str) -> str:
    """Text from a result, safe inside an HTML element or a quoted attribute."""
    return html.escape(escape_text(text), quote=True)


def safe_url(url: str) -> str | None:
    """``url`` when it is a Hub or local file URL with nothing that could break out of it."""
    if not url.startswith(LINKABLE_PREFIXES) or not url.isprintable() or not NOT_IN_URLS.isdisjoint(url):
        return None
    return url


def finding_url(result: RepoResult, item: dict[str, Any]) -> str | None:
    """Where a finding points: its line in the card on the Hub, or the file it is in. A path
    that is absolute, climbs out or names a scheme once the repo's own prefix is taken off
    gets no link."""
    return link_in_repo(safe_url(result.card_url), path_in_repo(result, text_field(item, "path")), finding_line(item))


def link_in_repo(card: str | None, path: str, line: int) -> str | None:
    """:func:`finding_url` from its parts: ``card``, the repo's card URL as :func:`safe_url`
    passed it (None: no link), and the finding's path in the repo and line."""
    if card is None:
        return None
    base, _, card_name = card.rpartition("/")
    if path and path != card_name:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts or ":" in path:
            return None
        card = f"{base}/{quote(str(relative))}"
    return f"{card}#L{line}" if line and card.startswith("https://") else card


def path_in_repo(result: RepoResult, path: str) -> str:
    """A finding's path relative to the repo's root: findings show a Hub file as
    ``hf://ORG/NAME@REV/FILE`` and a local one as ``FOLDER/FILE``, the folder being the repo
    as the audit names it."""
    hub_prefix = f"hf://{result.repo}"
    if path.startswith(hub_prefix + "@") or path.startswith(hub_prefix + "/"):
        rest = path[len(hub_prefix):]
        return rest.split("/", 1)[1] if rest.startswith("@") and "/" in rest else rest.lstrip("/")
    if result.source == "local" and path.startswith(result.repo.rstrip("/") + "/"):
        return path[len(result.repo.rstrip("/")) + 1:]
    return path


# -- the page -------------------------------------------------------------------------------


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def page_head(tally: Tally, trend: Trend | None) -> str:
    style, script = asset("report.css"), asset("report.js")
    policy = (f"default-src 'none'; style-src {csp_hash(style)}; script-src {csp_hash(script)}; "
              "base-uri 'none'; form-action 'none'")
    repos = tally.totals["repos"]
    return "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>cardguard audit: {repos} repos, {tally.totals['failing']} failing</title>\n",
        f"<style>{style}</style>\n</head>\n<body>\n",
        top_bar(tally),
        '<main>\n',
        summary_cards(tally, trend),
        rule_chart(tally, trend),
        repo_table_head(tally),
    ])


def page_tail() -> str:
    script = asset("report.js")
    return "".join([
        "</table>\n",
        '<p id="no-match" class="empty" hidden>No repo matches the filter.</p>\n',
        "</section>\n</main>\n",
        '<footer>Written by cardguard audit. One file, no network: open it anywhere.</footer>\n',
        f"<script>{script}</script>\n</body>\n</html>\n",
    ])


def top_bar(tally: Tally) -> str:
    totals = tally.totals
    return (
        '<header class="top">\n<h1>cardguard <span>audit</span></h1>\n<p class="top-counts">'
        f'<b>{totals["repos"]}</b> repos · <b class="bad">{totals["failing"]}</b> failing · '
        f'<b class="ok">{totals["clean"]}</b> clean</p>\n</header>\n'
    )


SUMMARY_CARDS = (
    # (key, label, css class, True when fewer is better, None when neither is)
    ("repos", "Repos", "neutral", None),
    ("failing", "Failing", "error", True),
    ("errors", "Errors", "error", True),
    ("warnings", "Warnings", "warning", True),
    ("drift", "Drift", "drift", True),
    ("unreadable", "Unreadable", "muted", True),
    ("clean", "Clean", "ok", False),
)


def summary_cards(tally: Tally, trend: Trend | None) -> str:
    cards = []
    for key, label, css_class, fewer_is_better in SUMMARY_CARDS:
        change = ""
        if trend is not None:
            change = delta_badge(tally.totals[key] - trend.totals[key], fewer_is_better, "vs previous")
        cards.append(f'<div class="card {css_class}"><span class="label">{label}</span>'
                     f'<span class="value">{tally.totals[key]}</span>{change}</div>')
    caption = ""
    if trend is not None:
        earlier = len(trend.per_repo)
        new, gone = tally.totals["repos"] - tally.totals["in_previous"], earlier - tally.totals["in_previous"]
        caption = (f'<p class="trend-note">Compared with the previous run of {earlier} repos: '
                   f'{new} new, {gone} no longer audited.</p>\n')
    return f'<section class="summary" aria-label="Totals">\n{"".join(cards)}\n</section>\n{caption}'


def delta_badge(change: int, fewer_is_better: bool | None, title: str) -> str:
    if change == 0:
        return f'<span class="delta same" title="{title}">±0</span>'
    if fewer_is_better is None:
        verdict = "same"
    else:
        verdict = "better" if (change < 0) == fewer_is_better else "worse"
    sign = "+" if change > 0 else "−"
    return f'<span class="delta {verdict}" title="{title}">{sign}{abs(change)}</span>'


def rule_chart(tally: Tally, trend: Trend | None) -> str:
    ranked = sorted(tally.rule_counts.items(), key=lambda pair: (-pair[1], pair[0]))
    if not ranked:
        return '<section class="rules"><h2>Findings by rule</h2><p class="empty">No findings.</p></section>\n'
    largest = ranked[0][1]
    bars = [rule_bar(code, count, tally.rule_repos[code], largest, tally.rule_severity.get(code, "info"), trend)
            for code, count in ranked[:CHART_RULES]]
    rest = ranked[CHART_RULES:]
    more = ""
    if rest:
        more = f'<p class="more">and {len(rest)} more rules with {sum(count for _, count in rest)} findings.</p>'
    return ('<section class="rules" aria-label="Findings by rule">\n<div class="section-head"><h2>Findings by rule</h2>'
            f'{CHART_LEGEND}</div>\n'
            f'<ol class="chart">\n{"".join(bars)}</ol>{more}\n</section>\n')


CHART_LEGEND = ('<span class="legend">'
                + "".join(f'<span class="key {name}">{name}</span>' for name in SEVERITIES) + "</span>")


def rule_bar(code: str, count: int, repos: int, largest: int, severity: str, trend: Trend | None) -> str:
    rule = RULES.get(code)
    name = f' <span class="rule-name">{esc(rule.name)}</span>' if rule else ""
    title = f' title="{esc(rule.summary)}"' if rule else ""
    width = max(count / largest * 100, 0.5)
    change = delta_badge(count - trend.rule_counts[code], True, "vs previous") if trend else ""
    return (f'<li class="{severity}"{title}><button type="button" class="rule" data-code="{esc(code)}" '
            f'aria-label="Show the repos with {esc(code)}"><code>{esc(code)}</code>{name}</button>'
            f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect width="{width:.2f}" height="10" rx="1"/></svg>'
            f'<span class="count">{count}{change}</span>'
            f'<span class="repos-n">in {repos} repo{"" if repos == 1 else "s"}</span></li>\n')


COLUMNS = (
    # (data key, header, number column)
    ("repo", "Repo", False),
    ("errors", "Errors", True),
    ("warnings", "Warnings", True),
    ("drift", "Drift", True),
    ("profile", "Profile", False),
    ("modified", "Last modified", False),
)


def repo_table_head(tally: Tally) -> str:
    profiles = "".join(f'<option value="{esc(name)}">{esc(name)} ({count})</option>'
                       for name, count in sorted(tally.profiles.items()))
    headers = "".join(
        f'<th scope="col" data-key="{key}" data-type="{"number" if number else "text"}"'
        f'{" class=num" if number else ""}><button type="button">{label}</button></th>'
        for key, label, number in COLUMNS
    )
    return (
        '<section class="repos" aria-label="Repos">\n<div class="controls">\n'
        '<input id="filter" type="search" placeholder="Filter repos, rules, messages…" aria-label="Filter">\n'
        '<select id="severity" aria-label="Severity"><option value="">All repos</option>'
        '<option value="error">With errors</option><option value="warning">With warnings</option>'
        '<option value="drift">With drift</option><option value="clean">Clean</option>'
        '<option value="unreadable">Unreadable</option></select>\n'
        f'<select id="profile" aria-label="Profile"><option value="">All profiles</option>{profiles}</select>\n'
        '<button type="button" id="expand-all">Expand all</button>\n'
        f'<span id="shown" class="shown">{tally.totals["repos"]} repos</span>\n</div>\n'
        f'<table id="repos">\n<thead><tr>{headers}</tr></thead>\n'
    )


def repo_rows(result: RepoResult, trend: Trend | None) -> str:
    """One ``<tbody>`` per repo: its summary row and its (hidden) findings row, so a sort or a
    filter moves or hides the two together."""
    severity = ("unreadable" if result.status == "unreadable" else
                "error" if result.errors else "warning" if result.warnings else
                "drift" if result.drift else "clean")
    earlier = trend.per_repo.get(result.repo) if trend is not None else None
    attributes = (f'class="repo {severity}" data-repo="{esc(result.repo.lower())}" data-errors="{result.errors}" '
                  f'data-warnings="{result.warnings}" data-drift="{result.drift}" '
                  f'data-profile="{esc(result.profile)}" data-modified="{esc(result.last_modified)}" '
                  f'data-state="{severity}" data-flags="{" ".join(flags_of(result))}"')
    return (
        f"<tbody {attributes}>\n<tr>"
        f"<th scope=\"row\">{repo_cell(result, trend is not None and earlier is None)}</th>"
        f'<td class="num">{number_cell(result.errors, earlier[0] if earlier else None, "error")}</td>'
        f'<td class="num">{number_cell(result.warnings, earlier[1] if earlier else None, "warning")}</td>'
        f'<td class="num">{number_cell(result.drift, earlier[2] if earlier else None, "drift")}</td>'
        f'<td><span class="profile">{esc(result.profile)}</span></td>'
        f'<td class="date">{esc(result.last_modified[:10]) if result.last_modified else "–"}</td></tr>\n'
        f'<tr class="findings" hidden><td colspan="{len(COLUMNS)}">{findings_list(result)}</td></tr>\n</tbody>\n'
    )


def flags_of(result: RepoResult) -> list[str]:
    """The severity filter's words that hold for a repo."""
    flags = [name for name, count in (("error", result.errors), ("warning", result.warnings),
                                      ("drift", result.drift)) if count]
    if result.status == "unreadable":
        flags.append("unreadable")
    elif not flags:
        flags.append("clean")
    return flags


TOGGLE = ('<button type="button" class="toggle" aria-expanded="false" title="Show findings">'
          '<span class="chevron" aria-hidden="true">▸</span></button>')


def repo_cell(result: RepoResult, is_new: bool) -> str:
    toggle = TOGGLE if result.findings or result.error else '<span class="toggle-space"></span>'
    url = safe_url(result.card_url)
    name = (f'<a class="name" href="{esc(url)}">{esc(result.repo)}</a>' if url else
            f'<span class="name">{esc(result.repo)}</span>')
    source = '<span class="tag local">local</span>' if result.source == "local" else ""
    new = '<span class="tag new">new</span>' if is_new else ""
    return f"{toggle}{name}{source}{new}"


def number_cell(value: int, earlier: int | None, css_class: str) -> str:
    shown = f'<span class="n {css_class}">{value}</span>' if value else '<span class="n zero">0</span>'
    if earlier is None or earlier == value:
        return shown
    return shown + delta_badge(value - earlier, True, f"was {earlier}")


def findings_list(result: RepoResult) -> str:
    parts = []
    if result.error:
        parts.append(f'<p class="unreadable-note">Not checked: {esc(result.error)}</p>')
    if result.findings:
        parts.append('<ul class="finding-list">')
        card = safe_url(result.card_url)  # the same for every finding of the repo: checked once
        # A repo's findings mostly share a file or two: each path is taken into the repo once.
        paths = {text_field(item, "path") for item in result.findings}
        in_repo = {path: path_in_repo(result, path) for path in paths}
        parts.extend(finding_item(item, in_repo, card) for item in result.findings)
        parts.append("</ul>")
    elif not result.error:
        parts.append('<p class="empty">No findings.</p>')
    return "".join(parts)


def finding_item(item: dict[str, Any], in_repo: dict[str, str], card: str | None) -> str:
    """One finding's list item; ``in_repo``: each finding path of the repo to its
    ``path_in_repo``; ``card``: the repo's ``safe_url(card_url)``."""
    severity = finding_severity(item)
    relative = in_repo[text_field(item, "path")]
    path = relative or "README.md"
    line = finding_line(item)
    where = f"{path}:{line}" if line else path
    url = link_in_repo(card, relative, line)
    location = f'<a class="where" href="{esc(url)}">{esc(where)}</a>' if url else f'<span class="where">{esc(where)}</span>'
    return (f'<li class="{severity}"><span class="sev {severity}">{severity}</span>'
            f'<code class="code">{esc(finding_code(item))}</code>{location}'
            f'<span class="message">{esc(text_field(item, "message"))}</span></li>')
