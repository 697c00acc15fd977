"""The shared folder as office staff see it, and `closedloop init` that lays it out, with
Blank Forms that carry the company name of the settings."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from app.errors import FolderMissing, NotASharedFolder
from filing.folders import FolderNames
from filing.policy import Policy
from forms.atomicfile import atomic_write_bytes, remove_leftovers
from forms.container import CT_CUSTOM_PROPS, is_lock_file, open_package
from forms.definition import FormDefinition, all_forms
from forms.docprops import parse_custom_properties
from forms.errors import RefusedFile
from forms.identity import from_properties
from forms.reader import read_capped, read_form
from forms.writer import FORMATS, Format, render_form
from language import DEFAULT as DEFAULT_LANGUAGE
from language import DEFAULT_FOLDERS, LANGUAGES, use

SETTINGS_FILE = "closedloop.toml"
# What Blank Forms/ were last written for (.closedloop/blank-forms.json): a run's start
# compares it with the settings instead of opening every blank.
BLANKS_RECORD = "blank-forms.json"
_BLANKS_RECORD_VERSION = 2  # 2: with the languages
_CT_CORE_PROPS = "application/vnd.openxmlformats-package.core-properties+xml"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
# Files office suites, file managers and copy tools leave behind: never forms, never ours.
JUNK_PATTERNS = ("~WRL*.tmp", "*.tmp", "*.filepart", "Thumbs.db", "desktop.ini", ".DS_Store", "._*")


def is_junk(name: str) -> bool:
    """Lock files and temporary files of office suites and file managers."""
    return is_lock_file(Path(name)) or any(
        fnmatch.fnmatch(name.lower(), p.lower()) for p in JUNK_PATTERNS
    )


@dataclass(frozen=True)
class SharedFolder:
    root: Path
    # As the settings name them ([folders]); English when they do not.
    names: FolderNames = field(default_factory=FolderNames)

    @property
    def inbox(self) -> Path:
        return self.root / self.names.inbox

    @property
    def outbox(self) -> Path:
        return self.root / self.names.outbox

    @property
    def archive(self) -> Path:
        return self.root / self.names.archive

    @property
    def quarantine(self) -> Path:
        return self.root / self.names.quarantine

    @property
    def reports(self) -> Path:
        return self.root / self.names.reports

    @property
    def blank_forms(self) -> Path:
        return self.root / self.names.blank_forms

    @property
    def settled(self) -> Path:
        """Quarantine/Settled: refused files a corrected one has since settled."""
        return self.quarantine / self.names.settled

    @property
    def todo_page(self) -> str:
        """The name of each outbox's page of what its department still owes."""
        return f"{self.names.to_do}.html"

    @property
    def state(self) -> Path:
        return self.root / ".closedloop"

    @property
    def blanks_record(self) -> Path:
        return self.state / BLANKS_RECORD

    @property
    def registry(self) -> Path:
        return self.state / "registry.sqlite"

    def is_laid_out(self) -> bool:
        return self.inbox.is_dir() and self.state.is_dir()

    @classmethod
    def laid_out(cls, root: Path, names: FolderNames | None = None) -> SharedFolder:
        """The shared folder at `root` with its folders named `names`; NotASharedFolder
        when it is not laid out (nothing is created: `closedloop init` lays one out)."""
        folder = cls(root, names or FolderNames())
        if not folder.state.is_dir():
            raise NotASharedFolder(root, folder.names.inbox)
        for key in ("inbox", "archive"):  # where files come in, and the record of every case
            if not (root / getattr(folder.names, key)).is_dir():
                raise FolderMissing(root, key, getattr(folder.names, key))
        return folder


def init(
    root: Path,
    policy: Policy,
    company: str,
    settings_text: str,
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,),
) -> list[Path]:
    """Lay out the shared folder, its folders named as `policy` says; create only what is
    missing, never overwrite a site's files. Returns what was created."""
    folder = SharedFolder(root, policy.folders)
    created: list[Path] = []
    folders = [
        folder.inbox,
        folder.archive,
        folder.quarantine,
        folder.reports,
        folder.blank_forms,
        folder.state,
        folder.outbox,
    ]
    folders += [folder.outbox / name for name in policy.outboxes.values()]
    # What is done keeps its own folder from the start: the To do page links it.
    # (Quarantine/Settled is made at the first settling: no refused file takes its name.)
    folders += [folder.outbox / name / folder.names.done for name in policy.outboxes.values()]
    for path in folders:
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            created.append(path)
    settings = root / SETTINGS_FILE
    if not settings.exists():
        atomic_write_bytes(settings, settings_text.encode("utf-8"))
        created.append(settings)
    blanks = write_blank_forms(folder, company, languages)
    if blanks.failed:
        raise blanks.failed[0][1]
    return created + blanks.created


@dataclass(frozen=True)
class BlanksFor:
    """What the blank forms are made for: the company on their letterhead, the languages
    they are printed in, the version of each form, and the name of the folder they tell
    people to save them into (the Inbox, as the settings name it)."""

    company: str
    versions: tuple[tuple[str, str], ...]  # (form id, version), in form order
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)  # the first; a second printed beside
    inbox: str = DEFAULT_FOLDERS["inbox"]

    @classmethod
    def now(
        cls, company: str, languages: tuple[str, ...] = (DEFAULT_LANGUAGE,), inbox: str = ""
    ) -> BlanksFor:
        versions = tuple((f.id, f.version) for f in all_forms().values())
        return cls(company, versions, languages, inbox or DEFAULT_FOLDERS["inbox"])

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _BLANKS_RECORD_VERSION,
            "company": self.company,
            "languages": list(self.languages),
            "inbox": self.inbox,
            "forms": dict(self.versions),
        }

    @classmethod
    def from_json(cls, data: Any) -> BlanksFor | None:
        """The record as written, or None for one of another version or damaged: the
        blanks are then looked at one by one."""
        if not isinstance(data, dict) or data.get("version") != _BLANKS_RECORD_VERSION:
            return None
        company, forms = data.get("company"), data.get("forms")
        languages = data.get("languages")
        if not isinstance(company, str) or not isinstance(forms, dict):
            return None
        if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
            return None
        versions = tuple((str(k), str(v)) for k, v in forms.items())
        # A record from before the Inbox's name was kept: its blanks may name another
        # ("" matches no name, so they are written once more).
        inbox = data.get("inbox")
        return cls(company, versions, tuple(languages), inbox if isinstance(inbox, str) else "")


def blanks_made_for(folder: SharedFolder) -> BlanksFor | None:
    """What Blank Forms/ were last written for; None when no record says (a folder laid
    out before the record was kept, or a record someone damaged)."""
    try:
        return BlanksFor.from_json(json.loads(folder.blanks_record.read_bytes()))
    except (OSError, ValueError):
        return None


def blanks_stale(
    folder: SharedFolder, company: str, languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
) -> bool:
    """Whether Blank Forms/ may carry another company name, other languages or an older
    form than the settings and this closedloop make (cheap: one small file)."""
    return blanks_made_for(folder) != BlanksFor.now(company, languages, folder.names.inbox)


@dataclass
class BlanksWritten:
    created: list[Path] = field(default_factory=list)  # a blank that was missing
    rewritten: list[Path] = field(default_factory=list)  # ours, made for another company
    # ours, named in a language the folder no longer uses (its blank in the new one is made)
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # not made by closedloop: left alone
    filled: list[Path] = field(default_factory=list)  # ours, but someone filled it in
    failed: list[tuple[Path, OSError]] = field(default_factory=list)  # open in Word: later


def write_blank_forms(
    folder: SharedFolder, company: str, languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
) -> BlanksWritten:
    """Make Blank Forms/ carry `company`, `languages` (the first, and a second beside it)
    and each form's current version: write a missing blank (named by its title in the
    first language), write anew one of ours made for another company, language or version
    (atomically: a person opening it sees the old or the new one), remove ours named in
    another language, and leave alone a file closedloop did not make (ours carry the
    closedloop.form property) and one of ours someone filled in. The record of what they
    are made for is written when every blank of ours is done."""
    out = BlanksWritten()
    first, second = languages[0], (languages[1] if len(languages) > 1 else None)
    made_for = blanks_made_for(folder)
    # The language and the Inbox's name are not in the blank itself: the record says what
    # they were made with.
    relanguaged = made_for is not None and (
        made_for.languages != languages or made_for.inbox != folder.names.inbox
    )
    titles = {f.title_in(lang) for f in all_forms().values() for lang in LANGUAGES}
    remove_leftovers(folder.blank_forms, {f"{t}.{fmt}" for t in titles for fmt in FORMATS})
    remove_leftovers(folder.state, {folder.blanks_record.name})

    def blank(form: FormDefinition, fmt: Format) -> bytes:
        # Its instructions name the folders as this folder's settings do, whoever asks
        # (`init` asks before the settings it writes are read).
        with use(first, folder.names.top()):
            return render_form(form, fmt, company=company, language=first, second_language=second)

    for form in all_forms().values():
        for fmt in FORMATS:
            _remove_other_languages(folder, form, fmt, first, out)
            path = folder.blank_forms / f"{form.title_in(first)}.{fmt}"
            try:
                if not path.exists():
                    atomic_write_bytes(path, blank(form, fmt))
                    out.created.append(path)
                    continue
                found = _look_at(path, form)
                if found is None:
                    out.kept.append(path)
                elif found == (company, form.version) and not relanguaged:
                    continue
                # One of another version cannot be filed: nothing is lost writing it anew.
                elif found.version == form.version and _filled_in(path):
                    out.filled.append(path)
                else:
                    atomic_write_bytes(path, blank(form, fmt))
                    out.rewritten.append(path)
            except OSError as exc:
                out.failed.append((path, exc))
    if not out.failed:
        record = BlanksFor.now(company, languages, folder.names.inbox).to_json()
        text = json.dumps(record, ensure_ascii=False, indent=2)
        atomic_write_bytes(folder.blanks_record, text.encode("utf-8") + b"\n")
    return out


def _remove_other_languages(
    folder: SharedFolder, form: FormDefinition, fmt: Format, language: str, out: BlanksWritten
) -> None:
    """A blank of ours named in a language the folder no longer uses goes (its blank in the
    language now used is written); one someone filled in stays, and is said."""
    for other in {form.title_in(lang) for lang in LANGUAGES} - {form.title_in(language)}:
        path = folder.blank_forms / f"{other}.{fmt}"
        try:
            if path.is_symlink() or not path.is_file() or _look_at(path, form) is None:
                continue
            if _filled_in(path):
                out.filled.append(path)
                continue
            path.unlink()
            out.removed.append(path)
        except OSError as exc:
            out.failed.append((path, exc))


class _Ours(NamedTuple):
    """What a blank closedloop made was made for."""

    company: str
    version: str


def _look_at(path: Path, form: FormDefinition) -> _Ours | None:
    """What closedloop made this blank for; None when closedloop did not make it (no
    closedloop.form property naming this form, or a form of a case). The company is the
    document's author, which closedloop sets to it and Word and Excel keep on a save."""
    try:
        pkg = open_package(path, read_capped(path))
    except RefusedFile:
        return None
    try:
        props: dict[str, str] = {}
        for part in pkg.parts_of_type(CT_CUSTOM_PROPS):
            props.update(parse_custom_properties(pkg.parse(part)))
        identity = from_properties(props)
        if identity is None or identity.form_id != form.id or identity.case_id is not None:
            return None
        creator = ""
        for part in pkg.parts_of_type(_CT_CORE_PROPS):
            element = pkg.parse(part).find(_DC_CREATOR)
            creator = (element.text or "") if element is not None else ""
    except RefusedFile:
        return None
    finally:
        pkg.close()
    return _Ours(creator.strip(), identity.version)


def _filled_in(path: Path) -> bool:
    """Whether a blank of ours holds a value someone typed (a blank reads as all empty)."""
    try:
        read = read_form(path)
    except RefusedFile:
        return False  # ours, but no longer readable as a form: a blank serves better
    return any(value not in (None, "", []) for value in read.values.values())
