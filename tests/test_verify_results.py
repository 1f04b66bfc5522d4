"""A worker's results travel packed in columns (integrity/results.py) and come back the same."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from dbedit import DbEdit
from offerledger.demo import run_demo
from offerledger.events import recorded_problems
from offerledger.integrity.examine import Examined, examine_chunk, init_worker, with_saves
from offerledger.integrity.results import pack, unpack
from offerledger.integrity.service import _scan, _slices
from offerledger.integrity.verify import raw_rows_of, verify_rows
from offerledger.ledger import Ledger
from test_verify_robust import CASES

PASS = b"test-passphrase"


def _messy(tmp_path: Path) -> str:
    """A demo ledger with garbage in many rows, and a recorded time before its effective one."""
    db = str(tmp_path / "ledger.db")
    run_demo(db, passphrase=PASS, employees=6)
    edit = DbEdit(db)
    rows = edit.rows()
    for (_, make, _, _), (key, *_) in zip(CASES, rows[3::2], strict=False):
        make(edit, key)
    key, *_, state = rows[-2]
    assert b'"recorded":"20' in state
    edit.set_state(key, state.replace(b'"recorded":"20', b'"recorded":"19', 1))
    edit.close()
    return db


def _as_judged(e: Examined) -> Examined:
    """What the judge can tell of ``e``: a floor its recorded time meets is never used."""
    if e.floor is None or (e.recorded is not None and recorded_problems(e.recorded, e.floor, None)):
        return e
    return e._replace(floor=None)


def test_packed_results_unpack_to_the_same_examined_rows(tmp_path: Path) -> None:
    ledger = Ledger.open(_messy(tmp_path))
    try:
        init_worker(_scan(ledger).public_keys)
        rows = with_saves(list(raw_rows_of(ledger.app.raw_rows())), ledger.app.raw_saves)
    finally:
        ledger.close()
    results, signatures = examine_chunk(rows)
    for start in (0, 5):  # a chunk may start anywhere in the log
        packed = pickle.loads(pickle.dumps(pack(results[start:], signatures)))
        assert packed.signatures_checked == signatures
        assert list(unpack(packed)) == [_as_judged(e) for e in results[start:]]
    assert any(e.floor is not None for e in unpack(pack(results, signatures)))
    assert {p for e in results for p, _ in e.problems} >= {"undecodable", "body-row-mismatch"}
    assert list(unpack(pack([], 0))) == []


def test_the_judge_finds_the_same_in_packed_results(tmp_path: Path) -> None:
    ledger = Ledger.open(_messy(tmp_path))
    try:
        reports = [
            verify_rows(
                raw_rows_of(ledger.app.raw_rows()),
                read_saves=ledger.app.raw_saves,
                workers=workers,
                parallel_threshold=5,
                chunk=4,
            )[0]
            for workers in (1, 2)
        ]
    finally:
        ledger.close()
    assert reports[0].problems == reports[1].problems
    assert "recorded-before-effective" in {p.reason for p in reports[1].problems}
    assert (reports[0].root, reports[0].heads) == (reports[1].root, reports[1].heads)
    assert reports[0].index_digest == reports[1].index_digest
    assert reports[0].cited == reports[1].cited
    assert reports[0].corrections == reports[1].corrections


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_slice_ranges_are_the_ids_in_runs(ledger_db: str, size: int) -> None:
    """What the main process hands the workers: runs of ``size`` ids, gaps and all."""
    run_demo(ledger_db, passphrase=PASS, employees=4)
    edit = DbEdit(ledger_db)
    rows = edit.rows()
    for key, *_ in rows[5:9] + rows[12:13]:  # gaps in the ids
        edit.delete(key)
    ids = [key for key, *_ in edit.rows()]  # the ids as stored, read directly
    edit.close()
    ledger = Ledger.open(ledger_db)
    try:
        slices = _slices(ledger)
    finally:
        ledger.close()
    assert slices is not None
    assert len(ids) == len(rows) - 5
    runs = [ids[i : i + size] for i in range(0, len(ids), size)]
    assert list(slices.ranges(size=size)) == [(r[0], r[-1], len(r)) for r in runs]
    assert list(slices.ranges(size=size, after=ids[-1])) == []
    after = list(slices.ranges(size=size, after=ids[2]))
    assert after[0][0] == ids[3] and sum(n for *_, n in after) == len(ids) - 3
