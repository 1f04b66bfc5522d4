"""Queries over the small streams: the offer's events, its filings, its keys, at a moment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from offerledger.domain.timing import in_force_index
from offerledger.events import (
    EffectiveTime,
    Exhibit,
    ExpirationExtended,
    FilingRecorded,
    KeyRegistered,
    LedgerEvent,
    OfferCommenced,
    Signer,
)
from offerledger.projections.core import (
    NOW,
    Moment,
    Stamp,
    corrected_event,
    not_on_file,
    superseding,
)
from offerledger.projections.state import LedgerState, StreamState

Change = tuple[Stamp, LedgerEvent]


class QueryError(ValueError):
    """A query the ledger cannot answer (unknown offer, section, moment before the offer).

    ``field`` names the option at fault; the command line reports it as bad input.
    """

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint


def current_changes(stream: StreamState, moment: Moment = NOW) -> list[Change]:
    """A stream's events as the query sees them: corrections applied, in effective order."""
    superseded = superseding(stream.corrections, moment)
    out: list[Change] = []
    for stamp, event in stream.changes:
        correction = superseded.get(stamp.version)
        if correction is not None:
            fixed = corrected_event(event, correction)
            if fixed is None:
                continue
            stamp, event = Stamp.of((stamp.position, fixed)), fixed
        if moment.admits(stamp):
            out.append((stamp, event))
    out.sort(key=lambda change: change[0].order)
    return out


def offers(state: LedgerState) -> list[StreamState]:
    """Every offer stream, in the order the offers were recorded."""
    found = [s for s in state.streams.values() if s.kind == "offer"]
    return sorted(found, key=lambda s: s.changes[0][0].position)


def offer_stream(state: LedgerState, offer_id: uuid.UUID) -> StreamState:
    stream = state.streams.get(offer_id)
    if stream is None or stream.kind != "offer":
        raise QueryError(f"no offer {offer_id} in this ledger", field="offer")
    return stream


def offer_changes(state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW) -> list[Change]:
    return current_changes(offer_stream(state, offer_id), moment)


def commenced(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW, *, named_by: str | None = None
) -> OfferCommenced:
    """The commencement as the query sees it; refuses a moment before the offer existed, naming
    ``named_by`` (what set the moment, see :func:`~offerledger.projections.text.document_at`)."""
    for _, event in offer_changes(state, offer_id, moment):
        if isinstance(event, OfferCommenced):
            return event
    first = offer_stream(state, offer_id).first()
    when = f" (it commenced {first.effective.earliest().date().isoformat()})" if first else ""
    raise QueryError(
        f"the offer had not commenced at the moment asked for{when}",
        field=named_by
        or ("as-recorded" if moment.as_recorded is not None and moment.as_of is None else "as-of"),
        hint="ask for a date on or after the commencement",
    )


def expiration_in_force(
    changes: list[Change], at: datetime | None = None
) -> tuple[datetime, Stamp] | None:
    """The stated expiration in force at ``at`` (None: after every change the query sees), with
    the stamp of the event that stated it. The rule is the domain's
    (:func:`offerledger.domain.timing.in_force_index`): effective order, ties by log position."""
    stated = sorted(
        (
            (stamp, event.expiration if isinstance(event, OfferCommenced) else event.new_expiration)
            for stamp, event in changes
            if isinstance(event, OfferCommenced | ExpirationExtended)
        ),
        key=lambda pair: pair[0].position,
    )
    if not stated:
        return None
    index = in_force_index([(stamp.effective_at, when) for stamp, when in stated], at)
    return stated[index][1], stated[index][0]


@dataclass(frozen=True, slots=True)
class FilingRef:
    """A Schedule TO filing as the projections cite it."""

    stream: uuid.UUID
    stamp: Stamp
    form: str
    amendment_number: int | None
    filed_on: date | None
    final: bool
    signer: Signer | None
    exhibits: tuple[Exhibit, ...]
    not_on_file: str | None
    check_boxes: tuple[tuple[str, bool], ...]
    accession_number: str | None = None
    source_sha256: str | None = None
    effective: EffectiveTime | None = None

    @classmethod
    def of(cls, stamp: Stamp, event: FilingRecorded) -> FilingRef:
        return cls(
            stream=event.originator_id,
            stamp=stamp,
            form=event.form,
            amendment_number=event.amendment_number,
            filed_on=event.filed_on,
            final=event.final_amendment,
            signer=event.signer,
            exhibits=event.exhibits,
            not_on_file=event.not_on_file,
            check_boxes=tuple(sorted(event.check_boxes.items())),
            accession_number=event.accession_number,
            source_sha256=event.source_sha256,
            effective=event.effective,
        )

    @property
    def name(self) -> str:
        """ "Schedule TO-I" or "Amendment No. 2" (the words the filings use)."""
        if self.amendment_number is not None:
            return f"Amendment No. {self.amendment_number}"
        if self.form == "SC TO-I":
            return "Schedule TO-I"
        return self.form

    @property
    def filed_text(self) -> str:
        if self.filed_on is not None:
            return f"filed {self.filed_on.isoformat()}"
        return f"filed {not_on_file(self.not_on_file or 'filing date')}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.form}) {self.filed_text}"

    @property
    def accession_text(self) -> str:
        """ "accession number 0000950123-01-500123", or the not-on-file marker."""
        if self.accession_number is not None:
            return f"accession number {self.accession_number}"
        why = (
            "the filing's file is not on record"
            if self.source_sha256 is None
            else "the file on record has no SEC header"
        )
        return f"accession number {not_on_file(why)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "stream": str(self.stream),
            "form": self.form,
            "amendment_number": self.amendment_number,
            "filed_on": None if self.filed_on is None else self.filed_on.isoformat(),
            "final_amendment": self.final,
            "label": self.label,
            "accession_number": self.accession_number,
            "exhibits": [e.exhibit_id for e in self.exhibits],
        }


def filings(state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW) -> list[FilingRef]:
    """The offer's filings the query sees, in effective order."""
    out: list[FilingRef] = []
    for stream in state.streams.values():
        if stream.kind != "filing":
            continue
        for stamp, event in current_changes(stream, moment):
            if isinstance(event, FilingRecorded) and event.offer_id == offer_id:
                out.append(FilingRef.of(stamp, event))
    out.sort(key=lambda f: f.stamp.order)
    return out


def filing_index(state: LedgerState, offer_id: uuid.UUID) -> dict[uuid.UUID, FilingRef]:
    """Filing stream id -> the filing (every filing on record, for provenance)."""
    return {f.stream: f for f in filings(state, offer_id)}


@dataclass(frozen=True, slots=True)
class KeyHolder:
    key_id: str
    holder: str
    role: str


def key_holders(state: LedgerState) -> dict[str, KeyHolder]:
    """Key id -> who holds it and in which role (from the keys stream)."""
    out: dict[str, KeyHolder] = {}
    for stream in state.streams.values():
        if stream.kind != "keys":
            continue
        for _, event in stream.changes:
            if isinstance(event, KeyRegistered):
                out[event.registered_key_id] = KeyHolder(
                    event.registered_key_id, event.holder, event.role
                )
    return out


__all__ = [
    "Change",
    "FilingRef",
    "KeyHolder",
    "QueryError",
    "commenced",
    "current_changes",
    "expiration_in_force",
    "filing_index",
    "filings",
    "key_holders",
    "offer_changes",
    "offer_stream",
    "offers",
]
