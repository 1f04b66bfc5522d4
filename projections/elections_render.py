"""Render election status: plain table, rich table (terminals only), CSV and JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from offerledger.projections.core import eastern
from offerledger.projections.elections import (
    ElectionSummary,
    EmployeeStatus,
    NoticeSent,
    act_text,
)
from offerledger.projections.employee import Act
from offerledger.projections.text_render import dumps

CSV_COLUMNS = (
    "employee_id",
    "name",
    "grant_id",
    "plan",
    "grant_date",
    "exercise_price",
    "options",
    "standing",
    "last_act_at",
    "last_act",
    "refused",
    "notices",
    "synthetic",
)


def _standing(value: str) -> str:
    return value.replace("_", " ")


def _notice(n: NoticeSent) -> str:
    exhibit = f", exhibit {n.exhibit}" if n.exhibit else ""
    kind = n.kind.replace("_", " ")
    return f"{n.notice_id} ({kind}{exhibit}) sent {n.stamp.effective_text} by {n.channel}"


def _refused(a: Act) -> str:
    return f"{act_text(a)} ({a.rule}: {a.reason})"


def render_summary(summary: ElectionSummary) -> str:
    label = " (synthetic data)" if summary.synthetic else ""
    rows = [("plan", "employees eligible", "tendering", "options eligible", "tendered")]
    for f in (*summary.by_plan, summary.total):
        rows.append(
            (
                f.plan,
                f"{f.employees_eligible:,}",
                f"{f.employees_tendering:,}",
                f"{f.options_eligible:,}",
                f"{f.options_tendered:,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = [f"Summary{label}"]
    for r in rows:
        out.append(
            "  ".join(
                r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(5)
            ).rstrip()
        )
    return "\n".join(out) + "\n"


def render_table(statuses: list[EmployeeStatus], summary: ElectionSummary) -> str:
    """Plain text: one block per employee, one line per grant; then the summary."""
    out: list[str] = []
    for s in statuses:
        label = " (synthetic)" if s.synthetic else ""
        out.append(f"{s.employee_id}  {s.name}{label}")
        for g in s.grants:
            last = act_text(g.last_act) or "no election"
            out.append(
                f"  {g.grant.grant_id}  {g.grant.plan}  {g.grant.options:,} "
                f"{'option' if g.grant.options == 1 else 'options'}  "
                f"{_standing(g.standing)}  (last act: {last})"
            )
        for n in s.notices:
            out.append(f"  notice: {_notice(n)}")
        for r in s.receipts:
            out.append(f"  receipt confirmed: form {r.form_id} {eastern(r.sent_at)} {r.channel}")
        for a in s.refused:
            out.append(f"  refused: {_refused(a)}")
    if statuses:
        out.append("")
    return "\n".join(out) + ("\n" if out else "") + render_summary(summary)


# A cell a spreadsheet would read as a formula (OWASP, CSV injection; tab and carriage return
# are its others, and no name or id can hold them)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell as a spreadsheet can open it safely: text beginning like a formula gets a
    single quote before it (the one difference from the stored value, docs/projections.md);
    names and ids entered cannot begin so, but events stored before that rule can."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(statuses: list[EmployeeStatus]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in statuses:
        notices = "; ".join(_notice(n) for n in s.notices)
        refused = "; ".join(_refused(a) for a in s.refused)
        for g in s.grants:
            row = (
                s.employee_id,
                s.name,
                g.grant.grant_id,
                g.grant.plan,
                g.grant.grant_date.isoformat(),
                str(g.grant.exercise_price),
                g.grant.options,
                g.standing,
                "" if g.last_act is None else eastern(g.last_act.received_at),
                act_text(g.last_act),
                refused,
                notices,
                "yes" if s.synthetic else "no",
            )
            writer.writerow(tuple(csv_cell(cell) for cell in row))
    return buffer.getvalue()


def _act_dict(a: Act | None) -> Any:
    if a is None:
        return None
    out: dict[str, Any] = {
        "kind": a.kind,
        "form_id": a.form_id,
        "received_at": eastern(a.received_at),
        "channel": a.channel,
        "acted_by": a.acted_by,
        "position": a.stamp.position,
    }
    if a.kind == "refused":
        out.update({"attempted": a.attempted, "rule": a.rule, "reason": a.reason})
    return out


def statuses_as_dict(statuses: list[EmployeeStatus], summary: ElectionSummary) -> dict[str, Any]:
    return {
        "employees": [
            {
                "employee_id": s.employee_id,
                "name": s.name,
                "synthetic": s.synthetic,
                "grants": [
                    {
                        "grant_id": g.grant.grant_id,
                        "plan": g.grant.plan,
                        "grant_date": g.grant.grant_date.isoformat(),
                        "exercise_price": str(g.grant.exercise_price),
                        "options": g.grant.options,
                        "standing": g.standing,
                        "last_act": _act_dict(g.last_act),
                    }
                    for g in s.grants
                ],
                "last_act": _act_dict(s.last_act),
                "refused": [_act_dict(a) for a in s.refused],
                "notices": [n.as_dict() for n in s.notices],
                "receipts": [
                    {"form_id": r.form_id, "channel": r.channel, "sent_at": eastern(r.sent_at)}
                    for r in s.receipts
                ],
            }
            for s in statuses
        ],
        "summary": summary.as_dict(),
    }


def render_json(statuses: list[EmployeeStatus], summary: ElectionSummary) -> str:
    return dumps(statuses_as_dict(statuses, summary))


__all__ = [
    "CSV_COLUMNS",
    "render_csv",
    "render_json",
    "render_summary",
    "render_table",
    "statuses_as_dict",
]
