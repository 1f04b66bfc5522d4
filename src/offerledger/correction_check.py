"""The write side's check of a correction, and where the acceptance it is judged against sits.

A correction (:class:`~offerledger.events.CorrectionRecorded`) is accepted only when the event
it makes validates against the superseded event's own model, read exactly as the read side
reads it (:mod:`offerledger.domain.correction`; the corrected fields are stored in their one
canonical text), in the role of the event it supersedes; and a correction of an election form
or of eligible grants follows their rules: none once the acceptance is on record, a corrected
form received while the offer was open and naming eligible grants only (issue 13 items 2-3).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offerledger.domain import offer as offer_rules
from offerledger.domain.correction import merge_correction
from offerledger.domain.election import check_grants_eligible, check_receipt_window
from offerledger.errors import InputError, RuleViolation, UnknownEntity
from offerledger.events import (
    CorrectionRecorded,
    ElectionChanged,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    LedgerEvent,
)
from offerledger.ledger import Ledger
from offerledger.values import name_fields, not_a_formula

if TYPE_CHECKING:
    from offerledger.actions import KeyRef


def acceptance_position(ledger: Ledger, state: offer_rules.Offer) -> int | None:
    """The log position of the offer's acceptance, when it is on record (refusals name it)."""
    if state.accepted_version is None:
        return None
    return ledger.position_of(state.id, state.accepted_version)


def superseded(ledger: Ledger, sid: uuid.UUID, version: Any, topic: Any) -> LedgerEvent:
    """The event a correction supersedes: in its stream, at its version, of its topic."""
    try:
        wanted = int(version)
    except (TypeError, ValueError):
        raise InputError("must be a version number", field="supersedes_version") from None
    rows = ledger.rows(sid, gt=wanted - 1, lte=wanted) if wanted > 0 else []
    if not rows or rows[0].topic != topic:
        raise UnknownEntity(f"no event {topic} at version {wanted} in that stream")
    return rows[0].event()


def corrected_texts(ledger: Ledger, sid: uuid.UUID, fields: Mapping[str, Any]) -> Any:
    """A correction's fields as stored (canonical text), once the event they make validates;
    anything but a mapping is left for the model to refuse, naming the field."""
    corrected = fields.get("corrected")
    if not isinstance(corrected, Mapping):
        return corrected
    original = superseded(
        ledger, sid, fields.get("supersedes_version"), fields.get("supersedes_topic")
    )
    stored = merge_correction(original, corrected)[1]
    for name in sorted(name_fields(type(original)) & set(corrected)):
        try:  # a name or id corrected is entered now, like one recorded
            not_a_formula(stored[name])
        except ValueError as e:
            raise InputError(str(e), field=f"corrected.{name}") from None
    return stored


def check_correction(ledger: Ledger, event: CorrectionRecorded, *, signer: KeyRef) -> None:
    """The superseded event exists in the stream, the role is its role, the corrected event
    validates (as stored: the read side reads exactly that) and follows its own rules."""
    original = superseded(
        ledger, event.originator_id, event.supersedes_version, event.supersedes_topic
    )
    merged, stored = merge_correction(original, event.corrected)
    if stored != event.corrected:
        raise InputError(
            "is not in its stored form (build the event with record)", field="corrected"
        )
    if isinstance(merged, (ElectionSubmitted, ElectionChanged, ElectionWithdrawn)):
        _check_corrected_election(ledger, merged)
    elif isinstance(merged, EligibleGrantsRegistered):
        state = ledger.offer_state(merged.offer_id)
        offer_rules.check_outcome_not_recorded(
            state,
            action="a correction of eligible grants",
            subject=f"employee {merged.employee_id}",
            acceptance_position=acceptance_position(ledger, state),
        )
        offer_rules.check_roster_grants(state, employee_id=merged.employee_id, grants=merged.grants)
    reg = ledger.registry()
    if original.key_id in reg.keys and signer.key_id in reg.keys:
        if reg.keys[original.key_id].role != reg.keys[signer.key_id].role:
            raise RuleViolation(
                "a correction is recorded in the role of the event it supersedes "
                f"({reg.keys[original.key_id].role})",
                rule="correction-role",
            )


def _check_corrected_election(
    ledger: Ledger, merged: ElectionSubmitted | ElectionChanged | ElectionWithdrawn
) -> None:
    """A corrected election form: none once the outcome is on record; received while the offer
    was open; naming eligible grants only."""
    state = ledger.offer_state(merged.offer_id)
    offer_rules.check_outcome_not_recorded(
        state,
        action=f"a correction of election form {merged.form_id!r}",
        subject=f"employee {merged.employee_id}",
        acceptance_position=acceptance_position(ledger, state),
    )
    check_receipt_window(
        state, employee_id=merged.employee_id, form_id=merged.form_id, at=merged.received_at
    )
    emp = ledger.employee_state(merged.offer_id, merged.employee_id)
    named = [c.grant_id for c in getattr(merged, "choices", ())]
    check_grants_eligible(emp, named + list(getattr(merged, "grant_ids", ())))


__all__ = ["acceptance_position", "check_correction", "corrected_texts", "superseded"]
