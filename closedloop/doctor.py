"""`closedloop doctor`: is this shared folder ready to be worked on, and how should the
service watch it? Each check says ok, warn or fail, with what to do."""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.errors import command_path
from app.folder import SharedFolder
from app.instance import InstanceLock
from app.opening import LinkedFolder, archive_case_numbers, refuse_links
from filing.folders import FolderNames
from filing.registry import Registry, RegistryError, RegistryMissing
from mail.send import connect, reason
from mail.settings import MailSettings

# File systems on which change events from other machines never arrive.
NETWORK_FILESYSTEMS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "fuse.sshfs", "afs", "9p", "davfs"}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def filesystem_of(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The type of the file system `path` is on (Linux), or None if it cannot be told."""
    try:
        lines = mounts.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, parts[2]
    return kind


def checks(
    root: Path,
    poll: float | None,
    closure_packets: bool,
    departments: list[str],
    mounts: Path = Path("/proc/mounts"),
    mail: MailSettings | None = None,
    folders: FolderNames | None = None,
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
            f"missing: {', '.join(str(p.relative_to(root)) for p in missing)}; lay them out "
            f"with `closedloop init {command_path(root)}`"
            if missing
            else "Inbox, Outbox for every department, Archive, Quarantine, Blank Forms",
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
            f"closedloop cannot write to: {', '.join(str(p) for p in unwritable)}; give the "
            "account that runs it write access"
            if unwritable
            else "closedloop can write everywhere it must",
        )
    )
    try:
        refuse_links(folder)
        out.append(Check("links", "ok", "every folder closedloop writes into is a real folder"))
    except LinkedFolder as exc:
        out.append(Check("links", "fail", str(exc)))
    out += _registry(folder)
    holder = _watcher(folder)
    out.append(
        Check(
            "service",
            "ok",
            f"watched by {holder}" if holder else "no `closedloop watch` is running on it now",
        )
    )
    kind = filesystem_of(folder.inbox, mounts)
    if kind in NETWORK_FILESYSTEMS and not poll:
        out.append(
            Check(
                "network share",
                "warn",
                f"the Inbox is on a {kind} share, where change events from other machines "
                "never arrive; set `poll = 5` in [watch] of closedloop.toml (or run "
                "`closedloop watch --poll 5`)",
            )
        )
    else:
        shown = kind or "an unknown file system"
        how = f"polling every {poll:g} s" if poll else "native events"
        out.append(Check("network share", "ok", f"the Inbox is on {shown}; {how}"))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        out.append(
            Check(
                "LibreOffice",
                "warn" if closure_packets else "ok",
                "not installed: closure packets cannot be built; install "
                "libreoffice-writer-nogui and libreoffice-calc-nogui"
                if closure_packets
                else "not installed (closure packets are off)",
            )
        )
    else:
        out.append(Check("LibreOffice", "ok", soffice))
    out.append(_cjk_font())
    out.append(_mail(folder, mail or MailSettings()))
    return out


def _registry(folder: SharedFolder) -> list[Check]:
    """The registry opens, is not missing under an archive of cases, and holds no filing
    whose files could not all be put in place (a jammed folder)."""
    numbers = archive_case_numbers(folder.archive)
    try:
        # Never made here: a doctor that made an empty registry would hide a lost one.
        with Registry(folder.registry, create=False) as registry:
            checks = [Check("registry", "ok", f"schema {registry.schema_version()}")]
            pending = registry.pending_since()
    except RegistryMissing:
        if numbers:
            return [
                Check(
                    "registry",
                    "fail",
                    f"{folder.registry} is missing, but the Archive holds case folders; "
                    f"nothing is filed until it is made again: `closedloop rebuild {command_path(folder.root)}`",
                )
            ]
        return [
            Check("registry", "ok", "not made yet: the first filing makes it"),
            Check("journal", "ok", "nothing filed yet"),
        ]
    except RegistryError as exc:
        return [Check("registry", "fail", str(exc))]
    if pending:
        count, oldest = len(pending), min(pending)
        checks.append(
            Check(
                "journal",
                "fail",
                f"{count} filing{'s' if count > 1 else ''} committed since {oldest:%Y-%m-%d %H:%M} "
                "could not put all their files in place (a full disk, a permission, a "
                "folder someone made read-only); the service tries again at each file. "
                "Free space or fix the permission, then run `closedloop ingest`; "
                "the service's log says which file",
            )
        )
    else:
        checks.append(Check("journal", "ok", "every filing's files are in place"))
    return checks


def _mail(folder: SharedFolder, mail: MailSettings) -> Check:
    if not mail.enabled:
        return Check("mail", "ok", "off: no e-mail is sent ([mail] host is empty)")
    where = f"{mail.host}:{mail.port}"
    try:
        with connect(mail) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return Check(
            "mail",
            "fail",
            f"{reason(exc)} at {where}; correct host, port, security and the login in [mail] "
            "of closedloop.toml (forms are still issued to the outboxes meanwhile)",
        )
    try:
        with Registry(folder.registry, create=False) as registry:
            waiting = [m for m in registry.mails() if m.sent_at is None]
    except RegistryError:
        waiting = []
    given_up = [m for m in waiting if m.given_up]
    if given_up:
        return Check(
            "mail",
            "warn",
            f"{where} answers, but {len(given_up)} mails were given up (the last: "
            f"{given_up[-1].last_error}); check the addresses in [mail.departments]",
        )
    return Check("mail", "ok", f"{where} answers; {len(waiting)} mails wait to be sent")


def _watcher(folder: SharedFolder) -> str | None:
    lock = InstanceLock(folder.state, "closedloop doctor")
    try:
        lock.acquire()
    except Exception as exc:  # AlreadyWatched names the holder
        return str(getattr(exc, "holder", "another process"))
    lock.release()
    return None


def _cjk_font() -> Check:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Check("fonts", "warn", "fc-list is missing: cannot tell which fonts there are")
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    if found.stdout.strip():
        return Check("fonts", "ok", "a Chinese font is installed for packets and forms")
    return Check(
        "fonts",
        "warn",
        "no Chinese font: Chinese customer names print as boxes in closure packets; "
        "install fonts-noto-cjk",
    )
