"""Lines of results.jsonl (the schema the audit writes) for the report.html tests: real rule
codes, a Hub repo, a local folder, an unreadable repo, and hostile text in names and messages."""

from __future__ import annotations

from typing import Any

HOSTILE_NAME = 'evil/<script>window.pwned=1</script>"'
HOSTILE_MESSAGE = '<img src=x onerror="window.pwned=2">&amp; </li></ul><u>under</u>'


def hub_url(repo: str, revision: str) -> str:
    return f"https://huggingface.co/{repo}/blob/{revision}/README.md"


def finding(code: str, severity: str, line: int, message: str, path: str = "README.md") -> dict[str, Any]:
    return {"code": code, "severity": severity, "line": line, "column": 1, "message": message, "path": path}


def result(repo: str, *findings: dict[str, Any], source: str = "hub", revision: str | None = "0123abcd",
           profile: str = "trainer", drift: int = 0, last_modified: str | None = "2026-11-20T09:30:00+00:00",
           status: str = "checked", error: str | None = None) -> dict[str, Any]:
    """One results.jsonl line; the counts are those of ``findings``."""
    if source == "hub":
        card_url = hub_url(repo, revision or "main")
    else:
        card_url = f"file://{repo}/README.md"
    severities = [item["severity"] for item in findings]
    return {"repo": repo, "source": source, "revision": revision, "card_url": card_url,
            "profile": profile, "errors": severities.count("error"),
            "warnings": severities.count("warning"), "infos": severities.count("info"),
            "drift": drift, "last_modified": last_modified, "status": status, "error": error,
            "findings": list(findings)}


def fleet() -> list[dict[str, Any]]:
    """A small fleet: most repos of an organisation, one local clone, one unreadable repo."""
    return [
        result("acme/bert-base-finetuned-sst2",
               finding("CG101", "error", 3, "'apache2' is not a license id the Hub accepts; did you mean 'apache-2.0'?"),
               finding("CG405", "error", 41, "region 'training-results' differs from trainer_state.json"),
               finding("CG202", "error", 58, "section 'Limitations' is empty"),
               drift=1, last_modified="2026-11-27T14:02:11+00:00"),
        result("acme/llama-3-8b-lora",
               finding("CG105", "error", 6, "'text-gen' is not a Hub pipeline tag"),
               finding("CG203", "error", 77, "'[More Information Needed]' left from the template"),
               finding("CG203", "error", 80, "'[More Information Needed]' left from the template"),
               profile="peft", drift=2, last_modified="2026-10-03T08:15:00+00:00"),
        result("acme/minilm-embeddings", finding("CG010", "warning", 9, "'no' is read as false by YAML 1.1; quote it"),
               profile="sentence-transformers", last_modified="2026-09-12T17:45:00+00:00"),
        result("acme/whisper-tiny-nl", profile="hub-template", last_modified="2026-11-29T06:00:00+00:00"),
        result("acme/t5-summarizer",
               finding("CG003", "warning", 1, "the card has no YAML metadata block"),
               profile="hub-template", last_modified="2025-12-24T23:59:00+00:00"),
        result(HOSTILE_NAME, finding("CG204", "warning", 12, HOSTILE_MESSAGE), profile="hub-template"),
        result("/srv/models/resnet-local", source="local", revision=None, profile="auto", last_modified=None),
        result("acme/private-draft", status="unreadable", error="401 Unauthorized: the repo is gated",
               profile="auto", last_modified=None, revision=None),
    ]


def previous_fleet() -> list[dict[str, Any]]:
    """The run before: the BERT repo had one error fewer, the T5 repo had one error more."""
    return [
        result("acme/bert-base-finetuned-sst2",
               finding("CG101", "error", 3, "'apache2' is not a license id"),
               finding("CG202", "error", 58, "section 'Limitations' is empty")),
        result("acme/llama-3-8b-lora", finding("CG105", "error", 6, "x"), drift=2, profile="peft"),
        result("acme/t5-summarizer", finding("CG005", "error", 2, "bad YAML"), finding("CG003", "warning", 1, "x")),
        result("acme/retired-model", finding("CG005", "error", 2, "bad YAML")),
    ]
