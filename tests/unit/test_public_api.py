"""The public API (cardguard/api.py): importing cardguard and calling it print nothing, exit
nowhere and change no global state of the program that uses it.

Each case runs in a fresh interpreter (tests/unit/test_public_api.py's PROBE), which records
the process's global state, imports a package, calls its ``validate`` when it has one, and
writes what changed to a JSON file; :func:`state_changes` turns that record into a list of
findings, empty for cardguard. The same probe and the same helper catch a package that does
change something (``NOISY``): the assertions can fail.

``re``'s compile cache has no public way to be read: it is observed through public behaviour
only. Before the import, each caching function of ``re`` (compile, match, search, ...) is
wrapped to count the calls made from the imported package's own files (``traceback``, public,
tells which file called); importing cardguard must make none. After the import and the call,
a pattern compiled beforehand must still come back from ``re.compile`` as the same object:
an ``re.purge()``, or a stand-in put in the cache, would make it a different one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cardguard

PACKAGE_ROOT = Path(cardguard.__file__).resolve().parents[1]  # the cardguard under test
CARD = PACKAGE_ROOT / "examples" / "tiny-bert-classifier" / "README.md"

PROBE = r'''
import json, logging, os, re, sys, traceback, warnings

module_name, card, record_file = sys.argv[1:4]
RE_FUNCTIONS = ("compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer",
                "purge")


def state():
    root = logging.getLogger()
    return {
        "sys.path": list(sys.path),
        "logging root": [root.level, [repr(handler) for handler in root.handlers]],
        "loggers": sorted(logging.Logger.manager.loggerDict),
        "warnings.filters": [repr(item) for item in warnings.filters],
        "os.environ": dict(os.environ),
        "working folder": os.getcwd(),
        "sys.excepthook": repr(sys.excepthook),
    }


package_files = []  # the imported package's folder, known once it is found
re_calls = []


inside = []  # the wrapper is running: re calls made by traceback itself go straight through


def counting(name, function):
    def wrapper(*args, **kwargs):
        if not inside:
            inside.append(True)
            try:
                callers = {frame.filename for frame in traceback.extract_stack()[:-1]}
            finally:
                inside.pop()
            if any(filename.startswith(tuple(package_files)) for filename in callers):
                re_calls.append(name)
        return function(*args, **kwargs)
    return wrapper


# traceback imports linecache and tokenize on first use (3.13), and tokenize compiles patterns
# as it loads: load them now, before re's functions are wrapped.
traceback.extract_stack()


record = {"re calls on import": [], "changed by import": [], "changed by call": [], "exit": None}
mine = re.compile("a pattern the program compiled before importing the package")
import importlib.util
spec = importlib.util.find_spec(module_name)
package_files.append(os.path.dirname(spec.origin) + os.sep)
originals = {name: getattr(re, name) for name in RE_FUNCTIONS}
for name, function in originals.items():
    setattr(re, name, counting(name, function))
before = state()
try:
    module = importlib.import_module(module_name)
finally:
    for name, function in originals.items():
        setattr(re, name, function)
record["re calls on import"] = re_calls
after_import = state()
record["changed by import"] = [key for key in before if after_import[key] != before[key]]
try:
    if hasattr(module, "validate"):
        report = module.validate(card)
        record["cards"] = len(report.cards)
        record["exit code"] = report.exit_code()
except SystemExit as stop:
    record["exit"] = repr(stop.code)
after_call = state()
record["changed by call"] = [key for key in before if after_call[key] != before[key]]
record["re cache kept"] = re.compile(mine.pattern) is mine
with open(record_file, "w", encoding="utf-8") as stream:
    json.dump(record, stream)
'''


def probe(module: str, tmp_path: Path, extra_path: Path | None = None) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run PROBE on ``module`` in a fresh interpreter; its output and its record."""
    record_file = tmp_path / "record.json"
    search_path = [str(PACKAGE_ROOT)] + ([str(extra_path)] if extra_path else [])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(search_path), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", PROBE, module, str(CARD), str(record_file)],
                            capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    record = json.loads(record_file.read_text(encoding="utf-8")) if record_file.exists() else {}
    return result, record


def state_changes(result: subprocess.CompletedProcess[str], record: dict) -> list[str]:
    """Everything the probed package did to the program around it, one line each."""
    changes = []
    if result.returncode != 0 or not record:
        changes.append(f"the probe failed (exit {result.returncode}): {result.stderr[-2000:]}")
    if result.stdout:
        changes.append(f"printed on stdout: {result.stdout[:200]!r}")
    if result.stderr and result.returncode == 0:
        changes.append(f"printed on stderr: {result.stderr[:200]!r}")
    if record.get("exit") is not None:
        changes.append(f"raised SystemExit({record['exit']})")
    changes += [f"import changed {what}" for what in record.get("changed by import", [])]
    changes += [f"call changed {what}" for what in record.get("changed by call", [])
                if what not in record.get("changed by import", [])]
    if record.get("re calls on import"):
        changes.append(f"import called re.{', re.'.join(sorted(set(record['re calls on import'])))}")
    if record and not record.get("re cache kept"):
        changes.append("re's cache lost a pattern the program had compiled")
    return changes


def test_importing_cardguard_and_validating_a_card_changes_nothing_around_it(tmp_path: Path) -> None:
    result, record = probe("cardguard", tmp_path)
    assert state_changes(result, record) == []
    assert (record["cards"], record["exit code"]) == (1, 0)


# Packages that each do one thing cardguard must not: the probe above reports exactly that.
NOISY = {
    "sys.path": ("import sys\nsys.path.append('/elsewhere')\n", "import changed sys.path"),
    "warnings": ("import warnings\nwarnings.simplefilter('ignore')\n", "import changed warnings.filters"),
    "logging root": ("import logging\nlogging.basicConfig()\n", "import changed logging root"),
    "logger": ("import logging\nlog = logging.getLogger('noisy')\n", "import changed loggers"),
    "re compile": ("import re\nWORD = re.compile('[a-z]+')\n", "import called re.compile"),
    "re purge": ("import re\nre.purge()\n", "import called re.purge"),
    "printing": ("import cardguard\ndef validate(path):\n    print('checked', path)\n    return cardguard.validate(path)\n",
                 "printed on stdout"),
    "exiting": ("def validate(path):\n    raise SystemExit(1)\n", "raised SystemExit(1)"),
    "environment": ("import os\nos.environ['NOISY'] = '1'\n", "import changed os.environ"),
}


@pytest.mark.parametrize("kind", sorted(NOISY))
def test_the_probe_catches_a_package_that_changes_something(tmp_path: Path, kind: str) -> None:
    source, expected = NOISY[kind]
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "__init__.py").write_text(source, encoding="utf-8")
    result, record = probe("noisy", tmp_path, extra_path=tmp_path)
    changes = state_changes(result, record)
    assert [change for change in changes if change.startswith(expected)] != [], changes
    purge_also_loses_a_pattern = ["re's cache lost a pattern the program had compiled"]
    assert len(changes) == 1 or (kind == "re purge" and changes[1:] == purge_also_loses_a_pattern), changes


def test_the_api_is_reached_from_the_package_without_loading_it_at_import() -> None:
    """``cardguard.validate`` & co. are the API's; ``import cardguard`` alone loads none of it."""
    probe_script = ("import sys, cardguard\nloaded = 'cardguard.api' in sys.modules\n"
                    "from cardguard import Report, UsageError, check, init, read_facts, sync, validate\n"
                    "import cardguard.api as api\n"
                    "print(loaded, validate is api.validate, Report is api.Report, UsageError is api.UsageError)\n")
    result = subprocess.run([sys.executable, "-c", probe_script], capture_output=True, text=True, cwd=PACKAGE_ROOT,
                            check=False)
    assert result.stdout.split() == ["False", "True", "True", "True"], result.stderr


def api_doc_examples() -> str:
    """The ``python`` code blocks of docs/api.md, in order, as one doctest text."""
    import re

    text = (PACKAGE_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"^```python\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL))


def test_the_examples_in_docs_api_md_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``>>>`` line of docs/api.md runs, in a folder holding a copy of the example model
    folder, and prints what the page says it prints."""
    import doctest
    import io

    shutil.copytree(PACKAGE_ROOT / "examples" / "tiny-bert-classifier", tmp_path / "tiny-bert-classifier")
    monkeypatch.chdir(tmp_path)
    examples = api_doc_examples()
    test = doctest.DocTestParser().get_doctest(examples, {}, "docs/api.md", "docs/api.md", 0)
    assert len(test.examples) > 20
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    output = io.StringIO()
    runner.run(test, out=output.write)
    assert runner.summarize(verbose=False).failed == 0, output.getvalue()


def test_exit_code_follows_fail_on_each_cards_configuration_and_a_sync_change() -> None:
    from cardguard import CardReport, Report
    from cardguard.findings import Finding, Severity

    warning = Finding(code="CG999", severity=Severity.WARNING, path="a/README.md", line=1, column=1, message="m")
    strict = CardReport("a/README.md", (warning,), fail_on=Severity.WARNING)
    lenient = CardReport("b/README.md", (warning,), fail_on=Severity.ERROR)
    not_reached = CardReport("c/README.md", (), fail_on=None)  # the run had no time left for it
    assert [Report("check", (card,)).exit_code() for card in (strict, lenient, not_reached)] == [1, 0, 1]
    assert [Report("check", (card,)).exit_code("never") for card in (strict, lenient, not_reached)] == [0, 0, 0]
    assert Report("check", (lenient,)).exit_code("info") == 1
    changed = CardReport("d/README.md", (), fail_on=Severity.ERROR, changed=True)
    assert (Report("check", (changed,)).exit_code(), Report("sync", (changed,)).exit_code("never")) == (0, 1)
    assert Report("check", (strict, lenient)).counts == {"error": 0, "warning": 2, "info": 0}
    with pytest.raises(ValueError):
        Report("check", (strict,)).exit_code("fatal")


@pytest.mark.parametrize(("call", "message"), [
    (lambda api, here: api.validate(here / "missing"), "no such file or directory"),
    (lambda api, here: api.check(here, hub_revision="dev"), "--hub-revision needs --hub-repo"),
    (lambda api, here: api.sync(here, timeout=0), "timeout must be a positive number of seconds"),
    (lambda api, here: api.read_facts(here / "README.md"), "not a folder"),
    (lambda api, here: api.validate(here, config=here / "none.toml"), "no such file"),
])
def test_what_the_caller_must_change_is_a_usage_error(tmp_path: Path, call: object, message: str) -> None:
    from cardguard import api

    shutil.copytree(CARD.parent, tmp_path / "model")
    with pytest.raises(api.UsageError, match=message):
        call(api, tmp_path / "model")  # type: ignore[operator]
