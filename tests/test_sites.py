"""Several sites, one registry on PostgreSQL (#15): each plant's shared folder under its own
service, one register, one numbering, repeats found across plants; and every promise of a
single folder kept per site, a `kill -9` of one site's service included."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.folder import SharedFolder
from app.opening import SiteTaken, open_registry
from app.settings import load_settings
from closedloop.cli import cli
from filing.records import Case, Event
from filing.registry import Registry
from tests.consistency import assert_consistent, sha256
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder, watch_process

NOW = datetime(2026, 11, 23, 10, 0)


def until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def site_folder(root: Path, url: str, site: str) -> Folder:
    """A shared folder laid out by `init`, its settings then naming the shared registry."""
    folder = Folder(root)
    folder.setting('url = ""\nsite = ""', f'url = "{url}"\nsite = "{site}"')
    return folder


def new_case(reg: Registry, product: str = "W-200", customer: str = "ACME") -> Case:
    with reg.transaction():
        case = Case(
            reg.next_case_id(2026), "awaiting_triage", NOW, NOW, customer=customer, site=reg.site
        )
        case.product, case.category = product, "Transport damage"
        case.repeats = reg.similar_cases(NOW - timedelta(days=90), customer, product, None)
        reg.save_case(case)
    return case


# -- the registry ---------------------------------------------------------------------


def test_two_sites_take_numbers_at_once_and_none_twice(postgres_url: str, tmp_path: Path) -> None:
    got: dict[str, list[str]] = {"SZ": [], "WX": []}

    def worker(site: str) -> None:
        with Registry(tmp_path / "unused", url=postgres_url, site=site) as reg:
            for n in range(25):
                got[site].append(new_case(reg, product=f"{site}-{n}").case_id)

    Registry(tmp_path / "unused", url=postgres_url, site="SZ").close()  # the tables, once
    threads = [threading.Thread(target=worker, args=(s,)) for s in got for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = got["SZ"] + got["WX"]
    assert sorted(every) == [f"CC-2026-{n:04d}" for n in range(1, 101)]
    with Registry(tmp_path / "unused", url=postgres_url, site="SZ") as reg:
        assert len(reg.cases()) == 50 and {c.site for c in reg.cases()} == {"SZ"}
        assert len(reg.cases(every_site=True)) == 100
        assert [c.case_id for c in reg.cases(site="WX")] == sorted(got["WX"])


def test_what_a_site_keeps_is_its_own(postgres_url: str, tmp_path: Path) -> None:
    """Plans, refusals, mail and the history chain are each site's: one site never
    recovers, settles, sends or chains another's."""
    sz = Registry(tmp_path / "unused", url=postgres_url, site="SZ")
    wx = Registry(tmp_path / "unused", url=postgres_url, site="WX")
    try:
        a, b = new_case(sz), new_case(wx)
        with sz.transaction():
            plan = sz.add_pending('{"moves": [], "removals": []}', NOW)
        assert sz.pending() == [(plan, '{"moves": [], "removals": []}')] and wx.pending() == []
        for reg, case in ((sz, a), (wx, b), (sz, a)):
            reg.append_history(Event(case.case_id, NOW, "filed", "registration", None, "Li", ""))
        assert sz.chain_head()[0] == 2 and wx.chain_head()[0] == 1  # a chain per site
        assert [seq for _, seq in sz.chained_history(a.case_id)] == [1, 2]
        # the same mail key at both sites (a digest of one day) is two mails
        from filing.records import Mail

        for reg in (sz, wx):
            with reg.transaction():
                mail = Mail("digest", "digest:2026-11-23", None, "q@x", "s", "b", None, NOW, NOW)
                assert reg.queue_mail(mail)
                assert not reg.queue_mail(mail)  # but once per site
        assert len(sz.mails()) == 1 and len(wx.mails()) == 1
    finally:
        sz.close()
        wx.close()


def test_a_repeat_is_found_across_sites(postgres_url: str, tmp_path: Path) -> None:
    with (
        Registry(tmp_path / "unused", url=postgres_url, site="SZ") as sz,
        Registry(tmp_path / "unused", url=postgres_url, site="WX") as wx,
    ):
        first = new_case(sz, product="W-200", customer="ACME")
        new_case(sz, product="D-100", customer="Other")
        again = new_case(wx, product="w-200 ", customer="acme")
        assert again.repeats == [first.case_id]


def test_two_folders_given_one_site_code_are_told_apart(postgres_url: str, tmp_path: Path) -> None:
    first = site_folder(tmp_path / "suzhou", postgres_url, "SZ")
    second = site_folder(tmp_path / "wuxi", postgres_url, "SZ")  # a copy-and-paste slip
    for folder in (first, first, second):
        shared = SharedFolder(folder.root, load_settings(folder.root).policy.folders)
        settings = load_settings(folder.root).registry
        if folder is second:
            with pytest.raises(SiteTaken, match=r"site SZ .* already the site of another"):
                open_registry(shared, settings)
        else:
            open_registry(shared, settings).close()  # the same folder again: welcome
    result = CliRunner().invoke(cli, ["ingest", str(second.root)])
    assert result.exit_code != 0
    assert "already the site of another shared folder" in result.output
    assert str(first.root) in result.output


def test_a_copy_of_a_site_folder_is_not_let_in_as_that_site(
    postgres_url: str, tmp_path: Path
) -> None:
    """A folder copied with its identity while the original is still there would file as
    the same site beside it: each would miss the other's cases. A folder moved is let in."""
    sz = site_folder(tmp_path / "suzhou", postgres_url, "SZ")
    assert sz.ingest("2026-11-20T09:00") == []
    shutil.copytree(sz.root, tmp_path / "copy")
    copied = CliRunner().invoke(cli, ["ingest", str(tmp_path / "copy")])
    assert copied.exit_code != 0
    assert f"this folder is a copy of {sz.root}, which is still there" in copied.output
    shutil.rmtree(tmp_path / "copy")
    moved = tmp_path / "moved"
    sz.root.rename(moved)
    assert CliRunner().invoke(cli, ["ingest", str(moved)]).exit_code == 0
    with Registry(tmp_path / "unused", url=postgres_url, site="SZ") as reg:
        record = reg.site_record("SZ")
        assert record is not None and record.root == str(moved)


def test_a_half_given_registry_setting_is_refused(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    folder.setting('url = ""', 'url = "postgresql://closedloop@db.example.com/quality"')
    result = CliRunner().invoke(cli, ["ingest", str(folder.root)])
    assert result.exit_code != 0
    assert "[registry] site is missing" in result.output and 'site = "SZ"' in result.output


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://qa:S3cret@db:abc/quality", "cannot be read as a URL"),
        ("postgresql://qa:S3cret@[::1/quality", "cannot be read as a URL"),
        ("postgresql://qa:S3cret@db:5432/quality", "the URL holds a password: put it in"),
    ],
)
def test_a_registry_url_that_cannot_be_read_or_holds_a_password_is_refused(
    tmp_path: Path, url: str, said: str
) -> None:
    """Refused as a setting, never a traceback, and the password shown nowhere."""
    folder = Folder(tmp_path / "share")
    folder.setting('url = ""\nsite = ""', f'url = "{url}"\nsite = "SZ"')
    for command in (["ingest", str(folder.root)], ["watch", str(folder.root)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert "[registry] url" in result.output and said in result.output
        assert "S3cret" not in result.output and "Traceback" not in result.output


# -- two folders through the command line ---------------------------------------------


def registration(folder: Folder, work: Path, name: str, **values: str) -> Path:
    path = work / name
    shutil.copyfile(folder.blank("registration"), path)
    fill_docx(path, {**REGISTRATION, "Complaint established": "yes", **values})
    return path


def test_one_register_listed_from_either_site(postgres_url: str, tmp_path: Path) -> None:
    sz = site_folder(tmp_path / "suzhou", postgres_url, "SZ")
    wx = site_folder(tmp_path / "wuxi", postgres_url, "WX")
    work = tmp_path / "work"
    work.mkdir()
    registration(sz, work, "a.docx", Customer="ACME", **{"Product / model": "W-200"}).replace(
        sz.root / "Inbox" / "a.docx"
    )
    assert sz.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"
    # The same complaint at the other plant (the same bytes would be the same file, filed).
    registration(
        wx, work, "b.docx", Customer="ACME", **{"Product / model": "W-200", "Registered by": "Wu"}
    ).replace(wx.root / "Inbox" / "b.docx")
    [filed] = wx.ingest("2026-11-20T10:00")
    assert filed["outcome"] == "filed"
    listed = [json.loads(line) for line in wx.run("cases", str(wx.root), "--json").splitlines()]
    assert [(c["case_id"], c["site"]) for c in listed] == [
        ("CC-2026-0001", "SZ"),
        ("CC-2026-0002", "WX"),
    ]
    assert [
        c["case_id"]
        for c in map(
            json.loads, sz.run("cases", str(sz.root), "--json", "--site", "WX").splitlines()
        )
    ] == ["CC-2026-0002"]
    text = sz.run("cases", str(sz.root))
    assert "CC-2026-0002  WX" in text
    assert "CC-2026-0002" in sz.run("cases", str(sz.root), "--site", "wx")
    unknown = CliRunner().invoke(cli, ["cases", str(sz.root), "--site", "ZZ"])
    assert unknown.exit_code == 2
    assert "--site ZZ: no such site on the shared registry; its sites: SZ, WX" in unknown.output
    status = sz.status("CC-2026-0001", "2026-11-20T10:00")
    assert status["case_id"] == "CC-2026-0001"
    with Registry(tmp_path / "unused", url=postgres_url, site="WX") as reg:
        case = reg.case("CC-2026-0002")
        assert case is not None and case.repeats == ["CC-2026-0001"]  # across sites
    # The case folder says whose it is.
    [folder] = (wx.root / "Archive").glob("CC-2026-0002*")
    assert json.loads((folder / "case.json").read_text(encoding="utf-8"))["case"]["site"] == "WX"
    # A form of Suzhou's case saved at Wuxi is refused, naming the site to take it to.
    capa = sz.outbox("Storage & Transportation", "CC-2026-0001", "capa")
    shutil.copyfile(capa, wx.root / "Inbox" / "capa.docx")
    [refused] = wx.ingest("2026-11-20T11:00")
    assert refused["outcome"] == "refused"
    assert "case CC-2026-0001 is a case of site SZ" in refused["reason"]
    # Where to take it is all the note says: the blank CAPA's gaps are for Suzhou to see.
    [note] = (wx.root / "Quarantine").glob("*what to fix.txt")
    said = note.read_text(encoding="utf-8")
    assert "site SZ's shared folder" in said
    assert "required" not in said and "fresh copy" not in said
    assert_consistent(sz.root, [])


def two_sites_each_with_a_case(postgres_url: str, tmp_path: Path) -> tuple[Folder, Folder]:
    """Suzhou (SZ) with ACME's case CC-2026-0001, Wuxi (WX) with Globex's CC-2026-0002."""
    sz = site_folder(tmp_path / "suzhou", postgres_url, "SZ")
    wx = site_folder(tmp_path / "wuxi", postgres_url, "WX")
    work = tmp_path / "work"
    work.mkdir()
    registration(sz, work, "a.docx", Customer="ACME").replace(sz.root / "Inbox" / "a.docx")
    assert sz.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"
    registration(wx, work, "b.docx", Customer="Globex").replace(wx.root / "Inbox" / "b.docx")
    assert wx.ingest("2026-11-20T10:00")[0]["outcome"] == "filed"
    return sz, wx


def group_rows(root: Path) -> dict[str, dict[str, object]]:
    """The group index's rows, as its data files hold them (archive/index_rows.py), by
    column name."""
    from archive.index_rows import COLUMNS

    rows: dict[str, dict[str, object]] = {}
    for data in sorted((root / "Archive" / "Auditor pages" / "group").glob("*.js")):
        text = data.read_text(encoding="ascii")
        listed = json.loads(text[text.index("(") + 1 : text.rindex(")")])["rows"]
        rows.update({r[0]: dict(zip(COLUMNS, r, strict=True)) for r in listed})
    return rows


def test_each_site_links_the_group_index_that_follows_the_registry(
    postgres_url: str, tmp_path: Path
) -> None:
    sz, wx = two_sites_each_with_a_case(postgres_url, tmp_path)
    index = (sz.root / "Archive" / "index.html").read_text(encoding="utf-8")
    assert 'href="group.html"' in index
    # Suzhou looked before Wuxi filed: its next look (an empty pass) brings Wuxi's case.
    assert set(group_rows(sz.root)) == {"CC-2026-0001"}
    assert sz.ingest("2026-11-20T11:00") == []
    rows = group_rows(sz.root)
    assert {k: (r["site"], r["customer"]) for k, r in rows.items()} == {
        "CC-2026-0001": ("SZ", "ACME"),
        "CC-2026-0002": ("WX", "Globex"),
    }
    # Its own case links its page; Wuxi's case folder is on Wuxi's share.
    assert rows["CC-2026-0001"]["page"] == 1
    assert rows["CC-2026-0002"]["page"] == 0
    assert set(group_rows(wx.root)) == {"CC-2026-0001", "CC-2026-0002"}
    group = (sz.root / "Archive" / "group.html").read_text(encoding="utf-8")
    assert "Auditor%20pages/group/CC-2026-00.js" in group and 'href="index.html"' in group
    # A look with nothing new writes nothing; a new case at Wuxi comes at the next one.
    seen = sz.root / "Archive" / "Auditor pages" / "group" / "seen.json"
    assert json.loads(seen.read_text(encoding="utf-8")) == {"SZ": 1, "WX": 1}
    before = seen.stat().st_mtime_ns
    assert sz.ingest("2026-11-20T12:00") == []
    assert seen.stat().st_mtime_ns == before
    registration(wx, tmp_path / "work", "c.docx", Customer="Initech").replace(
        wx.root / "Inbox" / "c.docx"
    )
    assert wx.ingest("2026-11-20T13:00")[0]["outcome"] == "filed"
    assert sz.ingest("2026-11-20T14:00") == []
    assert group_rows(sz.root)["CC-2026-0003"]["site"] == "WX"
    assert json.loads(seen.read_text(encoding="utf-8")) == {"SZ": 1, "WX": 2}
    # A link planted where the group's data goes, while the folder is quiet: the next look
    # stops, naming it, and writes and removes nothing where it leads.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "app.js").write_text("keep", encoding="utf-8")
    data = sz.root / "Archive" / "Auditor pages" / "group"
    shutil.move(data, tmp_path / "group-data")
    data.symlink_to(elsewhere)
    planted = CliRunner().invoke(cli, ["ingest", str(sz.root)])
    assert planted.exit_code != 0 and "this folder is a link to" in planted.output
    assert [p.name for p in elsewhere.iterdir()] == ["app.js"]
    data.unlink()
    shutil.move(tmp_path / "group-data", data)
    # `closedloop index` writes it all again.
    seen.unlink()
    sz.run("index", str(sz.root))
    assert set(group_rows(sz.root)) == {"CC-2026-0001", "CC-2026-0002", "CC-2026-0003"}
    assert seen.is_file()


# -- two real services at once, one killed -----------------------------------------------


def _filed(root: Path) -> int:
    return sum(1 for p in (root / "Archive").glob("CC-*") if p.is_dir())


@pytest.mark.heavy
def test_two_sites_under_their_services_one_killed_mid_burst(
    postgres_url: str, tmp_path: Path
) -> None:
    sites = {
        "SZ": site_folder(tmp_path / "suzhou", postgres_url, "SZ"),
        "WX": site_folder(tmp_path / "wuxi", postgres_url, "WX"),
    }
    work = tmp_path / "work"
    work.mkdir()
    per_site = 30
    saved: dict[str, list[tuple[str, str]]] = {}
    base = time.time() - 3600
    for code, folder in sites.items():
        saved[code] = []
        for i in range(per_site):
            # Each its own product, but for one pair: the same complaint at both plants.
            product = "SHARED-1" if i == per_site - 1 else f"{code}-{i}"
            path = registration(
                folder,
                work,
                f"{code} {i:02d}.docx",
                Customer=f"{code} customer {i}",
                **{"Product / model": product},
            )
            if i == per_site - 1:
                fill_docx(path, {"Customer": "Same Customer", "Registered by": code})
            target = folder.root / "Inbox" / path.name
            shutil.copyfile(path, target)
            os.utime(target, (base + i, base + i))
            saved[code].append((path.name, sha256(target)))
    services = {code: watch_process(folder.root) for code, folder in sites.items()}
    try:
        sz = sites["SZ"].root
        until(lambda: _filed(sz) >= 5)  # mid-burst
        services["SZ"].send_signal(signal.SIGKILL)
        services["SZ"].wait()
        assert _filed(sz) < per_site, "the burst was over before the kill"
        services["SZ"] = watch_process(sz)  # restarted
        for folder in sites.values():
            until(lambda f=folder: not any((f.root / "Inbox").iterdir()), timeout=300)
    finally:
        for proc in services.values():
            proc.send_signal(signal.SIGTERM)
        for proc in services.values():
            assert proc.wait(timeout=60) == 0
    for code, folder in sites.items():
        assert_consistent(folder.root, saved[code])
        assert _filed(folder.root) == per_site
    listed = [
        json.loads(line)
        for line in sites["WX"].run("cases", str(sites["WX"].root), "--json").splitlines()
    ]
    numbers = [c["case_id"] for c in listed]
    assert len(numbers) == 2 * per_site == len(set(numbers))
    assert sorted(numbers) == [f"CC-2026-{n:04d}" for n in range(1, 2 * per_site + 1)]
    assert {c["site"] for c in listed} == {"SZ", "WX"}
    with Registry(tmp_path / "unused", url=postgres_url, site="SZ") as reg:
        pair = [c for c in reg.cases(every_site=True) if c.product == "SHARED-1"]
        assert len(pair) == 2 and {c.site for c in pair} == {"SZ", "WX"}
        # The later of the two is flagged as a repeat of the earlier, across sites.
        earlier, later = sorted(pair, key=lambda c: c.case_id)
        assert later.repeats == [earlier.case_id]


def test_a_plant_with_an_archive_joins_the_group_by_rebuild(
    postgres_url: str, tmp_path: Path
) -> None:
    """A folder that filed on a registry of its own is refused on the shared one until
    `rebuild` loads its archive there; then verify finds every folder as the registry has
    it, the numbering goes on above its cases, and nothing can be loaded twice or over
    another site's numbers."""
    sz = Folder(tmp_path / "suzhou")
    work = tmp_path / "work"
    work.mkdir()
    for n, customer in enumerate(("ACME", "Globex")):
        registration(sz, work, f"{n}.docx", Customer=customer).replace(
            sz.root / "Inbox" / f"{n}.docx"
        )
        assert sz.ingest(f"2026-11-20T09:0{n}")[0]["outcome"] == "filed"
    sz.setting('url = ""\nsite = ""', f'url = "{postgres_url}"\nsite = "SZ"')
    refused = CliRunner().invoke(cli, ["ingest", str(sz.root)])
    assert refused.exit_code != 0
    assert "this site has no cases on the shared registry" in refused.output
    assert f"closedloop rebuild {sz.root}" in refused.output
    doctor = CliRunner().invoke(cli, ["doctor", str(sz.root), "--json"])
    [site] = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "site"]
    assert site["status"] == "fail" and "closedloop rebuild" in site["detail"]

    loaded = sz.run("rebuild", str(sz.root), "--now", "2026-11-21T08:00")
    assert "Loaded 2 case folders (2 filings) into the shared registry" in loaded
    assert "as cases of site SZ" in loaded and "Archive chain: 4 events" in loaded
    verified = json.loads(
        CliRunner().invoke(cli, ["verify", str(sz.root), "--json"], catch_exceptions=False).stdout
    )
    assert verified["findings"] == [] and verified["registry"]["checked"]
    assert verified["chain"]["events"] == 4
    [first, _second] = sorted((sz.root / "Archive").glob("CC-2026-000*"))
    assert json.loads((first / "case.json").read_text(encoding="utf-8"))["case"]["site"] == "SZ"
    last = json.loads((first / "history.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert (last["event"], last["detail"]) == ("joined the shared registry", "as a case of site SZ")
    doctor = CliRunner().invoke(cli, ["doctor", str(sz.root), "--json"])
    [site] = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "site"]
    assert site["status"] == "ok", site

    again = CliRunner().invoke(cli, ["rebuild", str(sz.root)])
    assert again.exit_code != 0
    assert "site SZ has cases on the shared registry already" in again.output
    # Another plant that numbered its own cases: its CC-2026-0001 is Suzhou's on the group's.
    wx = Folder(tmp_path / "wuxi")
    registration(wx, work, "w.docx").replace(wx.root / "Inbox" / "w.docx")
    assert wx.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"
    wx.setting('url = ""\nsite = ""', f'url = "{postgres_url}"\nsite = "WX"')
    clash = CliRunner().invoke(cli, ["rebuild", str(wx.root)])
    assert clash.exit_code != 0
    assert "case numbers are other sites' on the shared registry (CC-2026-0001 (SZ))" in (
        clash.output.replace("\n", " ")
    )
    with Registry(tmp_path / "unused", url=postgres_url, site="WX") as reg:
        assert reg.cases() == [] and reg.chain_head()[0] == 0  # nothing half loaded

    registration(sz, work, "n.docx", Customer="Initech").replace(sz.root / "Inbox" / "n.docx")
    [filed] = sz.ingest("2026-11-22T09:00")
    assert filed["case_id"] == "CC-2026-0003"
    assert_consistent(sz.root, [])


def test_a_folder_with_cases_of_its_own_is_not_joined_to_a_shared_registry(
    postgres_url: str, tmp_path: Path
) -> None:
    """Its case numbers would collide with the group's: refused, saying what to do."""
    folder = Folder(tmp_path / "share")
    work = tmp_path / "work"
    work.mkdir()
    registration(folder, work, "a.docx").replace(folder.root / "Inbox" / "a.docx")
    assert folder.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"
    folder.setting('url = ""\nsite = ""', f'url = "{postgres_url}"\nsite = "SZ"')
    result = CliRunner().invoke(cli, ["ingest", str(folder.root)])
    assert result.exit_code != 0
    assert "this site has no cases on the shared registry" in result.output
    assert f"closedloop rebuild {folder.root}" in result.output
    assert "empty [registry] url" in result.output


def test_a_site_code_given_by_mistake_is_retired_and_one_with_cases_stays(
    postgres_url: str, tmp_path: Path
) -> None:
    sz = site_folder(tmp_path / "suzhou", postgres_url, "SZ")
    work = tmp_path / "work"
    work.mkdir()
    registration(sz, work, "a.docx").replace(sz.root / "Inbox" / "a.docx")
    assert sz.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"
    # Wuxi's folder first opened the registry under a mistyped code, then under its own.
    wx = site_folder(tmp_path / "wuxi", postgres_url, "WXX")
    assert wx.ingest("2026-11-20T09:30") == []
    wx.setting('site = "WXX"', 'site = "WX"')
    assert wx.ingest("2026-11-20T09:40") == []
    listed = json.loads(wx.run("sites", str(wx.root), "--json"))["sites"]
    assert [(s["site"], s["cases"], s["this"]) for s in listed] == [
        ("SZ", 1, False),
        ("WX", 0, True),
        ("WXX", 0, False),
    ]
    assert "SZ       1 case" in wx.run("sites", str(wx.root))

    def refused(*args: str) -> str:
        result = CliRunner().invoke(cli, ["sites", str(wx.root), *args])
        assert result.exit_code == 2, result.output
        return result.output

    assert "--retire SZ: the site still has 1 case, 1 issued form" in refused("--retire", "SZ")
    assert "--retire WX: that is this folder's site" in refused("--retire", "wx")
    assert "--retire ZZ: no such site on the shared registry; its sites: SZ, WX, WXX" in (
        refused("--retire", "ZZ")
    )
    said = wx.run("sites", str(wx.root), "--retire", "wxx")
    assert said.startswith(f"site WXX retired (it was {wx.root.resolve()} on ")
    assert [s["site"] for s in json.loads(wx.run("sites", str(wx.root), "--json"))["sites"]] == [
        "SZ",
        "WX",
    ]
    unknown = CliRunner().invoke(cli, ["cases", str(sz.root), "--site", "WXX"])
    assert "its sites: SZ, WX" in unknown.output
    # A folder on a registry of its own has no sites.
    alone = Folder(tmp_path / "alone")
    result = CliRunner().invoke(cli, ["sites", str(alone.root)])
    assert result.exit_code == 2 and "it has no sites" in result.output


def test_verify_names_another_sites_case_folder_copied_in(
    postgres_url: str, tmp_path: Path
) -> None:
    sz, wx = two_sites_each_with_a_case(postgres_url, tmp_path)
    [folder] = (sz.root / "Archive").glob("CC-2026-0001*")
    shutil.copytree(folder, wx.root / "Archive" / folder.name)
    result = CliRunner().invoke(cli, ["verify", str(wx.root), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    # Said once, as what it is; Wuxi's own chain and case are not taken for broken.
    assert [(f["folder"], f["kind"]) for f in findings] == [(folder.name, "identity")]
    assert findings[0]["detail"].startswith(
        "case CC-2026-0001 is a case of site SZ, not of this site (WX): the folder was copied"
    )
