"""What `closedloop verify` finds: a finding names the folder, the file, its kind and what
to do; a check is one folder's (or the archive's) findings with what was read.

The kind is an id (`--json` keeps it as it is; `kind_words` says it in the language in use,
as verify's text does); the detail is said in the language in use, as every `detail` of
verify's findings is (archive/verify*.py, archive/chaincheck.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive.listing import NEVER_FOLLOWED
from archive.nofollow import NotARegularFile
from archive.page_words import in_context
from language import N_, _

#: A finding's kind as a person reads it before the finding (the context before the bar: a
#: bare "missing" or "history" means something else elsewhere in the catalogs). English
#: shows the ids, as verify always has.
KINDS = {
    "missing": N_("finding|missing"),
    "altered": N_("finding|altered"),
    "unexpected": N_("finding|unexpected"),
    "not-a-file": N_("finding|not-a-file"),
    "history": N_("finding|history"),
    "unreadable": N_("finding|unreadable"),
    "identity": N_("finding|identity"),
    "registry": N_("finding|registry"),
    "chain": N_("finding|chain"),
    "anchor": N_("finding|anchor"),
}


def kind_words(kind: str) -> str:
    """A finding's kind in the language in use: `missing`, `缺失`."""
    return in_context(_(KINDS[kind])) if kind in KINDS else kind


@dataclass(frozen=True)
class Finding:
    folder: str  # the case folder, relative to Archive/ ("" for the archive as a whole)
    file: str  # relative to the case folder
    # missing | altered | unexpected | not-a-file | history | unreadable | identity
    # | registry | chain | anchor
    kind: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"folder": self.folder, "file": self.file, "kind": self.kind, "detail": self.detail}


@dataclass
class CaseCheck:
    folder: Path
    files: int
    bytes: int
    findings: list[Finding]
    quarter: bool = False  # a sealed quarter's own manifest, not a case
    whole: bool = False  # the archive as a whole: the case list, the archive chain


def unread(exc: OSError, whose: str, listed: bool) -> tuple[str, str]:
    """The kind and detail of a finding about a file that could not be read. `whose`: the
    record that lists the folder's files, in words ("the manifest")."""
    if isinstance(exc, NotARegularFile):  # swapped for a link or a FIFO since the listing
        return "not-a-file", foreign(exc.what, whose, listed)
    return "unreadable", _("cannot be read ({why})").format(why=exc.strerror or exc)


def foreign(what: str, whose: str, listed: bool) -> str:
    """The detail of a finding about a link, FIFO or device in a folder: never read."""
    if listed:
        return _(
            "{what} where {whose} lists a file: {never_followed}, so it was not read; "
            "remove it and restore the file from a backup"
        ).format(what=what, whose=whose, never_followed=_(NEVER_FOLLOWED))
    return _("{what}, not in {whose}: {never_followed}, so it was not read; remove it").format(
        what=what, whose=whose, never_followed=_(NEVER_FOLLOWED)
    )
