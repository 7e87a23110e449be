"""Configuration files: discovery, settings, overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardguard.settings.config import Config, ConfigError, Settings, apply_policy, find_config_file, load_config
from cardguard.findings import Finding, Severity


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nearest_configuring_file_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.cardguard]\nprofile = 'minimal'\n")
    write(tmp_path / "models" / "pyproject.toml", "[project]\nname = 'x'\n")  # does not configure cardguard
    model = tmp_path / "models" / "a"
    model.mkdir(parents=True)
    assert find_config_file(model) == tmp_path / "pyproject.toml"
    write(model / ".cardguard.toml", "profile = 'trainer'\n")
    assert find_config_file(model) == model / ".cardguard.toml"


def test_settings_are_read(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", """
[tool.cardguard]
profile = "trainer"
required-sections = ["Citation"]
ignore = ["cg107"]
severity = { CG104 = "error" }
schema = "org.json"
fail-on = "warning"
[tool.cardguard.limits]
yaml-depth = 20
""")
    settings = load_config(path).base
    assert settings.profile == "trainer"
    assert settings.required_sections == ("Citation",)
    assert settings.ignore == {"CG107"}
    assert settings.severity == {"CG104": Severity.ERROR}
    assert settings.schema == tmp_path / "org.json"
    assert settings.fail_on == Severity.WARNING
    assert settings.limits.yaml_depth == 20


def test_overrides_apply_by_path_and_later_ones_win(tmp_path: Path) -> None:
    path = write(tmp_path / ".cardguard.toml", """
profile = "hub"
[[overrides]]
paths = ["legacy/**"]
profile = "minimal"
[[overrides]]
paths = ["legacy/keep/*"]
profile = "trainer"
""")
    config = load_config(path)
    assert config.settings_for(tmp_path / "new" / "README.md").profile == "hub"
    assert config.settings_for(tmp_path / "legacy" / "old" / "README.md").profile == "minimal"
    assert config.settings_for(tmp_path / "legacy" / "keep" / "README.md").profile == "trainer"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.cardguard]\nprofile = 'fancy'\n", "unknown profile 'fancy'"),
        ("[tool.cardguard]\nignore = ['CG999']\n", "'CG999' is not a cardguard rule code"),
        ("[tool.cardguard]\nsevrity = {}\n", "unknown setting 'sevrity'"),
        ("[tool.cardguard]\nseverity = { CG104 = 'fatal' }\n", "unknown severity 'fatal'"),
        ("[tool.cardguard]\nlimits = { yaml-depth = -1 }\n", "must be a positive whole number"),
        ("[tool.cardguard\n", "is not valid TOML"),
        ("[tool.cardguard]\n[[tool.cardguard.overrides]]\nprofile = 'x'\n", "needs 'paths'"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


def test_policy_ignores_and_overrides_severity() -> None:
    findings = [
        Finding("CG107", Severity.WARNING, "R", 1, 1, "no license"),
        Finding("CG104", Severity.WARNING, "R", 2, 1, "unknown library"),
        Finding("CG201", Severity.ERROR, "R", 3, 1, "missing"),
    ]
    settings = Settings(ignore=frozenset({"CG107"}), severity={"CG104": Severity.ERROR})
    kept = apply_policy(findings, settings, card_ignores=frozenset({"CG201"}))
    assert [(f.code, f.severity) for f in kept] == [("CG104", Severity.ERROR)]


def test_no_configuration_means_defaults(tmp_path: Path) -> None:
    assert Config().settings_for(tmp_path / "README.md") == Settings()


def test_the_config_cache_finds_each_folders_repository_as_repository_root_does(tmp_path: Path) -> None:
    from cardguard.run.validate import ConfigCache, Options, repository_root

    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "inner" / ".git").mkdir(parents=True)  # a repository inside another
    folders = [tmp_path / "repo" / "models" / "a", tmp_path / "repo" / "inner" / "b", tmp_path / "repo" / "inner",
               tmp_path / "repo" / "models" / "c", tmp_path / "loose" / "d", tmp_path / "loose" / "e", tmp_path / "repo"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    configs = ConfigCache(Options())
    for folder in folders + folders[::-1]:
        assert configs.repository_root(folder) == repository_root(folder)
    assert configs.repository_root(folders[0]) == tmp_path / "repo"
    assert configs.repository_root(folders[1]) == tmp_path / "repo" / "inner"
    assert configs.repository_root(folders[4]) == folders[4]  # no repository: the folder itself
