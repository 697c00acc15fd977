"""README stays true: its commands, the field reference, the CLI table."""

from __future__ import annotations

import re

from forms.definition import all_forms
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None and README.index("```sh") < 600
    commands = [line for line in block[1].splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].startswith("python3 -m pip install -e . && closedloop ")
    assert commands[1].endswith("python3 -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npython3 -m pytest\n" in ci
    for package in ("libreoffice-writer-nogui", "libreoffice-calc-nogui", "fonts-noto-cjk"):
        assert package in ci and package in README


def test_field_reference_lists_every_field() -> None:
    for form in all_forms().values():
        section = README.split(f"### `{form.id}`:", 1)[1].split("\n### ", 1)[0]
        ids = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
        assert ids == [f.id for f in form.fields], form.id
        for f in form.fields:
            row = re.search(rf"^\| `{f.id}` \| (.*?) \| (\w+) \|", section, re.M)
            assert row is not None and (row[1], row[2]) == (f.label, f.type), f.id


def test_cli_table_names_every_command() -> None:
    import click

    from closedloop.cli import cli

    names = []
    for name, command in cli.every_command().items():
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    assert len(names) > 10
    for command in names:
        assert f"`closedloop {command} " in README, f"README's command table lacks {command}"
