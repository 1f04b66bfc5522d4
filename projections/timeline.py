"""The timeline: every action in effective order, with recorded time, actor, key and status.

One row per stored event, made by a pure function of the entry (:func:`timeline_row`). The
order is effective time, ties by log position; a correction is shown right after the event it
supersedes, which is marked as superseded. Verification status comes from results handed in
(``{position: [reasons]}``); this module never verifies.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from offerledger.events import (
    ConditionAsserted,
    ConditionWaived,
    CorrectionRecorded,
    CrossCheckRecorded,
    DocumentAmended,
    ElectionChanged,
    ElectionReceiptConfirmed,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    ExpirationExtended,
    FilingRecorded,
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    NewOptionsGranted,
    NewOptionsGrantedV1,
    NoticeDispatched,
    NoticeDispatchedV1,
    OfferCommenced,
    OfferDocumentRegistered,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    TenderedOptionsAcceptedV1,
)
from offerledger.projections.catalog import FilingRef
from offerledger.projections.core import Entry, Stamp, eastern


@dataclass(frozen=True, slots=True)
class TimelineRow:
    stamp: Stamp
    stream: uuid.UUID
    summary: str
    employee_id: str | None = None
    filing_id: uuid.UUID | None = None
    supersedes: int | None = None

    @property
    def position(self) -> int:
        return self.stamp.position


def _choices(pairs: Iterable[Any]) -> str:
    return ", ".join([f"{c.grant_id} {c.choice}" for c in pairs])


def _grant_figures(
    e: TenderedOptionsAccepted
    | TenderedOptionsAcceptedV1
    | NewOptionsGranted
    | NewOptionsGrantedV1,
) -> tuple[int, int]:
    """(grants, options): carried beside the committed list, or counted in a version 1 list."""
    if isinstance(e, TenderedOptionsAccepted | NewOptionsGranted):
        return e.grants.count, e.options
    return len(e.grants), sum(g.options for g in e.grants)


def _count(n: int, noun: str) -> str:
    """``1 eligible grant``, ``2 eligible grants``, ``1,200 options``."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def _summary(event: LedgerEvent) -> str:
    e = event
    # The actions a large ledger has most of come first.
    if isinstance(e, EligibleGrantsRegistered):
        options = sum(g.options_outstanding for g in e.grants)
        return (
            f"{e.employee_id}: {_count(len(e.grants), 'eligible grant')} "
            f"({_count(options, 'option')}) registered"
        )
    if isinstance(e, ElectionSubmitted | ElectionChanged):
        verb = "submitted" if isinstance(e, ElectionSubmitted) else "changed"
        return f"{e.employee_id} {verb} form {e.form_id} by {e.channel}: {_choices(e.choices)}"
    if isinstance(e, ElectionWithdrawn):
        what = ", ".join(e.grant_ids) if e.grant_ids else "every tendered grant"
        return f"{e.employee_id} withdrew ({what}) with form {e.form_id} by {e.channel}"
    if isinstance(e, ElectionRefused):
        return f"{e.employee_id} {e.attempted} form {e.form_id} refused ({e.rule}): {e.reason}"
    if isinstance(e, ElectionReceiptConfirmed):
        return f"receipt of form {e.form_id} confirmed to {e.employee_id} by {e.channel}"
    if isinstance(e, KeyRegistered):
        return f"key {e.registered_key_id[:12]} registered for {e.holder} as {e.role}"
    if isinstance(e, KeyRevoked):
        return f"key {e.revoked_key_id[:12]} revoked: {e.reason}"
    if isinstance(e, OfferCommenced):
        return f"{e.issuer}: offer commenced; expiration {eastern(e.expiration)}"
    if isinstance(e, FilingRecorded):
        ref = FilingRef.of(Stamp.of((0, e)), e)
        exhibits = f"; exhibits {', '.join(x.exhibit_id for x in e.exhibits)}" if e.exhibits else ""
        return f"{ref.label}{exhibits}"
    if isinstance(e, OfferDocumentRegistered):
        return f"{e.document.title} registered ({len(e.document.parts)} parts)"
    if isinstance(e, DocumentAmended):
        ops = ", ".join(op.op.replace("_", " ") for op in e.operations)
        return f"{e.document_id} amended: {ops}"
    if isinstance(e, CrossCheckRecorded):
        return f"ingest cross-check {e.check}: {e.outcome.replace('_', ' ')} ({e.compared})"
    if isinstance(e, NoticeDispatched | NoticeDispatchedV1):
        listed = (
            len(e.recipients)
            if isinstance(e, NoticeDispatchedV1)
            else (0 if e.recipients is None else e.recipients.count)
        )
        return (
            f"notice {e.notice_id} ({e.notice_kind.replace('_', ' ')}) sent by {e.channel} "
            f"to {listed} recipients ({e.recipient_class})"
        )
    if isinstance(e, ConditionAsserted):
        return f"condition {e.condition_id} asserted ({e.condition_kind}): {e.reason}"
    if isinstance(e, ConditionWaived):
        return f"condition {e.condition_id} waived ({e.condition_kind})"
    if isinstance(e, ExpirationExtended):
        return f"expiration extended to {eastern(e.new_expiration)}"
    if isinstance(e, OfferExpired):
        return "offer expired"
    if isinstance(e, OfferTerminated):
        return f"offer terminated: {e.reason}"
    if isinstance(e, TenderedOptionsAccepted | TenderedOptionsAcceptedV1):
        count, options = _grant_figures(e)
        return (
            f"{_count(count, 'tendered grant')} ({_count(options, 'option')}) accepted and "
            f"cancelled on {e.cancelled_on.isoformat()}"
        )
    if isinstance(e, NewOptionsGranted | NewOptionsGrantedV1):
        count, options = _grant_figures(e)
        return (
            f"{_count(count, 'new grant')} ({_count(options, 'option')}) under the {e.plan} on "
            f"{e.grant_date.isoformat()}"
        )
    if isinstance(e, CorrectionRecorded):
        fields = ", ".join(f"{k}={v}" for k, v in sorted(e.corrected.items()))
        return f"corrects version {e.supersedes_version} ({e.supersedes_topic}): {e.reason}" + (
            f"; {fields}" if fields else ""
        )
    return event.action


def timeline_row(entry: Entry) -> TimelineRow:
    """The timeline row of one log entry (pure)."""
    event = entry[1]
    filing_id: uuid.UUID | None = None
    if isinstance(event, FilingRecorded):
        filing_id = event.originator_id
    elif isinstance(event, OfferDocumentRegistered | DocumentAmended):
        filing_id = event.filing_id
    return TimelineRow(
        stamp=Stamp.of(entry),
        stream=event.originator_id,
        summary=_summary(event),
        employee_id=getattr(event, "employee_id", None),
        filing_id=filing_id,
        supersedes=event.supersedes_version if isinstance(event, CorrectionRecorded) else None,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def effective_us(at: datetime) -> int:
    """Microseconds since the epoch: the timeline's sort key (exact for every instant)."""
    return (at - _EPOCH) // _MICROSECOND


TimelineValues = tuple[Any, ...]
"""A timeline row as the read model's ``timeline`` table stores it (its columns in order)."""


# The actions a large ledger has most of: no filing, no superseded version.
_PLAIN: frozenset[type[LedgerEvent]] = frozenset(
    {
        EligibleGrantsRegistered,
        ElectionSubmitted,
        ElectionChanged,
        ElectionWithdrawn,
        ElectionRefused,
        ElectionReceiptConfirmed,
    }
)


def timeline_values(
    entry: Entry, stamp: Stamp | None = None, stream: str | None = None
) -> TimelineValues:
    """The read model's ``timeline`` row of one log entry, straight from the event: the
    columns of :func:`timeline_row`'s row (a build writes a million of them; no
    :class:`TimelineRow` is made on the way). ``stamp`` and ``stream`` (the stream id as
    text): the entry's, when the caller has them already."""
    event = entry[1]
    if stamp is None:
        stamp = Stamp.of(entry)
    filing_id: uuid.UUID | None = None
    supersedes = None
    if type(event) in _PLAIN:
        pass
    elif isinstance(event, FilingRecorded):
        filing_id = event.originator_id
    elif isinstance(event, OfferDocumentRegistered | DocumentAmended):
        filing_id = event.filing_id
    elif isinstance(event, CorrectionRecorded):
        supersedes = event.supersedes_version
    at = stamp.effective_at
    return (
        stamp.position,
        (at - _EPOCH) // _MICROSECOND,
        at.isoformat(),
        stamp.effective_note,
        stamp.version,
        stamp.action,
        stamp.recorded.isoformat(),
        stamp.actor,
        stamp.key_id,
        str(event.originator_id) if stream is None else stream,
        _summary(event),
        getattr(event, "employee_id", None),
        None if filing_id is None else str(filing_id),
        supersedes,
        stamp.synthetic,
    )


def values_of(row: TimelineRow) -> TimelineValues:
    """The read model's ``timeline`` row of a :class:`TimelineRow` (as :func:`timeline_values`
    makes it from the entry)."""
    s = row.stamp
    return (
        s.position,
        effective_us(s.effective_at),
        s.effective_at.isoformat(),
        s.effective_note,
        s.version,
        s.action,
        s.recorded.isoformat(),
        s.actor,
        s.key_id,
        str(row.stream),
        row.summary,
        row.employee_id,
        None if row.filing_id is None else str(row.filing_id),
        row.supersedes,
        s.synthetic,
    )


def fold_timeline(rows: tuple[TimelineRow, ...], entry: Entry) -> tuple[TimelineRow, ...]:
    """``(rows, entry) -> rows``: the timeline as a fold (for the prefix property)."""
    return (*rows, timeline_row(entry))


def ordered(rows: Iterable[TimelineRow]) -> list[TimelineRow]:
    """Effective order, ties by position; each correction right after what it supersedes."""
    rows = list(rows)
    corrections: dict[tuple[uuid.UUID, int], list[TimelineRow]] = {}
    by_key = {(r.stream, r.stamp.version) for r in rows}
    plain = []
    for row in rows:
        if row.supersedes is not None and (row.stream, row.supersedes) in by_key:
            corrections.setdefault((row.stream, row.supersedes), []).append(row)
        else:
            plain.append(row)
    plain.sort(key=lambda r: r.stamp.order)
    out = []
    for row in plain:
        out.append(row)
        out.extend(
            sorted(corrections.get((row.stream, row.stamp.version), ()), key=lambda r: r.position)
        )
    return out


def filter_rows(
    rows: Iterable[TimelineRow],
    *,
    employee: str | None = None,
    employee_notices: Sequence[int] = (),
    filing: uuid.UUID | None = None,
) -> list[TimelineRow]:
    """Only one employee's actions (and the notices sent to them), or one filing's."""
    notices = set(employee_notices)
    out = []
    for row in rows:
        if employee is not None and row.employee_id != employee and row.position not in notices:
            continue
        if filing is not None and row.filing_id != filing:
            continue
        out.append(row)
    return out


def status_of(position: int, problems: Mapping[int, Sequence[str]] | None) -> str:
    if problems is None:
        return "not verified"
    reasons = problems.get(position)
    return ", ".join(sorted(set(reasons))) if reasons else "verified"


def row_as_dict(
    row: TimelineRow,
    problems: Mapping[int, Sequence[str]] | None,
    superseded_by: Mapping[tuple[uuid.UUID, int], int],
) -> dict[str, Any]:
    return {
        **row.stamp.as_dict(),
        "stream": str(row.stream),
        "summary": row.summary,
        "employee_id": row.employee_id,
        "filing_id": None if row.filing_id is None else str(row.filing_id),
        "supersedes_version": row.supersedes,
        "superseded_by_position": superseded_by.get((row.stream, row.stamp.version)),
        "status": status_of(row.position, problems),
    }


def superseded_index(rows: Iterable[TimelineRow]) -> dict[tuple[uuid.UUID, int], int]:
    return {(r.stream, r.supersedes): r.position for r in rows if r.supersedes is not None}


__all__ = [
    "TimelineRow",
    "TimelineValues",
    "effective_us",
    "filter_rows",
    "fold_timeline",
    "ordered",
    "row_as_dict",
    "status_of",
    "superseded_index",
    "timeline_row",
    "timeline_values",
    "values_of",
]
