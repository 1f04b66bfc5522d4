"""Projection state to JSON-ready values and back, for the read model.

Compact lists for the records a large ledger has millions of (stamps, acts, grants); small
streams keep their events whole (topic and the event's own JSON form, read back through
:func:`offerledger.events.event_class_for_topic`). ``decode(encode(x)) == x`` for every state.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from offerledger.events import event_class_for_topic
from offerledger.projections.core import Correction, Stamp
from offerledger.projections.employee import Act, EmployeeState, GrantRec, Receipt, Registration
from offerledger.projections.state import StreamState


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def stamp_out(s: Stamp) -> list[Any]:
    return [
        s.position,
        s.version,
        s.action,
        s.effective_at.isoformat(),
        s.effective_note,
        s.recorded.isoformat(),
        s.actor,
        s.key_id,
    ]


def stamp_in(v: list[Any]) -> Stamp:
    return Stamp(v[0], v[1], v[2], _dt(v[3]), v[4], _dt(v[5]), v[6], v[7])


def correction_out(c: Correction) -> list[Any]:
    return [
        stamp_out(c.stamp),
        c.supersedes_version,
        c.supersedes_topic,
        c.reason,
        [list(pair) for pair in c.corrected],
    ]


def correction_in(v: list[Any]) -> Correction:
    return Correction(stamp_in(v[0]), v[1], v[2], v[3], tuple((k, x) for k, x in v[4]))


def stream_out(s: StreamState) -> dict[str, Any]:
    return {
        "stream": str(s.stream),
        "kind": s.kind,
        "changes": [[stamp_out(st), e.TOPIC, e.model_dump(mode="json")] for st, e in s.changes],
        "corrections": [correction_out(c) for c in s.corrections],
    }


def stream_in(v: dict[str, Any]) -> StreamState:
    return StreamState(
        stream=uuid.UUID(v["stream"]),
        kind=v["kind"],
        changes=tuple(
            (stamp_in(st), event_class_for_topic(topic).model_validate(data))
            for st, topic, data in v["changes"]
        ),
        corrections=tuple(correction_in(c) for c in v["corrections"]),
    )


def _grant_out(g: GrantRec) -> list[Any]:
    return [g.grant_id, g.plan, g.grant_date.isoformat(), str(g.exercise_price), g.options]


def _grant_in(v: list[Any]) -> GrantRec:
    return GrantRec(v[0], v[1], date.fromisoformat(v[2]), Decimal(v[3]), v[4])


def _act_out(a: Act) -> list[Any]:
    return [
        stamp_out(a.stamp),
        a.kind,
        a.form_id,
        a.received_at.isoformat(),
        a.channel,
        a.acted_by,
        [list(c) for c in a.choices],
        list(a.grant_ids),
        a.attempted,
        a.rule,
        a.reason,
        a.synthetic,
    ]


def _act_in(v: list[Any]) -> Act:
    return Act(
        stamp_in(v[0]),
        v[1],
        v[2],
        _dt(v[3]),
        v[4],
        v[5],
        tuple((g, c) for g, c in v[6]),
        tuple(v[7]),
        v[8],
        v[9],
        v[10],
        v[11],
    )


def employee_out(e: EmployeeState) -> dict[str, Any]:
    return {
        "stream": str(e.stream),
        "offer_id": None if e.offer_id is None else str(e.offer_id),
        "employee_id": e.employee_id,
        "registrations": [
            [stamp_out(r.stamp), r.name, r.email, r.synthetic, [_grant_out(g) for g in r.grants]]
            for r in e.registrations
        ],
        "acts": [_act_out(a) for a in e.acts],
        "receipts": [
            [stamp_out(r.stamp), r.form_id, r.channel, r.sent_at.isoformat()] for r in e.receipts
        ],
        "corrections": [correction_out(c) for c in e.corrections],
    }


def employee_in(v: dict[str, Any]) -> EmployeeState:
    return EmployeeState(
        stream=uuid.UUID(v["stream"]),
        offer_id=None if v["offer_id"] is None else uuid.UUID(v["offer_id"]),
        employee_id=v["employee_id"],
        registrations=tuple(
            Registration(stamp_in(s), name, email, synthetic, tuple(_grant_in(g) for g in gs))
            for s, name, email, synthetic, gs in v["registrations"]
        ),
        acts=tuple(_act_in(a) for a in v["acts"]),
        receipts=tuple(
            Receipt(stamp_in(s), form, channel, _dt(sent))
            for s, form, channel, sent in v["receipts"]
        ),
        corrections=tuple(correction_in(c) for c in v["corrections"]),
    )


__all__ = [
    "employee_in",
    "employee_out",
    "stamp_in",
    "stamp_out",
    "stream_in",
    "stream_out",
]
