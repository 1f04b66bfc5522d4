"""Issue 13 item 2: the read side never crashes on an event the write side accepted.

Hypothesis records random actions through the command line (``record …`` with CliRunner):
election forms (timely, late, before commencement, for unknown employees and grants, with and
without a late-recorded reason), corrections of random stored events with random fields and
values (JSON of every shape, strings that look like JSON, nulls, dates), eligible grants and
conditions, on three demo ledgers: open, expired and not accepted, accepted. Whatever the
write side accepts, every read command then exits 0, 1 or 2 with no traceback. CI-sized
(40 examples, under a minute); ``OFFERLEDGER_FUZZ_EXAMPLES`` raises the count.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from demo_prefix import PASS, demo_until, invoke
from offerledger.demo import AGENT, CLERK, COMMS, OFFICER, run_demo
from offerledger.events import HEADER_FIELDS, OfferExpired, TenderedOptionsAccepted
from offerledger.ledger import Ledger

EMPLOYEES = 6
HOLDERS = [OFFICER, COMMS, AGENT, CLERK]
EXAMPLES = int(os.environ.get("OFFERLEDGER_FUZZ_EXAMPLES", "40"))
READS: tuple[tuple[str, ...], ...] = (
    ("elections",),
    ("elections", "--format", "json", "--from-log"),
    ("elections", "--format", "csv"),
    ("final-amendment",),
    ("final-amendment", "--draft", "--from-log"),
    ("findings", "--json"),
    ("timeline", "--json"),
    ("timeline", "--from-log"),
    ("text",),
    ("text", "--as-of", "2001-09-20", "--provenance", "--from-log"),
    ("diff", "2001-08-27", "2001-09-28"),
    ("log", "--json"),
    ("verify",),
)

INSTANTS = [
    "2001-08-26T12:00:00-04:00",  # before commencement
    "2001-08-28T09:00:00-04:00",
    "2001-09-13T10:00:00-04:00",
    "2001-09-20T14:00:00Z",
    "2001-09-27T23:59:59-04:00",  # the last second of the stated minute
    "2001-09-28T00:00:00-04:00",  # late
    "2001-10-15T09:00:00-04:00",
]
TEXTS = [
    "keep",
    "exchange",
    "withdraw",
    "paper",
    "email",
    "pigeon",
    "",
    "null",
    "true",
    "12.50",
    "-1",
    "2001-09-20",
    "2001-09-20T10:00:00-04:00",
    "2001-09-20T10:00:00",
    "G0001-1",
    "[]",
    "{}",
    "[1]",
    "[x",
    '{"a": 1}',
    '[{"grant_id": "G0001-1", "choice": "keep"}]',
    '[{"grant_id": "G0001-1"}]',
    '["G0001-1"]',
    "E0001",
    "0" * 64,
]
FIELDS = [
    "choices",
    "grant_ids",
    "received_at",
    "channel",
    "form_id",
    "acted_by",
    "synthetic",
    "source_sha256",
    "late_recorded_reason",
    "attempted",
    "rule",
    "reason",
    "employee_name",
    "email",
    "grants",
    "recipient_class",
    "recipients",
    "notice_kind",
    "exhibit",
    "content_sha256",
    "condition_id",
    "condition_kind",
    "new_expiration",
    "expiration",
    "issuer",
    "plans",
    "securities",
    "operations",
    "document",
    "exhibits",
    "filed_on",
    "form",
    "amendment_number",
    "cancelled_on",
    "grant_date",
    "plan",
    "sent_at",
    "cik",
    "employee_id",
    "offer_id",
    "colour",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.sampled_from(TEXTS)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["grant_id", "choice", "kind", "at", "on", "plan"])
            | st.text(max_size=5),
            inner,
            max_size=3,
        )
    ),
    max_leaves=6,
)
grant_lists = st.lists(
    st.fixed_dictionaries(
        {
            "grant_id": st.sampled_from(["G0001-1", "G0002-1", "G0003-2", "X-1"])
            | st.text(max_size=4)
        },
        optional={"choice": st.sampled_from(["exchange", "keep", "withdraw", ""])},
    ),
    max_size=3,
)

election = st.fixed_dictionaries(
    {
        "do": st.sampled_from(
            ["election-submitted", "election-changed", "election-withdrawn", "election-refused"]
        ),
        "employee": st.sampled_from([f"E{i:04d}" for i in range(1, EMPLOYEES + 1)] * 4 + ["E0099"]),
        "grants": st.lists(st.sampled_from(["-1"] * 4 + ["-2", "-3", "X"]), min_size=1, max_size=2),
        "choice": st.sampled_from(["exchange", "keep"] * 4 + ["maybe"]),
        "received": st.sampled_from(INSTANTS),
        "channel": st.sampled_from(["paper", "email"] * 4 + ["pigeon"]),
        "late": st.none() | st.just("found in the mail room"),
        "form": st.text(alphabet="ABCxyz-0123", min_size=1, max_size=5),
        "key": st.sampled_from([CLERK, CLERK, OFFICER, COMMS]),
    }
)
correction = st.fixed_dictionaries(
    {
        "do": st.just("correction"),
        "target": st.integers(0, 10_000),
        "same_role": st.sampled_from([True] * 6 + [False]),
        "effective": st.sampled_from(["2001-09-20", "2026-05-01", "2001-08-01"]),
    }
)
ANY = json_values | grant_lists | st.sampled_from(TEXTS)


def values_like(current: Any) -> st.SearchStrategy[Any]:
    """Values for a corrected field: mostly of the shape the field holds now, sometimes any."""
    if isinstance(current, bool):
        like: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(current, int):
        like = st.integers(-5, 10**6)
    elif isinstance(current, str) and current[:4].isdigit() and "T" in current:
        like = st.sampled_from(INSTANTS)
    elif isinstance(current, str) and current[:4].isdigit():
        like = st.sampled_from(["2001-08-27", "2001-09-20", "2001-09-28", "2002-03-29"])
    elif isinstance(current, str):
        like = st.sampled_from([current, "paper", "mail", "email", "keep", "7(b)", "other"])
        like = like | st.text(min_size=1, max_size=10)
    elif isinstance(current, list) and current and isinstance(current[0], dict):
        keys = sorted(current[0])
        like = st.lists(
            st.fixed_dictionaries(
                {
                    k: values_like(current[0][k])
                    if k != "choice"
                    else st.sampled_from(["exchange", "keep"])
                    for k in keys
                }
            ),
            min_size=1,
            max_size=3,
        ) | st.just(current[::-1])
    elif isinstance(current, list):
        like = st.lists(st.sampled_from(current or ["G0001-1"]), max_size=3)
    elif isinstance(current, dict):
        like = st.just(current) | st.fixed_dictionaries(
            {k: values_like(v) for k, v in sorted(current.items())}
        )
    else:
        like = ANY
    if isinstance(current, list | dict):
        wrong: st.SearchStrategy[Any] = st.sampled_from(TEXTS) | st.text(max_size=8)
    elif isinstance(current, str):
        wrong = st.lists(json_values, max_size=2) | st.integers() | st.booleans() | st.none()
    else:
        wrong = st.sampled_from(TEXTS) | st.lists(json_values, max_size=2)
    return st.one_of(like, like, like, wrong, wrong, ANY)


roster = st.fixed_dictionaries(
    {
        "do": st.just("eligible-grants-registered"),
        "employee": st.sampled_from(["E0001", "N0001", "N0002"]),
        "grants": grant_lists.map(
            lambda gs: [
                {
                    "grant_id": g["grant_id"] or "NG",
                    "plan": "Holding Plan",
                    "grant_date": "2000-01-04",
                    "exercise_price": "10.00",
                    "options_outstanding": 100,
                }
                for g in gs
            ]
        ),
        "effective": st.sampled_from(["2001-08-27", "2001-09-20", "2001-10-01"]),
    }
)
condition = st.fixed_dictionaries(
    {
        "do": st.sampled_from(["condition-asserted", "condition-waived"]),
        "id": st.sampled_from(["7(a)", "7(b)", "7(c)"]),
        "kind": st.sampled_from(["other", "governmental_approval"]),
        "effective": st.sampled_from(["2001-09-20", "2001-09-28", "2001-10-01"]),
    }
)
actions = st.lists(
    st.one_of(election, election, correction, correction, correction, roster, condition),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three small demo ledgers (one keystore): open, expired but not accepted, accepted."""
    folder = tmp_path_factory.mktemp("bases")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        demo_until(str(folder / "open.db"), before=OfferExpired, employees=EMPLOYEES)
        demo_until(str(folder / "expired.db"), before=TenderedOptionsAccepted, employees=EMPLOYEES)
        run_demo(str(folder / "accepted.db"), passphrase=PASS, employees=EMPLOYEES)
    return {name: folder / f"{name}.db" for name in ("open", "expired", "accepted")}


def _clean(result: Result, what: Any) -> None:
    """Exit 0, 1 or 2, and no exception but click's own exit."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        what,
        repr(result.exception),
        result.output,
    )
    assert result.exit_code in (0, 1, 2), (what, result.exit_code, result.output)
    assert "Traceback" not in result.output, (what, result.output)


def _file(folder: Path, data: dict[str, Any]) -> str:
    path = folder / "fields.json"
    path.write_text(json.dumps(data))
    return str(path)


def _record(db: str, folder: Path, action: dict[str, Any], draw: st.DataObject) -> Result:
    do = action["do"]
    if do.startswith("election-"):
        e = action["employee"]
        grants = [f"G{e[1:]}{g}" if g != "X" else "X" for g in action["grants"]]
        data: dict[str, Any] = {
            "employee_id": e,
            "form_id": action["form"],
            "received_at": action["received"],
            "channel": action["channel"],
            "acted_by": e,
        }
        if do == "election-withdrawn":
            data["grant_ids"] = grants
        else:
            data["choices"] = [{"grant_id": g, "choice": action["choice"]} for g in grants]
        if do == "election-refused":
            data.update(attempted="submit", rule="election-window", reason="late")
        if action["late"]:
            data["late_recorded_reason"] = action["late"]
        return invoke(db, "record", do, "--key", action["key"], "--file", _file(folder, data))
    if do == "correction":
        ledger = Ledger.open(db)
        try:
            entries = [e for e in ledger.log() if e.event is not None]
            forms = [e for e in entries if e.topic.startswith("offerledger.Election")]
            offer = [e for e in entries if getattr(e.event, "offer_id", None) is None]
            pool = draw.draw(st.sampled_from([forms] * 5 + [offer] * 3 + [entries] * 2))
            pool = pool or entries
            target = pool[action["target"] % len(pool)]
            assert target.event is not None
            holder = ledger.registry().keys[target.event.key_id].holder
        finally:
            ledger.close()
        key = holder if action["same_role"] else draw.draw(st.sampled_from(HOLDERS))
        payload = target.event.model_dump(mode="json", exclude=set(HEADER_FIELDS))
        own = st.sampled_from(sorted(payload) or FIELDS)
        # the fields readers parse (lists, objects, times) are where a bad value would bite
        parsed = sorted(
            n for n, v in payload.items() if isinstance(v, list | dict) or str(v)[:4].isdigit()
        )
        risky = st.sampled_from(parsed) if parsed else own
        names = st.one_of(risky, risky, risky, own, own, st.sampled_from(FIELDS))
        fields = draw.draw(st.lists(names, min_size=1, max_size=2, unique=True))
        corrected = {n: draw.draw(values_like(payload.get(n))) for n in fields}
        data = {
            "supersedes_version": target.version,
            "supersedes_topic": target.topic,
            "reason": "fuzz",
            "corrected": corrected,
        }
        args = ["--stream", str(target.stream), "--effective", action["effective"]]
        path = _file(folder, data)
        return invoke(db, "record", "correction-recorded", "--key", key, *args, "--file", path)
    if do == "eligible-grants-registered":
        data = {
            "employee_id": action["employee"],
            "employee_name": "Fuzz Person",
            "grants": action["grants"],
        }
        args = ["--key", OFFICER, "--effective", action["effective"], "--file", _file(folder, data)]
        return invoke(db, "record", do, *args)
    data = {"condition_id": action["id"], "condition_kind": action["kind"]}
    if do == "condition-asserted":
        data["reason"] = "fuzz"
    args = ["--key", OFFICER, "--effective", action["effective"], "--file", _file(folder, data)]
    return invoke(db, "record", do, *args)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    base=st.sampled_from(["open", "open", "expired", "expired", "accepted"]),
    todo=actions,
    draw=st.data(),
)
def test_every_read_command_survives_what_the_write_side_accepts(
    bases: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    base: str,
    todo: list[Any],
    draw: st.DataObject,
) -> None:
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(bases[base].parent / "keys"))
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        db = str(folder / "ledger.db")
        shutil.copy(bases[base], db)
        for action in todo:
            result = _record(db, folder, action, draw)
            _clean(result, action)
            event(f"{base}: {action['do']} exit {result.exit_code}")
        for args in READS:
            _clean(invoke(db, *args), args)
        _clean(invoke(db, "letters", "--out", str(folder / "letters")), "letters")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
