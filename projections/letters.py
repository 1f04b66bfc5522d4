"""Results letters: one per participating employee (Attachment A: grants cancelled, new), and a
notice to every employee whose election form was refused.

A participating employee is one on whose behalf tendered options were accepted and cancelled
(``TenderedOptionsAccepted``, the entries of its committed list). Grant dates and prices come
from the employee's registered eligible grants; the new options from ``NewOptionsGranted`` (its
committed list) when the ledger knows them by the letters' date. The terms real results letters
carry — when the new options will be granted, how their exercise price is set, how they vest,
that the employee must stay employed until the grant — are quoted from the offer document on
record, else marked not on file (or not yet known). The letters come from whoever sent the
offer's communications to employees (the holder of the key that recorded its notices). An
employee whose form was refused (``ElectionRefused``) is told which form, when, and why.
Wording: the jinja2 template ``templates/results_letter.txt.j2``.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from offerledger.projections.catalog import offer_changes
from offerledger.projections.core import NOW, Moment, not_on_file
from offerledger.projections.disclosed import (
    ACCEPTANCES,
    NEW_GRANTS,
    accepted_grants,
    new_grants,
)
from offerledger.projections.elections import grants_of, offer_employees, valid_acts
from offerledger.projections.final_amendment import (
    clock_time,
    longdate,
    money,
    num,
    quoted,
    template_environment,
    unknown,
)
from offerledger.projections.results import Results
from offerledger.projections.state import LedgerState


@dataclass(frozen=True, slots=True)
class CancelledGrant:
    grant_id: str
    plan: str
    grant_date: date | None
    exercise_price: Decimal | None
    options: int


@dataclass(frozen=True, slots=True)
class NewOption:
    grant_id: str
    plan: str
    options: int
    replaces: tuple[str, ...]
    grant_date: date
    exercise_price: Decimal | None


@dataclass(frozen=True, slots=True)
class RefusedForm:
    """An election form the write side refused: which, when received, how, and why."""

    form_id: str
    received_at: datetime
    channel: str
    attempted: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Letter:
    employee_id: str
    name: str
    synthetic: bool
    cancelled: tuple[CancelledGrant, ...]
    new: tuple[NewOption, ...]
    refused: tuple[RefusedForm, ...] = ()
    eligible: tuple[CancelledGrant, ...] = ()
    form: bool = False

    @property
    def filename(self) -> str:
        """A safe file name from the employee id."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.employee_id) + ".txt"

    @property
    def participating(self) -> bool:
        """A results letter (options were accepted and cancelled, or the form of it), not a
        notice of a refused form alone."""
        return bool(self.cancelled) or self.form


def results_letters(state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW) -> list[Letter]:
    """Every participating employee's letter data, and every employee with a refused form, by
    employee id, as the ledger shows them at ``moment``."""
    accepted: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    new: dict[str, list[NewOption]] = defaultdict(list)
    synthetic_events: set[str] = set()
    for stamp, event in offer_changes(state, offer_id, moment):
        if isinstance(event, ACCEPTANCES):
            for a in accepted_grants(state.lists, stamp.position, event):
                accepted[a.employee_id].append((a.grant_id, a.plan, a.options))
                if event.is_synthetic:
                    synthetic_events.add(a.employee_id)
        elif isinstance(event, NEW_GRANTS):
            for g in new_grants(state.lists, stamp.position, event):
                new[g.employee_id].append(
                    NewOption(
                        g.grant_id,
                        event.plan,
                        g.options,
                        g.replaces,
                        event.grant_date,
                        event.exercise_price,
                    )
                )
                if event.is_synthetic:
                    synthetic_events.add(g.employee_id)
    letters = []
    for employee in offer_employees(state, offer_id):
        employee_id = employee.employee_id
        refused = tuple(
            RefusedForm(
                a.form_id,
                a.received_at,
                a.channel,
                a.attempted or "submit",
                a.rule or "",
                a.reason or "",
            )
            for a in valid_acts(employee, moment)
            if a.kind == "refused"
        )
        if employee_id not in accepted and not refused:
            continue
        registered = {g.grant_id: g for g in grants_of(employee, moment)}
        cancelled = []
        for grant_id, plan, options in accepted.get(employee_id, ()):
            reg = registered.get(grant_id)
            cancelled.append(
                CancelledGrant(
                    grant_id,
                    plan,
                    reg.grant_date if reg else None,
                    reg.exercise_price if reg else None,
                    options,
                )
            )
        eligible = tuple(
            CancelledGrant(g.grant_id, g.plan, g.grant_date, g.exercise_price, g.options)
            for g in sorted(registered.values(), key=lambda g: g.grant_id)
        )
        letters.append(
            Letter(
                employee_id=employee_id,
                name=employee.name or employee_id,
                synthetic=employee_id in synthetic_events or employee.synthetic,
                cancelled=tuple(cancelled),
                new=tuple(new.get(employee_id, ())),
                refused=refused,
                eligible=eligible,
            )
        )
    return letters


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> str:
    if not rows:
        return f"    {empty}"
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["    " + "   ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("    " + "   ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "    "
            + "   ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(line.rstrip() for line in lines)


def _day(d: date | None) -> str:
    return d.isoformat() if d else not_on_file("date")


def _price(p: Decimal | None) -> str:
    return money(p) if p is not None else not_on_file("price")


def new_option_sentences(new: Sequence[NewOption], r: Results) -> list[str]:
    """The new options: granted (when the ledger knows the grant by the letter's date), else
    the terms the offer document states, else the markers."""
    out = []
    for when in sorted({(n.grant_date, n.exercise_price) for n in new}, key=str):
        future = r.date is None or when[0] > r.date
        price = (
            f" at an exercise price of {money(when[1])} per share"
            if when[1] is not None
            else f" at an exercise price {not_on_file('the exercise price of the new options')}"
        )
        verb = "will grant" if future else "granted"
        out.append(f"The Company {verb} your new options on {longdate(when[0])}{price}.")
    if not new:
        out.append(
            "Subject to the terms and conditions of the Offer, the Company will grant you new "
            "options in exchange for the options cancelled. The grant itself: "
            + unknown(r, "no grant of new options is recorded")
            + "."
        )
        out.append(
            "When the new options will be granted: " + quoted(r.term("grant"), "the grant date")
        )
    if not new or all(n.exercise_price is None for n in new):
        out.append(
            "The exercise price: "
            + quoted(r.term("price"), "how the exercise price of the new options is set")
        )
    out.append("Vesting: " + quoted(r.term("vesting"), "how the new options vest"))
    out.append(
        "Continued employment: "
        + quoted(
            r.term("employment"),
            "whether you must remain employed until the new options are granted",
        )
    )
    return out


def _stated_new(letter: Letter, r: Results) -> tuple[NewOption, ...]:
    """The new options the letter speaks of (the form: the grants the results record)."""
    if not letter.form:
        return letter.new
    return tuple(NewOption("", g.plan, 0, (), g.grant_date, g.exercise_price) for g in r.new_grants)


def refused_sentences(letter: Letter) -> list[str]:
    return [
        f"The Company received your election form {f.form_id} ({f.attempted}) by "
        f"{f.channel.replace('_', ' ')} at {clock_time(f.received_at)}. It was not accepted "
        f'under the rule "{f.rule}"; the reason on record: "{f.reason}"'
        for f in letter.refused
    ]


def render_letter(letter: Letter, r: Results) -> str:
    accepted_rows = [
        (g.grant_id, g.plan, _day(g.grant_date), _price(g.exercise_price), num(g.options))
        for g in letter.cancelled
    ]
    new_rows = [
        (
            n.grant_id,
            n.plan,
            ", ".join(n.replaces) or "-",
            _day(n.grant_date),
            _price(n.exercise_price),
            num(n.options),
        )
        for n in letter.new
    ]
    eligible_rows = [
        (g.grant_id, g.plan, _day(g.grant_date), _price(g.exercise_price), num(g.options))
        for g in letter.eligible
    ]
    expired = (
        f"The Offer expired at {clock_time(r.expiration)}."
        if r.expiration is not None and r.expired is not None
        else ""
    )
    blank = "[as listed for the employee]"
    return _render(
        letter=letter,
        r=r,
        expired=expired,
        new_options=new_option_sentences(_stated_new(letter, r), r) if letter.participating else [],
        refused=refused_sentences(letter),
        accepted_table=_table(
            ("Grant", "Plan", "Grant date", "Exercise price", "Options"),
            accepted_rows,
            blank if letter.form else "none",
        ),
        new_table=_table(
            ("Grant", "Plan", "Replaces", "Grant date", "Exercise price", "Options"),
            new_rows,
            blank if letter.form and r.new_grants else unknown(r, "the grant of the new options"),
        ),
        eligible_table=_table(
            ("Grant", "Plan", "Grant date", "Exercise price", "Options"), eligible_rows, "none"
        ),
    )


def _render(**context: object) -> str:
    r = context["r"]
    assert isinstance(r, Results)
    sender = r.sender or not_on_file("who sent the offer's communications to employees")
    text = (
        template_environment()
        .get_template("results_letter.txt.j2")
        .render(sender=sender, sender_lines=textwrap.wrap(sender, 38), **context)
    )
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


def form_of_letter(r: Results) -> str:
    """The form of results letter filed as an exhibit to the final amendment: the letter with
    the employee's name and Attachment A left blank."""
    return render_letter(Letter("[employee id]", "[Name of Employee]", False, (), (), form=True), r)


__all__ = [
    "CancelledGrant",
    "Letter",
    "NewOption",
    "RefusedForm",
    "form_of_letter",
    "render_letter",
    "results_letters",
]
