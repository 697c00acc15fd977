"""Settings that check themselves: a key or section closedloop does not have is refused by
every command that reads the settings, naming the file, the key and the nearest known key;
the free-form tables ([departments], [routing], [mail.departments], [calendar]) are held
to what their keys and values can be. Driven through the CLI on a real shared folder."""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.settings import SettingsError, load_settings, settings_template
from app.settings.reader import SettingsReader
from closedloop.cli import cli
from language import LANGUAGES
from tests.scenario import Folder

# (the line in the file init writes, what a person wrote instead, the words said after the
# file's name)
MISTAKES = [
    (
        "acceptance_days = 30",
        "acceptence_days = 30",
        "[thresholds] acceptence_days is not a setting of [thresholds]; "
        "did you mean acceptance_days? write one of acceptance_days, few_accessories, "
        "few_hosts, repeat_window_days, sample_sets, or remove the line",
    ),
    (
        "[thresholds]",
        "[threshold]",
        "[threshold] is not a section of the settings; did you mean [thresholds]? "
        "write one of [archive], [calendar], [company], [deadlines], [departments], "
        "[folders], [inbox], [mail], [registry], [reports], [routing], [thresholds], [watch], or remove the section",
    ),
    (
        'host = ""',
        'hots = "smtp.example.com"',
        "[mail] hots is not a setting of [mail]; did you mean host? write one of "
        "[mail.departments], digest_at, digest_departments, digest_to, due_soon_days, host, "
        "password, password_env, port, security, sender, username, or remove the line",
    ),
    (
        "# closedloop settings",
        "acceptance_days = 45\n# closedloop settings",
        "acceptance_days (above the first [section]) is not a setting; did you mean "
        "[thresholds] acceptance_days? settings go under one of [archive], [calendar]",
    ),
    (
        'name = "Your Company Ltd."',
        'name = "Your Company Ltd."\nhost = "smtp.example.com"',
        "[company] host is not a setting of [company]; did you mean [mail] host? "
        "write one of currency, language, name, second_language, or remove the line",
    ),
    (
        "[mail.departments]",
        "[mail.department]",
        "[mail.department] is not a section of [mail]; did you mean [mail.departments]?",
    ),
    (
        'quality = "quality_management"',
        'qualty = "quality_management"',
        "[routing] qualty is not a complaint category; did you mean quality? write one of "
        "quality, quantity, tolerance, transport_damage, installation_technical, "
        "special_requirement, other, or remove the line",
    ),
    (
        'quality = "quality_management"',
        'quality = "Quality Management"',
        "[routing] quality names a department 'Quality Management' that [departments] does "
        'not have; did you mean quality_management? write it like quality = "quality_management"',
    ),
    (
        'quality_management = "Quality Management"',
        'quality_managment = "QM"',
        "[departments] quality_managment is not a department, and a new one needs an id far "
        "from quality_management; did you mean quality_management? write it like "
        'quality_management = "QM"',
    ),
    (
        'quality_management = "Quality Management"',
        '"Quality Management" = "QM"',
        '[departments] "Quality Management" is not a department id (lowercase letters, digits '
        'and _); did you mean quality_management? write it like quality_management = "QM"',
    ),
    (
        '# "Quality Management" = "quality@example.com"',
        '"Qualty Management" = "quality@example.com"',
        "[mail.departments] Qualty Management is not a department of [departments]; "
        'did you mean Quality Management? write it like "Quality Management" = ',
    ),
    (
        'country = "CN"',
        'country = "China"',
        "[calendar] country is 'China', not a country code the holidays library knows "
        '(two letters like CN, DE or US; "" for weekends only); did you mean CN? '
        'write it like country = "CN"',
    ),
    (
        'country = "CN"\nsubdivision = ""',
        'country = "DE"\nsubdivision = "by"',
        "[calendar] subdivision is 'by', not a subdivision of DE (BB, BE, BW, BY, ",
    ),
    (
        'currency = "CNY"',
        'currency = "RMB Yuan"',
        "[company] currency is 'RMB Yuan', not a three-letter currency code (ISO 4217); "
        'write it like currency = "CNY"',
    ),
]


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    return Folder(tmp_path_factory.mktemp("settings") / "share")


@pytest.fixture
def folder(laid_out: Folder) -> Iterator[Folder]:
    """The module's folder with the settings file as init wrote it (and the tests' two
    changes): each test then makes its own mistake in it."""
    path = laid_out.root / "closedloop.toml"
    kept = path.read_text(encoding="utf-8")
    yield laid_out
    path.write_text(kept, encoding="utf-8")


def refused(root: Path, *args: str) -> str:
    """What a refused command said (on stderr; as JSON on stdout with --json)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize(("old", "new", "said"), MISTAKES, ids=[m[1] for m in MISTAKES])
def test_a_mistake_is_refused_naming_the_file_the_key_and_the_nearest(
    folder: Folder, old: str, new: str, said: str
) -> None:
    folder.setting(old, new)
    err = refused(folder.root, "ingest", str(folder.root))
    assert f"Error: {folder.root / 'closedloop.toml'}: {said}" in err


COMMANDS = [
    ["ingest", "{root}"],
    ["ingest", "{root}", "--json"],
    ["status", "{root}", "CC-2026-0001"],
    ["cases", "{root}"],
    ["packet", "{root}", "CC-2026-0001"],
    ["close-quarter", "{root}", "2026Q4"],
    ["index", "{root}"],
    ["mail", "{root}"],
    ["report", "weekly", "{root}"],
    ["report", "quarterly", "{root}"],
    ["watch", "{root}"],
    ["init", "{root}"],
    ["forms", "blank", "registration", "--format", "docx", "-o", "{out}", "--root", "{root}"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_every_command_that_reads_the_settings_refuses_a_misspelled_one(
    folder: Folder, tmp_path: Path, command: list[str]
) -> None:
    folder.setting("acceptance_days = 30", "acceptence_days = 30")
    out = tmp_path / "form.docx"
    before = sorted(p.relative_to(folder.root) for p in folder.root.rglob("*"))
    args = [a.format(root=folder.root, out=out) for a in command]
    err = refused(folder.root, *args)
    assert (
        f"{folder.root / 'closedloop.toml'}: [thresholds] acceptence_days is not a setting "
        "of [thresholds]; did you mean acceptance_days?"
    ) in err
    # Refused before doing anything: nothing written, in the folder or beside it.
    assert sorted(p.relative_to(folder.root) for p in folder.root.rglob("*")) == before
    assert not out.exists()


def test_doctor_shows_the_refusal_as_a_failed_check(folder: Folder) -> None:
    folder.setting('host = ""', 'hots = "smtp.example.com"')
    result = CliRunner().invoke(cli, ["doctor", str(folder.root)])
    assert result.exit_code == 1
    assert (
        f"fail  settings: {folder.root / 'closedloop.toml'}: [mail] hots is not a setting "
        "of [mail]; did you mean host?"
    ) in result.stdout


def test_every_mistake_in_the_file_is_named_at_once(folder: Folder) -> None:
    folder.setting("acceptance_days = 30", "acceptence_days = 30")
    folder.setting('host = ""', 'hots = ""')
    folder.setting("[thresholds]", "[threshold]")
    err = refused(folder.root, "ingest", str(folder.root))
    assert "[threshold] is not a section of the settings; did you mean [thresholds]?" in err
    assert "(not settings either: [mail] hots)" in err


def test_a_sites_own_departments_and_their_routes_are_kept(folder: Folder) -> None:
    """New departments are the site's own: any id far from the built-in ones, routed to
    by category, mailed by folder name."""
    folder.setting(
        'customer_window = "Customer Window"',
        'customer_window = "Customer Window"\nexport_sales = "Export Sales"',
    )
    folder.setting('special_requirement = "sales"', 'special_requirement = "export_sales"')
    folder.setting(
        '# "Quality Management" = "quality@example.com"', '"Export Sales" = "export@example.com"'
    )
    folder.setting('country = "CN"\nsubdivision = ""', 'country = "de"\nsubdivision = "Bayern"')
    settings = load_settings(folder.root)
    assert settings.policy.outboxes["export_sales"] == "Export Sales"
    assert settings.policy.routes["special_requirement"] == "export_sales"
    assert settings.mail.departments["export_sales"] == ("export@example.com",)
    assert (settings.policy.calendar.country, settings.policy.calendar.subdivision) == (
        "DE",
        "Bayern",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_file_init_writes_holds_every_setting_and_only_settings(
    tmp_path: Path, language: str
) -> None:
    """What the reader asks for is what a file may hold: the file init writes (in each
    language) names each setting (but the password, which belongs in the environment), and
    nothing else."""
    path = tmp_path / "closedloop.toml"
    path.write_text(settings_template(language), encoding="utf-8")
    raw = tomllib.loads(settings_template(language))
    reader = SettingsReader(path, raw)
    reader.settings()
    written = {
        section: set(values) for section, values in raw.items() if section not in reader.free
    }
    assert {s: keys for s, keys in reader.read.items() if s not in reader.free} == {
        **written,
        "mail": written["mail"] | {"password", "departments"},
    }


def test_no_settings_file_is_the_defaults_and_a_broken_one_names_its_file(
    tmp_path: Path,
) -> None:
    assert load_settings(tmp_path).currency == "CNY"
    (tmp_path / "closedloop.toml").write_text("[company\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=str(tmp_path / "closedloop.toml")):
        load_settings(tmp_path)


# A folder laid out in Chinese: each mistake is told in Chinese, the file's own names kept
# (the line as written, the key, the name it likely meant), even when the file is not TOML.
MISTAKES_ZH = [
    (
        "acceptance_days = 30",
        "acceptence_days = 30",
        "错误：{file}：[thresholds] acceptence_days 不是 [thresholds] 的设置；"
        "是不是想写 acceptance_days？请写成 acceptance_days, few_accessories",
    ),
    (
        'currency = "CNY"',
        'currency = "人民币"',
        "错误：{file}：[company] currency 为 '人民币'，不是三个字母的货币代码（ISO 4217）；"
        '是不是想写 CNY？请写成 currency = "CNY"',
    ),
    (
        'settled = "已处理"',
        'settled = "已处理?"',
        "错误：{file}：[folders] settled 为 '已处理?'，不能用作文件夹名称：含有 '?'，"
        '文件夹名称不能包含这些字符；请写成 settled = "已处理"',
    ),
    (
        'reports = "报告"',
        'reports = "收件箱"',
        "错误：{file}：[folders] reports 为 '收件箱'，与另一个文件夹同名（inbox）；"
        '请写成 reports = "报告"',
    ),
    (
        'inbox = "收件箱"',
        'inbox = "收件箱',
        "错误：{file}：第 18 行不是有效的 TOML（Illegal character '\\n'）：inbox = \"收件箱；"
        "每项设置请写成 键 = 值",
    ),
    (
        'language = "zh-CN"',
        'language = "zh-CN"\nlanguage = "en"',
        '错误：{file}：第 14 行不是有效的 TOML（Cannot overwrite a value）：language = "en"',
    ),
    (  # typed in a Chinese input mode: the full-width signs named, and the plain ones
        "few_hosts = 5",
        "few_hosts ＝ ５",
        "错误：{file}：第 58 行不是有效的 TOML（Expected '=' after a key in a key/value pair）："
        "few_hosts ＝ ５；其中的 ＝ ５ 是在中文输入法下输入的全角符号：请改为半角的 = 5",
    ),
    (  # the name's own full-width brackets are the site's: only the quotes are named
        'name = "贵公司名称"',
        "name = “苏州工厂（一厂）”",
        "错误：{file}：第 6 行不是有效的 TOML（Invalid value）：name = “苏州工厂（一厂）”；"
        '其中的 “ ” 是在中文输入法下输入的全角符号：请改为半角的 " "',
    ),
    (  # not an ISO 4217 code, though people write it: the code it means is named
        'currency = "CNY"',
        'currency = "RMB"',
        "错误：{file}：[company] currency 为 'RMB'，不是三个字母的货币代码（ISO 4217）；"
        '是不是想写 CNY？请写成 currency = "CNY"',
    ),
]


@pytest.mark.parametrize(("old", "new", "said"), MISTAKES_ZH, ids=[m[1] for m in MISTAKES_ZH])
def test_a_mistake_in_a_chinese_folder_is_told_in_chinese(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    root = tmp_path / "质量"
    assert CliRunner().invoke(cli, ["init", str(root), "--language", "zh-CN"]).exit_code == 0
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert said.format(file=path) in refused(root, "ingest", str(root))


def test_a_chinese_file_not_saved_as_utf8_names_its_line_in_chinese(tmp_path: Path) -> None:
    root = tmp_path / "质量"
    assert CliRunner().invoke(cli, ["init", str(root), "--language", "zh-CN"]).exit_code == 0
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    # Saved by an editor in the system's code page (GB18030): from its first line on.
    path.write_bytes(text.replace("贵公司名称", "苏州工厂").encode("gb18030"))
    said = refused(root, "ingest", str(root))
    assert f"错误：{path}：第 1 行不是 UTF-8 文本（是否按系统默认编码保存" in said
    result = CliRunner().invoke(cli, ["doctor", str(root)])
    assert result.exit_code == 1
    assert f"失败  设置：{path}：第 1 行不是 UTF-8 文本" in result.stdout
    # One line typed in it later, in a file that was UTF-8: that line is named.
    path.write_bytes(text.encode().replace("贵公司名称".encode(), "苏州工厂".encode("gb18030")))
    said = refused(root, "ingest", str(root))
    assert f"错误：{path}：第 6 行不是 UTF-8 文本" in said
    # Saved as "Unicode" (UTF-16), as Notepad once offered: told so.
    path.write_bytes(text.encode("utf-16"))
    said = refused(root, "ingest", str(root))
    assert f"错误：{path}：文件存成了 UTF-16（Unicode）编码；请存为 UTF-8 编码" in said
    # Saved as UTF-8 with the mark Notepad puts first: taken as it is.
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    assert CliRunner().invoke(cli, ["ingest", str(root)]).exit_code == 0
