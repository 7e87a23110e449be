"""report.html in a real headless Chromium, driven by selenium (issue 15).

The page loads with no console error and asks for nothing but its own file; a click on a column
header sorts the repos; the filter hides rows; the findings link to their lines on the Hub;
hostile text stays text. A screenshot is saved under tmp_path (and copied to the path in
CARDGUARD_REPORT_SCREENSHOT when set, for a human to look at).

Needs Debian's chromium and chromium-driver (.ci/run installs them) and selenium (test extra);
skips, naming what is missing, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit_report_samples import HOSTILE_NAME, fleet, hub_url, previous_fleet, result

from cardguard.report.audit_html import write_report_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1400")

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the test extra)")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def report_uri(tmp_path: Path) -> str:
    report = tmp_path / "report.html"
    write_report_html(iter(fleet()), report, previous=iter(previous_fleet()))
    return report.as_uri()


@pytest.fixture()
def page(browser: Any, report_uri: str) -> Any:
    browser.get_log("browser")  # start each page with empty logs
    browser.get_log("performance")
    browser.get(report_uri)
    return browser


def repo_order(driver: Any) -> list[str]:
    return [row.get_attribute("data-repo") for row in driver.find_elements(By.CSS_SELECTOR, "tbody.repo")]


def visible_repos(driver: Any) -> list[str]:
    return [row.get_attribute("data-repo") for row in driver.find_elements(By.CSS_SELECTOR, "tbody.repo")
            if row.is_displayed()]


def click_header(driver: Any, key: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'th[data-key="{key}"] button').click()


def requested_urls(driver: Any) -> list[str]:
    """Every URL requested since the log was last read (DevTools events in the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


# The browser's own new tab page, open before the report loads, requests these (some logged
# after the report's own request).
BROWSER_SCHEMES = ("chrome:", "chrome-untrusted:", "devtools:")


def requests_from(driver: Any, document: str) -> list[str]:
    """The URLs requested from ``document``'s own request on, but the browser's own pages'."""
    urls = requested_urls(driver)
    urls = urls[urls.index(document):] if document in urls else urls
    return [url for url in urls if not url.startswith(BROWSER_SCHEMES)]


def test_loads_without_console_errors_or_requests(page: Any, report_uri: str) -> None:
    assert page.title.startswith("cardguard audit: 8 repos")
    assert [entry for entry in page.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")] == []
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert requests_from(page, report_uri) == [report_uri]


def test_hostile_text_stays_text(page: Any) -> None:
    assert page.execute_script("return window.pwned") is None
    assert page.find_elements(By.CSS_SELECTOR, "img, u") == []
    names = [cell.text for cell in page.find_elements(By.CSS_SELECTOR, "tbody.repo .name")]
    assert HOSTILE_NAME in names


def test_clicking_a_header_sorts(page: Any) -> None:
    # The page opens sorted by errors, most first.
    errors = [int(value) for value in page.execute_script(
        "return Array.from(document.querySelectorAll('tbody.repo')).map(r => r.dataset.errors)")]
    assert errors == sorted(errors, reverse=True) and errors[0] > errors[-1]
    click_header(page, "repo")
    assert repo_order(page) == sorted(repo_order(page))
    assert page.find_element(By.CSS_SELECTOR, 'th[data-key="repo"]').get_attribute("aria-sort") == "ascending"
    click_header(page, "repo")
    assert repo_order(page) == sorted(repo_order(page), reverse=True)
    click_header(page, "modified")
    dates = page.execute_script(
        "return Array.from(document.querySelectorAll('tbody.repo')).map(r => r.dataset.modified)")
    assert dates == sorted(dates)


def test_filters_hide_rows(page: Any) -> None:
    everything = visible_repos(page)
    assert len(everything) == 8
    page.find_element(By.ID, "filter").send_keys("llama")
    assert visible_repos(page) == ["acme/llama-3-8b-lora"]
    assert page.find_element(By.ID, "shown").text == "1 of 8 repos"
    page.find_element(By.ID, "filter").clear()
    page.find_element(By.ID, "filter").send_keys("more information needed")  # a finding's message
    assert visible_repos(page) == ["acme/llama-3-8b-lora"]
    page.find_element(By.ID, "filter").send_keys(" zzz")
    assert visible_repos(page) == [] and page.find_element(By.ID, "no-match").is_displayed()
    page.find_element(By.ID, "filter").clear()
    page.find_element(By.ID, "filter").send_keys(" ")
    Select(page.find_element(By.ID, "severity")).select_by_value("clean")
    assert sorted(visible_repos(page)) == ["/srv/models/resnet-local", "acme/whisper-tiny-nl"]
    Select(page.find_element(By.ID, "severity")).select_by_value("")
    Select(page.find_element(By.ID, "profile")).select_by_value("peft")
    assert visible_repos(page) == ["acme/llama-3-8b-lora"]


def test_a_rule_of_the_chart_filters_the_repos(page: Any) -> None:
    page.find_element(By.CSS_SELECTOR, 'button.rule[data-code="CG405"]').click()
    assert page.find_element(By.ID, "filter").get_attribute("value") == "CG405"
    assert visible_repos(page) == ["acme/bert-base-finetuned-sst2"]


def test_a_fleet_without_findings_loads_cleanly(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    write_report_html(iter([result("acme/clean"), result("acme/also-clean")]), report)
    browser.get_log("browser")
    browser.get(report.as_uri())
    assert browser.get_log("browser") == []
    click_header(browser, "repo")
    assert repo_order(browser) == ["acme/also-clean", "acme/clean"]


def test_findings_link_to_their_lines_on_the_hub(page: Any) -> None:
    row = page.find_element(By.CSS_SELECTOR, 'tbody.repo[data-repo="acme/bert-base-finetuned-sst2"]')
    findings = row.find_element(By.CSS_SELECTOR, "tr.findings")
    assert not findings.is_displayed()
    row.find_element(By.CSS_SELECTOR, "button.toggle").click()
    assert findings.is_displayed()
    links = [link.get_attribute("href") for link in findings.find_elements(By.CSS_SELECTOR, "a.where")]
    card = hub_url("acme/bert-base-finetuned-sst2", "0123abcd")
    assert links == [f"{card}#L3", f"{card}#L41", f"{card}#L58"]
    local = page.find_element(By.CSS_SELECTOR, 'tbody.repo[data-repo="/srv/models/resnet-local"] th a')
    assert local.get_attribute("href") == "file:///srv/models/resnet-local/README.md"


def test_screenshot(page: Any, tmp_path: Path) -> None:
    page.find_element(By.ID, "expand-all").click()
    time.sleep(0.2)  # let the layout settle before the capture
    height = page.execute_script("return document.documentElement.scrollHeight")
    page.set_window_size(1280, min(height + 140, 4000))
    shot = tmp_path / "report.png"
    assert page.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("CARDGUARD_REPORT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["CARDGUARD_REPORT_SCREENSHOT"])


def test_the_network_checks_can_fail(browser: Any, tmp_path: Path) -> None:
    """A page that loads an image from a (closed) loopback port fails both checks above."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><title>leaky</title><img src="http://127.0.0.1:9/pixel.png">', encoding="utf-8")
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(leaky.as_uri())
    time.sleep(0.5)  # the image's request fails asynchronously
    assert "http://127.0.0.1:9/pixel.png" in requests_from(browser, leaky.as_uri())
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] != []
