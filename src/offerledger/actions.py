"""Record one action of DESIGN.md §2: validate the input, apply the rules, sign and save.

``record(ledger, action, data, signer=…)`` builds the event for ``action`` (the event class
name in kebab case, ``notice-dispatched``) from a plain mapping, places it in its stream, checks
the offer's rules and the signer's role, and saves it. A refusal raises and writes nothing.

Every source document the event cites (:func:`offerledger.document_check.cited_documents`: a
filing's ``source_sha256``, a notice's ``content_sha256``, …) must be stored with it (given in
``documents``) or already stored; a document given must be one the event cites. The one field
that cites a document may be left out when exactly one document is given: it is filled in.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from offerledger.commitments import accepted_pairs, commit_action_list
from offerledger.correction_check import acceptance_position, check_correction, corrected_texts
from offerledger.document_check import check_documents
from offerledger.documents import CITING_FIELD, SourceDocument
from offerledger.domain import offer as offer_rules
from offerledger.domain.election import check_election
from offerledger.errors import InputError, RuleViolation, UnknownEntity
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
    OfferCommenced,
    OfferDocumentRegistered,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    TimeNotOnFile,
    filing_stream_name,
    offer_stream_name,
    stream_id,
)
from offerledger.input_problems import json_lines, line_of, validation_problems
from offerledger.ledger import Ledger
from offerledger.recording import action_classes
from offerledger.signing.keys import SigningKey
from offerledger.values import ENTERING


class KeyRef(Protocol):
    """What building and checking an event needs of its signer: the key id (a loaded
    :class:`~offerledger.signing.keys.SigningKey`, or only the id before the key is loaded, so
    input is checked before anyone is asked for a passphrase)."""

    @property
    def key_id(self) -> str: ...


EMPLOYEE_ACTIONS = {
    "EligibleGrantsRegistered",
    "ElectionSubmitted",
    "ElectionChanged",
    "ElectionWithdrawn",
    "ElectionRefused",
    "ElectionReceiptConfirmed",
}
# actions whose rules are judged at their effective moment: it must be known
TIMED = (
    ConditionAsserted,
    ConditionWaived,
    ExpirationExtended,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    NewOptionsGranted,
    ElectionSubmitted,
    ElectionChanged,
    ElectionWithdrawn,
    ElectionRefused,
)


def wrap_validation(
    e: ValidationError,
    *,
    cls: type[LedgerEvent],
    file: str | None = None,
    text: str | None = None,
    options: Collection[str] = (),
) -> InputError:
    """Every problem of a validation error in one InputError, each with its field path
    (``document.parts[0].blocks[1].id``), what was expected and, for a file, the line it stands
    on. A field in ``options`` was given as an option (it overrides the file): its problems name
    the option (``--cik``), not a line of the file."""
    lines = json_lines(text) if text is not None else {}

    def where(path: str) -> tuple[int | None, str]:
        top = path.split(".", 1)[0].split("[", 1)[0]
        if top in options:  # the option's value: "--plans[1]", "--document.parts[0].id"
            return None, "--" + top.replace("_", "-") + path[len(top) :]
        return (line_of(lines, path) if path else None), path

    problems = validation_problems(cls, e)
    if len(problems) == 1:
        line, field = where(problems[0][0])
        named = None if field.startswith("--") else file
        return InputError(problems[0][1], file=named, line=line, field=field or None)
    out = []
    for path, message in problems:
        line, field = where(path)
        at = ([f"line {line}"] if line is not None else []) + (
            [f"field '{field}'"] if field else []
        )
        out.append(f"  {', '.join(at)}: {message}" if at else f"  {message}")
    head = f"{len(problems)} problems; nothing was recorded:"
    return InputError("\n".join([head, *out]), file=file)


def _offer_header(ledger: Ledger, offer_id: uuid.UUID) -> tuple[uuid.UUID, int]:
    return offer_id, ledger.offer_state(offer_id).version + 1


def build(
    ledger: Ledger,
    action: str,
    data: Mapping[str, Any],
    *,
    signer: KeyRef,
    offer: str | None = None,
    recorded: datetime | None = None,
    source: str | None = None,
    text: str | None = None,
    documents: Sequence[SourceDocument] = (),
    options: Collection[str] = (),
) -> tuple[LedgerEvent, list[SourceDocument]]:
    """The event ``action`` would record, validated and checked against the rules, and the
    source documents to store with it (``documents`` it cites, and the full list behind a
    committed list). ``text`` is the file ``data`` was read from (its problems name lines of
    it), ``options`` the fields given as command-line options instead."""
    classes = action_classes()
    if action not in classes:
        raise InputError(
            f"unknown action {action!r}", field="ACTION", hint="one of: " + ", ".join(classes)
        )
    cls = classes[action]
    name = cls.TOPIC.split(".")[1]
    data = dict(data)
    citing = CITING_FIELD.get(name)
    if citing and len(documents) == 1 and not data.get(citing):
        data[citing] = documents[0].sha256
    fields: dict[str, Any] = dict(data)
    holder = ledger.registry().keys.get(signer.key_id)
    fields.update(
        recorded=recorded or ledger.clock(),
        actor=holder.holder if holder else "unregistered",
        key_id=signer.key_id,
    )
    if name in {"ElectionSubmitted", "ElectionChanged", "ElectionWithdrawn", "ElectionRefused"}:
        if "received_at" in fields and "effective" not in fields:
            received = fields["received_at"]
            try:
                if isinstance(received, str):
                    received = datetime.fromisoformat(received)
                if not isinstance(received, datetime) or received.tzinfo is None:
                    raise ValueError("no time zone")
            except ValueError:
                raise InputError(
                    f"{fields['received_at']!r} is not an ISO 8601 date-time with its zone",
                    file=source,
                    field="received_at",
                ) from None
            fields["effective"] = {"kind": "instant", "at": received}
    if name == "OfferCommenced":
        # a missing cik or file number is reported with every other problem of the input
        sname = offer_stream_name(
            cik=str(data.get("cik", "")), file_number=str(data.get("file_number", ""))
        )
        fields["offer_name"] = sname  # derived, never chosen: streams hang off this name
        fields.update(originator_id=stream_id(sname), originator_version=1)
    else:
        offer_id = ledger.resolve_offer(offer)
        if name == "FilingRecorded":
            fields["offer_id"] = offer_id
            sha = data.get("source_sha256")
            sname = (
                filing_stream_name(sha256=str(sha))
                if sha
                else f"filing:{ledger.offer_state(offer_id).name}:{data.get('form')}:"
                f"{data.get('amendment_number') or 0}"
            )
            fields.update(originator_id=stream_id(sname), originator_version=1)
        elif name in EMPLOYEE_ACTIONS:
            fields["offer_id"] = offer_id
            employee = data.get("employee_id")
            if employee:
                sid = ledger.employee_stream(offer_id, str(employee))
                last = ledger.last_row(sid)
                version = last.version + 1 if last else 1
            else:  # reported with every other problem of the input when the model validates
                sid, version = offer_id, 1
            fields.update(originator_id=sid, originator_version=version)
        elif name == "CorrectionRecorded":
            target = data.get("stream")
            if not target:
                raise InputError("is required (the stream of the event corrected)", field="stream")
            sid = _stream_ref(str(target))
            fields.pop("stream", None)
            last = ledger.last_row(sid)
            if last is None:
                raise UnknownEntity(f"no stream {target!r} in this ledger")
            fields.update(originator_id=sid, originator_version=last.version + 1)
            fields["corrected"] = corrected_texts(ledger, sid, fields)
        else:
            fields["originator_id"], fields["originator_version"] = _offer_header(ledger, offer_id)
    fields, listed, entries = commit_action_list(name, fields, source=source)
    try:
        event = cls.model_validate(fields, context={ENTERING: True})
    except ValidationError as e:
        raise wrap_validation(e, cls=cls, file=source, text=text, options=options) from None
    check_documents(ledger, event, documents, listed, source=source)
    check(ledger, event, signer=signer, entries=entries)
    return event, [*documents, *listed]


def _stream_ref(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        return stream_id(text)


def check(
    ledger: Ledger, event: LedgerEvent, *, signer: KeyRef, entries: Sequence[Any] = ()
) -> None:
    """The offer's rules for one event (the key's role and validity are checked on save);
    ``entries`` are the values of the list the event commits to."""
    if isinstance(event, OfferCommenced):
        if ledger.stream_exists(event.originator_id):
            raise RuleViolation(f"offer {event.offer_name} is already recorded", rule="unique")
        return
    if isinstance(event, FilingRecorded):
        if ledger.stream_exists(event.originator_id):
            raise RuleViolation("this filing is already recorded", rule="unique")
        return
    if isinstance(event, (KeyRegistered, KeyRevoked)):
        return
    if isinstance(event, CorrectionRecorded):
        check_correction(ledger, event, signer=signer)
        return
    if isinstance(event.effective, TimeNotOnFile) and isinstance(event, TIMED):
        raise InputError(
            f"{event.action} needs a known effective time (a date or an instant): the offer's "
            "rules are judged at that moment",
            field="effective",
        )
    offer_id = getattr(event, "offer_id", event.originator_id)
    state = ledger.offer_state(offer_id)
    at = event.effective.earliest()
    if isinstance(event, TIMED) or isinstance(event, EligibleGrantsRegistered):
        offer_rules.check_within_offer(state, at=at, action=event.action)
    if isinstance(event, EligibleGrantsRegistered):
        offer_rules.check_roster_open(
            state,
            at=at,
            employee_id=event.employee_id,
            acceptance_position=acceptance_position(ledger, state),
        )
        offer_rules.check_roster_grants(state, employee_id=event.employee_id, grants=event.grants)
    if isinstance(event, OfferDocumentRegistered):
        offer_rules.check_document_registration(state, event)
    elif isinstance(event, DocumentAmended):
        if not ledger.stream_exists(event.filing_id):
            raise UnknownEntity(f"no filing {event.filing_id} is recorded; record the filing first")
        offer_rules.check_amendment(state, event)
    elif isinstance(event, CrossCheckRecorded):
        if not ledger.stream_exists(event.filing_id):
            raise UnknownEntity(f"no filing {event.filing_id} is recorded; record the filing first")
    elif isinstance(event, ConditionAsserted):
        offer_rules.check_condition_assertion(
            state, kind=event.condition_kind, at=at, condition_id=event.condition_id
        )
    elif isinstance(event, ConditionWaived):
        offer_rules.check_waiver(state, condition_id=event.condition_id, at=at)
    elif isinstance(event, ExpirationExtended):
        offer_rules.check_extension(state, at=at, new_expiration=event.new_expiration)
    elif isinstance(event, OfferExpired):
        offer_rules.check_expiry(state, at=at)
    elif isinstance(event, TenderedOptionsAccepted):
        offer_rules.check_acceptance(state, at=at)
        for grant in entries:
            emp = ledger.employee_state(offer_id, grant.employee_id)
            if grant.grant_id not in emp.tendered():
                raise RuleViolation(
                    f"grant {grant.grant_id} of employee {grant.employee_id} was not tendered",
                    rule="acceptance",
                )
    elif isinstance(event, NewOptionsGranted):
        offer_rules.check_new_grants(
            state,
            at=at,
            grant_date=event.grant_date,
            grants=[(g.employee_id, g.replaces) for g in entries],
            accepted=state.accepted | accepted_pairs(ledger.document, state.accepted_list),
        )
    elif isinstance(event, OfferTerminated):
        offer_rules.check_termination(state, at=at)
    elif isinstance(event, (ElectionSubmitted, ElectionChanged, ElectionWithdrawn)):
        _check_election_act(ledger, event, state, signer=signer)
    elif isinstance(event, ElectionRefused):
        emp = ledger.employee_state(offer_id, event.employee_id)
        if event.form_id in emp.forms:
            raise RuleViolation(
                f"form {event.form_id!r} is already recorded", rule="duplicate-form"
            )
    elif isinstance(event, ElectionReceiptConfirmed):
        emp = ledger.employee_state(offer_id, event.employee_id)
        if event.form_id not in emp.forms:
            raise UnknownEntity(f"employee {event.employee_id} has no form {event.form_id!r}")


def _check_election_act(
    ledger: Ledger,
    event: ElectionSubmitted | ElectionChanged | ElectionWithdrawn,
    state: offer_rules.Offer,
    *,
    signer: KeyRef,
) -> None:
    emp = ledger.employee_state(state.id, event.employee_id)
    key = ledger.registry().keys.get(signer.key_id)
    if key is not None and key.role == "employee" and key.holder != event.employee_id:
        raise RuleViolation(
            f"employee key of {key.holder} cannot record an election for {event.employee_id}",
            rule="key-role",
        )
    kind = {ElectionSubmitted: "submit", ElectionChanged: "change"}.get(type(event), "withdraw")
    check_election(
        emp,
        state,
        form_id=event.form_id,
        received_at=event.received_at,
        kind=kind,
        choices=getattr(event, "choices", ()),
        grant_ids=getattr(event, "grant_ids", ()),
        late_recorded_reason=event.late_recorded_reason,
        acceptance_position=acceptance_position(ledger, state),
    )


def record(
    ledger: Ledger,
    action: str,
    data: Mapping[str, Any],
    *,
    signer: SigningKey,
    offer: str | None = None,
    source: str | None = None,
    text: str | None = None,
    documents: Sequence[SourceDocument] = (),
    options: Collection[str] = (),
) -> LedgerEvent:
    """Build, check, sign and save one action with the source ``documents`` it cites; returns
    the stored event."""
    event, documents = build(
        ledger,
        action,
        data,
        signer=signer,
        offer=offer,
        source=source,
        text=text,
        documents=documents,
        options=options,
    )
    ledger.save([event], signer=signer, documents=documents)
    return event


def record_election(
    ledger: Ledger,
    action: str,
    data: Mapping[str, Any],
    *,
    signer: SigningKey,
    offer: str | None = None,
    record_refusal: bool = True,
) -> tuple[LedgerEvent, bool]:
    """Record an election act; a form the window refuses is recorded as ElectionRefused.

    Returns (event, accepted). Other refusals (ineligible grant, duplicate form) still raise.
    """
    try:
        return record(ledger, action, data, signer=signer, offer=offer), True
    except RuleViolation as e:
        if not record_refusal or e.rule != "election-window":
            raise
        refused = {
            k: v for k, v in data.items() if k not in {"grant_ids", "late_recorded_reason"}
        } | {
            "attempted": {"election-submitted": "submit", "election-changed": "change"}.get(
                action, "withdraw"
            ),
            "rule": e.rule,
            "reason": e.message,
        }
        return record(ledger, "election-refused", refused, signer=signer, offer=offer), False
