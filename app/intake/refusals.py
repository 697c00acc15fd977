"""How filing an entry ends other than filed: refused with reasons and a fix (the entry
goes to Quarantine beside a note), or found already filed (an interrupted run left the
Inbox copy); and the results of an entry that cannot be read now."""

from __future__ import annotations

from app.results import FileResult, Outcome
from archive.nofollow import NotARegularFile
from language import _, current, formats


class Refusal(Exception):
    def __init__(
        self,
        reasons: list[str],
        fix: str,
        case_id: str | None = None,
        form: str | None = None,
        duplicate: bool = False,
    ):
        self.reasons = reasons
        self.fix = fix
        self.case_id = case_id
        self.form = form
        # A second copy of what is filed: its case and form are the original's, and no
        # later filing of them mends it (a person removes it, or files it under its name).
        self.duplicate = duplicate
        super().__init__(" ".join(reasons))

    def settled_by(self) -> tuple[str | None, str | None]:
        """The case and form whose filing settles this refusal."""
        return (None, None) if self.duplicate else (self.case_id, self.form)


class AlreadyFiled(Exception):
    def __init__(self, case_id: str, form: str | None, where: str) -> None:
        self.case_id = case_id
        self.form = form
        self.where = where
        super().__init__(where)

    def result(self, name: str) -> FileResult:
        return FileResult(
            name,
            Outcome.FILED,
            self.case_id,
            self.form,
            reason=_(
                "already filed as {where}; the Inbox copy an interrupted run left was removed"
            ).format(where=self.where),
        )


def not_now(name: str, exc: OSError) -> FileResult:
    """A file that cannot be read now (held open, permission denied): tried again later."""
    return FileResult(
        name,
        Outcome.IGNORED,
        reason=_("cannot be read now ({why}); it stays in the Inbox").format(why=exc.strerror),
        retry=True,
    )


def became(name: str, exc: NotARegularFile) -> FileResult:
    """An entry swapped for a link (or a FIFO) since it was listed: looked at anew."""
    return FileResult(
        name,
        Outcome.IGNORED,
        reason=_("it became {what}; looked at again later").format(what=exc.what),
    )


def megabytes(size: int) -> str:
    if size >= 2**20:
        return f"{formats.number(round(size / 2**20))} MB"
    return f"{formats.number(round(size / 1024))} kB"


def sentences(parts: list[str]) -> str:
    """Sentences run on as the language writes them: a space between them in English; in
    Chinese nothing after a full stop, and a semicolon after a clause without one."""
    if not current().startswith("zh"):
        return " ".join(parts)
    out = ""
    for part in parts:
        if out and not out.endswith(_CHINESE_STOPS):
            out += "；"
        out += part
    return out


_CHINESE_STOPS = ("。", "！", "？", "；", "：")
