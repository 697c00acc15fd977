"""The real `closedloop` command on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from closedloop.cli import cli
from forms.definition import FORM_IDS


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    def walk(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        out = []
        for name, cmd in group.commands.items():
            out.append((*prefix, name))
            assert cmd.help, f"{' '.join((*prefix, name))} has no help text"
            if isinstance(cmd, click.Group):
                out.extend(walk(cmd, (*prefix, name)))
        return out

    for path in walk(cli, ()):
        code, out, _ = run(*path, "--help")
        assert code == 0 and "Usage:" in out


def test_forms_list_json() -> None:
    code, out, _ = run("forms", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == list(FORM_IDS)
    assert rows[0] == {"id": "registration", "title": "Complaint Registration Form", "version": "1"}


def test_forms_describe_json() -> None:
    code, out, _ = run("forms", "describe", "capa", "--json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "capa"
    assert {"id", "label", "type", "required"} <= set(data["fields"][0])
    code, _, err = run("forms", "describe", "nope")
    assert code == 2 and "there is no form 'nope'" in err


def test_blank_prefilled_then_read(tmp_path: Path) -> None:
    out = tmp_path / "capa.xlsx"
    code, text, _ = run(
        "forms",
        "blank",
        "capa",
        "--format",
        "xlsx",
        "-o",
        str(out),
        "--case",
        "CC-2026-0003",
        "--set",
        "customer=ACME",
        "--set",
        "root_cause=Mould wear",
        "--set",
        'actions=[{"action": "New insert", "owner": "Li", "due": "2026-12-01", "done": "2026-11-28"}]',
        "--set",
        "deduction_amount=1250.50",
        "--company",
        "Doberu Technology",
    )
    assert code == 0 and f"Wrote Corrective and Preventive Action Report to {out}" in text
    code, text, _ = run("read", str(out), "--json")
    assert code == 0
    data = json.loads(text)
    assert data["form"] == "capa" and data["version"] == "1" and data["case_id"] == "CC-2026-0003"
    assert data["fields"]["actions"] == [
        {"action": "New insert", "owner": "Li", "due": "2026-12-01", "done": "2026-11-28"}
    ]
    assert data["fields"]["deduction_amount"] == "1250.5"
    assert data["fields"]["verification"] is None
    assert data["problems"] == []


def test_read_with_problems_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "reg.docx"
    assert run("forms", "blank", "registration", "--format", "docx", "-o", str(out))[0] == 0
    code, text, _ = run("read", str(out), "--json")
    assert code == 1
    problems = json.loads(text)["problems"]
    assert problems[0] == {
        "field": "complaint_date",
        "message": "Complaint date: this is required; fill it in",
    }
    code, text, _ = run("read", str(out))
    assert code == 1 and "Problems:\n  - Complaint date: this is required; fill it in" in text


def test_refused_file_exits_2_with_kind(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    code, text, _ = run("read", str(path), "--json")
    assert code == 2
    error = json.loads(text)["error"]
    assert error["kind"] in {"unsupported_type", "corrupt"}
    assert error["message"].startswith("scan.pdf: ")
    code, _, err = run("read", str(tmp_path / "missing.docx"))
    assert code == 2 and "missing.docx" in err


def test_set_errors_name_field_and_fix(tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    code, _, err = run(
        "forms",
        "blank",
        "registration",
        "--format",
        "docx",
        "-o",
        str(out),
        "--set",
        "goods_received_date=31/13/2026",
    )
    assert code == 2
    assert "Goods received date: '31/13/2026' is not a date; write it like 2026-11-30" in err
    code, _, err = run(
        "forms", "blank", "registration", "--format", "docx", "-o", str(out), "--set", "colour=red"
    )
    assert code == 2 and "'colour' is not a field of the Complaint Registration Form" in err
    code, _, err = run(
        "forms", "blank", "registration", "--format", "docx", "-o", str(out), "--case", "42"
    )
    assert code == 2 and "'42' is not a case number like CC-2026-0001" in err
    assert not out.exists()


def test_company_name_comes_from_settings(tmp_path: Path) -> None:
    (tmp_path / "closedloop.toml").write_text('[company]\nname = "Doberu Technology Co., Ltd."\n')
    out = tmp_path / "r.docx"
    assert (
        run(
            "forms",
            "blank",
            "registration",
            "--format",
            "docx",
            "-o",
            str(out),
            "--root",
            str(tmp_path),
        )[0]
        == 0
    )
    import docx

    assert (
        docx.Document(str(out))
        .sections[0]
        .header.paragraphs[0]
        .text.startswith("Doberu Technology Co., Ltd.")
    )


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_installed_entry_point(tmp_path: Path, fmt: str) -> None:
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    out = tmp_path / f"survey.{fmt}"
    subprocess.run(
        [
            *cmd,
            "forms",
            "blank",
            "satisfaction_survey",
            "--format",
            fmt,
            "-o",
            str(out),
            "--set",
            "customer_accepts=no",
        ],
        check=True,
    )
    done = subprocess.run([*cmd, "read", str(out), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fields"]["customer_accepts"] is False


def test_init_is_idempotent_and_keeps_a_sites_files(tmp_path: Path) -> None:
    root = tmp_path / "share"
    code, out, _ = run("init", str(root))
    assert code == 0 and "closedloop.toml" in out and "Outbox/Storage & Transportation" in out
    settings = root / "closedloop.toml"
    settings.write_text(
        settings.read_text().replace('name = "Your Company Ltd."', 'name = "Doberu"')
    )
    (root / "Blank Forms" / "Return Form.docx").write_bytes(b"site's own version")
    code, out, _ = run("init", str(root))
    assert code == 0 and "already laid out" in out
    assert 'name = "Doberu"' in settings.read_text()
    assert (root / "Blank Forms" / "Return Form.docx").read_bytes() == b"site's own version"


def test_commands_on_a_folder_that_is_not_laid_out_or_an_unknown_case(tmp_path: Path) -> None:
    code, _, err = run("ingest", str(tmp_path))
    assert code == 2 and f"{tmp_path} is not a closedloop shared folder" in err
    assert f"lay it out with `closedloop init {tmp_path}`" in err
    run("init", str(tmp_path))
    code, out, _ = run("status", str(tmp_path), "CC-2026-0042", "--json")
    assert code == 2 and "there is no case CC-2026-0042" in json.loads(out)["error"]["message"]
    code, _, err = run("ingest", str(tmp_path), "--now", "yesterday")
    assert code == 2 and "the clock 'yesterday' (from --now or CLOSEDLOOP_NOW) is not a time" in err


def test_settings_mistakes_name_the_key_and_an_example(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    settings = tmp_path / "closedloop.toml"
    settings.write_text(settings.read_text().replace("few_hosts = 5", 'few_hosts = "five"'))
    code, _, err = run("ingest", str(tmp_path))
    assert (
        code == 2
        and "[thresholds] few_hosts is 'five', not a whole number; write it like few_hosts = 5"
        in err
    )
    settings.write_text(
        settings.read_text()
        .replace('few_hosts = "five"', "few_hosts = 5")
        .replace('transport_damage = "storage_transportation"', 'transport_damage = "logistics"')
    )
    code, _, err = run("ingest", str(tmp_path))
    assert (
        code == 2
        and "[routing] transport_damage names a department 'logistics' that [departments] does not have"
        in err
    )
