"""The Hub id of a model folder: what a card's snippet loads and ``init`` names the card.

One answer per folder, whichever directory the command ran from, in this order:

1. the configuration: ``hub-id = "org/name"`` (docs/sync.md), usually under
   ``[[tool.cardguard.overrides]]`` for that folder;
2. the git remote of a Hub clone: when the folder is the top of a git work tree, the URL of
   its ``origin`` remote, else of the first remote on huggingface.co, hf.co or
   ``$HF_ENDPOINT``'s host (``https://huggingface.co/org/name``, ``git@hf.co:org/name``...);
3. the folder's own name, resolved (``.`` becomes the name of the folder it stands for).

The card's ``model-index`` name is not a source: Trainer writes its output_dir's name there
(``results``, ``tmp_trainer``), never an organisation, and sync writes that name from this
id, so letting the card decide would make the card its own source.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

HUB_HOSTS = ("huggingface.co", "hf.co")
# What the Hub accepts as a model repository name: ASCII letters, digits, "-", "_", ".";
# starting and ending with a letter or digit; at most 96 characters; no "--" or "..".
_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
# The first path segment of Hub URLs that name something other than a model repository.
_NOT_MODEL_PREFIXES = {"datasets", "spaces", "collections", "docs", "papers", "organizations"}
# scp-like git URLs: ``user@host:path`` (no scheme).
_SCP_URL = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>[^/].*)$")


def is_repo_id(value: str) -> bool:
    """True for ``org/name``: the shape the Hub gives a model repository."""
    parts = value.split("/")
    return len(parts) == 2 and all(_is_repo_part(part) for part in parts)


def _is_repo_part(part: str) -> bool:
    return _REPO_PART.fullmatch(part) is not None and "--" not in part and ".." not in part


def resolve_hub_id(model_dir: str | os.PathLike[str], configured: str | None = None) -> str:
    """The Hub id of ``model_dir``: configured, else its Hub remote, else its resolved name."""
    if configured:
        return configured
    folder = os.path.realpath(model_dir)  # os.path, not pathlib: this runs for every card checked
    return hub_id_from_git(folder) or os.path.basename(folder) or "MODEL_ID"


def hub_id_from_git(folder: str | os.PathLike[str]) -> str | None:
    """``org/name`` from the Hub remote of the clone whose top is ``folder``; None when the
    folder is not the top of a work tree, git cannot be run, or no remote is on the Hub."""
    if not os.path.exists(os.path.join(folder, ".git")):  # a folder inside a clone is not the repository itself
        return None
    from cardguard.safe_paths import ask_git

    answer = ask_git(str(folder), "config", "--local", "-z", "--get-regexp", r"^remote\..*\.url$",
                     own_repository=True)
    if answer is None or answer[0] != 0:
        return None
    return hub_id_from_remotes(_remote_urls(answer[1]), hub_hosts())


def _remote_urls(output: bytes) -> dict[str, str]:
    """``git config -z --get-regexp`` output (``key\\nvalue\\0`` entries) as remote name -> URL."""
    urls: dict[str, str] = {}
    for entry in output.decode("utf-8", "replace").split("\0"):
        key, _, value = entry.partition("\n")
        if key.startswith("remote.") and key.endswith(".url"):
            urls.setdefault(key[len("remote."):-len(".url")], value.strip())
    return urls


def hub_id_from_remotes(urls: dict[str, str], hosts: tuple[str, ...]) -> str | None:
    """The id of ``origin`` when it is on the Hub, else of the first remote that is."""
    ordered = ([urls["origin"]] if "origin" in urls else []) + [url for name, url in urls.items() if name != "origin"]
    for url in ordered:
        found = hub_id_from_url(url, hosts)
        if found is not None:
            return found
    return None


def hub_hosts() -> tuple[str, ...]:
    """huggingface.co, hf.co and the host of ``$HF_ENDPOINT`` (a mirror or a private Hub)."""
    endpoint_host, _ = _host_and_path(os.environ.get("HF_ENDPOINT", ""))
    return HUB_HOSTS + ((endpoint_host.lower(),) if endpoint_host else ())


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``$HF_ENDPOINT``'s value cannot be the Hub's address, or None (unset or empty is
    huggingface_hub's default, https://huggingface.co). huggingface_hub parses it when first
    imported and raises on a bad port or IPv6 address, so it is looked at before that."""
    if not endpoint:
        return None
    try:
        split = urlsplit(endpoint)
        split.port  # noqa: B018 -- reading it is the check: a port out of range raises
    except ValueError as error:
        return str(error)
    if split.scheme not in ("http", "https"):
        return "not an http:// or https:// URL"
    if not split.hostname:
        return "no host"
    return None


def hub_id_from_url(url: str, hosts: tuple[str, ...] = HUB_HOSTS) -> str | None:
    """``org/name`` from a clone URL of a Hub model repository, or None.

    ``https://huggingface.co/org/name(.git)``, ``https://user:token@hf.co/org/name``,
    ``ssh://git@hf.co/org/name``, ``git@hf.co:org/name``; dataset and Space URLs are None.
    """
    host, path = _host_and_path(url.strip())
    if host is None or _bare_host(host) not in hosts:
        return None
    parts = [part for part in path.split("/") if part]
    if parts and parts[-1].endswith(".git"):
        parts[-1] = parts[-1][: -len(".git")]
    if len(parts) != 2 or parts[0] in _NOT_MODEL_PREFIXES:
        return None
    candidate = "/".join(parts)
    return candidate if is_repo_id(candidate) else None


def _host_and_path(url: str) -> tuple[str | None, str]:
    if "://" in url:
        try:
            split = urlsplit(url)
            return split.hostname, split.path
        except ValueError:  # a malformed port or IPv6 address
            return None, ""
    scp = _SCP_URL.match(url)
    if scp is None:
        return None, ""
    return scp.group("host").lower(), scp.group("path")


def _bare_host(host: str) -> str:
    return host[len("www."):] if host.startswith("www.") else host
