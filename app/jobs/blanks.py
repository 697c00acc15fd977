"""At a run's start (ingest, watch), Blank Forms/ made for another company name, or for an
older version of a form, are written anew, so that the forms people take carry the name
set in closedloop.toml (the service's log says so). A file someone put there by hand is
left alone, and said once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import command_path
from app.folder import BlanksWritten, blanks_stale, write_blank_forms
from app.jobs.base import Done, Job, Trigger, When
from app.results import FileResult, Outcome
from language import _

if TYPE_CHECKING:
    from app.application import App

log = logging.getLogger("closedloop.blanks")


class BlankFormsJob(Job[str, BlanksWritten]):
    """The work is the company name the blanks are to carry."""

    def todo(self, app: App, trigger: Trigger) -> Sequence[str]:
        if trigger.when is not When.START:
            return []
        company = app.settings.company_name
        stale = blanks_stale(app.folder, company, app.settings.languages)
        return [company] if stale else []

    def do(self, app: App, work: str, now: datetime) -> BlanksWritten:
        return write_blank_forms(app.folder, work, app.settings.languages)

    def done(self, app: App, work: str, made: BlanksWritten | Exception, now: datetime) -> Done:
        if isinstance(made, Exception):  # the folder itself: not worth stopping the pass for
            failure = (
                made if isinstance(made, OSError) else OSError(f"{type(made).__name__}: {made}")
            )
            made = BlanksWritten(failed=[(app.folder.blank_forms, failure)])
        root = app.folder.root
        written = made.rewritten + made.created
        if written:
            # Said in the service's log, not as a result: the blanks themselves show it, and
            # a pass's results are what happened to the Inbox and the cases.
            log.info(
                "%s",
                _(
                    'Blank Forms: {count} written for "{company}", the company name in '
                    "closedloop.toml: {names}"
                ).format(
                    count=len(written), company=work, names=", ".join(p.name for p in written)
                ),
            )
        init = f"`closedloop init {command_path(root)}`"
        kept = _(
            'left as it is, without "{company}" on it: closedloop did not make it (it carries '
            "no closedloop.form property); delete it and {init} writes closedloop's"
        )
        filled = _(
            'left as it is, without "{company}" on it: someone filled it in; move it out (into '
            "the Inbox, to file it) and {init} writes a blank one"
        )
        results = [_said(root, path, kept.format(company=work, init=init)) for path in made.kept]
        results += [
            _said(root, path, filled.format(company=work, init=init)) for path in made.filled
        ]
        for path, exc in made.failed:
            why = exc.strerror or str(exc)
            if isinstance(exc, PermissionError):
                why += _("; open in Word or Excel?")
            results.append(
                _said(
                    root,
                    path,
                    _(
                        'could not be written for "{company}" ({why}); it is tried again at the '
                        "next start"
                    ).format(company=work, why=why),
                )
            )
        return Done(results=results)


def _said(root: Path, path: Path, reason: str) -> FileResult:
    """A blank left as it was: said as the file it is, the pass goes on."""
    return FileResult(str(path.relative_to(root)), Outcome.IGNORED, reason=reason)
