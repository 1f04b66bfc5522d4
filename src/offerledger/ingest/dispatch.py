"""The notices to employees a filing carries, as notice-dispatched events in the offer's stream.

One event per channel the notice's text names, signed by the communications key, with the
notice's text as it stands in the filing stored as a source document. Cross-checks (the deadline
it states against the expiration in force; for an amendment, the amendments it repeats) are
reported, never fixed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from offerledger.events import LedgerEvent, NoticeDispatched, OnDate
from offerledger.ingest.notices import (
    CrossCheck,
    check_deadline,
    check_repeated_amendments,
    read_notice,
)
from offerledger.ingest.plan import FilingIngest
from offerledger.ingest.signers import actor_of
from offerledger.ingest.sourcedocs import exhibit_document
from offerledger.ledger import Ledger
from offerledger.values import EASTERN


def plan_notices(
    ledger: Ledger,
    out: FilingIngest,
    raw: bytes,
    *,
    offer_id: uuid.UUID,
    expiration_at: Callable[[datetime], datetime | None],
    key_id: str | None,
    version: int,
    recorded: datetime,
) -> list[LedgerEvent]:
    """Notice-dispatched events for the filing's notice exhibits, numbered after ``version`` of
    the offer stream; ``expiration_at(t)`` is the expiration in force at ``t`` (cross-check)."""
    events: list[LedgerEvent] = []
    amendment = out.parsed.cover.form == "SC TO-I/A"
    for exhibit in out.parsed.exhibits:
        facts = read_notice(exhibit)
        if facts is None:
            continue
        if amendment:
            out.checks.append(check_repeated_amendments(out.parsed, exhibit))
        day = facts.dated or out.parsed.filed_on
        at = OnDate(on=day).earliest() if day else recorded.astimezone(EASTERN)
        out.checks.append(check_deadline(facts, expiration_at(at)))
        if not facts.channels:
            out.checks.append(
                CrossCheck(
                    "notice-channels",
                    "not_met",
                    f"Exhibit {facts.exhibit_id} does not say how it was sent; no dispatch is "
                    "recorded",
                    (facts.first_line, facts.last_line),
                    compared=f"whether Exhibit {facts.exhibit_id}, a notice, says how it was "
                    "sent (e-mail, paper)",
                )
            )
            continue
        if key_id is None:
            out.notes.append(
                f"Exhibit {facts.exhibit_id} is a notice sent by "
                f"{' and '.join(facts.channels)}; its dispatch is not recorded "
                "because no communications key was given (--notice-key)"
            )
            continue
        text = exhibit_document(raw, exhibit, name=out.parsed.source)
        out.documents.append(text)
        effective: Any = OnDate(on=day) if day else {"kind": "instant", "at": recorded}
        for channel in facts.channels:
            version += 1
            events.append(
                NoticeDispatched(
                    originator_id=offer_id,
                    originator_version=version,
                    effective=effective,
                    recorded=recorded,
                    actor=actor_of(ledger, key_id),
                    key_id=key_id,
                    notice_id=f"{facts.exhibit_id} {day.isoformat() if day else ''}".strip(),
                    notice_kind=facts.kind,
                    exhibit=facts.exhibit_id,
                    channel=channel,
                    recipient_class=facts.recipient_class or "recipients named in the notice",
                    content_sha256=text.sha256,
                )
            )
    return events


__all__ = ["plan_notices"]
