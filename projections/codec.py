"""Projection state to JSON and back, for the read model.

Employee states (a large ledger has a hundred thousand) are written by orjson straight from
their slotted dataclasses; small streams keep their events whole (topic and the event's own
JSON form, read back through :func:`offerledger.events.event_class_for_topic`).
``decode(encode(x)) == x`` for every state. (orjson here is the read model's storage, not a
projection: folds and renderers use the standard library only.)
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

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
        s.synthetic,
    ]


def stamp_in(v: list[Any]) -> Stamp:
    return Stamp(v[0], v[1], v[2], _dt(v[3]), v[4], _dt(v[5]), v[6], v[7], v[8])


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


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _stamp(d: dict[str, Any]) -> Stamp:
    return Stamp(
        d["position"],
        d["version"],
        d["action"],
        _dt(d["effective_at"]),
        d["effective_note"],
        _dt(d["recorded"]),
        d["actor"],
        d["key_id"],
        d["synthetic"],
    )


def _correction(d: dict[str, Any]) -> Correction:
    return Correction(
        _stamp(d["stamp"]),
        d["supersedes_version"],
        d["supersedes_topic"],
        d["reason"],
        tuple((k, v) for k, v in d["corrected"]),
    )


def _act(d: dict[str, Any]) -> Act:
    return Act(
        _stamp(d["stamp"]),
        d["kind"],
        d["form_id"],
        _dt(d["received_at"]),
        d["channel"],
        d["acted_by"],
        tuple((g, c) for g, c in d["choices"]),
        tuple(d["grant_ids"]),
        d["attempted"],
        d["rule"],
        d["reason"],
        d["synthetic"],
    )


def _registration(d: dict[str, Any]) -> Registration:
    return Registration(
        _stamp(d["stamp"]),
        d["name"],
        d["email"],
        d["synthetic"],
        tuple(
            GrantRec(
                g["grant_id"],
                g["plan"],
                date.fromisoformat(g["grant_date"]),
                Decimal(g["exercise_price"]),
                g["options"],
            )
            for g in d["grants"]
        ),
    )


def _receipt(d: dict[str, Any]) -> Receipt:
    return Receipt(_stamp(d["stamp"]), d["form_id"], d["channel"], _dt(d["sent_at"]))


def _stamp_fields(s: Stamp) -> dict[str, Any]:
    return {
        "position": s.position,
        "version": s.version,
        "action": s.action,
        "effective_at": s.effective_at,
        "effective_note": s.effective_note,
        "recorded": s.recorded,
        "actor": s.actor,
        "key_id": s.key_id,
        "synthetic": s.synthetic,
    }


def _act_fields(a: Act) -> dict[str, Any]:
    return {
        "stamp": _stamp_fields(a.stamp),
        "kind": a.kind,
        "form_id": a.form_id,
        "received_at": a.received_at,
        "channel": a.channel,
        "acted_by": a.acted_by,
        "choices": a.choices,
        "grant_ids": a.grant_ids,
        "attempted": a.attempted,
        "rule": a.rule,
        "reason": a.reason,
        "synthetic": a.synthetic,
    }


def _receipt_fields(r: Receipt) -> dict[str, Any]:
    return {
        "stamp": _stamp_fields(r.stamp),
        "form_id": r.form_id,
        "channel": r.channel,
        "sent_at": r.sent_at,
    }


def employee_out(e: EmployeeState) -> bytes:
    """An employee's records as JSON lines, one per record (``["act", {...}]``), in log order
    within each kind. Appending the lines of a later delta gives the lines of the merged
    state, so an incremental run never reads back what it extends. Each record is the JSON
    object of its dataclass's fields in order (orjson writes the rarer ones directly; the
    acts, receipts and their stamps go as dicts, which orjson writes faster than a slotted
    dataclass; a test compares the bytes)."""
    lines = [orjson.dumps(["reg", r], default=_default) for r in e.registrations]
    lines += [orjson.dumps(["act", _act_fields(a)]) for a in e.acts]
    lines += [orjson.dumps(["rcpt", _receipt_fields(r)]) for r in e.receipts]
    lines += [orjson.dumps(["corr", c], default=_default) for c in e.corrections]
    return b"".join(line + b"\n" for line in lines)


_RECORDS = {
    "reg": (0, _registration),
    "act": (1, _act),
    "rcpt": (2, _receipt),
    "corr": (3, _correction),
}


def employee_in(
    data: bytes, *, stream: uuid.UUID, offer_id: uuid.UUID | None, employee_id: str
) -> EmployeeState:
    """The state whose records :func:`employee_out` wrote (identity kept in the row)."""
    kinds: tuple[list[Any], ...] = ([], [], [], [])
    for line in data.splitlines():
        kind, record = orjson.loads(line)
        index, read = _RECORDS[kind]
        kinds[index].append(read(record))
    return EmployeeState(
        stream,
        offer_id,
        employee_id,
        tuple(kinds[0]),
        tuple(kinds[1]),
        tuple(kinds[2]),
        tuple(kinds[3]),
    )


__all__ = [
    "employee_in",
    "employee_out",
    "stamp_in",
    "stamp_out",
    "stream_in",
    "stream_out",
]
