"""`closedloop doctor` on a real shared folder: all well, a folder missing, bad settings,
and an Inbox on a network share that needs polling."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from closedloop.cli import cli
from closedloop.doctor import checks, filesystem_of
from tests.scenario import Folder


def doctor(root: Path) -> tuple[int, dict[str, tuple[str, str]]]:
    result = CliRunner().invoke(cli, ["doctor", str(root), "--json"])
    report = json.loads(result.stdout)
    return result.exit_code, {c["name"]: (c["status"], c["detail"]) for c in report["checks"]}


def test_a_fresh_folder_is_well(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    code, found = doctor(folder.root)
    assert code == 0
    statuses = {name: status for name, (status, _) in found.items()}
    assert list(statuses) == [
        "settings",
        "folders",
        "permissions",
        "links",
        "registry",
        "journal",
        "service",
        "network share",
        "LibreOffice",
        "fonts",
        "mail",
    ]
    # LibreOffice and a Chinese font may be missing on a developer's machine: warnings.
    assert all(s == "ok" for name, s in statuses.items() if name not in ("LibreOffice", "fonts"))


def test_a_missing_outbox_and_bad_settings_fail_with_the_fix(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    shutil.rmtree(folder.root / "Outbox" / "Sales")
    folder.setting("window = 2", "window = -1")
    code, found = doctor(folder.root)
    assert code == 1
    assert found["folders"] == (
        "fail",
        f"missing: Outbox/Sales; lay them out with `closedloop init {folder.root}`",
    )
    assert found["settings"][0] == "fail" and "[watch] window is -1" in found["settings"][1]


def test_an_inbox_on_a_network_share_is_told_to_poll(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    mounts = tmp_path / "mounts"
    mounts.write_text(
        f"/dev/vda / ext4 rw 0 0\n//fileserver/quality {folder.root} cifs rw,vers=3.0 0 0\n",
        encoding="utf-8",
    )
    assert filesystem_of(folder.root / "Inbox", mounts) == "cifs"
    found = {c.name: c for c in checks(folder.root, None, False, ["Sales"], mounts)}
    assert found["network share"].status == "warn"
    assert "set `poll = 5` in [watch]" in found["network share"].detail
    polled = {c.name: c for c in checks(folder.root, 5.0, False, ["Sales"], mounts)}
    assert polled["network share"].detail == "the Inbox is on cifs; polling every 5 s"
