"""Filing a read form into its case: check it may be filed now, apply the rule, record.

Everything for one form happens inside one registry transaction: the case, its number,
the filing, the forms to issue and the history commit together or not at all. Files on
disk are the caller's: the engine says which forms to issue, pre-filled, and to whom.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from filing.errors import FilingError
from filing.outbox import IssuedForm, as_format, outbox_file
from filing.policy import Policy
from filing.records import Case, Event, Filing, Issued
from filing.registry import Registry
from filing.rules import (
    OPENING,
    CaseView,
    Decision,
    FormRule,
    Opening,
    Refused,
    ToIssue,
    decide_filing,
    outstanding,
    rule_for,
)
from filing.rules.dates import unhappened
from filing.states import CaseState
from filing.words import resolution_words, state_words
from forms.definition import get_form
from forms.reader import FormRead
from forms.values import to_json
from forms.writer import Format
from language import N_, _, current, folders

__all__ = ["Engine", "FilingRefused", "IssuedForm", "Outcome"]


class FilingRefused(FilingError):
    """The form cannot be filed (now); the message says why and what to do. `reasons` are
    every problem found, one a line of the quarantine note (the reason alone when the
    refusal has one); `reason` says them in one sentence."""

    def __init__(
        self,
        file: str,
        reason: str,
        fix: str,
        case_id: str | None = None,
        reasons: Sequence[str] = (),
        elsewhere: bool = False,
    ) -> None:
        self.file = file
        self.case_id = case_id
        # The case is another site's: the form is for that site to file, and to judge.
        self.elsewhere = elsewhere
        self.reason = reason
        self.reasons = list(reasons) or [reason]
        self.fix = fix
        super().__init__(f"{file}: {reason} {fix}")


@dataclass
class Outcome:
    case_id: str
    form: str
    version: int
    stored_as: str  # the original's name in the case folder: "02 Corrective and Preventive Action Report v1.docx"
    customer: str | None
    note: str
    issued: list[IssuedForm] = field(default_factory=list)
    new_case: str | None = None
    repeats: list[str] = field(default_factory=list)
    created: bool = False  # this filing opened the case (it has no folder yet)


class Engine:
    def __init__(self, registry: Registry, policy: Policy) -> None:
        self.registry = registry
        self.policy = policy

    def file(
        self,
        read: FormRead,
        sha256: str,
        now: datetime,
        before_commit: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """File `read` (whose bytes hash to sha256). `before_commit` runs inside the
        transaction, after every decision: the caller writes its files there, and if that
        fails nothing of the filing is recorded."""
        with self.registry.transaction():
            problems = self.problems(read, now)
            if problems:
                raise FilingRefused(
                    read.path.name,
                    _("the form has problems: {problems}.").format(problems=_("; ").join(problems)),
                    _("Correct them, save the file again and put it back into the {inbox}.").format(
                        **folders()
                    ),
                    read.case_id,
                    problems,
                )
            outcome = self._file(read, sha256, now)
            if before_commit is not None:
                before_commit(outcome)
            return outcome

    def problems(self, read: FormRead, now: datetime) -> list[str]:
        """Every problem of the form's values, in one go: the reader's (a value that is not
        a date), then those only the moment of filing and the case show: a date after the
        filing day outside a planned field, dates in an order that cannot have happened."""
        case = self.registry.case(read.case_id) if read.case_id is not None else None
        return [
            *(p.message for p in read.problems),
            *unhappened(read.form, read.values, now),
            *rule_for(read.form.id).impossible(read.values, case),
        ]

    def case_refusal(self, read: FormRead, now: datetime) -> FilingRefused | None:
        """Why the form cannot be filed into a case now (no case number, no such case, a
        closed one, one not waiting for this form), without filing it: so that a note can
        list it with the form's own problems, in one go."""
        rule = rule_for(read.form.id)
        try:
            if read.case_id is None:
                self._opening(read, rule, now)
            else:
                self._existing_case(read, rule)
        except FilingRefused as exc:
            return exc
        return None

    # ----------------------------------------------------------------------------------

    def _file(self, read: FormRead, sha256: str, now: datetime) -> Outcome:
        form_id = read.form.id
        rule = rule_for(form_id)
        values = dict(read.values)
        # Next forms go out in the format the sender used: an Excel user gets Excel.
        fmt = as_format(read.format)
        if read.case_id is None:
            case = self._new_case(read, rule, now)
            self.registry.save_case(case)  # before its filing refers to it
            outcome_repeats = case.repeats
        else:
            case = self._existing_case(read, rule)
            outcome_repeats = []
        version = self._next_version(case.case_id, form_id)
        sequence = len(self.registry.filings(case.case_id)) + 1
        # Named by the form's title in the folder's language, as people know the form
        # ("04 纠正与预防措施报告（8D报告） v1.docx"), never its id. The registry and the
        # history record the name: `verify` and `rebuild` find it whatever the language later.
        stored_as = f"{sequence:02d} {read.form.title_in(current())} v{version}.{fmt}"
        person = rule.person(values)
        self.registry.add_filing(
            Filing(
                case.case_id,
                form_id,
                version,
                now,
                stored_as,
                sha256,
                person,
                {f.id: to_json(f, values.get(f.id)) for f in read.form.fields},
                source=read.path.name,
            )
        )
        verb = "filed" if version == 1 else f"filed version {version} (supersedes {version - 1})"
        view = CaseView(case.state, case.parts)
        decision = decide_filing(rule, view, values, self.policy)
        rule.apply(case, values, decision, now)
        _settle(case, decision, now)
        outcome = Outcome(
            case.case_id,
            form_id,
            version,
            stored_as,
            case.customer,
            decision.note,
            repeats=outcome_repeats,
            created=read.case_id is None,
        )
        if decision.reopen:
            outcome.new_case = self._reopen(case, now, fmt, outcome)
        for item in decision.issue:
            self._issue(case, item, now, fmt, outcome)
        self.registry.save_case(case)
        self.registry.append_history(
            Event(case.case_id, now, verb, form_id, sha256, person, outcome.note)
        )
        return outcome

    def _opening(self, read: FormRead, rule: FormRule, now: datetime) -> Opening:
        """What the form says of the case it opens; refused when it cannot open one."""
        try:
            opening = rule.opening(read.values, self.policy, now)
        except Refused as exc:
            raise FilingRefused(read.path.name, exc.reason, exc.fix) from None
        if opening is None:
            raise FilingRefused(
                read.path.name,
                _("this {form} has no case number.").format(form=read.form.title_in(current())),
                _(
                    "Use the form closedloop sent for the case (it carries the number: look in "
                    "{outbox}/<department>/ for it, or in its {done}/ folder), or copy your "
                    "answers into it."
                ).format(outbox=self.policy.folders.outbox, done=self.policy.folders.done),
            )
        return opening

    def _new_case(self, read: FormRead, rule: FormRule, now: datetime) -> Case:
        opening = self._opening(read, rule, now)
        case = Case(
            self.registry.next_case_id(now.year),
            CaseState.NEW,
            opened_at=now,
            received_at=opening.received_at,
            customer=opening.customer,
            product=opening.product,
            category=opening.category,
            site=self.registry.site,
        )
        case.repeats, case.repeats_total = self._repeats_of(case, now)
        previous = opening.previous_case
        if previous and self.registry.case(previous) is not None:
            case.reopens = previous
        return case

    def _existing_case(self, read: FormRead, rule: FormRule) -> Case:
        assert read.case_id is not None
        case = self.registry.case(read.case_id)
        name, language = read.path.name, current()
        if case is None:
            raise FilingRefused(
                name,
                _("there is no case {case}.").format(case=read.case_id),
                _("Check the case number on the form; use the form closedloop sent for the case."),
                read.case_id,
            )
        if case.site != self.registry.site:
            # Its folder, its outbox and its history are at the other site's share.
            raise FilingRefused(
                name,
                _("case {case} is a case of site {site}, not of this one.").format(
                    case=case.case_id, site=case.site or "-"
                ),
                _("Save the form into the {inbox} of site {site}'s shared folder.").format(
                    site=case.site or "-", **folders()
                ),
                case.case_id,
                elsewhere=True,
            )
        if case.state == CaseState.CLOSED:
            ended = resolution_words(case.resolution)
            raise FilingRefused(
                name,
                _("case {case} is closed ({how}).").format(
                    case=case.case_id, how=ended[:1].lower() + ended[1:]
                ),
                _("A new complaint needs a new {form}.").format(
                    form=get_form(OPENING.form_id).title_in(language)
                ),
                case.case_id,
            )
        if not rule.accepts(CaseView(case.state, case.parts)):
            raise FilingRefused(
                name,
                _(_NOT_NOW.get(case.state, _NOT_NOW_IN)).format(
                    case=case.case_id,
                    state=state_words(case.state),
                    form=read.form.title_in(language),
                    rule=_(rule.refusal),
                ),
                _waiting_for(self.registry, case),
                case.case_id,
            )
        return case

    def _next_version(self, case_id: str, form_id: str) -> int:
        latest = self.registry.latest_filing(case_id, form_id)
        return latest.version + 1 if latest else 1

    def _reopen(self, old: Case, now: datetime, fmt: Format, outcome: Outcome) -> str:
        """The customer did not accept: the complaint is registered again as a new case,
        linked to the old one, and its registration goes back to be triaged."""
        new = Case(
            self.registry.next_case_id(now.year),
            CaseState.AWAITING_TRIAGE,
            opened_at=now,
            received_at=now,
            customer=old.customer,
            product=old.product,
            category=old.category,
            reopens=old.case_id,
            site=old.site,
        )
        old.reopened_as = new.case_id
        self.registry.save_case(new)
        again = OPENING.register_again(old, self.registry)
        self.registry.append_history(
            Event(
                new.case_id,
                now,
                "registered",
                again.form,
                None,
                None,
                f"the customer did not accept the result of {old.case_id}",
            )
        )
        self._issue(new, again, now, fmt, outcome)
        outcome.note += f"; registered again as {new.case_id}"
        return new.case_id

    def _issue(
        self, case: Case, item: ToIssue, now: datetime, fmt: Format, outcome: Outcome
    ) -> None:
        rule = rule_for(item.form)
        already = {(i.form, i.department) for i in self.registry.issued(case.case_id)}
        if rule.issued_once and (item.form, item.department) in already:
            return  # a superseding version does not send the same form twice
        path = outbox_file(self.policy, case.case_id, item.form, item.department, fmt)
        self.registry.add_issued(
            Issued(case.case_id, item.form, item.department, path.as_posix(), now)
        )
        values = item.values if item.values is not None else rule.prefill(case, self.registry)
        known = {f.id for f in get_form(item.form).fields}
        outcome.issued.append(
            IssuedForm(
                case.case_id,
                item.form,
                item.department,
                fmt,
                path,
                {k: v for k, v in values.items() if v is not None and k in known},
                item.why,
            )
        )

    def _repeats_of(self, case: Case, now: datetime) -> tuple[list[str], int]:
        since = now - timedelta(days=self.policy.repeat_window_days)
        found = self.registry.nearest_similar(
            since, case.customer, case.product, case.category, self.policy.repeat_links
        )
        return found[0], found[1] if found[1] > len(found[0]) else 0


def _settle(case: Case, d: Decision, now: datetime) -> None:
    """Apply what a decision says of every case: state, resolution, department, parts."""
    if d.state is not None:
        case.state = d.state
    if d.resolution is not None:
        case.resolution = d.resolution
    if d.department is not None:
        case.department = d.department
    case.parts = d.parts_after(case.parts)
    if case.state == CaseState.CLOSED and case.closed_at is None:
        case.closed_at = now


# Why a form cannot be filed into the case now: where the case stands, and the form's rule
# ("a <form title> <rule>"), as whole sentences a translator sees as they are read.
_NOT_NOW: Mapping[str, str] = {
    CaseState.AWAITING_TRIAGE: N_(
        "case {case} is waiting for triage on its registration form; a {form} {rule}."
    ),
    CaseState.OPEN: N_("case {case} is open; a {form} {rule}."),
    CaseState.AWAITING_CUSTOMER: N_(
        "case {case} is waiting for the customer's survey; a {form} {rule}."
    ),
}
#: Any other state, by its words (a closed case is refused before this is asked).
_NOT_NOW_IN = N_("case {case} is in the state '{state}'; a {form} {rule}.")


def _waiting_for(registry: Registry, case: Case) -> str:
    language = current()
    titles = [get_form(f).title_in(language) for f in outstanding(registry, case)]
    if not titles:
        return _("Nothing more can be filed for this case.")
    return _("The case waits for: {forms}. File that first.").format(forms=_(", ").join(titles))
