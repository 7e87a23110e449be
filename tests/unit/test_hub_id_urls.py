"""The clone URLs cardguard reads a Hub id from (cardguard/artifacts/hub_id.py), and those it ignores."""

from __future__ import annotations

import pytest

from cardguard.artifacts.hub_id import HUB_HOSTS, hub_id_from_remotes, hub_id_from_url, hub_hosts, is_repo_id


@pytest.mark.parametrize(("url", "expected"), [
    ("https://huggingface.co/acme/bert", "acme/bert"),
    ("https://huggingface.co/acme/bert.git", "acme/bert"),
    ("https://huggingface.co/acme/bert/", "acme/bert"),
    ("https://user:hf_secret@huggingface.co/acme/bert", "acme/bert"),
    ("https://hf.co/acme/bert", "acme/bert"),
    ("https://www.huggingface.co/acme/bert", "acme/bert"),
    ("ssh://git@hf.co/acme/bert.git", "acme/bert"),
    ("git@hf.co:acme/bert.git", "acme/bert"),
    ("git@hf.co:acme/bert", "acme/bert"),
    ("https://huggingface.co/datasets/acme/reviews", None),
    ("https://huggingface.co/spaces/acme/demo", None),
    ("https://huggingface.co/gpt2", None),  # no organisation: the folder's name serves as well
    ("https://github.com/acme/bert", None),
    ("git@github.com:acme/bert.git", None),
    ("https://huggingface.co.evil.example/acme/bert", None),
    ("https://huggingface.co/acme/bert--x", None),
    ("/srv/mirrors/acme/bert", None),
    ("", None),
    ("https://[::1/acme/bert", None),
])
def test_hub_id_from_url(url: str, expected: str | None) -> None:
    assert hub_id_from_url(url, HUB_HOSTS) == expected


def test_hf_endpoint_host_counts_as_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.internal.example:8443")
    assert hub_id_from_url("https://hub.internal.example:8443/acme/bert", hub_hosts()) == "acme/bert"
    monkeypatch.delenv("HF_ENDPOINT")
    assert hub_id_from_url("https://hub.internal.example:8443/acme/bert", hub_hosts()) is None


def test_origin_wins_over_other_hub_remotes() -> None:
    urls = {"mirror": "https://hf.co/acme/mirror", "origin": "https://hf.co/acme/bert"}
    assert hub_id_from_remotes(urls, HUB_HOSTS) == "acme/bert"
    assert hub_id_from_remotes({"origin": "https://github.com/a/b", "hf": "git@hf.co:acme/bert"}, HUB_HOSTS) == "acme/bert"


@pytest.mark.parametrize(("value", "ok"), [
    ("acme/bert", True), ("a/b", True), ("acme/bert.v2_final-1", True), ("bert", False), ("acme/bert/x", False),
    ("acme/-bert", False), ("acme/bert.", False), ("acme/be..rt", False), ("acme/be--rt", False),
    ("acme/" + "b" * 96, True), ("acme/" + "b" * 97, False), ("acmé/bert", False), ("acme/ber t", False),
])
def test_is_repo_id(value: str, ok: bool) -> None:
    assert is_repo_id(value) is ok


@pytest.mark.parametrize("endpoint", ["http://[::1", "not a url", ""])
def test_an_unusable_hf_endpoint_adds_no_host(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    assert hub_hosts() == HUB_HOSTS
