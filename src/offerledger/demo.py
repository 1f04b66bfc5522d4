"""The reference case end to end: Mpower Holding Corporation's option exchange of 2001.

What the filings on hand give is recorded as filed; what they do not give is recorded as not on
file; the roster and the elections are SYNTHETIC (fixed seed), labelled so in every event. The
demo simulates a ledger kept as events happened, with a story clock (:class:`ScriptClock`) that
never runs back and never records anything before it happened: the officer records each filing
on its filing day, the clerk records each day's paper forms and the e-mail intake each day's
e-mail forms a few minutes after that day's last form arrived, People Communications records
the notices it sent, the officer the expiration, the acceptance and the new grants. The clock
says it is synthetic, so every event the demo records carries the header's ``synthetic`` mark
(docs/format.md, "Synthetic events") and every output that rests on one says SYNTHETIC. The demo
ledger is the same every run except for the salts of the committed lists (the notices'
recipients, the grants accepted and the new grants: docs/disclosure.md), which are random by
design; every output reads the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from offerledger.actions import record
from offerledger.demo_data import (
    EXPIRATION,
    INTAKE_DELAY,
    PLANS,
    election_batches,
    input_folder,
    offer_to_exchange,
    synthetic_elections,
    synthetic_roster,
    write_inputs,
)
from offerledger.documents import SourceDocument
from offerledger.events import (
    EASTERN,
    offer_stream_name,
    stream_id,
)
from offerledger.ingest.csvingest import ingest_csv
from offerledger.ledger import Ledger, keystore_folder
from offerledger.signing.keyfile import DEMO_KDF
from offerledger.signing.keys import Keystore, SigningKey
from offerledger.store import resolve_backend

if TYPE_CHECKING:
    from offerledger.integrity.problems import VerifyReport

FILING_NAME = "mpower-schedule-to-amendment-2-2001-09-13.txt"
CIK = "1117042"  # EDGAR archive folder of Mpower Holding Corp
FILE_NUMBER = "005-59595"  # SEC file number of Mpower as subject company
OFFER = offer_stream_name(cik=CIK, file_number=FILE_NUMBER)
# The demo's key holders: roles, never real people (the filings' signer, Russell I. Zuckerman,
# stays a payload field of the filings he signed; no synthetic event is recorded in his name)
OFFICER = "Demo issuer officer (SYNTHETIC)"
COMMS = "People Communications"
AGENT = "Filing agent"
CLERK = "People Services (paper forms)"
EMAIL_INTAKE = "People Services (e-mail forms)"


def reference_filing() -> bytes:
    return resources.files("offerledger.data").joinpath(FILING_NAME).read_bytes()


def notice_document() -> SourceDocument:
    """Exhibit (a)(11), the notice sent to employees, as it stands in Amendment No. 2."""
    from offerledger.ingest.filing import parse_filing
    from offerledger.ingest.sourcedocs import exhibit_document

    raw = reference_filing()
    exhibit = parse_filing(raw, name=FILING_NAME).exhibit("(a)(11)")
    assert exhibit is not None, "the reference filing holds Exhibit (a)(11)"
    return exhibit_document(raw, exhibit, name=FILING_NAME)


def demo_key(holder: str) -> SigningKey:
    """Demo keys come from a public seed so the demo ledger is reproducible: never use them.

    The ledger says so (its root key registration has ``keys_public``), and their files use
    the cheap :data:`~offerledger.signing.keyfile.DEMO_KDF`: a costly KDF protects nothing here.
    """
    seed = hashlib.sha256(f"offerledger demo key: {holder}".encode()).digest()
    return SigningKey.from_seed(seed=seed)


def _keep_demo_key(keystore: Keystore, key: SigningKey, passphrase: bytes) -> None:
    if not keystore.path_for(key.key_id).exists():  # a file per key id: the same key
        keystore.save(key=key, passphrase=passphrase, kdf=DEMO_KDF)


@dataclass
class ScriptClock:
    """The demo's story clock: it reads what :meth:`at` last set and never runs back.

    ``synthetic``: a ledger with this clock marks every event it records as synthetic.
    """

    synthetic: ClassVar[bool] = True
    now: datetime = datetime(2001, 8, 1, 9, 0, tzinfo=EASTERN)

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime, minutes: int = 5) -> None:
        """The clock moves to ``minutes`` after ``when`` (or stays, if it is later already)."""
        self.now = max(self.now, when + timedelta(minutes=minutes))


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=EASTERN)


@dataclass
class DemoSummary:
    db: str
    events: int = 0
    employees: int = 0
    grants: int = 0
    elections_accepted: int = 0
    elections_refused: int = 0
    tendered_grants: int = 0
    notes: list[str] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)  # the grants accepted

    def as_dict(self) -> dict[str, Any]:
        """What ``demo --json`` says of the ledger built (its verification besides)."""
        return {
            "db": self.db,
            "events": self.events,
            "employees": self.employees,
            "synthetic": True,
            "eligible_grants": self.grants,
            "election_forms_accepted": self.elections_accepted,
            "election_forms_refused_as_late": self.elections_refused,
            "grants_tendered_and_accepted": self.tendered_grants,
        }


def run_demo(
    db: str,
    *,
    passphrase: bytes,
    progress: Callable[[str], None] = lambda s: None,
    employees: int = 300,
    keys: Path | None = None,
) -> DemoSummary:
    """The demo on a fresh ledger at ``db``; on a ledger that holds an interrupted demo (killed
    part way), the rest of it (:mod:`offerledger.demo_resume`)."""
    from offerledger.demo_resume import interrupted_demo, resume_demo

    existing = interrupted_demo(db, root=demo_key("ledger root"), keys=keys)
    if existing is not None:
        try:
            summary: DemoSummary = resume_demo(
                existing,
                lambda scratch_db, clock, scratch_keys: _new_ledger(
                    scratch_db, passphrase=passphrase, clock=clock, keys=scratch_keys
                ),
                lambda ledger, root, clock: _script(
                    ledger, root, clock, passphrase, lambda s: None, employees
                ),
                progress=progress,
                keep_key=lambda ledger, key: _keep_demo_key(ledger.keystore, key, passphrase),
                write_inputs=lambda ledger: _write_inputs(ledger, employees),
            )
            return summary
        finally:
            existing.close()
    clock = ScriptClock()
    ledger, root = _new_ledger(db, passphrase=passphrase, clock=clock, keys=keys)
    try:
        return _script(ledger, root, clock, passphrase, progress, employees)
    finally:
        ledger.close()


def verify_demo(
    db: str | None,
    *,
    keys: Path | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> VerifyReport:
    """Verify the demo ledger at ``db`` and record what was found as ``verify`` records it
    (by ``demo``), so the read commands' first line states it; ``progress`` is told (events
    examined, events to examine)."""
    from offerledger.verifying import verify

    with Ledger.open(db, keys=keys) as ledger:
        return verify(ledger, by="demo", progress=progress)


def _new_ledger(
    db: str, *, passphrase: bytes, clock: ScriptClock, keys: Path | None
) -> tuple[Ledger, SigningKey]:
    """A new demo ledger and its root key (the resumed demo's scratch run makes its own here)."""
    root_key = demo_key("ledger root")
    _keep_demo_key(Keystore(keys or keystore_folder(resolve_backend(db))), root_key, passphrase)
    return Ledger.init(
        db, passphrase=passphrase, clock=clock, root_key=root_key, keys=keys, keys_public=True
    )


def _write_inputs(ledger: Ledger, n_employees: int) -> None:
    """The synthetic CSV files the demo ingests, where an uninterrupted demo leaves them: the
    roster and one elections file per day and channel (:func:`~.demo_data.write_inputs`)."""
    write_inputs(input_folder(ledger), synthetic_roster(n_employees))


def _script(
    ledger: Ledger,
    root: SigningKey,
    clock: ScriptClock,
    passphrase: bytes,
    progress: Callable[[str], None],
    n_employees: int,
) -> DemoSummary:
    summary = DemoSummary(db=ledger.backend.location)
    keys = {}
    for holder, role in (
        (OFFICER, "issuer_officer"),
        (COMMS, "communications"),
        (AGENT, "filing_agent"),
        (CLERK, "clerk"),
        (EMAIL_INTAKE, "clerk"),
    ):
        keys[holder] = demo_key(holder)
        _keep_demo_key(ledger.keystore, keys[holder], passphrase)
        ledger.register_key(
            root=root,
            holder=holder,
            role=role,  # type: ignore[arg-type]
            key=keys[holder],
            valid_from=clock.now,
        )
    progress("keys registered: root, officer, communications, filing agent, clerk, e-mail intake")
    officer, comms, agent = (keys[h] for h in (OFFICER, COMMS, AGENT))
    intake = {"paper": keys[CLERK], "email": keys[EMAIL_INTAKE]}

    def rec(action: str, data: dict[str, Any], signer: SigningKey, at: datetime) -> None:
        clock.at(at)
        record(ledger, action, data, signer=signer)

    commenced = _day(date(2001, 8, 27))
    filed = commenced + timedelta(hours=17)  # recorded on the filing day, once filed
    rec(
        "offer-commenced",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "issuer": "Mpower Holding Corporation",
            "cik": CIK,
            "file_number": FILE_NUMBER,
            "securities": "Options to purchase common stock, par value $0.001 per share",
            "cusip": "62473L101",
            "expiration": EXPIRATION.isoformat(),
            "plans": list(PLANS),
        },
        officer,
        filed,
    )
    rec(
        "filing-recorded",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "form": "SC TO-I",
            "filed_on": "2001-08-27",
            "check_boxes": {"issuer_tender_offer_13e4": True},
            "exhibits": [
                {"exhibit_id": "(a)(1)", "title": "Offer to Exchange, dated August 27, 2001"},
                {"exhibit_id": "(a)(3)", "title": "Election Form"},
            ],
            "not_on_file": "the Schedule TO-I itself is not on file; Amendment No. 2 gives its "
            "date (August 27, 2001) and its exhibits (a)(1) and (a)(3)",
        },
        agent,
        filed,
    )
    to_i = stream_id(f"filing:{OFFER}:SC TO-I:0")
    rec(
        "offer-document-registered",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "filing_id": str(to_i),
            "document": offer_to_exchange(),
        },
        officer,
        filed,
    )
    roster = synthetic_roster(n_employees)
    roster_csv, batches = write_inputs(input_folder(ledger), roster)
    clock.at(filed + timedelta(minutes=30))  # the plan administrator's roster, that evening
    plan = ingest_csv(ledger, "roster", roster_csv, signer=officer)
    summary.employees = len(roster)
    summary.grants = sum(len(e["grants"]) for e in roster) if plan.recorded else 0
    progress(
        f"roster: {summary.employees} employees, {summary.grants} grants (synthetic) "
        f"from {roster_csv}"
    )

    amendment_two = _day(date(2001, 9, 13)) + timedelta(hours=9)
    timeline: list[tuple[datetime, Callable[[], None]]] = [
        (amendment_two, lambda: _amendments(ledger, officer, agent, clock, commenced)),
        (amendment_two + timedelta(hours=1), lambda: _notices(ledger, comms, clock, roster)),
    ]
    for batch_path, batch in zip(
        batches, election_batches(synthetic_elections(roster)), strict=True
    ):

        def ingest(path: Path = batch_path, channel: str = batch.channel) -> None:
            plan = ingest_csv(ledger, "elections", path, signer=intake[channel])
            summary.elections_accepted += plan.count("recorded")
            summary.elections_refused += plan.count("refused")

        timeline.append((batch.recorded_at - INTAKE_DELAY, ingest))
    deadline = EXPIRATION + timedelta(minutes=1)
    accept_at = _day(date(2001, 9, 28)) + timedelta(hours=9)
    timeline.append(
        (
            deadline + timedelta(minutes=10),  # after the deadline day's last forms
            lambda: rec(
                "offer-expired",
                {"effective": {"kind": "instant", "at": deadline.isoformat()}},
                officer,
                deadline + timedelta(minutes=10),
            ),
        )
    )
    timeline.append(
        (accept_at, lambda: _accept(ledger, officer, clock, roster, accept_at, summary))
    )
    for when, step in sorted(timeline, key=lambda t: t[0]):  # a stable sort: ties keep order
        clock.at(when)
        step()
    progress(
        "filings: Schedule TO-I, Amendment No. 2 (and No. 1, not on file); notices sent; "
        f"elections: {summary.elections_accepted} forms accepted, {summary.elections_refused} "
        f"refused as late (synthetic), recorded per day and channel from {batches[0].parent}"
    )
    grant_at = _day(date(2002, 3, 29)) + timedelta(hours=9)
    rec(
        "new-options-granted",
        {
            "effective": {"kind": "instant", "at": grant_at.isoformat()},
            "grants": [
                {
                    "employee_id": a["employee_id"],
                    "grant_id": f"N-{a['grant_id']}",
                    "options": a["options"],
                    "replaces": [a["grant_id"]],
                }
                for a in summary.accepted
            ],
            "grant_date": "2002-03-29",
            "plan": "Holding Plan",
            "synthetic": True,
        },
        officer,
        grant_at,
    )
    progress("expired; tendered options accepted and cancelled; new options granted (synthetic)")
    summary.events = ledger.count()
    return summary


def _accept(
    ledger: Ledger,
    officer: SigningKey,
    clock: ScriptClock,
    roster: list[dict[str, Any]],
    accept_at: datetime,
    summary: DemoSummary,
) -> None:
    """The officer accepts and cancels every grant tendered and not withdrawn."""
    offer_id = ledger.resolve_offer(None)
    for emp in roster:
        state = ledger.employee_state(offer_id, emp["employee_id"])
        for gid in state.tendered():
            g = state.grants[gid]
            summary.accepted.append(
                {
                    "employee_id": emp["employee_id"],
                    "grant_id": gid,
                    "options": g.options_outstanding,
                    "plan": g.plan,
                }
            )
    summary.tendered_grants = len(summary.accepted)
    clock.at(accept_at)
    record(
        ledger,
        "tendered-options-accepted",
        {
            "effective": {"kind": "instant", "at": accept_at.isoformat()},
            "grants": summary.accepted,
            "cancelled_on": "2001-09-28",
            "synthetic": True,
        },
        signer=officer,
    )


def _amendments(
    ledger: Ledger, officer: SigningKey, agent: SigningKey, clock: ScriptClock, commenced: datetime
) -> None:
    """Amendment No. 2 goes through the filing parser, as a compliance team would ingest it; it
    is what tells of Amendment No. 1 ("as amended"), so No. 1 is recorded after it, not on file."""
    from offerledger.ingest.service import ingest_filing_bytes

    ingest_filing_bytes(ledger, reference_filing(), signer=officer, source=FILING_NAME)
    clock.at(clock.now)
    record(
        ledger,
        "filing-recorded",
        {
            "effective": {
                "kind": "not_on_file",
                "after": commenced.isoformat(),
                # the end of September 13, 2001: No. 1 may have been filed on No. 2's day
                "before": _day(date(2001, 9, 14)).isoformat(),
                "note": "filed between the Schedule TO-I and Amendment No. 2",
            },
            "form": "SC TO-I/A",
            "amendment_number": 1,
            "not_on_file": "known only because Amendment No. 2 amends the statement 'as amended'; "
            "its date and content are not on file",
        },
        signer=agent,
    )


def _notices(
    ledger: Ledger, comms: SigningKey, clock: ScriptClock, roster: list[dict[str, Any]]
) -> None:
    at = _day(date(2001, 9, 13)) + timedelta(hours=10)
    notice = notice_document()
    groups = (
        ("email", "Mpower employees with e-mail access", True),
        (
            "paper",
            "Mpower employees without e-mail access (paper copies by mail or hand delivery)",
            False,
        ),
    )
    for channel, cls, has_mail in groups:
        clock.at(at)
        record(
            ledger,
            "notice-dispatched",
            {
                "effective": {"kind": "date", "on": "2001-09-13"},
                "notice_id": "(a)(11) 2001-09-13",
                "notice_kind": "amendment_notice",
                "exhibit": "(a)(11)",
                "channel": channel,
                "recipient_class": cls,
                "recipients": [e["employee_id"] for e in roster if e["email"] is has_mail],
                "synthetic_recipients": True,
            },
            signer=comms,
            documents=[notice],
        )


__all__ = [
    "EXPIRATION",
    "OFFER",
    "DemoSummary",
    "demo_key",
    "reference_filing",
    "run_demo",
    "verify_demo",
]
