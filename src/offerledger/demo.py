"""The reference case end to end: Mpower Holding Corporation's option exchange of 2001.

What the filings on hand give is recorded as filed; what they do not give is recorded as not on
file; the roster and the elections are SYNTHETIC (fixed seed), labelled so in every event. The
demo simulates a ledger kept as events happened: each event's recorded time is its effective
time plus a few minutes (a scripted clock), so the demo ledger is the same every run.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from offerledger.actions import build, record
from offerledger.events import (
    EASTERN,
    employee_stream_name,
    filing_stream_name,
    offer_stream_name,
    stream_id,
)
from offerledger.ingest.csvingest import ingest_csv
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey

FILING_NAME = "mpower-schedule-to-amendment-2-2001-09-13.txt"
CIK = "1117042"  # EDGAR archive folder of Mpower Holding Corp
FILE_NUMBER = "005-59595"  # SEC file number of Mpower as subject company
OFFER = offer_stream_name(cik=CIK, file_number=FILE_NUMBER)
EXPIRATION = datetime(2001, 9, 27, 23, 59, tzinfo=EASTERN)
PLANS = ("Holding Plan", "PNH Plan")
OFFICER = "Russell I. Zuckerman"
COMMS = "People Communications"
AGENT = "Filing agent"
CLERK = "People Services (paper forms)"
SEED = 20010827


def reference_filing() -> bytes:
    return resources.files("offerledger.data").joinpath(FILING_NAME).read_bytes()


def demo_key(holder: str) -> SigningKey:
    """Demo keys come from a public seed so the demo ledger is reproducible: never use them."""
    seed = hashlib.sha256(f"offerledger demo key: {holder}".encode()).digest()
    return SigningKey.from_seed(seed=seed)


@dataclass
class ScriptClock:
    now: datetime = datetime(2001, 8, 1, 9, 0, tzinfo=EASTERN)

    def __call__(self) -> datetime:
        return self.now

    def at(self, effective: datetime, minutes: int = 5) -> None:
        self.now = max(self.now, effective + timedelta(minutes=minutes))


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


def run_demo(
    db: str,
    *,
    passphrase: bytes,
    progress: Callable[[str], None] = lambda s: None,
    employees: int = 300,
) -> DemoSummary:
    clock = ScriptClock()
    ledger, root = Ledger.init(
        db, passphrase=passphrase, clock=clock, root_key=demo_key("ledger root")
    )
    try:
        return _script(ledger, root, clock, passphrase, progress, employees)
    finally:
        ledger.close()


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
    ):
        keys[holder] = demo_key(holder)
        ledger.register_key(
            root=root,
            holder=holder,
            role=role,  # type: ignore[arg-type]
            key=keys[holder],
            passphrase=passphrase,
            valid_from=clock.now,
        )
    progress("keys registered: root, officer, communications, filing agent, clerk")
    officer, comms, agent, clerk = (keys[h] for h in (OFFICER, COMMS, AGENT, CLERK))

    def rec(action: str, data: dict[str, Any], signer: SigningKey, at: datetime) -> None:
        clock.at(at)
        record(
            ledger, action, data, signer=signer, offer=None if action != "offer-commenced" else None
        )

    commenced = _day(date(2001, 8, 27))
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
        commenced,
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
        commenced,
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
        commenced,
    )
    rec(
        "filing-recorded",
        {
            "effective": {
                "kind": "not_on_file",
                "after": commenced.isoformat(),
                "before": _day(date(2001, 9, 13)).isoformat(),
                "note": "filed between the Schedule TO-I and Amendment No. 2",
            },
            "form": "SC TO-I/A",
            "amendment_number": 1,
            "not_on_file": "known only because Amendment No. 2 amends the statement 'as amended'; "
            "its date and content are not on file",
        },
        agent,
        _day(date(2001, 9, 13)) - timedelta(hours=1),
    )
    _amendment_two(ledger, officer, clock)
    progress("filings: Schedule TO-I, Amendment No. 1 (not on file), Amendment No. 2")

    roster = synthetic_roster(n_employees)
    folder = input_folder(ledger)
    roster_csv, elections_csv = folder / "roster.csv", folder / "elections.csv"
    write_roster_csv(roster_csv, roster)
    clock.at(commenced)
    plan = ingest_csv(ledger, "roster", roster_csv, signer=officer)
    summary.employees = len(roster)
    summary.grants = sum(len(e["grants"]) for e in roster) if plan.recorded else 0
    _notices(ledger, comms, clock, roster)
    progress(
        f"roster: {summary.employees} employees, {summary.grants} grants (synthetic) "
        f"from {roster_csv}"
    )
    write_elections_csv(elections_csv, synthetic_elections(roster))
    clock.at(EXPIRATION)  # the plan administrator's file, imported at the deadline
    plan = ingest_csv(ledger, "elections", elections_csv, signer=clerk)
    summary.elections_accepted = plan.count("recorded")
    summary.elections_refused = plan.count("refused")
    progress(
        f"elections: {summary.elections_accepted} forms accepted, "
        f"{summary.elections_refused} refused as late (synthetic) from {elections_csv}"
    )

    deadline = EXPIRATION + timedelta(minutes=1)
    rec(
        "offer-expired",
        {"effective": {"kind": "instant", "at": deadline.isoformat()}},
        officer,
        deadline,
    )
    offer_id = ledger.resolve_offer(None)
    accepted: list[dict[str, Any]] = []
    for emp in roster:
        state = ledger.employee_state(offer_id, emp["employee_id"])
        for gid in state.tendered():
            g = state.grants[gid]
            accepted.append(
                {
                    "employee_id": emp["employee_id"],
                    "grant_id": gid,
                    "options": g.options_outstanding,
                    "plan": g.plan,
                }
            )
    summary.tendered_grants = len(accepted)
    accept_at = _day(date(2001, 9, 28)) + timedelta(hours=9)
    rec(
        "tendered-options-accepted",
        {
            "effective": {"kind": "instant", "at": accept_at.isoformat()},
            "grants": accepted,
            "cancelled_on": "2001-09-28",
            "synthetic": True,
        },
        officer,
        accept_at,
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
                for a in accepted
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


def offer_to_exchange() -> dict[str, Any]:
    """The Offer to Exchange as far as the filings on hand give it (Sections 7 and 17)."""
    nof = "not on file: the Offer to Exchange of August 27, 2001 (Exhibit (a)(1)) is not on file"
    return {
        "id": "offer-to-exchange",
        "title": "Offer to Exchange",
        "exhibit": "(a)(1)",
        "dated": "2001-08-27",
        "parts": [
            {"kind": "section_gap", "id": "sections-1-6", "note": f"Sections 1-6 {nof}"},
            {
                "kind": "section",
                "id": "s7",
                "number": "7",
                "title": "Conditions of the Offer",
                "page": 27,
                "blocks": [
                    {
                        "kind": "gap",
                        "id": "s7-earlier",
                        "note": "the paragraphs before the last paragraph of Section 7",
                    },
                    {
                        "kind": "paragraph",
                        "id": "s7-last",
                        "sentences": [
                            {
                                "kind": "not_on_file",
                                "note": "the original last paragraph of Section 7",
                            }
                        ],
                    },
                ],
            },
            {"kind": "section_gap", "id": "sections-8-16", "note": f"Sections 8-16 {nof}"},
            {
                "kind": "section",
                "id": "s17",
                "number": "17",
                "title": "Forward Looking Statements; Miscellaneous",
                "blocks": [
                    {
                        "kind": "paragraph",
                        "id": "s17-p1",
                        "sentences": [
                            {"kind": "not_on_file", "note": "the original first sentence"},
                            {"kind": "not_on_file", "note": "the rest of the first paragraph"},
                        ],
                    },
                    {
                        "kind": "gap",
                        "id": "s17-rest",
                        "note": "the paragraphs after the first paragraph of Section 17",
                    },
                ],
            },
        ],
    }


def _amendment_two(ledger: Ledger, officer: SigningKey, clock: ScriptClock) -> None:
    """Amendment No. 2 goes through the filing parser, as a compliance team would ingest it."""
    from offerledger.ingest.service import ingest_filing_bytes

    clock.at(_day(date(2001, 9, 13)) + timedelta(hours=9))
    ingest_filing_bytes(ledger, reference_filing(), signer=officer, source=FILING_NAME)


def _notices(
    ledger: Ledger, comms: SigningKey, clock: ScriptClock, roster: list[dict[str, Any]]
) -> None:
    from offerledger.demo_amendment import notice_sha256

    at = _day(date(2001, 9, 13)) + timedelta(hours=10)
    digest = notice_sha256(reference_filing())
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
                "content_sha256": digest,
                "synthetic_recipients": True,
            },
            signer=comms,
        )


def input_folder(ledger: Ledger) -> Path:
    """Where the demo writes its synthetic CSV files: ``demo-input/`` beside the database."""
    base = (
        ledger.backend.sqlite_path.resolve().parent
        if ledger.backend.kind == "sqlite"
        else (Path.cwd())
    )
    folder = base / "demo-input"
    folder.mkdir(exist_ok=True)
    return folder


def write_roster_csv(path: Path, roster: list[dict[str, Any]]) -> None:
    """The roster as an equity-plan administrator would send it: one row per grant."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "employee_id",
                "name",
                "grant_id",
                "plan",
                "grant_date",
                "exercise_price",
                "options_outstanding",
                "email",
                "synthetic",
            ]
        )
        for emp in roster:
            for g in emp["grants"]:
                out.writerow(
                    [
                        emp["employee_id"],
                        emp["employee_name"],
                        g["grant_id"],
                        g["plan"],
                        g["grant_date"],
                        g["exercise_price"],
                        g["options_outstanding"],
                        "true" if emp["email"] else "false",
                        "true",
                    ]
                )


def write_elections_csv(path: Path, acts: list[dict[str, Any]]) -> None:
    """Election forms, one row per grant; a withdrawal form lists the grants it withdraws."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "employee_id",
                "grant_id",
                "choice",
                "received_at",
                "form_id",
                "channel",
                "acted_by",
                "synthetic",
            ]
        )
        for act in acts:
            d = act["data"]
            if act["action"] == "election-withdrawn":
                rows = [(g, "withdraw") for g in d["grant_ids"]]
            else:
                rows = [(c["grant_id"], c["choice"]) for c in d["choices"]]
            for grant, choice in rows:
                out.writerow(
                    [
                        d["employee_id"],
                        grant,
                        choice,
                        d["received_at"],
                        d["form_id"],
                        d["channel"],
                        d["acted_by"],
                        "true",
                    ]
                )


def synthetic_roster(n: int) -> list[dict[str, Any]]:
    """SYNTHETIC eligible grants (fixed seed): employees E0001…, grants under both plans."""
    rng = random.Random(SEED)
    roster = []
    for i in range(1, n + 1):
        grants = []
        for j in range(rng.choice((1, 1, 2, 2, 3))):
            plan = PLANS[0] if rng.random() < 0.8 else PLANS[1]
            day = date(1999, 1, 4) + timedelta(days=rng.randrange(0, 900))
            price = Decimal(rng.randrange(500, 6000)) / 100
            grants.append(
                {
                    "grant_id": f"G{i:04d}-{j + 1}",
                    "plan": plan,
                    "grant_date": day.isoformat(),
                    "exercise_price": str(price),
                    "options_outstanding": rng.randrange(1, 200) * 100,
                }
            )
        roster.append(
            {
                "employee_id": f"E{i:04d}",
                "employee_name": f"Synthetic Employee {i:04d}",
                "email": rng.random() < 0.9,
                "grants": grants,
            }
        )
    return roster


def _secs(delta: timedelta) -> int:
    return int(delta.total_seconds())


def synthetic_elections(roster: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SYNTHETIC election acts in received order: submissions, changes, withdrawals, late forms."""
    rng = random.Random(SEED + 1)
    start = _day(date(2001, 8, 28)) + timedelta(hours=9)
    span = int((EXPIRATION - start).total_seconds())
    acts: list[tuple[datetime, str, str, dict[str, Any]]] = []
    for k, emp in enumerate(roster):
        r = rng.random()
        if r > 0.75:
            continue  # no election: not tendered
        eid = emp["employee_id"]
        grants = [g["grant_id"] for g in emp["grants"]]
        channel = "email" if emp["email"] else "paper"
        when = start + timedelta(seconds=rng.randrange(0, span))
        if k % 40 == 7:  # on the last evening
            evening = EXPIRATION.replace(hour=20, minute=0)  # 20:00:00 to 23:59:59
            when = evening + timedelta(seconds=rng.randrange(0, 14399))
        choices = [
            {"grant_id": g, "choice": "exchange" if rng.random() < 0.85 else "keep"} for g in grants
        ]
        acts.append((when, "election-submitted", eid, {"choices": choices, "channel": channel}))
        if r < 0.08 and when < EXPIRATION - timedelta(days=1):
            then = when + timedelta(seconds=rng.randrange(3600, _secs(EXPIRATION - when)))
            flipped = [
                {
                    "grant_id": c["grant_id"],
                    "choice": "keep" if c["choice"] == "exchange" else "exchange",
                }
                for c in choices
            ]
            acts.append((then, "election-changed", eid, {"choices": flipped, "channel": channel}))
        elif (
            r < 0.12
            and when < EXPIRATION - timedelta(days=1)
            and any(c["choice"] == "exchange" for c in choices)
        ):
            then = when + timedelta(seconds=rng.randrange(3600, _secs(EXPIRATION - when)))
            tendered = [c["grant_id"] for c in choices if c["choice"] == "exchange"]
            acts.append(
                (then, "election-withdrawn", eid, {"grant_ids": tendered, "channel": channel})
            )
    # the boundary: the last second of the stated minute counts, the next does not
    boundary = (
        (roster[-1], datetime(2001, 9, 27, 23, 59, 59, tzinfo=EASTERN)),  # accepted
        (roster[-2], datetime(2001, 9, 28, 0, 0, 0, tzinfo=EASTERN)),  # refused: late
        (roster[-3], datetime(2001, 9, 28, 9, 12, tzinfo=EASTERN)),  # refused: late
    )
    skip = {emp["employee_id"] for emp, _ in boundary}
    acts = [a for a in acts if a[2] not in skip]
    for emp, when in boundary:
        choices = [{"grant_id": g["grant_id"], "choice": "exchange"} for g in emp["grants"]]
        acts.append(
            (
                when,
                "election-submitted",
                emp["employee_id"],
                {"choices": choices, "channel": "paper"},
            )
        )
    acts.sort(key=lambda a: (a[0], a[2]))
    out = []
    seq: dict[str, int] = {}
    for when, action, eid, data in acts:
        seq[eid] = seq.get(eid, 0) + 1
        out.append(
            {
                "action": action,
                "data": {
                    "employee_id": eid,
                    "form_id": f"F-{eid}-{seq[eid]}",
                    "received_at": when.isoformat(),
                    "acted_by": eid,
                    "synthetic": True,
                    **data,
                },
            }
        )
    return out


__all__ = [
    "OFFER",
    "run_demo",
    "synthetic_elections",
    "synthetic_roster",
    "employee_stream_name",
    "filing_stream_name",
    "build",
]
