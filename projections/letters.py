"""Results letters: one per participating employee, with Attachment A (grants cancelled, new).

A participating employee is one on whose behalf tendered options were accepted and cancelled
(``TenderedOptionsAccepted``, the entries of its committed list). Grant dates and prices come
from the employee's registered eligible grants; the new options from ``NewOptionsGranted``
(its committed list). Wording: the jinja2 template
``templates/results_letter.txt.j2``.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from offerledger.projections.catalog import offer_changes
from offerledger.projections.core import not_on_file
from offerledger.projections.disclosed import (
    ACCEPTANCES,
    NEW_GRANTS,
    accepted_grants,
    new_grants,
)
from offerledger.projections.elections import grants_of, offer_employees
from offerledger.projections.final_amendment import (
    clock_time,
    longdate,
    money,
    num,
    template_environment,
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
class Letter:
    employee_id: str
    name: str
    synthetic: bool
    cancelled: tuple[CancelledGrant, ...]
    new: tuple[NewOption, ...]

    @property
    def filename(self) -> str:
        """A safe file name from the employee id."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.employee_id) + ".txt"


def results_letters(state: LedgerState, offer_id: uuid.UUID) -> list[Letter]:
    """Every participating employee's letter data, by employee id."""
    accepted: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    new: dict[str, list[NewOption]] = defaultdict(list)
    synthetic_events: set[str] = set()
    for stamp, event in offer_changes(state, offer_id):
        if isinstance(event, ACCEPTANCES):
            for a in accepted_grants(state.lists, stamp.position, event):
                accepted[a.employee_id].append((a.grant_id, a.plan, a.options))
                if event.synthetic:
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
                if event.synthetic:
                    synthetic_events.add(g.employee_id)
    employees = {e.employee_id: e for e in offer_employees(state, offer_id)}
    letters = []
    for employee_id in sorted(accepted):
        employee = employees.get(employee_id)
        registered = {g.grant_id: g for g in grants_of(employee)} if employee else {}
        cancelled = []
        for grant_id, plan, options in accepted[employee_id]:
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
        letters.append(
            Letter(
                employee_id=employee_id,
                name=employee.name if employee and employee.name else employee_id,
                synthetic=employee_id in synthetic_events or bool(employee and employee.synthetic),
                cancelled=tuple(cancelled),
                new=tuple(new.get(employee_id, ())),
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
    expired = (
        f"The Offer expired at {clock_time(r.expiration)}."
        if r.expiration is not None and r.expired is not None
        else ""
    )
    sentences = []
    for when in sorted({(n.grant_date, n.exercise_price) for n in letter.new}, key=str):
        future = r.date is None or when[0] > r.date
        price = (
            f" at an exercise price of {money(when[1])} per share"
            if when[1] is not None
            else f" at an exercise price {not_on_file('the exercise price of the new options')}"
        )
        verb = "will grant" if future else "granted"
        sentences.append(f"The Company {verb} your new options on {longdate(when[0])}{price}.")
    if not letter.new:
        sentences.append(f"New options: {not_on_file('no grant of new options is recorded')}.")
    title = r.signer_title or not_on_file("title of the signing officer")
    text = (
        template_environment()
        .get_template("results_letter.txt.j2")
        .render(
            letter=letter,
            r=r,
            expired=expired,
            new_options=sentences,
            title_lines=textwrap.wrap(title, 38),
            accepted_table=_table(
                ("Grant", "Plan", "Grant date", "Exercise price", "Options"), accepted_rows, "none"
            ),
            new_table=_table(
                ("Grant", "Plan", "Replaces", "Grant date", "Exercise price", "Options"),
                new_rows,
                not_on_file("no grant of new options is recorded"),
            ),
        )
    )
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


__all__ = ["CancelledGrant", "Letter", "NewOption", "render_letter", "results_letters"]
