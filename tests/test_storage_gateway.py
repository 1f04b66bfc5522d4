"""``Ledger`` is the one gateway to storage: only the storage layer (named in the docstring of
:mod:`offerledger.ledger`) touches the database's recorder; and the ledger's one paging helper
reads past its first page (``Ledger.offers()`` used to stop at 1,000 offers)."""

from __future__ import annotations

import ast
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from offerledger.events import OfferCommenced, stream_id
from offerledger.ledger import Ledger
from offerledger.signing.keys import generate_signing_key
from offerledger.values import EASTERN

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "offerledger"
# The storage layer: the gateway, the event store, the recorders, the database's own
# backups and restores, and the verifier of the stored rows themselves.
STORAGE = {"ledger.py", "store.py", "recorders.py", "recorders_pg.py", "dbadmin.py"}
STORAGE_PACKAGES = {"integrity"}
RECORDERS = {"offerledger.recorders", "offerledger.recorders_pg"}


def in_storage(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] in STORAGE_PACKAGES if len(parts) > 1 else parts[0] in STORAGE


def outside_storage() -> list[Path]:
    """Every module of the package and of the read side (``offerledger/projections`` is a
    link to ``projections/``: read once, there) but the storage layer's."""
    package = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.relative_to(PACKAGE).parts[0] != "projections" and not in_storage(p)
    ]
    return package + sorted((ROOT / "projections").rglob("*.py"))


def reaches_storage(source: str) -> list[str]:
    """Each access of an attribute named ``recorder`` and each import of the recorders."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "recorder":
            found.append(f"line {node.lineno}: .recorder")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if any(a.name == r or a.name.startswith(r + ".") for r in RECORDERS)
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            if names & RECORDERS:
                found.append(f"line {node.lineno}: from {node.module} import …")
    return found


def test_the_check_sees_each_way_of_reaching_the_recorder() -> None:
    assert reaches_storage("ledger.app.recorder.select_events(x)") == ["line 1: .recorder"]
    assert reaches_storage("r = getattr(ledger.app, 'x').recorder") == ["line 1: .recorder"]
    assert len(reaches_storage("from offerledger.recorders import fault")) == 1
    assert len(reaches_storage("from offerledger import recorders_pg")) == 1
    assert len(reaches_storage("import offerledger.recorders")) == 1
    assert reaches_storage("from offerledger.store import KEYS_STREAM\nledger.rows(x)") == []


def test_the_files_checked_are_every_module_but_the_storage_layer() -> None:
    names = {str(p.relative_to(ROOT)) for p in outside_storage()}
    assert "src/offerledger/actions.py" in names
    assert "src/offerledger/cli/read.py" in names
    assert "projections/source.py" in names
    assert "src/offerledger/ledger.py" not in names
    assert "src/offerledger/integrity/service.py" not in names
    assert not any(n.startswith("src/offerledger/projections/") for n in names)


@pytest.mark.parametrize("path", outside_storage(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_outside_the_storage_layer_touches_the_recorder(path: Path) -> None:
    assert reaches_storage(path.read_text()) == [], (
        f"{path.relative_to(ROOT)} reaches past Ledger into storage: read through a Ledger "
        "method (see offerledger/ledger.py)"
    )


T0 = datetime(2001, 8, 27, 9, tzinfo=EASTERN)
OFFERS = 1_003  # more than one page of the old reader (1,000)


def test_every_offer_is_read_past_the_first_page(ledger_db: str) -> None:
    """1,003 offers in one save (one signature): ``offers()`` and ``events()`` see them all,
    and the pages of the paging helper hold every row once, in log order."""
    officer = generate_signing_key()
    ledger, root = Ledger.init(ledger_db, passphrase=b"pw", clock=lambda: T0)
    try:
        ledger.register_key(
            root=root, holder="officer", role="issuer_officer", key=officer, valid_from=T0
        )
        names = [f"offer-{i:04d}" for i in range(OFFERS)]
        ledger.save(
            [
                OfferCommenced(
                    originator_id=stream_id(name),
                    originator_version=1,
                    effective={"kind": "date", "on": "2001-08-27"},
                    recorded=T0,
                    actor="officer",
                    key_id=officer.key_id,
                    offer_name=name,
                    issuer="Example Corp",
                    cik=f"{1_000_000 + i}",
                    file_number="005-59595",
                    securities="options to purchase common stock",
                    expiration=T0 + timedelta(days=30),
                )
                for i, name in enumerate(names)
            ],
            signer=officer,
        )
    finally:
        ledger.close()
    with Ledger.open(ledger_db) as ledger:
        assert [o.offer_name for o in ledger.offers()] == names
        assert ledger.resolve_offer("offer-1002") == stream_id("offer-1002")
        pages = list(ledger.notification_pages(topics=[OfferCommenced.TOPIC], batch=400))
        assert [len(p) for p in pages] == [400, 400, 203]
        ids = [n.id for p in pages for n in p]
        assert ids == sorted(set(ids))
        everything = [n for p in ledger.notification_pages(batch=7) for n in p]
        assert len(everything) == ledger.count() == OFFERS + 2  # root and officer keys
        assert [e.position for e in ledger.log()] == list(range(OFFERS + 2))
        assert ledger.notification(ids[-1]) is not None
        assert ledger.last_notification_id() == everything[-1].id
        wanted = {stream_id("offer-0999"), stream_id("offer-1001")}
        assert [e.originator_id for e in ledger.events(OfferCommenced.TOPIC, streams=wanted)] == [
            stream_id("offer-0999"),
            stream_id("offer-1001"),
        ]


def test_stream_rows_read_through_the_ledger(ledger_db: str) -> None:
    from offerledger.store import KEYS_STREAM

    ledger, root = Ledger.init(ledger_db, passphrase=b"pw", clock=lambda: T0)
    with ledger:
        ledger.register_key(root=root, holder="clerk", role="clerk", valid_from=T0)
        assert ledger.stream_exists(KEYS_STREAM)
        assert not ledger.stream_exists(uuid.uuid4())
        assert ledger.last_row(uuid.uuid4()) is None
        last = ledger.last_row(KEYS_STREAM)
        assert last is not None and last.version == 2
        assert [r.version for r in ledger.rows(KEYS_STREAM)] == [1, 2]
        assert [r.version for r in ledger.rows(KEYS_STREAM, desc=True)] == [2, 1]
        (first,) = ledger.rows(KEYS_STREAM, gt=0, lte=1)
        assert first.event().action == "KeyRegistered"
        assert ledger.position_of(KEYS_STREAM, 2) == 1


def test_heads_before_is_each_later_streams_last_event_before_the_position(
    ledger_db: str,
) -> None:
    """``heads_before(p)`` (verify --since's heads, read per stream from the (stream, version)
    index, not by scanning every leaf) agrees with the log read from the start, at every p."""
    officer = generate_signing_key()
    ledger, root = Ledger.init(ledger_db, passphrase=b"pw", clock=lambda: T0)
    with ledger:
        ledger.register_key(
            root=root, holder="officer", role="issuer_officer", key=officer, valid_from=T0
        )
        for name in ("offer-a", "offer-b"):
            ledger.save(
                [
                    OfferCommenced(
                        originator_id=stream_id(name),
                        originator_version=1,
                        effective={"kind": "date", "on": "2001-08-27"},
                        recorded=T0,
                        actor="officer",
                        key_id=officer.key_id,
                        offer_name=name,
                        issuer="Example Corp",
                        cik="1000000",
                        file_number="005-59595",
                        securities="options to purchase common stock",
                        expiration=T0 + timedelta(days=30),
                    )
                ],
                signer=officer,
            )
        ledger.register_key(root=root, holder="clerk", role="clerk", valid_from=T0)
        log = [(e.position, str(e.stream), e.version, bytes(e.state)) for e in ledger.log()]
        assert len(log) == 5 and len({s for _, s, _, _ in log}) == 3
        for p in range(len(log) + 1):
            later = {s for _, s, _, _ in log[p:]}
            expected = {}
            for _, s, v, state in log[:p]:
                if s in later:
                    expected[s] = (v, state)
            assert ledger.app.heads_before(p) == expected, p
        keys = str(log[0][1])
        assert ledger.app.heads_before(4) == {keys: (2, log[1][3])}
