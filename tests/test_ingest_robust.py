"""Mutated and random input: the parsers raise only the project's own errors, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offerledger.errors import OfferLedgerError
from offerledger.ingest import parse_filing, parse_head, resolve
from offerledger.ingest.csvrows import (
    ELECTION_COLUMNS,
    ROSTER_COLUMNS,
    ElectionRow,
    RosterRow,
    read_rows,
)
from offerledger.ingest.locators import GrammarError
from offerledger.ingest.report import parse_report, render_parse
from test_ingest_support import TO_I_2001, TO_I_2008, reference_bytes, reference_document

REFERENCE = reference_bytes()
LINES = REFERENCE.split(b"\n")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn, source: bytes = REFERENCE) -> bytes:
    lines = source.split(b"\n")
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["drop", "dup", "swap", "bytes", "splice"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "bytes":
            lines[i] = draw(st.binary(max_size=40))
        else:
            lines[i] = lines[i][: draw(st.integers(0, 80))] + draw(
                st.sampled_from(
                    [b'"', b"<PAGE>", b"[X]", b"Item 4.", b"(a)(12)", b"\xff\xfe", b"</DOCUMENT>"]
                )
            )
        if not lines:
            lines = [b""]
    return b"\n".join(lines)


def _check_filing(data: bytes) -> None:
    try:
        parsed = parse_filing(data, name="x.txt")
        doc = reference_document()
        resolve(parsed, {doc.id: doc}, allow_unparsed=True)
    except OfferLedgerError:
        pass


@FAST
@given(mutated())
def test_mutated_reference_filing(data: bytes) -> None:
    _check_filing(data)


@FAST
@given(mutated(TO_I_2001.read_bytes()) | mutated(TO_I_2008.read_bytes()))
def test_mutated_schedule_to_i(data: bytes) -> None:
    """Parsed, reported, and its offer document built as the event holds it: project errors only."""
    try:
        parsed = parse_filing(data, name="to-i.txt")
    except OfferLedgerError:
        return
    parse_report(parsed)
    render_parse(parsed)
    if parsed.offer_document is not None:
        parsed.offer_document.document()


@FAST
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_bytes(data: bytes) -> None:
    _check_filing(b"SCHEDULE TO\n(Amendment No. 1)\n\n" + data)
    _check_filing(data)


@FAST
@given(st.text(max_size=200))
def test_grammar_raises_only_grammar_errors(text: str) -> None:
    try:
        parse_head(text)
    except GrammarError:
        pass


_ROSTER = ",".join(ROSTER_COLUMNS) + "\nE1,Ann,G1,Holding Plan,1999-03-01,12.50,1000\n"
_ELECTIONS = ",".join(ELECTION_COLUMNS) + "\nE1,G1,exchange,2001-09-01T10:00:00-04:00,F1,email\n"


@FAST
@given(
    st.sampled_from([_ROSTER, _ELECTIONS]),
    st.integers(0, 120),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.integers(0, 5),
)
def test_csv_readers(base: str, at: int, insert: str, cut: int) -> None:
    text = base[:at] + insert + base[at + cut :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        for model, cols in ((RosterRow, ROSTER_COLUMNS), (ElectionRow, ELECTION_COLUMNS)):
            try:
                read_rows(path, model, cols)  # type: ignore[type-var]
            except OfferLedgerError:
                pass
