"""Filing a read form into its case: check it may be filed now, apply the rule, record.

Everything for one form happens inside one registry transaction: the case, its number,
the filing, the forms to issue and the history commit together or not at all. Files on
disk are the caller's: the engine says which forms to issue, pre-filled, and to whom.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from filing.errors import FilingError
from filing.policy import Policy
from filing.registry import Case, Event, Filing, Issued, Registry
from filing.rules import ACCEPTS, RULES, CaseView, Decision, ToIssue, all_parts_done
from filing.status import outstanding
from forms.definition import get_form
from forms.reader import FormRead
from forms.values import to_json

TRIAGE_FIELDS = (
    "established",
    "established_reason",
    "reply_to_customer",
    "decided_by",
    "decided_date",
    "responsible_department",
    "containment_needed",
    "containment_action",
)


class FilingRefused(FilingError):
    """The form cannot be filed (now); the message says why and what to do."""

    def __init__(self, file: str, reason: str, fix: str, case_id: str | None = None) -> None:
        self.file = file
        self.case_id = case_id
        self.reason = reason
        self.fix = fix
        super().__init__(f"{file}: {reason} {fix}")


@dataclass(frozen=True)
class IssuedForm:
    """A form to write, pre-filled, into a department's outbox."""

    case_id: str
    form: str
    department: str
    file: str  # relative to the shared folder: Outbox/<department>/<case> <title>.<fmt>
    values: dict[str, Any]
    why: str


@dataclass
class Outcome:
    case_id: str
    form: str
    version: int
    stored_as: str  # the original's name in the case folder: "02 capa v1.docx"
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
        self._fmt = "docx"

    def outbox_file(self, case_id: str, form_id: str, department: str, fmt: str) -> str:
        folder = self.policy.outboxes.get(department, department)
        return f"Outbox/{folder}/{case_id} {get_form(form_id).title}.{fmt}"

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
        if read.problems:
            raise FilingRefused(
                read.path.name,
                "the form has problems: " + "; ".join(p.message for p in read.problems) + ".",
                "Correct them, save the file again and put it back into the Inbox.",
                read.case_id,
            )
        # Next forms go out in the format the sender used: an Excel user gets Excel.
        self._fmt = read.format
        with self.registry.transaction():
            outcome = self._file(read, sha256, now)
            if before_commit is not None:
                before_commit(outcome)
            return outcome

    # ----------------------------------------------------------------------------------

    def _file(self, read: FormRead, sha256: str, now: datetime) -> Outcome:
        form_id = read.form.id
        values = dict(read.values)
        if read.case_id is None:
            if form_id != "registration":
                raise FilingRefused(
                    read.path.name,
                    f"this {read.form.title} has no case number.",
                    "Use the form closedloop sent for the case (it carries the number), "
                    "or copy your answers into it.",
                )
            case = self._new_case(read, now)
            self.registry.save_case(case)  # before its filing refers to it
            outcome_repeats = case.repeats
        else:
            case = self._existing_case(read)
            outcome_repeats = []
        version = self._next_version(case.case_id, form_id)
        sequence = len(self.registry.filings(case.case_id)) + 1
        stored_as = f"{sequence:02d} {form_id} v{version}.{read.format}"
        person = _person(read)
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
        decision = RULES[form_id](CaseView(case.state, case.parts), values, self.policy)
        self._apply(case, form_id, values, decision, now)
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
        to_issue = list(decision.issue)
        if case.state == "open" and all_parts_done(case.parts):
            case.state = "awaiting_customer"
            to_issue.append(ToIssue("satisfaction_survey", "customer_window", "every part done"))
            outcome.note += "; every part done, survey to the customer"
        if decision.reopen:
            outcome.new_case = self._reopen(case, now, outcome)
        for item in to_issue:
            self._issue(case, item, now, outcome)
        self.registry.save_case(case)
        self.registry.append_history(
            Event(case.case_id, now, verb, form_id, sha256, person, outcome.note)
        )
        return outcome

    def _new_case(self, read: FormRead, now: datetime) -> Case:
        v = read.values
        complaint = _as_date(v.get("complaint_date")) or now.date()
        goods = _as_date(v.get("goods_received_date"))
        if (
            goods is not None
            and (complaint - goods).days > self.policy.acceptance_days
            and not v.get("supervisor_override")
        ):
            raise FilingRefused(
                read.path.name,
                f"the complaint came {(complaint - goods).days} days after the goods were "
                f"received ({goods.isoformat()}); complaints are accepted within "
                f"{self.policy.acceptance_days} days.",
                "A supervisor may accept it: fill 'Supervisor override (late complaint)' with "
                "their name and reason, save, and put it back into the Inbox.",
            )
        received = v.get("received_at")
        received_at = (
            received if isinstance(received, datetime) else datetime.combine(complaint, time(0))
        )
        case = Case(
            self.registry.next_case_id(now.year),
            "new",
            opened_at=now,
            received_at=received_at,
            customer=_text(v.get("customer")),
            product=_text(v.get("product")),
            category=_text(v.get("category")),
        )
        case.repeats = self._repeats_of(case, now)
        previous = _text(v.get("previous_case"))
        if previous and self.registry.case(previous) is not None:
            case.reopens = previous
        return case

    def _existing_case(self, read: FormRead) -> Case:
        assert read.case_id is not None
        case = self.registry.case(read.case_id)
        name, title = read.path.name, read.form.title
        if case is None:
            raise FilingRefused(
                name,
                f"there is no case {read.case_id}.",
                "Check the case number on the form; use the form closedloop sent for the case.",
                read.case_id,
            )
        if case.state == "closed":
            raise FilingRefused(
                name,
                f"case {case.case_id} is closed ({case.resolution}).",
                "A new complaint needs a new Complaint Registration Form.",
                case.case_id,
            )
        accepted, rule = ACCEPTS[read.form.id]
        if not accepted(CaseView(case.state, case.parts)):
            raise FilingRefused(
                name,
                f"case {case.case_id} is {_state_words(case)}; a {title} {rule}.",
                _waiting_for(self.registry, case),
                case.case_id,
            )
        return case

    def _next_version(self, case_id: str, form_id: str) -> int:
        latest = self.registry.latest_filing(case_id, form_id)
        return latest.version + 1 if latest else 1

    def _apply(
        self, case: Case, form_id: str, v: Mapping[str, Any], d: Decision, now: datetime
    ) -> None:
        if form_id == "registration":
            case.customer = _text(v.get("customer")) or case.customer
            case.product = _text(v.get("product")) or case.product
            case.category = _text(v.get("category")) or case.category
            confirmed = v.get("confirmed_to_customer_at")
            case.confirmed_at = confirmed if isinstance(confirmed, datetime) else case.confirmed_at
            location = v.get("product_location")
            case.containment_needed = bool(v.get("containment_needed")) or location in (
                "in_production",
                "in_shipment",
            )
            if v.get("established") is not None and case.triaged_at is None:
                case.triaged_at = now
        if form_id == "capa":
            contained = v.get("containment_done_at")
            case.contained_at = contained if isinstance(contained, datetime) else case.contained_at
        if d.state is not None:
            case.state = d.state
        if d.resolution is not None:
            case.resolution = d.resolution
        if d.department is not None:
            case.department = d.department
        for part in d.open_parts:
            case.parts.setdefault(part, "open")
        for part in d.done_parts:
            case.parts[part] = "done"
        if form_id == "capa" and "capa" in d.done_parts:
            dones = [
                r.get("done") for r in v.get("actions") or [] if isinstance(r.get("done"), date)
            ]
            case.actions_done_on = max(dones) if dones else now.date()
        if case.state == "closed" and case.closed_at is None:
            case.closed_at = now

    def _reopen(self, old: Case, now: datetime, outcome: Outcome) -> str:
        reg = self.registry.latest_filing(old.case_id, "registration")
        fields = {k: v for k, v in (reg.fields if reg else {}).items() if k not in TRIAGE_FIELDS}
        fields["previous_case"] = old.case_id
        new = Case(
            self.registry.next_case_id(now.year),
            "awaiting_triage",
            opened_at=now,
            received_at=now,
            customer=old.customer,
            product=old.product,
            category=old.category,
            reopens=old.case_id,
        )
        old.reopened_as = new.case_id
        self.registry.save_case(new)
        self.registry.append_history(
            Event(
                new.case_id,
                now,
                "registered",
                "registration",
                None,
                None,
                f"the customer did not accept the result of {old.case_id}",
            )
        )
        path = self.outbox_file(new.case_id, "registration", "customer_window", self._fmt)
        issued = IssuedForm(
            new.case_id,
            "registration",
            "customer_window",
            path,
            {k: v for k, v in fields.items() if v is not None},
            f"re-registers {old.case_id}",
        )
        self.registry.add_issued(Issued(new.case_id, "registration", "customer_window", path, now))
        outcome.issued.append(issued)
        outcome.note += f"; registered again as {new.case_id}"
        return new.case_id

    def _issue(self, case: Case, item: ToIssue, now: datetime, outcome: Outcome) -> None:
        already = {(i.form, i.department) for i in self.registry.issued(case.case_id)}
        if (item.form, item.department) in already and item.form != "registration":
            return  # a superseding version does not send the same form twice
        path = self.outbox_file(case.case_id, item.form, item.department, self._fmt)
        self.registry.add_issued(Issued(case.case_id, item.form, item.department, path, now))
        outcome.issued.append(
            IssuedForm(
                case.case_id,
                item.form,
                item.department,
                path,
                self._prefill(case, item.form),
                item.why,
            )
        )

    def _prefill(self, case: Case, form_id: str) -> dict[str, Any]:
        reg = self.registry.latest_filing(case.case_id, "registration")
        r = reg.fields if reg else {}
        values: dict[str, Any] = {"customer": case.customer, "product": case.product}
        if form_id == "registration":
            values = {k: v for k, v in r.items() if v is not None}
        elif form_id == "capa":
            values.update(
                problem=r.get("description"),
                containment=r.get("containment_action"),
                responsible_department=case.department,
            )
        elif form_id == "return_form":
            asks = [
                a
                for a in r.get("customer_requirement") or []
                if a in ("return", "exchange", "repair")
            ]
            values.update(
                order_number=r.get("order_number"), requested_action=asks[0] if asks else None
            )
        elif form_id == "return_tracking":
            ret = self.registry.latest_filing(case.case_id, "return_form")
            if ret:
                values.update(
                    hosts=ret.fields.get("hosts"), accessories=ret.fields.get("accessories")
                )
        elif form_id == "contract_review":
            values.update(
                order_number=r.get("order_number"),
                requirement=r.get("requirement_details") or r.get("description"),
            )
        form = get_form(form_id)
        known = {f.id for f in form.fields}
        return {k: v for k, v in values.items() if v is not None and k in known}

    def _repeats_of(self, case: Case, now: datetime) -> list[str]:
        since = now - timedelta(days=self.policy.repeat_window_days)
        return self.registry.similar_cases(since, case.customer, case.product, case.category)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _person(read: FormRead) -> str | None:
    for key in (
        "registered_by",
        "prepared_by",
        "surveyed_by",
        "decided_by",
        "authorised_by",
        "inspected_by",
        "received_by",
        "verified_by",
    ):
        value = read.values.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _state_words(case: Case) -> str:
    return {
        "awaiting_triage": "waiting for triage on its registration form",
        "open": "open",
        "awaiting_customer": "waiting for the customer's survey",
    }.get(case.state, case.state)


def _waiting_for(registry: Registry, case: Case) -> str:
    titles = [get_form(f).title for f in outstanding(registry, case)]
    if not titles:
        return "Nothing more can be filed for this case."
    return f"The case waits for: {', '.join(titles)}. File that first."
