"""`closedloop doctor`: is this shared folder ready to be worked on, and how should the
service watch it? Each check says ok, warn or fail, with what to do."""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.archive_numbers import archive_case_numbers
from app.errors import command_path
from app.folder import SharedFolder
from app.instance import InstanceLock
from app.opening import FOLDER_ID, LinkedFolder, refuse_links, registry_to_read
from app.settings.model import RegistrySettings
from filing.folders import FolderNames
from filing.registry import Registry, RegistryError, RegistryMissing
from filing.registry.database import shown_url
from forms.flush import filesystem_of
from language import N_, _, formats, ngettext
from mail.send import connect, reason
from mail.settings import MailSettings

# File systems on which change events from other machines never arrive.
NETWORK_FILESYSTEMS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "fuse.sshfs", "afs", "9p", "davfs"}


#: A check's name and its status as people read them; --json keeps these ids.
CHECK_NAMES: dict[str, str] = {
    "settings": N_("settings"),
    "folders": N_("folders"),
    "permissions": N_("permissions"),
    "links": N_("links"),
    "registry": N_("registry"),
    "site": N_("site"),
    "journal": N_("journal"),
    "service": N_("service"),
    "network share": N_("network share"),
    "LibreOffice": N_("LibreOffice"),
    "fonts": N_("fonts"),
    "mail": N_("mail"),
}
STATUS_WORDS: dict[str, str] = {"ok": N_("ok"), "warn": N_("warn"), "fail": N_("fail")}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str  # in the language in use

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}

    def words(self) -> tuple[str, str]:
        """The status and the name, in the language in use."""
        status = _(STATUS_WORDS[self.status]) if self.status in STATUS_WORDS else self.status
        return status, _(CHECK_NAMES[self.name]) if self.name in CHECK_NAMES else self.name


def checks(
    root: Path,
    poll: float | None,
    closure_packets: bool,
    departments: list[str],
    mounts: Path = Path("/proc/mounts"),
    mail: MailSettings | None = None,
    folders: FolderNames | None = None,
    registry: RegistrySettings | None = None,
) -> list[Check]:
    folder = SharedFolder(root, folders or FolderNames())
    out: list[Check] = []
    places = [folder.inbox, folder.archive, folder.quarantine, folder.blank_forms, folder.state]
    places += [folder.outbox / d for d in departments]
    missing = [p for p in places if not p.is_dir()]
    out.append(
        Check(
            "folders",
            "fail" if missing else "ok",
            _("missing: {folders}; lay them out with `closedloop init {root}`").format(
                folders=_(", ").join(str(p.relative_to(root)) for p in missing),
                root=command_path(root),
            )
            if missing
            else _(
                "{inbox}, {outbox} for every department, {archive}, {quarantine}, {blank_forms}"
            ).format(
                inbox=folder.inbox.name,
                outbox=folder.outbox.name,
                archive=folder.archive.name,
                quarantine=folder.quarantine.name,
                blank_forms=folder.blank_forms.name,
            ),
        )
    )
    if not folder.is_laid_out():
        # Not a shared folder: nothing more to look at, and nothing is made in it (a lock
        # or a registry made here would leave a folder wherever ROOT pointed).
        return out
    unwritable = [p for p in places if p.is_dir() and not os.access(p, os.W_OK | os.X_OK)]
    out.append(
        Check(
            "permissions",
            "fail" if unwritable else "ok",
            _(
                "closedloop cannot write to: {folders}; give the account that runs it write access"
            ).format(folders=_(", ").join(str(p) for p in unwritable))
            if unwritable
            else _("closedloop can write everywhere it must"),
        )
    )
    try:
        refuse_links(folder)
        out.append(Check("links", "ok", _("every folder closedloop writes into is a real folder")))
    except LinkedFolder as exc:
        out.append(Check("links", "fail", str(exc)))
    out += _registry(folder, registry or RegistrySettings())
    holder = _watcher(folder)
    out.append(
        Check(
            "service",
            "ok",
            _("watched by {holder}").format(holder=holder)
            if holder
            else _("no `closedloop watch` is running on it now"),
        )
    )
    kind = filesystem_of(folder.inbox, mounts)
    if kind in NETWORK_FILESYSTEMS and not poll:
        out.append(
            Check(
                "network share",
                "warn",
                _(
                    "the Inbox is on a {kind} share, where change events from other machines "
                    "never arrive; set `poll = 5` in [watch] of closedloop.toml (or run "
                    "`closedloop watch --poll 5`)"
                ).format(kind=kind),
            )
        )
    else:
        shown = kind or _("an unknown file system")
        how = (
            _("polling every {seconds} s").format(seconds=f"{poll:g}")
            if poll
            else _("native events")
        )
        said = _("the Inbox is on {kind}; {how}").format(kind=shown, how=how)
        out.append(Check("network share", "ok", said))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        out.append(
            Check(
                "LibreOffice",
                "warn" if closure_packets else "ok",
                _(
                    "not installed: closure packets cannot be built; install "
                    "libreoffice-writer-nogui and libreoffice-calc-nogui"
                )
                if closure_packets
                else _("not installed (closure packets are off)"),
            )
        )
    else:
        out.append(Check("LibreOffice", "ok", soffice))
    out.append(_cjk_font())
    out.append(_mail(folder, mail or MailSettings(), registry or RegistrySettings()))
    return out


def _registry(folder: SharedFolder, where: RegistrySettings) -> list[Check]:
    """The registry opens, is not missing under an archive of cases, and holds no filing
    whose files could not all be put in place (a jammed folder). A shared one: which
    folder is this site there."""
    numbers = archive_case_numbers(folder.archive)
    try:
        # Never made here: a doctor that made an empty registry would hide a lost one.
        with registry_to_read(folder, where) as registry:
            schema = _("schema {version}").format(version=registry.schema_version())
            checks = [Check("registry", "ok", schema)]
            if where.shared:
                checks[0] = Check("registry", "ok", f"{registry.db.where}, {schema}")
                checks.append(_site(folder, registry, bool(numbers)))
            pending = registry.pending_since()
    except RegistryMissing:
        if numbers and where.shared:
            return [
                Check(
                    "registry",
                    "fail",
                    _(
                        "{registry} is not made yet, but the {archive} holds case folders: load "
                        "them into it with `closedloop rebuild {root}`"
                    ).format(
                        registry=shown_url(where.url),
                        archive=folder.archive.name,
                        root=command_path(folder.root),
                    ),
                )
            ]
        if numbers:
            return [
                Check(
                    "registry",
                    "fail",
                    _(
                        "{registry} is missing, but the {archive} holds case folders; nothing is "
                        "filed until it is made again: `closedloop rebuild {root}`"
                    ).format(
                        registry=folder.registry,
                        archive=folder.archive.name,
                        root=command_path(folder.root),
                    ),
                )
            ]
        return [
            Check("registry", "ok", _("not made yet: the first filing makes it")),
            Check("journal", "ok", _("nothing filed yet")),
        ]
    except RegistryError as exc:
        return [Check("registry", "fail", str(exc))]
    if pending:
        count, oldest = len(pending), min(pending)
        checks.append(
            Check(
                "journal",
                "fail",
                ngettext(
                    "{count} filing committed since {when} could not put all their files in "
                    "place (a full disk, a permission, a folder someone made read-only); the "
                    "service tries again at each file. Free space or fix the permission, then "
                    "run `closedloop ingest`; the service's log says which file",
                    "{count} filings committed since {when} could not put all their files in "
                    "place (a full disk, a permission, a folder someone made read-only); the "
                    "service tries again at each file. Free space or fix the permission, then "
                    "run `closedloop ingest`; the service's log says which file",
                    count,
                ).format(count=count, when=formats.minute(oldest)),
            )
        )
    else:
        checks.append(Check("journal", "ok", _("every filing's files are in place")))
    return checks


def _site(folder: SharedFolder, registry: Registry, has_cases: bool) -> Check:
    """Whether this folder is its site on the shared registry, and will be let in."""
    record = registry.site_record(registry.site)
    site = registry.site
    if record is None:
        if has_cases:
            return Check(
                "site",
                "fail",
                _(
                    "site {site} is not on the shared registry yet, and the {archive} holds "
                    "case folders: load them into it with `closedloop rebuild {root}`"
                ).format(site=site, archive=folder.archive.name, root=command_path(folder.root)),
            )
        return Check("site", "ok", _("site {site}: joins at its first start").format(site=site))
    try:
        mine = (folder.state / FOLDER_ID).read_text(encoding="ascii").strip()
    except OSError:
        mine = ""
    if record.folder != mine:
        return Check(
            "site",
            "fail",
            _(
                "site {site} is another shared folder's ({other} on {host}); give this folder "
                "its own site code in [registry] site"
            ).format(site=site, other=record.root, host=record.host),
        )
    if has_cases and registry.first_opened() is None:
        return Check(
            "site",
            "fail",
            _(
                "site {site} has no cases on the shared registry, but the {archive} holds "
                "case folders: load them into it with `closedloop rebuild {root}`"
            ).format(site=site, archive=folder.archive.name, root=command_path(folder.root)),
        )
    return Check(
        "site",
        "ok",
        _("site {site}: this folder, since {since}").format(site=site, since=record.joined_at),
    )


def _mail(folder: SharedFolder, mail: MailSettings, registry_at: RegistrySettings) -> Check:
    if not mail.enabled:
        return Check("mail", "ok", _("off: no e-mail is sent ([mail] host is empty)"))
    where = f"{mail.host}:{mail.port}"
    try:
        with connect(mail) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return Check(
            "mail",
            "fail",
            _(
                "{reason} at {where}; correct host, port, security and the login in [mail] of "
                "closedloop.toml (forms are still issued to the outboxes meanwhile)"
            ).format(reason=reason(exc), where=where),
        )
    try:
        with registry_to_read(folder, registry_at) as registry:
            waiting = [m for m in registry.mails() if m.sent_at is None]
    except RegistryError:
        waiting = []
    given_up = [m for m in waiting if m.given_up]
    if given_up:
        return Check(
            "mail",
            "warn",
            _(
                "{where} answers, but {count} mails were given up (the last: {error}); check "
                "the addresses in [mail.departments]"
            ).format(where=where, count=len(given_up), error=given_up[-1].last_error),
        )
    said = _("{where} answers; {count} mails wait to be sent").format(
        where=where, count=len(waiting)
    )
    return Check("mail", "ok", said)


def _watcher(folder: SharedFolder) -> str | None:
    lock = InstanceLock(folder.state, "closedloop doctor")
    try:
        lock.acquire()
    except Exception as exc:  # AlreadyWatched names the holder
        return str(getattr(exc, "holder", _("another process")))
    lock.release()
    return None


def _cjk_font() -> Check:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Check("fonts", "warn", _("fc-list is missing: cannot tell which fonts there are"))
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    if found.stdout.strip():
        return Check("fonts", "ok", _("a Chinese font is installed for packets and forms"))
    return Check(
        "fonts",
        "warn",
        _(
            "no Chinese font: Chinese customer names print as boxes in closure packets; "
            "install fonts-noto-cjk"
        ),
    )
