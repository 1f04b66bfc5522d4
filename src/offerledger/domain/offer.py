"""The offer aggregate: a pure fold over the offer stream, and the commands its rules allow.

Commands take the current state and the recording context and return events (or raise a
:class:`RuleViolation`); the application only saves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from offerledger.domain import timing
from offerledger.errors import RuleViolation
from offerledger.events import (
    CommittedList,
    ConditionAsserted,
    ConditionWaived,
    CorrectionRecorded,
    Document,
    DocumentAmended,
    ExpirationExtended,
    Grant,
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
    apply_operations,
)


@dataclass(frozen=True, slots=True)
class Condition:
    condition_id: str
    kind: str
    asserted: bool = False
    waived: bool = False


@dataclass(frozen=True, slots=True)
class Offer:
    id: uuid.UUID
    version: int
    name: str
    issuer: str
    commenced: datetime
    # the stated expirations (effective from, expiration, stream version), in log order, the
    # commencement's first, corrections applied: offerledger.domain.timing decides which is in force
    expirations: tuple[timing.Announcement, ...]
    expired_at: datetime | None = None
    terminated_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_version: int | None = None  # the acceptance's version in the offer stream
    accepted_recorded: datetime | None = None
    # the grants accepted and cancelled: a committed list (its entries are read from the
    # ledger's documents by whoever needs them), or listed in a version 1 event
    accepted_list: CommittedList | None = None
    accepted: frozenset[tuple[str, str]] = frozenset()  # (employee id, grant id), version 1
    granted: bool = False
    conditions: dict[str, Condition] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    notices: frozenset[str] = frozenset()

    def expiration_in_force(self, at: datetime) -> datetime:
        """The stated expiration in force at ``at`` (:func:`timing.expiration_in_force`)."""
        return timing.expiration_in_force(self.expirations, at)

    def deadline(self, at: datetime) -> datetime:
        """Exclusive bound of the election window for an act received at ``at``."""
        return timing.deadline(self.expirations, at)

    def condition_status(self, condition_id: str, *, kind: str, at: datetime) -> str:
        """``asserted``, ``waived``, ``deemed waived`` or ``open`` at ``at``: derived, never
        written. A condition other than a governmental approval that was not asserted before the
        offer expired is deemed waived from the expiration on (the amended Section 7)."""
        known = self.conditions.get(condition_id)
        if known is not None and known.waived:
            return "waived"
        if known is not None and known.asserted:
            return "asserted"
        if kind != "governmental_approval" and at >= self.deadline(at):
            return "deemed waived"
        return "open"

    def is_open_at(self, at: datetime) -> str | None:
        """Why an act at ``at`` falls outside the offer (None: it is inside)."""
        return timing.outside_window(
            commenced=self.commenced,
            terminated=self.terminated_at,
            announcements=self.expirations,
            at=at,
        )

    @property
    def ended_on_record(self) -> datetime | None:
        """When the offer ended, as far as the ledger has recorded (expired or terminated)."""
        ends = [t for t in (self.expired_at, self.terminated_at) if t is not None]
        return min(ends, default=None)


def fold_offer(offer: Offer | None, event: LedgerEvent) -> Offer | None:
    """``(offer, event) -> offer``: pure, times and ids from the event."""
    if isinstance(event, OfferCommenced):
        return Offer(
            id=event.originator_id,
            version=event.originator_version,
            name=event.offer_name,
            issuer=event.issuer,
            commenced=event.effective.earliest(),
            expirations=(
                timing.Announcement(
                    event.effective.earliest(), event.expiration, event.originator_version
                ),
            ),
        )
    if offer is None:
        return None
    offer = replace(offer, version=event.originator_version)
    if isinstance(event, OfferDocumentRegistered):
        return replace(offer, documents={**offer.documents, event.document.id: event.document})
    if isinstance(event, DocumentAmended):
        doc, _ = apply_operations(offer.documents[event.document_id], event.operations)
        return replace(offer, documents={**offer.documents, event.document_id: doc})
    if isinstance(event, ExpirationExtended):
        stated = timing.Announcement(
            event.effective.earliest(), event.new_expiration, event.originator_version
        )
        return replace(offer, expirations=(*offer.expirations, stated))
    if isinstance(event, ConditionAsserted):
        cond = Condition(event.condition_id, event.condition_kind, asserted=True)
        return replace(offer, conditions={**offer.conditions, event.condition_id: cond})
    if isinstance(event, ConditionWaived):
        old = offer.conditions.get(event.condition_id)
        cond = Condition(event.condition_id, event.condition_kind, asserted=False, waived=True)
        if old is not None:
            cond = replace(old, waived=True, asserted=False)
        return replace(offer, conditions={**offer.conditions, event.condition_id: cond})
    if isinstance(event, OfferExpired):
        return replace(offer, expired_at=event.effective.earliest())
    if isinstance(event, OfferTerminated):
        return replace(offer, terminated_at=event.effective.earliest())
    if isinstance(event, TenderedOptionsAccepted | TenderedOptionsAcceptedV1):
        offer = replace(
            offer,
            accepted_at=event.effective.earliest(),
            accepted_version=event.originator_version,
            accepted_recorded=event.recorded,
        )
        if isinstance(event, TenderedOptionsAcceptedV1):
            return replace(
                offer, accepted=frozenset((g.employee_id, g.grant_id) for g in event.grants)
            )
        return replace(offer, accepted_list=event.grants)
    if isinstance(event, NewOptionsGranted | NewOptionsGrantedV1):
        return replace(offer, granted=True)
    if isinstance(event, NoticeDispatched | NoticeDispatchedV1):
        return replace(offer, notices=offer.notices | {f"{event.notice_id}/{event.channel}"})
    if isinstance(event, CorrectionRecorded):
        schedule = timing.correct_announcements(
            offer.expirations,
            version=event.supersedes_version,
            topic=event.supersedes_topic,
            corrected=event.corrected,
        )
        return replace(offer, expirations=schedule)
    return offer


def project_offer(events: list[LedgerEvent]) -> Offer | None:
    offer: Offer | None = None
    for event in events:
        offer = fold_offer(offer, event)
    return offer


# --- rules ----------------------------------------------------------------------------------


def check_condition_assertion(offer: Offer, *, kind: str, at: datetime, condition_id: str) -> None:
    """Other conditions only before expiration; governmental approvals until acceptance.

    Judged by the assertion's effective time, so history may be recorded after the fact.
    """
    existing = offer.conditions.get(condition_id)
    if existing is not None and existing.waived:
        raise RuleViolation(
            f"condition {condition_id!r} was waived and cannot be asserted again",
            rule="condition-waived",
        )
    if offer.terminated_at is not None and at >= offer.terminated_at:
        raise RuleViolation("the offer was terminated", rule="condition-timing")
    if kind == "governmental_approval":
        if offer.accepted_at is not None and at >= offer.accepted_at:
            raise RuleViolation(
                "a governmental-approval condition may be asserted only before the acceptance "
                f"and cancellation of tendered options ({offer.accepted_at.isoformat()})",
                rule="condition-timing",
            )
        return
    if offer.condition_status(condition_id, kind=kind, at=at) == "deemed waived":
        raise RuleViolation(
            "conditions other than governmental approvals may be asserted only before the "
            f"offer expires ({offer.expiration_in_force(at).isoformat()}); unasserted "
            f"conditions are deemed waived at expiration, and {condition_id!r} was not asserted",
            rule="condition-timing",
        )


def check_waiver(offer: Offer, *, condition_id: str, at: datetime) -> None:
    existing = offer.conditions.get(condition_id)
    if existing is not None and existing.waived:
        raise RuleViolation(
            f"condition {condition_id!r} is already waived", rule="condition-waived"
        )
    if offer.accepted_at is not None and at >= offer.accepted_at:
        raise RuleViolation(
            "conditions cannot be waived after acceptance and cancellation", rule="condition-timing"
        )


def check_within_offer(offer: Offer, *, at: datetime, action: str) -> None:
    """No action of the offer takes effect before the offer commenced."""
    if at < offer.commenced:
        raise RuleViolation(
            f"{action} cannot take effect at {at.isoformat()}, before the offer commenced "
            f"({offer.commenced.isoformat()})",
            rule="offer-window",
        )


def check_extension(offer: Offer, *, at: datetime, new_expiration: datetime) -> None:
    if offer.terminated_at is not None:
        raise RuleViolation("the offer was terminated; it cannot be extended", rule="extension")
    if offer.expired_at is not None or offer.accepted_at is not None:
        raise RuleViolation(
            "the offer is on record as expired"
            + (" and its tendered options as accepted" if offer.accepted_at else "")
            + "; an extension would contradict that record (record a correction first)",
            rule="extension",
        )
    if at >= offer.deadline(at) or (offer.expired_at is not None and at >= offer.expired_at):
        raise RuleViolation(
            f"the offer had expired ({offer.expiration_in_force(at).isoformat()}); an expired "
            "offer cannot be extended",
            rule="extension",
        )
    current = offer.expiration_in_force(at)
    if new_expiration <= current:
        raise RuleViolation(
            f"the new expiration {new_expiration.isoformat()} is not after the current "
            f"{current.isoformat()}",
            rule="extension",
        )


def check_expiry(offer: Offer, *, at: datetime) -> None:
    if offer.expired_at is not None:
        raise RuleViolation("the offer has already expired", rule="expiration")
    if offer.terminated_at is not None:
        raise RuleViolation("the offer was terminated; it does not expire", rule="expiration")
    if at < offer.deadline(at):
        raise RuleViolation(
            f"the offer cannot expire before {offer.expiration_in_force(at).isoformat()} "
            "(the stated minute included)",
            rule="expiration",
        )


def check_termination(offer: Offer, *, at: datetime) -> None:
    if offer.terminated_at is not None:
        raise RuleViolation("the offer was already terminated", rule="termination")
    if offer.accepted_at is not None:
        raise RuleViolation(
            "tendered options are on record as accepted and cancelled; a termination would "
            "contradict that record",
            rule="termination",
        )


def check_acceptance(offer: Offer, *, at: datetime) -> None:
    if offer.terminated_at is not None:
        raise RuleViolation("the offer was terminated; nothing can be accepted", rule="acceptance")
    if offer.expired_at is None or at < offer.expired_at:
        raise RuleViolation(
            "tendered options may be accepted only after the offer expires", rule="acceptance"
        )
    if offer.accepted_at is not None:
        raise RuleViolation("tendered options were already accepted", rule="acceptance")
    standing = [c.condition_id for c in offer.conditions.values() if c.asserted and not c.waived]
    if standing:
        raise RuleViolation(
            f"asserted conditions stand: {', '.join(sorted(standing))}; waive them or terminate",
            rule="acceptance",
        )


def check_new_grants(
    offer: Offer,
    *,
    at: datetime,
    grant_date: date,
    grants: list[tuple[str, tuple[str, ...]]],
    accepted: frozenset[tuple[str, str]],
) -> None:
    """After acceptance, once, dated no earlier than it, replacing only accepted grants.

    ``accepted`` holds the (employee id, grant id) pairs accepted and cancelled: the entries of
    ``offer.accepted_list`` (read by the caller) or ``offer.accepted``.
    """
    if offer.accepted_at is None:
        raise RuleViolation(
            "new options are granted only after tendered options are accepted and cancelled",
            rule="new-grants",
        )
    if offer.granted:
        raise RuleViolation("the new options were already granted", rule="new-grants")
    if at < offer.accepted_at or grant_date < offer.accepted_at.date():
        raise RuleViolation(
            f"new options cannot be granted before the acceptance ({offer.accepted_at.date()})",
            rule="new-grants",
        )
    for employee_id, replaces in grants:
        for grant_id in replaces:
            if (employee_id, grant_id) not in accepted:
                raise RuleViolation(
                    f"grant {grant_id} of employee {employee_id} was not accepted and cancelled",
                    rule="new-grants",
                )


def check_amendment(offer: Offer, event: DocumentAmended) -> None:
    """Every operation must address what exists at that point (raises AmendmentTargetMissing)."""
    if event.document_id not in offer.documents:
        raise RuleViolation(
            f"no document {event.document_id!r} is registered for this offer",
            rule="amendment-target",
        )
    apply_operations(offer.documents[event.document_id], event.operations)


def check_document_registration(offer: Offer, event: OfferDocumentRegistered) -> None:
    if event.document.id in offer.documents:
        raise RuleViolation(
            f"document {event.document.id!r} is already registered; amend it instead",
            rule="document-registered",
        )


# --- rules against rewriting the outcome ----------------------------------------------------
# Judged by what the ledger had recorded when the action is recorded, whatever effective time
# the action claims (DESIGN.md §4, "Truth in outputs"; issue 13 item 3).


def check_outcome_not_recorded(
    offer: Offer, *, action: str, subject: str, acceptance_position: int | None = None
) -> None:
    """Once the acceptance and cancellation of tendered options is on record, nothing that
    would change the outcome it rests on is accepted: no election, change or withdrawal, no
    eligible grant registered, no correction of one. ``acceptance_position`` is the
    acceptance's log position (named in the refusal when given)."""
    if offer.accepted_at is None:
        return
    where = (
        f"log position {acceptance_position}"
        if acceptance_position is not None
        else f"version {offer.accepted_version} of the offer stream"
    )
    recorded = (
        f", recorded {offer.accepted_recorded.date().isoformat()}"
        if offer.accepted_recorded is not None
        else ""
    )
    raise RuleViolation(
        f"{action} for {subject} would change the outcome on record: tendered options were "
        f"accepted and cancelled (TenderedOptionsAccepted at {where}, effective "
        f"{offer.accepted_at.date().isoformat()}{recorded}), whatever time the action claims",
        rule="outcome-recorded",
        hint="a form that was missed is put on file with 'offerledger record election-refused' "
        "(it is reported, and the outcome stands)",
    )


def check_roster_grants(offer: Offer, *, employee_id: str, grants: Sequence[Grant]) -> None:
    """Eligible grants exist before the offer: none is dated after it commenced."""
    late = [g.grant_id for g in grants if g.grant_date > offer.commenced.date()]
    if late:
        raise RuleViolation(
            f"grant(s) {', '.join(late)} of employee {employee_id} are dated after the "
            f"offer commenced ({offer.commenced.date()}); only outstanding options are eligible",
            rule="roster",
        )


def check_roster_open(
    offer: Offer, *, at: datetime, employee_id: str, acceptance_position: int | None = None
) -> None:
    """Eligible grants are registered only while the offer is open, on record and at ``at``."""
    check_outcome_not_recorded(
        offer,
        action="eligible grants",
        subject=f"employee {employee_id}",
        acceptance_position=acceptance_position,
    )
    ended = offer.ended_on_record
    if ended is not None or at >= offer.deadline(at):
        on_record = f" (its end is on record, effective {ended.isoformat()})" if ended else ""
        raise RuleViolation(
            f"eligible grants of employee {employee_id} cannot be registered once the offer "
            f"has expired{on_record}",
            rule="roster",
        )
