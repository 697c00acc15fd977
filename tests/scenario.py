"""A shared folder driven as staff drive it: forms taken from Blank Forms or an outbox,
filled by label, saved into the Inbox; the real CLI run over it."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.settings import load_settings
from closedloop.cli import cli
from filing.folders import FolderNames
from forms.definition import get_form
from tests.office import fill_docx, fill_docx_table, fill_xlsx, fill_xlsx_table


def watch_process(root: Path) -> subprocess.Popen[bytes]:
    """A real `closedloop watch` on `root` (stability window 0.1 s), its output dropped."""
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    return subprocess.Popen(
        [*cmd, "watch", str(root), "--window", "0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


TITLES = {
    "registration": "Complaint Registration Form",
    "return_form": "Return Form",
    "return_tracking": "Customer Return Tracking Form",
    "contract_review": "Contract Review Form",
    "capa": "Corrective and Preventive Action Report",
    "satisfaction_survey": "Customer Satisfaction Survey Form",
}
REGISTRATION = {
    "Complaint date": "2026-11-20",
    "Customer": "ACME Windows",
    "Product / model": "W-200",
    "Goods received date": "2026-11-02",
    "Category": "Transport damage",
    "Description": "Glass cracked in 3 of 10 units",
    "Customer asks for": "Explanation",
    "Registered by": "Mei",
}
CAPA_DONE = {
    "Root cause": "Buffer foam too thin for 4 h vibration",
    "Verification evidence": "Damage rate 15% -> 0 in 4 h vibration + 3 drops",
    "Plan approved by": "GM Zhao",
    "Plan approved on": "2026-11-24",
}
_n = itertools.count(1)


class Folder:
    # What a Folder made without __init__ (over a folder laid out elsewhere) assumes.
    language = "en"
    names = FolderNames()

    def __init__(self, root: Path, packets: bool = False, language: str = "en") -> None:
        self.root = root
        self.language = language
        self.run("init", str(root), "--language", language)
        # The folders as the settings name them (收件箱, 发件箱 ... in a Chinese folder).
        self.names = load_settings(root).policy.folders
        if not packets:  # LibreOffice takes seconds a packet: only the tests of packets build them
            self.setting("closure_packets = true", "closure_packets = false")
        # A pass's results are what the tests look at: the weekly report's line is tested
        # where reports are.
        self.setting("weekly = true", "weekly = false")

    def setting(self, old: str, new: str) -> None:
        path = self.root / "closedloop.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new), encoding="utf-8")

    def run(self, *args: str) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    def ingest(self, now: str) -> list[dict[str, Any]]:
        """One pass; its exit code says whether anything was refused (1) or not (0)."""
        args = ["ingest", str(self.root), "--json", "--now", now]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        results = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        refused = any(r["outcome"] == "refused" for r in results)
        assert result.exit_code == (1 if refused else 0), result.output
        return results

    def status(self, case_id: str, now: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            self.run("status", str(self.root), case_id, "--json", "--now", now)
        )
        return data

    def title(self, form: str) -> str:
        return get_form(form).title_in(self.language)

    def outbox(self, department: str, case_id: str, form: str, fmt: str = "docx") -> Path:
        path = self.root / self.names.outbox / department / f"{case_id} {self.title(form)}.{fmt}"
        assert path.exists(), f"{path} was not issued"
        return path

    def save(
        self,
        source: Path,
        labels: dict[str, Any],
        table: tuple[list[str], list[list[Any]]] | None = None,
        name: str | None = None,
    ) -> Path:
        """Fill `source` by label (and a table) and save the result into the Inbox."""
        target = self.root / self.names.inbox / (name or f"{next(_n):03d} {source.name}")
        shutil.copyfile(source, target)
        if target.suffix == ".docx":
            if labels:
                fill_docx(target, labels)
            if table:
                fill_docx_table(target, *table)
        else:
            if labels:
                fill_xlsx(target, labels)
            if table:
                fill_xlsx_table(target, *table)
        return target

    def blank(self, form: str, fmt: str = "docx") -> Path:
        return self.root / self.names.blank_forms / f"{self.title(form)}.{fmt}"

    def files(self) -> set[str]:
        return {
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file()
            and p.relative_to(self.root).parts[0] not in (self.names.blank_forms, ".closedloop")
        }
