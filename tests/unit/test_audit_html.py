"""report.html (cardguard/report/audit_html.py) without a browser: self-contained, escaped,
linked right, streamed, written whole or not at all. tests/integration/test_audit_report_browser.py
drives the page in Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import tracemalloc
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from audit_report_samples import HOSTILE_MESSAGE, HOSTILE_NAME, finding, fleet, hub_url, previous_fleet, result

from cardguard.report.audit_html import finding_url, parse_result, write_report_html


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.open = tag if tag in self.inline else None

    def handle_endtag(self, tag: str) -> None:
        self.open = None

    def handle_data(self, data: str) -> None:
        if self.open:
            self.inline[self.open].append(data)


def render(tmp_path: Path, results: list[dict[str, Any]], previous: list[dict[str, Any]] | None = None) -> str:
    out = tmp_path / "report.html"
    write_report_html(iter(results), out, previous=None if previous is None else iter(previous))
    return out.read_text(encoding="utf-8")


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_one_script_one_style_both_allowed_by_hash_and_nothing_else(tmp_path: Path) -> None:
    elements = parse(render(tmp_path, fleet()))
    policy = next(attrs["content"] for tag, attrs in elements.tags if attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none'; ")
    scripts, styles = elements.inline["script"], elements.inline["style"]
    assert len(scripts) == 1 and len(styles) == 1
    assert f"script-src {sha256_source(scripts[0])};" in policy
    assert f"style-src {sha256_source(styles[0])};" in policy
    assert [tag for tag, _ in elements.tags if tag in ("link", "img", "iframe", "object", "embed")] == []
    assert [attrs for tag, attrs in elements.tags if tag == "script" and "src" in attrs] == []
    assert [attrs for _, attrs in elements.tags if "style" in attrs] == []  # the policy would block them
    assert "url(" not in styles[0] and "@import" not in styles[0]


def test_every_link_is_a_card_on_the_hub_or_a_local_file(tmp_path: Path) -> None:
    hrefs = [attrs["href"] for tag, attrs in parse(render(tmp_path, fleet())).tags if tag == "a"]
    assert hrefs and all(re.match(r"(https://huggingface\.co/|file:///)", href) for href in hrefs)
    card = hub_url("acme/bert-base-finetuned-sst2", "0123abcd")
    assert [href for href in hrefs if href.startswith(card)] == [card, f"{card}#L3", f"{card}#L41", f"{card}#L58"]


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    javascript = result("acme/js", finding("CG101", "error", 1, "x"))
    javascript["card_url"] = 'javascript:window.pwned=3//"'
    broken_out = result("acme/quote", finding("CG101", "error", 1, "x"))
    broken_out["card_url"] = 'https://huggingface.co/a" onmouseover="window.pwned=4'
    page = render(tmp_path, [*fleet(), javascript, broken_out])
    elements = parse(page)
    assert len(elements.inline["script"]) == 1 and "pwned" not in elements.inline["script"][0]
    assert [tag for tag, _ in elements.tags if tag in ("img", "u")] == []
    assert [name for _, attrs in elements.tags for name in attrs if name.startswith("on")] == []
    assert [attrs for tag, attrs in elements.tags if tag == "a" and "pwned" in (attrs.get("href") or "")] == []
    assert "evil/&lt;script&gt;window.pwned=1&lt;/script&gt;&quot;" in page
    assert "&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;&amp;amp; &lt;/li&gt;" in page
    assert HOSTILE_NAME not in page and HOSTILE_MESSAGE not in page


def test_control_characters_are_shown_not_written(tmp_path: Path) -> None:
    page = render(tmp_path, [result("acme/x", finding("CG101", "error", 1, "bell\x07 and\u2028break"))])
    assert "bell\\x07 and\\u2028break" in page
    assert "\x07" not in page and "\u2028" not in page


@pytest.mark.parametrize(("card_url", "path", "line", "expected"), [
    ("https://huggingface.co/o/n/blob/abc/README.md", "README.md", 12, "https://huggingface.co/o/n/blob/abc/README.md#L12"),
    ("https://huggingface.co/o/n/blob/abc/README.md", "", 3, "https://huggingface.co/o/n/blob/abc/README.md#L3"),
    ("https://huggingface.co/o/n/blob/abc/README.md", "README.md", 0, "https://huggingface.co/o/n/blob/abc/README.md"),
    ("https://huggingface.co/o/n/blob/abc/README.md", "config.json", 4, "https://huggingface.co/o/n/blob/abc/config.json#L4"),
    ("https://huggingface.co/o/n/blob/abc/README.md", "a b#c.json", 4, "https://huggingface.co/o/n/blob/abc/a%20b%23c.json#L4"),
    ("https://huggingface.co/o/n/blob/abc/README.md", "../../other/README.x", 1, None),
    ("https://huggingface.co/o/n/blob/abc/README.md", "/etc/passwd", 1, None),
    ("https://huggingface.co/o/n/blob/abc/README.md", "hf://x/y/config.json", 1, None),
    ("https://huggingface.co/o/n/blob/abc/README.md", "1_Pooling/config.json", 2,
     "https://huggingface.co/o/n/blob/abc/1_Pooling/config.json#L2"),
    ("file:///srv/m/README.md", "README.md", 9, "file:///srv/m/README.md"),
    ("file:///srv/m/README.md", "config.json", 9, "file:///srv/m/config.json"),
    ("http://huggingface.co/o/n/blob/abc/README.md", "README.md", 1, None),
    ("https://huggingface.co.evil.example/README.md", "README.md", 1, None),
    ("https://huggingface.co/o/n/blob/abc/README.md\n", "README.md", 1, None),
    ('https://huggingface.co/o/n"onclick="x/blob/abc/README.md', "README.md", 1, None),
    ("file:///srv/my models/README.md", "README.md", 1, None),
])
def test_finding_url(card_url: str, path: str, line: int, expected: str | None) -> None:
    repo = parse_result({"repo": "o/n", "card_url": card_url})
    assert finding_url(repo, {"path": path, "line": line}) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("hf://o/n@abc/README.md", "https://huggingface.co/o/n/blob/abc/README.md#L5"),
    ("hf://o/n@abc/1_Pooling/config.json", "https://huggingface.co/o/n/blob/abc/1_Pooling/config.json#L5"),
    ("hf://o/n/config.json", "https://huggingface.co/o/n/blob/abc/config.json#L5"),
    ("hf://o/other@abc/config.json", None),
])
def test_finding_url_of_a_hub_path(path: str, expected: str | None) -> None:
    repo = parse_result({"repo": "o/n", "source": "hub", "card_url": "https://huggingface.co/o/n/blob/abc/README.md"})
    assert finding_url(repo, {"path": path, "line": 5}) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("models/bert/README.md", "file:///work/models/bert/README.md"),
    ("models/bert/config.json", "file:///work/models/bert/config.json"),
    ("config.json", "file:///work/models/bert/config.json"),
])
def test_finding_url_of_a_local_path(path: str, expected: str) -> None:
    repo = parse_result({"repo": "models/bert", "source": "local", "card_url": "file:///work/models/bert/README.md"})
    assert finding_url(repo, {"path": path, "line": 5}) == expected


def test_a_finding_shows_its_path_in_the_repo(tmp_path: Path) -> None:
    local = result("models/bert", finding("CG101", "error", 3, "x", path="models/bert/README.md"), source="local")
    local["card_url"] = "file:///work/models/bert/README.md"
    hub = result("o/n", finding("CG301", "error", 1, "x", path="hf://o/n@0123abcd/1_Pooling/config.json"))
    page = render(tmp_path, [local, hub])
    assert '<a class="where" href="file:///work/models/bert/README.md">README.md:3</a>' in page
    assert ('<a class="where" href="https://huggingface.co/o/n/blob/0123abcd/1_Pooling/config.json#L1">'
            "1_Pooling/config.json:1</a>") in page


def test_wrong_types_in_a_result_are_read_as_missing(tmp_path: Path) -> None:
    odd = {"repo": ["not", "text"], "errors": "7", "warnings": True, "drift": -3, "findings": "none",
           "last_modified": 12, "profile": None, "card_url": None}
    odd_findings = {"repo": "acme/odd", "findings": [{"code": 5, "severity": "fatal", "line": "x"}, "text"]}
    page = render(tmp_path, [odd, odd_findings, ["not", "an", "object"]])  # type: ignore[list-item]
    assert "(unnamed)" in page and 'data-errors="0"' in page and 'data-warnings="0"' in page
    assert '<code class="code">?</code>' in page and '<span class="sev info">info</span>' in page


def test_counts_and_trend(tmp_path: Path) -> None:
    page = render(tmp_path, fleet(), previous_fleet())
    assert "<title>cardguard audit: 8 repos, 3 failing</title>" in page
    cards = dict(re.findall(r'<span class="label">(\w+)</span><span class="value">(\d+)</span>', page))
    assert cards == {"Repos": "8", "Failing": "3", "Errors": "6", "Warnings": "3", "Drift": "3",
                     "Unreadable": "1", "Clean": "2"}
    assert "previous run of 4 repos: 5 new, 1 no longer audited." in page
    bert = page.split('data-repo="acme/bert-base-finetuned-sst2"', 1)[1].split("</tbody>", 1)[0]
    assert '<span class="n error">3</span><span class="delta worse" title="was 2">+1</span>' in bert
    t5 = page.split('data-repo="acme/t5-summarizer"', 1)[1].split("</tbody>", 1)[0]
    assert '<span class="delta better" title="was 1">−1</span>' in t5
    assert page.count('<span class="tag new">new</span>') == 5


def test_without_previous_there_is_no_trend(tmp_path: Path) -> None:
    page = render(tmp_path, fleet())
    assert 'class="delta' not in page and "previous run" not in page and "tag new" not in page


def test_the_chart_counts_each_rule_most_first(tmp_path: Path) -> None:
    page = render(tmp_path, fleet())
    bars = re.findall(r'<li class="(\w+)"[^>]*><button type="button" class="rule"[^>]*><code>(CG\d+)</code>.*?<span class="count">(\d+)', page)
    assert bars[0] == ("error", "CG203", "2")
    assert '<span class="count">2</span><span class="repos-n">in 1 repo</span>' in page  # both in the llama card
    assert sorted(bars[1:]) == sorted([("warning", "CG003", "1"), ("warning", "CG010", "1"), ("error", "CG101", "1"),
                                       ("error", "CG105", "1"), ("error", "CG202", "1"), ("warning", "CG204", "1"),
                                       ("error", "CG405", "1")])


@pytest.mark.parametrize("severities", [("info", "warning", "error"), ("error", "info", "warning"),
                                        ("warning", "error", "info")])
def test_a_rule_is_coloured_by_its_most_severe_finding_in_any_order(tmp_path: Path, severities: tuple[str, ...]) -> None:
    results = [result(f"acme/r{number}", finding("CG900", severity, 1, "x")) for number, severity in enumerate(severities)]
    results.append(result("acme/other", finding("CG901", "warning", 1, "x"), finding("CG901", "info", 2, "x")))
    page = render(tmp_path, results)
    bars = dict((code, severity) for severity, code in
                re.findall(r'<li class="(\w+)"[^>]*><button type="button" class="rule"[^>]*><code>(CG\d+)</code>', page))
    assert bars == {"CG900": "error", "CG901": "warning"}


def test_a_message_repeated_across_findings_and_repos_is_escaped_in_each(tmp_path: Path) -> None:
    hostile = '<img src=x onerror="window.pwned=5">\x07'
    repos = [result(f"acme/r{number}", finding("CG101", "error", 1, hostile), finding("CG101", "error", 2, hostile))
             for number in range(3)]
    page = render(tmp_path, repos)
    shown = '<span class="message">&lt;img src=x onerror=&quot;window.pwned=5&quot;&gt;\\x07</span>'
    assert page.count(shown) == 6
    assert "<img" not in page and "\x07" not in page


def test_the_chart_shows_forty_rules_and_sums_the_rest(tmp_path: Path) -> None:
    codes = [f"CG{900 + number}" for number in range(45)]
    page = render(tmp_path, [result("acme/many", *(finding(code, "info", 1, "x") for code in codes))])
    assert page.count('<button type="button" class="rule"') == 40
    assert "and 5 more rules with 5 findings." in page


def test_no_results_is_still_a_page(tmp_path: Path) -> None:
    page = render(tmp_path, [])
    assert "No findings." in page and "0 repos" in page and page.rstrip().endswith("</html>")


def test_a_failure_midway_leaves_the_old_report_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")

    def results() -> Iterator[dict[str, Any]]:
        yield fleet()[0]
        raise OSError("the audit died")

    with pytest.raises(OSError):
        write_report_html(results(), out)
    assert out.read_text(encoding="utf-8") == "old report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]


def many(count: int) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield result(f"acme/model-{number}", finding("CG101", "error", 3, f"message {number} " + "x" * 200),
                     profile=("trainer", "peft")[number % 2])


def peak_memory(tmp_path: Path, count: int) -> int:
    tracemalloc.start()
    try:
        write_report_html(many(count), tmp_path / f"report-{count}.html")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_rows_are_streamed_not_held(tmp_path: Path) -> None:
    """Ten times the repos: the page grows ten times, the memory held does not."""
    small, large = peak_memory(tmp_path, 400), peak_memory(tmp_path, 4000)
    sizes = [(tmp_path / f"report-{count}.html").stat().st_size for count in (400, 4000)]
    assert sizes[1] > 9 * sizes[0]
    assert large < 2 * small, (small, large)


def test_the_report_gets_the_usual_file_mode(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    write_report_html(iter(fleet()), out)
    reference = tmp_path / "reference.txt"
    reference.write_text("x", encoding="utf-8")
    assert out.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
