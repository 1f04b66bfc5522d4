"""Projections benchmark: full rebuild and a 10k-event incremental run of the read model,
against a raw sequential read and JSON decode of the same stored events, in one run.

A generator builds a SYNTHETIC signed ledger (fixed seed): one offer with ten amendments,
E employees with three eligible grants each (E = events / 10), elections with changes,
withdrawals and receipts, notices, acceptance in batches and the new grants; events are signed
by their role's key and saved in batches through ``Ledger.save``. Then, each phase in its own
child process (so that peak RSS is the phase's own):

* ``raw``:      read every stored row in log order (the recorder's ``select_notifications``,
                2000 at a time: the same reads the rebuild makes) and ``orjson``-decode the
                envelope and its body;
* ``rebuild``:  ``offerledger rebuild --full`` (``runner.build_full``): decode to event models,
                fold every projection, write the read model, switch it in;
* ``incremental``: 10k new events are appended (changes of election), then an ordinary
                ``rebuild`` applies just them.

Targets (reported, not asserted): ``rebuild_vs_raw_decode_ratio`` >= 0.5 (events/s over
events/s), ``peak_rss_mb`` < 1024 at 1M events, ``incremental_10k_s`` < 2.

    .venv/bin/python benchmarks/bench_projections.py [--quick] [--events N] [--db URL]
        [--processes 1|2] [--workdir DIR] [--repeats K]

``--repeats K`` runs the raw and rebuild phases K times, interleaved: the figures are medians,
``round_ratios`` each round's own ratio.

A rebuild of at least 50,000 rows is folded by two processes on a machine with two or more
cores (``offerledger.projections.parallel``); ``--processes 1`` measures one.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("OFFERLEDGER_KEY_PASSPHRASE", "bench")
PW = b"bench"
SEED = 20010913
INCREMENTAL = 10_000
SAVE = 500


def _et(*args: int) -> datetime:
    from offerledger.events import EASTERN

    return datetime(*args, tzinfo=EASTERN)  # type: ignore[misc]


def _key(name: str) -> Any:
    from offerledger.signing.keys import SigningKey

    return SigningKey.from_seed(seed=hashlib.sha256(f"bench projections {name}".encode()).digest())


ROLES = (
    ("officer", "issuer_officer"),
    ("comms", "communications"),
    ("agent", "filing_agent"),
    ("employee", "employee"),
    ("clerk", "clerk"),
)


class Generator:
    """Synthetic events in log order, each with the name of the key that signs it."""

    def __init__(self, employees: int, seed: int = SEED) -> None:
        from offerledger.events import employee_stream_name, offer_stream_name, stream_id

        self.rng = random.Random(seed)
        self.n = employees
        self.name = offer_stream_name(cik="0000000000", file_number="005-00000")
        self.offer = stream_id(self.name)
        self.versions: dict[uuid.UUID, int] = {}
        self.clock = _et(2001, 8, 20)
        self.keys = {name: _key(name).key_id for name, _ in ROLES}
        self.emp = [
            stream_id(employee_stream_name(offer=self.name, employee_id=self.eid(i)))
            for i in range(employees)
        ]
        self.forms = 0
        self.documents: dict[int, list[Any]] = {}  # id(event) -> the documents it cites

    @staticmethod
    def eid(i: int) -> str:
        return f"S{i:07d}"

    def make(
        self, cls: Any, stream: uuid.UUID, key: str, effective: Any, **payload: Any
    ) -> tuple[Any, str]:
        from offerledger.commitments import LIST_FIELDS, commit_action_list
        from offerledger.events import RECORDS_FIELDS, records_floor

        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        self.clock += timedelta(milliseconds=1)
        name = cls.TOPIC.split(".")[1]
        documents = []
        if name in LIST_FIELDS:  # the full list given, as `record` takes it: commit to it
            payload, documents, _ = commit_action_list(name, payload)
        event = cls(
            originator_id=stream,
            originator_version=version,
            effective=effective,
            recorded=self.clock,
            actor=key,
            key_id=self.keys[key],
            **payload,
        )
        floor = records_floor(
            event.effective.model_dump(mode="json"),
            {name: getattr(event, name, None) for name in RECORDS_FIELDS},
        )
        if floor is not None and floor[0] > self.clock:  # never recorded before it happened
            self.clock = floor[0]
            event = event.model_copy(update={"recorded": self.clock})
        if documents:
            self.documents[id(event)] = documents
        return event, key

    def offer_events(self) -> Iterator[tuple[Any, str]]:
        from offerledger import events as ev
        from offerledger.values import ReplaceSentence

        day = ev.OnDate(on=date(2001, 8, 27))
        yield self.make(
            ev.OfferCommenced,
            self.offer,
            "officer",
            day,
            offer_name="Bench offer",
            issuer="Synthetic Bench Corporation",
            cik="0000000000",
            file_number="005-00000",
            securities="Options (synthetic)",
            expiration=_et(2001, 9, 27, 23, 59),
            plans=("Plan A", "Plan B"),
        )
        filings = []
        for n in range(11):
            fid = ev.stream_id(f"filing:bench:{n}")
            filings.append(fid)
            yield self.make(
                ev.FilingRecorded,
                fid,
                "agent",
                ev.OnDate(on=date(2001, 8, 27 + n // 4)),
                offer_id=self.offer,
                form="SC TO-I" if n == 0 else "SC TO-I/A",
                amendment_number=None if n == 0 else n,
                filed_on=date(2001, 8, 27 + n // 4),
            )
        paragraphs = tuple(
            ev.Paragraph(id=f"p{i}", sentences=(f"Synthetic sentence {i}.", "Another one."))
            for i in range(20)
        )
        doc = ev.Document(
            id="doc",
            title="Offer to Exchange (synthetic)",
            parts=(ev.Section(id="s1", number="1", title="Terms", blocks=paragraphs),),
        )
        yield self.make(
            ev.OfferDocumentRegistered,
            self.offer,
            "officer",
            day,
            filing_id=filings[0],
            document=doc,
        )
        for n in range(1, 11):
            yield self.make(
                ev.DocumentAmended,
                self.offer,
                "officer",
                ev.OnDate(on=date(2001, 8, 27 + n // 4)),
                filing_id=filings[n],
                document_id="doc",
                operations=(
                    ReplaceSentence(
                        locator=f"amendment {n}",
                        section_id="s1",
                        paragraph_id=f"p{n}",
                        index=0,
                        text=f"Amended sentence {n}.",
                    ),
                ),
            )

    def roster(self) -> Iterator[tuple[Any, str]]:
        from offerledger import events as ev

        for i, stream in enumerate(self.emp):
            grants = tuple(
                ev.Grant(
                    grant_id=f"{self.eid(i)}-{g}",
                    plan="Plan A" if g else "Plan B",
                    grant_date=date(2000, 1 + g, 1),
                    exercise_price=Decimal("12.50"),
                    options_outstanding=100 * (1 + self.rng.randrange(50)),
                )
                for g in range(3)
            )
            yield self.make(
                ev.EligibleGrantsRegistered,
                stream,
                "officer",
                ev.OnDate(on=date(2001, 8, 27)),
                offer_id=self.offer,
                employee_id=self.eid(i),
                employee_name=f"Synthetic {i}",
                grants=grants,
                synthetic=True,
            )
        from offerledger.documents import SourceDocument

        everyone = tuple(self.eid(i) for i in range(self.n))
        notice = SourceDocument(  # stored with the notice that cites it: verify checks that
            content=b"SYNTHETIC notice of amendment (bench_projections)\n",
            media_type="text/plain",
            name="notice-1.txt",
        )
        for channel in ("email", "mail"):
            event, key = self.make(
                ev.NoticeDispatched,
                self.offer,
                "comms",
                ev.OnDate(on=date(2001, 9, 13)),
                notice_id="notice-1",
                notice_kind="amendment_notice",
                exhibit="(a)(11)",
                channel=channel,
                recipient_class="synthetic employees",
                recipients=everyone,
                content_sha256=notice.sha256,
                synthetic_recipients=True,
            )
            self.documents.setdefault(id(event), []).append(notice)
            yield event, key

    def act(self, i: int, at: datetime | None = None) -> tuple[Any, str]:
        from offerledger import events as ev

        stream = self.emp[i]
        at = at or _et(2001, 8, 28) + timedelta(seconds=self.rng.randrange(29 * 86400))
        self.forms += 1
        common = {
            "offer_id": self.offer,
            "employee_id": self.eid(i),
            "form_id": f"F{self.forms}",
            "received_at": at,
            "channel": "web",
            "acted_by": self.eid(i),
            "synthetic": True,
        }
        r = self.rng.random()
        kind = (
            "submit"
            if self.versions[stream] == 1
            else ("withdraw" if r < 0.15 else "receipt" if r < 0.3 else "change")
        )
        if kind == "withdraw":
            return self.make(
                ev.ElectionWithdrawn, stream, "employee", ev.Instant(at=at), grant_ids=(), **common
            )
        if kind == "receipt":
            return self.make(
                ev.ElectionReceiptConfirmed,
                stream,
                "comms",
                ev.Instant(at=at),
                offer_id=self.offer,
                employee_id=self.eid(i),
                form_id=f"F{self.forms - 1}",
                channel="email",
                sent_at=at,
            )
        choices = tuple(
            ev.GrantChoice(
                grant_id=f"{self.eid(i)}-{g}", choice=self.rng.choice(("exchange", "keep"))
            )
            for g in range(3)
        )
        cls = ev.ElectionSubmitted if kind == "submit" else ev.ElectionChanged
        return self.make(cls, stream, "employee", ev.Instant(at=at), choices=choices, **common)

    def elections(self, count: int) -> Iterator[tuple[Any, str]]:
        for _ in range(count):
            yield self.act(self.rng.randrange(self.n))

    def results(self) -> Iterator[tuple[Any, str]]:
        from offerledger import events as ev

        yield self.make(
            ev.OfferExpired, self.offer, "officer", ev.Instant(at=_et(2001, 9, 28, 0, 0))
        )
        for start in range(0, self.n, 1000):
            grants = tuple(
                ev.AcceptedGrant(
                    employee_id=self.eid(i), grant_id=f"{self.eid(i)}-0", options=100, plan="Plan B"
                )
                for i in range(start, min(self.n, start + 1000))
            )
            yield self.make(
                ev.TenderedOptionsAccepted,
                self.offer,
                "officer",
                ev.OnDate(on=date(2001, 9, 28)),
                grants=grants,
                cancelled_on=date(2001, 9, 28),
                synthetic=True,
            )


def _saves(
    ledger: Any,
    pairs: Iterator[tuple[Any, str]],
    cited: dict[int, list[Any]],
    per_transaction: int = 0,
) -> int:
    """Save events in batches of one signer each (the store signs a batch once), with the
    documents their committed lists name (``cited``, by ``id(event)``).

    ``per_transaction`` > 0: consecutive batches are stored together through
    ``Ledger.save_groups`` (each still signed by its own key) until they hold that many events,
    one transaction (one commit) for them all; elections interleave the employees' and the
    communications key's events, so most batches hold a handful of events."""
    keys = {name: _key(name) for name, _ in ROLES}
    batch: list[Any] = []
    signer = None
    count = 0
    groups: list[tuple[list[Any], Any]] = []
    pending = 0

    def flush() -> None:
        nonlocal pending
        if groups:
            documents = [d for events, _ in groups for e in events for d in cited.pop(id(e), [])]
            ledger.save_groups(groups, documents=documents)
            groups.clear()
            pending = 0

    def save() -> None:
        nonlocal pending
        if per_transaction > 0:
            groups.append((batch, keys[signer]))
            pending += len(batch)
            if pending >= per_transaction:
                flush()
            return
        documents = [d for e in batch for d in cited.pop(id(e), [])]
        ledger.save(batch, signer=keys[signer], documents=documents)

    for event, key in pairs:
        if batch and (key != signer or len(batch) >= SAVE):
            save()
            batch = []
        batch.append(event)
        signer = key
        count += 1
    if batch:
        save()
    flush()
    return count


def generate(db: str, events: int, state_file: Path, per_transaction: int = 0) -> dict[str, Any]:
    import pickle

    from offerledger.ledger import Ledger

    started = time.perf_counter()
    root = _key("root")
    ledger, _ = Ledger.init(
        db, passphrase=PW, root_key=root, valid_from=_et(2001, 8, 1), clock=lambda: _et(2001, 8, 1)
    )
    for name, role in ROLES:
        ledger.register_key(
            root=root,
            holder=name,
            role=role,
            key=_key(name),
            passphrase=PW,
            valid_from=_et(2001, 8, 1),
        )
    gen = Generator(max(10, events // 10))
    count = len(ROLES) + 1
    per = per_transaction
    count += _saves(ledger, gen.offer_events(), gen.documents, per)
    count += _saves(ledger, gen.roster(), gen.documents, per)
    results = 1 + len(range(0, gen.n, 1000))  # the expiration, one acceptance per 1,000
    count += _saves(ledger, gen.elections(max(0, events - count - results)), gen.documents, per)
    count += _saves(ledger, gen.results(), gen.documents, per)  # made after: recorded after
    ledger.close()
    state_file.write_bytes(
        pickle.dumps((gen.n, gen.rng.getstate(), gen.versions, gen.forms, gen.clock))
    )
    return {"events": count, "employees": gen.n, "generate_s": time.perf_counter() - started}


def append_incremental(db: str, state_file: Path, count: int, per_transaction: int = 0) -> float:
    import pickle

    from offerledger.ledger import Ledger

    n, rng_state, versions, forms, clock = pickle.loads(state_file.read_bytes())
    gen = Generator(n)
    gen.rng.setstate(rng_state)
    gen.versions, gen.forms, gen.clock = versions, forms, clock
    started = time.perf_counter()
    ledger = Ledger.open(db)
    _saves(ledger, gen.elections(count), gen.documents, per_transaction)
    ledger.close()
    seconds = time.perf_counter() - started
    state_file.write_bytes(
        pickle.dumps((gen.n, gen.rng.getstate(), gen.versions, gen.forms, gen.clock))
    )
    return seconds


# --- phases (each in a child process) -----------------------------------------------------------


def phase_raw(db: str) -> dict[str, Any]:
    import orjson

    from offerledger.ledger import Ledger
    from offerledger.signing.envelope import body_of

    ledger = Ledger.open(db)
    recorder: Any = ledger.app.recorder
    started = time.perf_counter()
    count = 0
    start = 1
    while True:
        batch = recorder.select_notifications(start, 2000)
        if not batch:
            break
        for n in batch:
            orjson.loads(body_of(n.state))
            count += 1
        start = batch[-1].id + 1
    seconds = time.perf_counter() - started
    ledger.close()
    return {"events": count, "seconds": seconds}


def phase_rebuild(db: str, model: str, full: bool) -> dict[str, Any]:
    from offerledger.cli.read import ledger_source
    from offerledger.ledger import Ledger
    from offerledger.projections import runner

    ledger = Ledger.open(db)
    started = time.perf_counter()
    result = runner.build(ledger_source(ledger), Path(model), full=full)
    seconds = time.perf_counter() - started
    ledger.close()
    return {"events": result.applied, "mode": result.mode, "seconds": seconds}


_SPAWNER: list[Any] = []


def child(*args: str) -> dict[str, Any]:
    """Run a phase in a fresh interpreter; returns its JSON plus its peak RSS (its own: the
    phase is started by a small spawner process, see ``spawner.py``)."""
    from spawner import Spawner  # beside this file: on sys.path as a script or imported

    if not _SPAWNER:
        _SPAWNER.append(Spawner())
    with tempfile.TemporaryDirectory(prefix="bench-phase-") as folder:
        out, err = Path(folder) / "out", Path(folder) / "err"
        done = _SPAWNER[0].run(
            [sys.executable, __file__, "--phase", *args], out=out, err=err, env=dict(os.environ)
        )
        if done["exit"] != 0:
            raise SystemExit(f"phase {args[0]} exited {done['exit']}:\n{err.read_text()[-2000:]}")
        return json.loads(out.read_text().strip().splitlines()[-1])  # type: ignore[no-any-return]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    events: int,
    *,
    db_url: str | None = None,
    workdir: Path | None = None,
    repeats: int = 1,
    incremental_run: bool = True,
) -> dict[str, Any]:
    """Generate (or reuse, with ``workdir``) a ledger of ``events``; the raw and rebuild phases
    ``repeats`` times, interleaved (each in its own process: the medians, and each round's own
    ratio), then the incremental phase; the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-projections-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["OFFERLEDGER_KEYS"] = str(folder / "keys")
        db = db_url or str(folder / "ledger.db")
        model = str(folder / "read-model.sqlite")
        if workdir is not None and (folder / "made.json").exists():
            made = json.loads((folder / "made.json").read_text())  # reused (it grew by 10k)
        else:
            made = generate(db, events, folder / "gen.pickle")
            (folder / "made.json").write_text(json.dumps(made))
        print(
            f"generated {made['events']} synthetic events ({made['employees']} employees) "
            f"in {made['generate_s']:.1f} s",
            file=sys.stderr,
        )
        raws, fulls = [], []
        for _ in range(repeats):
            raws.append(child("raw", db))
            fulls.append(child("rebuild", db, model))
        incremental: dict[str, Any] = {"events": 0, "mode": None, "seconds": 0.0}
        incremental["peak_rss_mb"] = 0.0
        appended = 0.0
        if incremental_run:
            appended = append_incremental(db, folder / "gen.pickle", INCREMENTAL)
            incremental = child("incremental", db, model)
    raw = {"events": raws[0]["events"], "seconds": statistics.median(r["seconds"] for r in raws)}
    raw["peak_rss_mb"] = max(r["peak_rss_mb"] for r in raws)
    full = {
        "events": fulls[0]["events"],
        "seconds": statistics.median(r["seconds"] for r in fulls),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in fulls),
        "helper_peak_rss_mb": max(r.get("helper_peak_rss_mb", 0) for r in fulls),
    }
    round_ratios = sorted(r["seconds"] / f["seconds"] for r, f in zip(raws, fulls, strict=True))
    raw_rate = raw["events"] / raw["seconds"]
    rebuild_rate = full["events"] / full["seconds"]
    figures = {
        "benchmark": "projections",
        "synthetic": True,
        "backend": "postgres" if db_url else "sqlite",
        "events": made["events"],
        "employees": made["employees"],
        "raw_decode_events_per_s": round(raw_rate),
        "rebuild_events_per_s": round(rebuild_rate),
        "rebuild_s": round(full["seconds"], 2),
        "rebuild_vs_raw_decode_ratio": round(rebuild_rate / raw_rate, 3),
        "repeats": repeats,
        "round_ratios": [round(x, 3) for x in round_ratios],
        "peak_rss_mb": round(full["peak_rss_mb"], 1),
        "helper_peak_rss_mb": round(full.get("helper_peak_rss_mb", 0), 1),
        "rebuild_processes": int(os.environ.get("OFFERLEDGER_REBUILD_PROCESSES", "0"))
        or (2 if (os.cpu_count() or 1) >= 2 else 1),
        "raw_peak_rss_mb": round(raw["peak_rss_mb"], 1),
        "incremental_events": incremental["events"],
        "incremental_mode": incremental["mode"],
        "incremental_10k_s": round(incremental["seconds"], 3),
        "incremental_peak_rss_mb": round(incremental["peak_rss_mb"], 1),
        "append_10k_s": round(appended, 2),
        "generate_s": round(made["generate_s"], 1),
        "targets": {
            "rebuild_vs_raw_decode_ratio": ">= 0.5",
            "peak_rss_mb": "< 1024 at 1M (each process)",
            "incremental_10k_s": "< 2",
        },
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30k events (under a minute).")
    parser.add_argument("--events", type=int, default=None, help="ledger size (default 1M).")
    parser.add_argument("--db", default=None, help="postgresql:// URL (default: a SQLite file).")
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="processes for the full rebuild (OFFERLEDGER_REBUILD_PROCESSES; default: 2 on "
        "two or more cores)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="raw and rebuild phases this many times, interleaved (medians; default 1)",
    )
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the generated ledger here and reuse it (default: a temporary folder)",
    )
    args = parser.parse_args()
    if args.processes is not None:
        os.environ["OFFERLEDGER_REBUILD_PROCESSES"] = str(args.processes)
    if args.phase:
        name, db, *rest = args.phase
        if name == "raw":
            result = phase_raw(db)
        else:
            result = phase_rebuild(db, rest[0], full=name == "rebuild")
        result["peak_rss_mb"] = _rss_mb()
        result["helper_peak_rss_mb"] = (
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        )  # the forked helper of a two-process rebuild (0 when there was none)
        print(json.dumps(result))
        return
    events = args.events or (30_000 if args.quick else 1_000_000)
    figures = measure(events, db_url=args.db, workdir=args.workdir, repeats=args.repeats)
    raw_rate = figures["raw_decode_events_per_s"]
    rebuild_rate = figures["rebuild_events_per_s"]
    incremental = {"events": figures["incremental_events"]}
    print(
        f"raw read + JSON decode: {raw_rate:,.0f} events/s; full rebuild: "
        f"{rebuild_rate:,.0f} events/s (ratio {figures['rebuild_vs_raw_decode_ratio']}), "
        f"peak RSS {figures['peak_rss_mb']} MB; incremental {incremental['events']} events: "
        f"{figures['incremental_10k_s']} s"
    )
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
