"""Late-recorded receipts: election forms recorded after the offer's end was on record.

Once the offer's expiration (or termination) is recorded, the write side accepts a form that
claims receipt before the deadline only as a late-recorded receipt with its reason
(``late_recorded_reason``, issue 13 item 3), and every such record is reported: which form,
who recorded it (actor and key), when, and how long after the offer's end. Found by log order,
not by the reason field, so a form recorded that way before the rule existed is reported too.
Pure: the same state and moment give the same items.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from offerledger.events import OfferExpired, OfferTerminated
from offerledger.projections.catalog import offer_changes
from offerledger.projections.core import NOW, Moment
from offerledger.projections.elections import offer_employees, valid_acts
from offerledger.projections.state import LedgerState

ACCEPTED_KINDS = frozenset({"submit", "change", "withdraw"})


@dataclass(frozen=True, slots=True)
class LateRecorded:
    """One form recorded after the offer's end was on record, claiming timely receipt."""

    stream: uuid.UUID
    employee_id: str
    form_id: str
    action: str  # ElectionSubmitted, ElectionChanged or ElectionWithdrawn
    kind: str
    received_at: datetime
    position: int
    version: int
    recorded: datetime
    actor: str
    key_id: str
    synthetic: bool
    end_action: str  # OfferExpired or OfferTerminated
    ended_at: datetime  # the end's effective time: the deadline the form claims to have met
    end_position: int

    @property
    def after_end(self) -> timedelta:
        return self.recorded - self.ended_at

    def describe(self) -> str:
        return (
            f"form {self.form_id} of employee {self.employee_id} ({self.kind}, received "
            f"{self.received_at.isoformat()}) was recorded {self.recorded.isoformat()} by "
            f"{self.actor} (key {self.key_id[:16]}…), {_span(self.after_end)} after the offer's "
            f"end ({self.end_action} effective {self.ended_at.isoformat()}, on record from log "
            f"position {self.end_position}); log position {self.position}"
        )


def _span(delta: timedelta) -> str:
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} day(s) {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def late_recorded(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW
) -> list[LateRecorded]:
    """The offer's late-recorded receipts the moment admits, in log order."""
    ends = [
        (stamp, event)
        for stamp, event in offer_changes(state, offer_id, moment)
        if isinstance(event, OfferExpired | OfferTerminated)
    ]
    if not ends:
        return []
    end, end_event = min(ends, key=lambda c: c[0].position)
    out = []
    for employee in offer_employees(state, offer_id):
        for act in valid_acts(employee, moment):
            if act.kind not in ACCEPTED_KINDS or act.stamp.position < end.position:
                continue
            s = act.stamp
            out.append(
                LateRecorded(
                    employee.stream,
                    employee.employee_id,
                    act.form_id,
                    s.action,
                    act.kind,
                    act.received_at,
                    s.position,
                    s.version,
                    s.recorded,
                    s.actor,
                    s.key_id,
                    act.synthetic,
                    end_event.action,
                    end.effective_at,
                    end.position,
                )
            )
    return sorted(out, key=lambda item: item.position)


__all__ = ["LateRecorded", "late_recorded"]
