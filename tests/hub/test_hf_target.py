"""``materialise`` (cardguard/artifacts/hub_repo.py) against the fake Hub, in a child process.

examples/tiny-bert-classifier is served as ``org/tiny-bert``; the real huggingface_hub client in
a child (tests/hub/client.py says why a child) lists it and writes the virtual model folder.
The tests look at what landed in the folder and at what the server was asked for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.client import run_client
from hub.repos import folder_files
from hub.server import FakeHub

REPO = "org/tiny-bert"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
SMALL_FILES = {"README.md", ".cardguard.toml", "config.json", "tokenizer_config.json", "trainer_state.json",
               "all_results.json", "train_results.json", "eval_results.json", "training_args.bin"}


@pytest.fixture()
def files() -> dict[str, bytes]:
    # an .eval_results entry without dataset and value, so that validate and check have findings
    return {**folder_files(EXAMPLE), ".eval_results/glue.yaml": b"- task: {type: text-classification}\n"}


@pytest.fixture()
def hub(files: dict[str, bytes]) -> Iterator[FakeHub]:
    with FakeHub({REPO: {"main": files}}) as server:
        yield server


def materialise_in_child(hub: FakeHub, home: Path, into: Path, revision: str | None = None,
                         limits: str = "Limits()") -> dict[str, Any]:
    """The child's answer: ``result`` is what materialise returned; ``error`` what it raised."""
    return run_client(hub, home, f"""
        from pathlib import Path
        from cardguard.artifacts.hub_repo import materialise
        from cardguard.limits import Limits
        done = materialise("{REPO}", {revision!r}, Path({str(into)!r}), {limits})
        result = {{"folder": str(done.folder), "sha": done.source.revision, "repo": done.source.repo_id,
                   "prefix": done.display_prefix, "downloaded": done.downloaded, "pointers": done.pointers,
                   "over_bound": done.over_bound}}
    """)


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    """``files`` written under ``folder`` (a local clone of what the fake serves)."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_the_folder_holds_the_small_files_and_a_pointer_for_the_weights(
        hub: FakeHub, home: Path, tmp_path: Path, files: dict[str, bytes]) -> None:
    answer = materialise_in_child(hub, home, tmp_path / "virtual")
    assert answer["error"] is None, answer["error"]["traceback"]
    done = answer["result"]
    sha = hub.sha(REPO)
    assert (done["repo"], done["sha"], done["prefix"]) == (REPO, sha, f"hf://{REPO}@{sha}/")
    contents = folder_contents(Path(done["folder"]))
    assert set(contents) == SMALL_FILES | {".eval_results/glue.yaml", "model.safetensors"}
    for name in SMALL_FILES | {".eval_results/glue.yaml"}:
        assert contents[name] == files[name], name
    weights = files["model.safetensors"]
    assert contents["model.safetensors"] == (
        b"version https://git-lfs.github.com/spec/v1\n"
        + f"oid sha256:{hashlib.sha256(weights).hexdigest()}\nsize {len(weights)}\n".encode())
    assert done["pointers"] == ["model.safetensors"] and done["over_bound"] == []
    assert "tokenizer.json" not in contents  # a file no reader opens is not fetched


def lfs_object_path(data: bytes) -> str:
    """Where the fake's "CDN" serves a Git LFS file (tests/hub/endpoints.py, cdn_object)."""
    return f"/lfs/{hashlib.sha256(data).hexdigest()}"


def test_no_weights_and_no_unread_file_is_downloaded(hub: FakeHub, home: Path, tmp_path: Path,
                                                     files: dict[str, bytes]) -> None:
    answer = materialise_in_child(hub, home, tmp_path / "virtual")
    assert answer["error"] is None, answer["error"]["traceback"]
    assert hub.requests_to("model.safetensors") == []
    assert hub.requests_to(lfs_object_path(files["model.safetensors"])) == []
    assert hub.requests_to("tokenizer.json") == []
    # training_args.bin is stored with LFS too: fetched, through the same redirect the weights would take
    assert [r.method for r in hub.requests_to(lfs_object_path(files["training_args.bin"]))] == ["GET"]


def test_each_small_file_is_one_get_at_the_listed_commit(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer = materialise_in_child(hub, home, tmp_path / "virtual")
    assert answer["error"] is None, answer["error"]["traceback"]
    sha = hub.sha(REPO)
    assert [r.method for r in hub.requests if r.method != "GET"] == []  # no HEAD first
    for name in answer["result"]["downloaded"]:
        asked = hub.requests_to(f"/{REPO}/resolve/")
        mine = [r for r in asked if r.path.split("?")[0].endswith("/" + name)]
        # one GET, of the commit the listing named (the Hub's own redirect, if any, follows it)
        assert [r.path.split("?")[0] for r in mine] == [f"/{REPO}/resolve/{sha}/{name}"], name


@pytest.mark.parametrize("git_weights_bytes", [None, 1024])
def test_safetensors_git_holds_itself_are_downloaded_when_small_else_range_read(
        home: Path, tmp_path: Path, files: dict[str, bytes], git_weights_bytes: int | None) -> None:
    weights = files["model.safetensors"]  # about 4 KB: under the default bound, over 1024
    with FakeHub() as hub:
        hub.add_repo(REPO, {"main": files}, in_git=["model.safetensors"])
        hub_limits = "None" if git_weights_bytes is None else f"HubLimits(git_weights_bytes={git_weights_bytes})"
        answer = run_client(hub, home, f"""
            from pathlib import Path
            from cardguard.artifacts import read_facts
            from cardguard.artifacts.hub_repo import materialise
            from cardguard.limits import HubLimits
            done = materialise("{REPO}", None, Path({str(tmp_path / 'virtual')!r}), hub_limits={hub_limits})
            facts = read_facts(done.folder, remote=done.source)
            result = {{"downloaded": done.downloaded, "pointers": done.pointers, "folder": str(done.folder),
                       "parameters": facts.weights.parameters, "remote": facts.remote_files}}
        """)
        assert answer["error"] is None, answer["error"]["traceback"]
        ranged = [r.range for r in hub.requests_to("/resolve/") if "model.safetensors" in r.path]
    done = answer["result"]
    held = (Path(done["folder"]) / "model.safetensors").read_bytes()
    assert done["parameters"] > 0
    if git_weights_bytes is None:  # downloaded whole, read like a local file
        assert "model.safetensors" in done["downloaded"] and held == weights and done["remote"] == []
        assert ranged == [None]
    else:  # a pointer by size; its header read by Range from the repo
        assert done["pointers"] == ["model.safetensors"] and held.endswith(f"size {len(weights)}\n".encode())
        assert done["remote"] == ["model.safetensors"] and ranged and all(ranged)


def test_a_file_over_its_bound_is_not_downloaded_but_keeps_its_size(hub: FakeHub, home: Path, tmp_path: Path,
                                                                    files: dict[str, bytes]) -> None:
    bound = len(files["trainer_state.json"]) - 1
    answer = materialise_in_child(hub, home, tmp_path / "virtual", limits=f"Limits(max_json_bytes={bound})")
    assert answer["error"] is None, answer["error"]["traceback"]
    assert "trainer_state.json" in answer["result"]["over_bound"]
    assert [r for r in hub.requests_to("trainer_state.json") if r.method == "GET"] == []
    placeholder = Path(answer["result"]["folder"]) / "trainer_state.json"
    assert placeholder.stat().st_size == len(files["trainer_state.json"])


def test_a_revision_is_resolved_to_its_commit(home: Path, tmp_path: Path, files: dict[str, bytes]) -> None:
    with FakeHub({REPO: {"main": files, "v1": {"README.md": b"# old\n"}}}) as hub:
        answer = materialise_in_child(hub, home, tmp_path / "virtual", revision="v1")
        assert answer["error"] is None, answer["error"]["traceback"]
        assert answer["result"]["sha"] == hub.sha(REPO, "v1") != hub.sha(REPO)
        assert folder_contents(Path(answer["result"]["folder"])) == {"README.md": b"# old\n"}


@pytest.mark.parametrize(("set_up", "message"), [
    (lambda hub: None, "hf://org/missing: no such repo"),
    (lambda hub: hub.fail(429, Retry_After="7", path_contains="/api/models/"), "rate limited by the Hub (HTTP 429); retry after 7 s"),
    (lambda hub: hub.fail(500, path_contains="/api/models/"), "the Hub answered HTTP 500"),
])
def test_a_repo_that_cannot_be_read_is_one_line(hub: FakeHub, home: Path, tmp_path: Path, set_up: Any,
                                                message: str) -> None:
    set_up(hub)
    repo = "org/missing" if "missing" in message else REPO
    answer = run_client(hub, home, f"""
        from pathlib import Path
        from cardguard.artifacts.hub_repo import HubRepoError, materialise
        try:
            materialise("{repo}", None, Path({str(tmp_path / 'virtual')!r}))
        except HubRepoError as error:
            result = str(error)
    """, timeout=120)
    assert answer["error"] is None, answer["error"]["traceback"]
    assert message in answer["result"] and "\n" not in answer["result"]


def test_a_missing_revision_is_one_line(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer = run_client(hub, home, f"""
        from pathlib import Path
        from cardguard.artifacts.hub_repo import HubRepoError, materialise
        try:
            materialise("{REPO}", "no-such-branch", Path({str(tmp_path / 'virtual')!r}))
        except HubRepoError as error:
            result = str(error)
    """)
    assert answer["error"] is None, answer["error"]["traceback"]
    assert answer["result"] == f"hf://{REPO}@no-such-branch: no such revision"


# -- hf:// as a target of the public API ------------------------------------------------------


def findings_in_child(hub: FakeHub, home: Path, command: str, target: str) -> list[list[Any]]:
    answer = run_client(hub, home, f"""
        import cardguard
        report = cardguard.{command}({target!r})
        result = [[f.code, f.path, f.line, f.column, f.message] for f in report.findings]
    """, timeout=120)
    assert answer["error"] is None, answer["error"]["traceback"]
    return answer["result"]


def with_paths_after(prefix: str, findings: list[list[Any]]) -> list[list[Any]]:
    """The findings with ``prefix`` cut from their paths (every path must start with it)."""
    assert all(path.startswith(prefix) for _, path, *_ in findings), findings
    return [[code, path[len(prefix):], *rest] for code, path, *rest in findings]


@pytest.mark.parametrize("command", ["validate", "check"])
def test_remote_and_local_give_the_same_findings(hub: FakeHub, home: Path, tmp_path: Path, command: str,
                                                 files: dict[str, bytes]) -> None:
    local = write_tree(tmp_path / "local", files)
    sha = hub.sha(REPO)
    remote = findings_in_child(hub, home, command, f"hf://{REPO}")
    here = findings_in_child(hub, home, command, str(local))
    assert remote, "the example card has findings to compare"
    assert with_paths_after(f"hf://{REPO}@{sha}/", remote) == with_paths_after(f"{local}/", here)
    weights_requests = hub.requests_to(lfs_object_path(files["model.safetensors"]))
    if command == "validate":  # metadata only: the weights are not looked at
        assert weights_requests == []
    else:  # the header, by Range requests, never the whole file
        assert weights_requests and all(r.range for r in weights_requests if r.method == "GET")


def test_facts_of_a_hub_repo_name_it_and_read_the_weights_header(hub: FakeHub, home: Path) -> None:
    answer = run_client(hub, home, f"""
        import cardguard
        facts = cardguard.read_facts("hf://{REPO}")
        result = {{"model_dir": facts.model_dir, "remote": facts.remote_files,
                   "parameters": facts.weights.parameters, "findings": [f.message for f in facts.findings]}}
    """)
    assert answer["error"] is None, answer["error"]["traceback"]
    sha = hub.sha(REPO)
    assert answer["result"]["model_dir"] == f"hf://{REPO}@{sha}"
    assert answer["result"]["remote"] == [f"hf://{REPO}@{sha}/model.safetensors"]
    assert answer["result"]["parameters"] > 0


def test_the_cli_checks_a_hub_repo_and_a_missing_one_is_exit_2(hub: FakeHub, home: Path) -> None:
    answer = run_client(hub, home, f"""
        import subprocess, sys
        runs = [subprocess.run([sys.executable, "-m", "cardguard", "check", target], capture_output=True, text=True)
                for target in ("hf://{REPO}", "hf://org/missing", "hf://not-a-repo")]
        result = [[run.returncode, run.stdout, run.stderr] for run in runs]
    """, timeout=180)
    assert answer["error"] is None, answer["error"]["traceback"]
    (found, out, _), (missing, _, missing_err), (bad, _, bad_err) = answer["result"]
    # the served .eval_results/glue.yaml lacks dataset and value: errors, shown at their Hub path
    assert found == 1 and f"hf://{REPO}@{hub.sha(REPO)}/.eval_results/glue.yaml:1:3: CG116 error" in out
    assert missing == 2 and missing_err.strip().count("\n") == 0 and "hf://org/missing: no such repo" in missing_err
    assert bad == 2 and "not a Hub model repo" in bad_err and "Traceback" not in bad_err


@pytest.mark.parametrize("call", ['cardguard.sync("hf://org/tiny-bert")', 'cardguard.check("hf://org/tiny-bert", fix=True)'])
def test_a_write_to_a_hub_target_is_refused_before_any_request(hub: FakeHub, home: Path, call: str) -> None:
    answer = run_client(hub, home, f"""
        import cardguard
        try:
            {call}
        except cardguard.UsageError as error:
            result = str(error)
    """)
    assert answer["error"] is None, answer["error"]["traceback"]
    assert "cannot write to a Hub repo" in answer["result"]
    assert hub.requests == []


def refusal_in_child(hub: FakeHub, home: Path, repo: str, token: str | None = "hf_fake_token") -> str:
    answer = run_client(hub, home, f"""
        import cardguard
        try:
            cardguard.check("hf://{repo}")
        except cardguard.UsageError as error:
            result = str(error)
    """, token=token)
    assert answer["error"] is None, answer["error"]["traceback"]
    return answer["result"]


def test_gated_private_and_unauthorised_repos_are_one_line_each(hub: FakeHub, home: Path,
                                                                files: dict[str, bytes]) -> None:
    hub.add_repo("org/gated", {"main": files}, gated="auto")
    hub.add_repo("org/private", {"main": files}, private=True)
    gated = refusal_in_child(hub, home, "org/gated")
    private = refusal_in_child(hub, home, "org/private")
    unknown_token = refusal_in_child(hub, home, REPO, token="hf_not_known_here")
    # a gated repo lists its files to anyone: the refusal comes with the first download, at the commit
    assert gated == (f"hf://org/gated@{hub.sha('org/gated')}: the repo is gated: accept its conditions on the Hub"
                     " and log in (HF_TOKEN)")
    assert private.startswith("hf://org/private: no such repo, or it is private")
    assert unknown_token == f"hf://{REPO}: not authorised (HTTP 401): check HF_TOKEN or the saved login"


# -- configuration and shown paths of a Hub target ---------------------------------------------------


def cli_runs_in_child(hub: FakeHub, home: Path, runs: list[list[str]], env: dict[str, str] | None = None
                      ) -> list[list[Any]]:
    """``[returncode, stdout, stderr]`` of ``python -m cardguard ARGS`` for each ARGS, in a child
    pointed at ``hub`` (with ``env`` added to its environment)."""
    answer = run_client(hub, home, f"""
        import os, subprocess, sys
        env = {{**os.environ, **{env or {}!r}}}
        result = [[run.returncode, run.stdout, run.stderr] for run in (
            subprocess.run([sys.executable, "-m", "cardguard", *args], capture_output=True, text=True, env=env)
            for args in {runs!r})]
    """, timeout=240)
    assert answer["error"] is None, answer["error"]["traceback"]
    return answer["result"]


def test_a_configuration_above_the_temporary_folder_does_not_apply(tmp_path: Path, home: Path,
                                                                    files: dict[str, bytes]) -> None:
    # the repo has no configuration of its own; the machine's temporary folder (TMPDIR) and the
    # folder above it hold ones that would silence every error, and a template of their own
    served = {name: data for name, data in files.items() if name != ".cardguard.toml"}
    temporary = tmp_path / "tmp"
    (temporary / ".cardguard" / "templates").mkdir(parents=True)
    (temporary / ".cardguard.toml").write_text('ignore = ["CG116"]\nfail-on = "never"\n')
    (temporary / ".cardguard" / "templates" / "hyperparameters.md.j2").write_text("PLANTED\n")
    (tmp_path / "pyproject.toml").write_text('[tool.cardguard]\nignore = ["CG116"]\nfail-on = "never"\n')
    explicit = tmp_path / "mine.toml"
    explicit.write_text('ignore = ["CG116"]\n')
    with FakeHub({REPO: {"main": served}}) as hub:
        (plain, out, _), (with_config, quiet_out, _) = cli_runs_in_child(
            hub, home, [["check", f"hf://{REPO}"], ["check", "--config", str(explicit), f"hf://{REPO}"]],
            env={"TMPDIR": str(temporary)})
    assert plain == 1 and "CG116 error" in out and "PLANTED" not in out  # the planted files were not read
    assert with_config == 0 and "CG116" not in quiet_out  # the user's own --config is


def test_findings_about_the_configuration_and_eval_results_show_hub_paths(tmp_path: Path, home: Path,
                                                                          files: dict[str, bytes]) -> None:
    served = {**files, ".cardguard.toml": b'profile = "trainer"\neval-results-files = true\n'
              b'[evaluation]\ndataset = "nyu-mll/glue"\ntask-id = "sst2"\nmetric = "accuracy"\n'
              b'[limits]\njson-bytes = 999999999999\n'}
    del served[".eval_results/glue.yaml"]
    with FakeHub({REPO: {"main": served}}) as hub:
        runs = cli_runs_in_child(hub, home, [["check", f"hf://{REPO}"], ["check", "--format", "json", f"hf://{REPO}"],
                                             ["validate", f"hf://{REPO}"]])
        shown = f"hf://{REPO}@{hub.sha(REPO)}"
    (_, out, err), (_, json_out, _), (_, validate_out, _) = runs
    assert f"{shown}/.cardguard.toml:8:1: CG503 warning" in out  # the limit above its ceiling
    assert f"{shown}/.eval_results/glue.yaml:1:1: CG417 error" in out  # the entry sync would write
    assert f"+++ b/{shown}/.eval_results/glue.yaml" in out  # and its diff
    for output in (out, err, json_out, validate_out):
        assert "cardguard-hf-" not in output and str(tmp_path) not in output


# -- a model in a subfolder of the repo ----------------------------------------------------------------


def test_a_model_in_a_subfolder_is_checked_as_in_a_clone(tmp_path: Path, home: Path, files: dict[str, bytes]) -> None:
    # the repo's root configuration and templates apply to the folder below it, as in a clone;
    # findings about the configuration are shown at the root, not below the model folder
    root_config = b'severity = { CG116 = "warning" }\n[limits]\njson-bytes = 999999999999\n'
    served = {".cardguard.toml": root_config, "README.md": b"# a repo of several models\n",
              ".cardguard/templates/hyperparameters.md.j2": b"From the repo's own template.\n",
              **{f"models/bert/{name}": data for name, data in files.items() if name != ".cardguard.toml"}}
    clone = write_tree(tmp_path / "clone", served)
    with FakeHub({REPO: {"main": served}}) as hub:
        remote = findings_in_child(hub, home, "check", f"hf://{REPO}/models/bert")
        local = findings_in_child(hub, home, "check", str(clone / "models" / "bert"))
        sha = hub.sha(REPO)
        weights = [r for r in hub.requests_to(f"/{REPO}/resolve/{sha}/models/bert/model.safetensors")]
        missing = cli_runs_in_child(hub, home, [["check", f"hf://{REPO}/models/gpt"]])
    assert with_paths_after(f"hf://{REPO}@{sha}/", remote) == with_paths_after(f"{clone}/", local)
    shown = {(code, path) for code, path, *_ in remote}
    assert {("CG503", f"hf://{REPO}@{sha}/.cardguard.toml"),
            ("CG116", f"hf://{REPO}@{sha}/models/bert/.eval_results/glue.yaml")} <= shown
    assert any(code == "CG405" and "'hyperparameters'" in message for code, _, _, _, message in remote)
    assert weights and all(r.range for r in weights)  # the header, read from the subfolder's file
    [(code, out, err)] = missing
    assert code == 2 and out == "" and err.strip() == (
        f"cardguard: error: hf://{REPO}@{sha}/models/gpt: no such folder in the repo")


@pytest.mark.parametrize("spec", ["hf://org", "hf://org/na me", "hf://org/name@", "hf://org/name/../x",
                                  "hf://org/name//x", "hf://../name"])
def test_a_spec_that_names_no_repo_is_refused_before_any_request(spec: str) -> None:
    from cardguard.run.hub_targets import parse_hub_spec
    from cardguard.settings.targets import TargetError

    with pytest.raises(TargetError, match="not a Hub model repo; write hf://ORG/NAME"):
        parse_hub_spec(spec)


@pytest.mark.parametrize(("spec", "parts"), [
    ("hf://org/name", ("org/name", None, "")),
    ("hf://org/name@v1/", ("org/name", "v1", "")),
    ("hf://org/name/models/bert", ("org/name", None, "models/bert")),
    ("hf://org/name@refs/pr/3/models/bert", ("org/name", "refs/pr/3", "models/bert")),
    ("hf://org/name@refs%2Fpr%2F3", ("org/name", "refs/pr/3", "")),
])
def test_a_spec_names_repo_revision_and_subfolder(spec: str, parts: tuple[str, str | None, str]) -> None:
    from cardguard.run.hub_targets import parse_hub_spec

    parsed = parse_hub_spec(spec)
    assert (parsed.repo_id, parsed.revision, parsed.subfolder) == parts


def test_the_schema_a_repo_configuration_names_is_read_from_the_repo(tmp_path: Path, home: Path,
                                                                       files: dict[str, bytes]) -> None:
    schema = b'{"type": "object", "required": ["owner"], "properties": {"owner": {"type": "string"}}}'
    served = {**files, ".cardguard.toml": b'profile = "trainer"\nschema = "schemas/org.json"\n',
              "schemas/org.json": schema}
    clone = write_tree(tmp_path / "clone", served)
    with FakeHub({REPO: {"main": served}}) as hub:
        remote = findings_in_child(hub, home, "validate", f"hf://{REPO}")
        local = findings_in_child(hub, home, "validate", str(clone))
        sha = hub.sha(REPO)
    assert with_paths_after(f"hf://{REPO}@{sha}/", remote) == with_paths_after(f"{clone}/", local)
    assert any("owner" in message for *_, message in remote)  # the organisation schema's finding
