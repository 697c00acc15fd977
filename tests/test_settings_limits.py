"""[watch] stale_owner_minutes and [inbox] max_evidence_mb: in the file `init` writes,
checked, and a key these sections do not have refused with the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.settings import Settings, SettingsError, load_settings, settings_template
from closedloop.cli import cli


def written(tmp_path: Path, old: str, new: str) -> Path:
    text = settings_template()
    assert old in text, old
    (tmp_path / "closedloop.toml").write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path / "closedloop.toml"


def test_the_settings_file_init_writes_holds_both_with_their_defaults(tmp_path: Path) -> None:
    written(tmp_path, "", "")
    settings = load_settings(tmp_path)
    assert settings.watch.stale_owner_minutes == 15.0
    assert settings.watch.stale_owner_seconds == 900.0
    assert settings.inbox.max_evidence_mb == 200
    assert settings.inbox.max_evidence_bytes == 200 * 2**20
    assert (settings.watch, settings.inbox) == (Settings().watch, Settings().inbox)


def test_values_a_site_sets_are_used(tmp_path: Path) -> None:
    written(tmp_path, "stale_owner_minutes = 15", "stale_owner_minutes = 2.5")
    assert load_settings(tmp_path).watch.stale_owner_seconds == 150.0
    written(tmp_path, "max_evidence_mb = 200", "max_evidence_mb = 1024")
    assert load_settings(tmp_path).inbox.max_evidence_bytes == 2**30


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "stale_owner_minutes = 15",
            "stale_owner_minutes = 0",
            "[watch] stale_owner_minutes is 0, not a number of minutes above 0; "
            "write it like stale_owner_minutes = 15",
        ),
        (
            "stale_owner_minutes = 15",
            'stale_owner_minutes = "15"',
            "[watch] stale_owner_minutes is '15', not a number of minutes above 0; "
            "write it like stale_owner_minutes = 15",
        ),
        (
            "stale_owner_minutes = 15",
            "stale_owner_minutes = nan",
            "[watch] stale_owner_minutes is nan, not a number of minutes above 0; "
            "write it like stale_owner_minutes = 15",
        ),
        (
            "max_evidence_mb = 200",
            "max_evidence_mb = 0.5",
            "[inbox] max_evidence_mb is 0.5, not a whole number of megabytes above 0; "
            "write it like max_evidence_mb = 200",
        ),
        (
            "max_evidence_mb = 200",
            "max_evidence_mb = -1",
            "[inbox] max_evidence_mb is -1, not a whole number of megabytes above 0; "
            "write it like max_evidence_mb = 200",
        ),
        (
            "window = 2",
            "window = inf",
            "[watch] window is inf, not a number of seconds; write it like window = 2",
        ),
        (
            "stale_owner_minutes = 15",
            "stale_owner_minute = 15",
            "[watch] stale_owner_minute is not a setting of [watch]; "
            "did you mean stale_owner_minutes? write one of poll, "
            "rescan, stale_owner_minutes, window, or remove the line",
        ),
        (
            "max_evidence_mb = 200",
            "max_evidence_mb = 200\nmax_evidence = 100",
            "[inbox] max_evidence is not a setting of [inbox]; "
            "did you mean max_evidence_mb? write one of "
            "max_evidence_mb, or remove the line",
        ),
    ],
)
def test_a_mistake_names_the_file_the_key_and_the_fix(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    path = written(tmp_path, old, new)
    with pytest.raises(SettingsError) as refused:
        load_settings(tmp_path)
    assert str(refused.value) == f"{path}: {said}"


def test_the_cli_refuses_a_bad_value_before_doing_anything(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["init", str(tmp_path)], catch_exceptions=False)
    settings = tmp_path / "closedloop.toml"
    settings.write_text(
        settings.read_text().replace("max_evidence_mb = 200", "max_evidence_mb = false")
    )
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        f"{settings}: [inbox] max_evidence_mb is False, not a whole number of megabytes "
        "above 0; write it like max_evidence_mb = 200" in result.stderr
    )
