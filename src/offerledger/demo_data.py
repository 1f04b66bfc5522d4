"""The reference case's data: the Offer to Exchange as far as the filings give it, and the
SYNTHETIC roster and elections (fixed seed) written as the CSV files the demo ingests."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from offerledger.events import EASTERN
from offerledger.ingest.csvrows import ELECTION_COLUMNS, ROSTER_COLUMNS
from offerledger.ledger import Ledger

EXPIRATION = datetime(2001, 9, 27, 23, 59, tzinfo=EASTERN)
PLANS = ("Holding Plan", "PNH Plan")
SEED = 20010827
INTAKE_DELAY = timedelta(minutes=5)  # from a day's last form to the save that records them


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=EASTERN)


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


def input_folder(ledger: Ledger) -> Path:
    """Where the demo writes its synthetic CSV files: ``demo-input/`` beside the keystore
    (beside the SQLite file by default; with PostgreSQL, beside ``OFFERLEDGER_KEYS``)."""
    folder = ledger.keystore.folder.parent / "demo-input"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_roster_csv(path: Path, roster: list[dict[str, Any]]) -> None:
    """The roster as an equity-plan administrator would send it: one row per grant."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([*ROSTER_COLUMNS, "email", "synthetic"])
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
        out.writerow([*ELECTION_COLUMNS, "acted_by", "synthetic"])
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


@dataclass(frozen=True)
class ElectionBatch:
    """One day's forms of one channel, as the intake that receives them records them: the
    e-mail intake the e-mail forms, the clerk the paper forms, in one save a few minutes after
    that day's last form arrived (so nothing is recorded before it was received)."""

    day: date  # the day the forms were received (US Eastern)
    channel: str  # email | paper
    acts: tuple[dict[str, Any], ...]
    recorded_at: datetime  # the story clock when the batch is recorded

    @property
    def filename(self) -> str:
        return f"{self.day.isoformat()}-{self.channel}.csv"


def election_batches(acts: list[dict[str, Any]]) -> list[ElectionBatch]:
    """The election acts by (day received, channel), in the order they are recorded."""
    groups: dict[tuple[date, str], list[dict[str, Any]]] = {}
    for act in acts:
        received = datetime.fromisoformat(act["data"]["received_at"]).astimezone(EASTERN)
        groups.setdefault((received.date(), act["data"]["channel"]), []).append(act)
    batches = [
        ElectionBatch(
            day,
            channel,
            tuple(group),
            max(datetime.fromisoformat(a["data"]["received_at"]) for a in group) + INTAKE_DELAY,
        )
        for (day, channel), group in groups.items()
    ]
    return sorted(batches, key=lambda b: (b.recorded_at, b.channel))


def write_inputs(folder: Path, roster: list[dict[str, Any]]) -> tuple[Path, list[Path]]:
    """The demo's synthetic input files: the roster and, under ``elections/``, one elections
    CSV per batch (:func:`election_batches`), in the order they are recorded."""
    write_roster_csv(folder / "roster.csv", roster)
    batches_folder = folder / "elections"
    batches_folder.mkdir(exist_ok=True)
    paths = []
    for batch in election_batches(synthetic_elections(roster)):
        write_elections_csv(batches_folder / batch.filename, list(batch.acts))
        paths.append(batches_folder / batch.filename)
    return folder / "roster.csv", paths


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
