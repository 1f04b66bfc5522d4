"""Reading a ledger from Python: what the read commands show, as typed values.

:func:`read` loads the projection state of a ledger once and returns a :class:`LedgerView`
whose methods answer the questions the read commands answer (``text``, ``elections``,
``findings``, ``final-amendment``), with the same data and none of the command line::

    with offerledger.Ledger.open("demo.db") as ledger:
        view = offerledger.read(ledger)
        print(view.verification.first_line())
        print(view.text(as_of=date(2001, 9, 13), section="7"))

Where the state comes from. The read model (``offerledger rebuild``) is used when the last
verification of exactly the state it gives (its rows plus any folded since) found nothing; in
every other case the log itself is folded, so that a stored row whose bytes do not decode is
listed in :attr:`LedgerView.undecodable`, never skipped unseen (a read model skips such rows
when it is built). :attr:`LedgerView.notes` says which was used and why. Nothing is printed and
nothing is written: ``verify`` (or :func:`offerledger.verify`) records what it found, and
:attr:`LedgerView.verification` states it for the rows read, as every read command's first
line does.

A view reads committed lists from the ledger's stored documents on first use: use it while its
ledger is open. Errors are :class:`~offerledger.errors.OfferLedgerError`: a question the ledger
cannot answer is an :class:`~offerledger.errors.InputError`, a committed list whose entries
cannot be read a :class:`~offerledger.errors.DisclosureInvalid`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from offerledger.errors import DisclosureInvalid, InputError
from offerledger.events import LedgerEvent
from offerledger.ledger import Ledger
from offerledger.projections import EMPTY, LedgerState, Moment, fold_all, outputs, runner
from offerledger.projections import verification_store as records
from offerledger.projections.catalog import QueryError
from offerledger.projections.disclosed import ListUnavailable
from offerledger.projections.elections import (
    STANDINGS,
    ElectionSummary,
    EmployeeStatus,
    election_statuses,
    filter_statuses,
    summarize,
)
from offerledger.projections.findings import Finding, findings
from offerledger.projections.readmodel import default_path
from offerledger.projections.source import LedgerSource
from offerledger.projections.text import DocumentView, document_at, select_section
from offerledger.projections.timeline import TimelineRow, timeline_row
from offerledger.projections.tracker import Frontier, leaf_hash
from offerledger.projections.verification import VERIFIED, Head, Standing, standing

READ_MODEL_ENV = "OFFERLEDGER_READ_MODEL"


# --- where the read side's files and rows are ----------------------------------------------


def read_model_path(ledger: Ledger, given: Path | None = None) -> Path:
    """``given``, else ``OFFERLEDGER_READ_MODEL``, else the default: beside a SQLite ledger,
    in a PostgreSQL ledger's per-user folder (made, mode 0700, when missing) for a URL."""
    env = os.environ.get(READ_MODEL_ENV)
    if given or env:
        return given or Path(str(env))
    home = ledger.backend.home
    if home is not None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return default_path(ledger.backend.kind, ledger.backend.location, home=home)


def log_source(ledger: Ledger) -> LedgerSource:
    """The ledger as the read side's log source, with its stored source documents."""

    def document(sha256: str) -> bytes | None:
        found = ledger.document(sha256)
        return None if found is None else found.content

    return LedgerSource(ledger, ledger_id=str(ledger.ledger_id()), documents=document)


def index_head(ledger: Ledger) -> Head | None:
    """The log index's head (cheap, not verified); None when it cannot be read."""
    try:
        head = ledger.tree_head()
    except Exception:  # a damaged or dropped index arrives as a driver error: verify says more
        return None
    return Head(head.size, head.root.hex())


def verification_of(ledger: Ledger, built: Head, read_model: Path | None = None) -> Standing:
    """What the recorded verifications say about the rows ``built`` describes, and whether
    the ledger says its keys are public (a demo ledger: then no line says plain verified)."""
    from offerledger.key_admin import keys_public

    path = records.verifications_path(read_model_path(ledger, read_model))
    index = index_head(ledger)
    heads = [built] if index is None else [built, index]
    return standing(
        built,
        index,
        records.records_for(path, *heads),
        records.last(path),
        keys_public=keys_public(ledger),
    )


# --- the view ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A stored row whose bytes do not decode as an event: left out of every answer."""

    position: int
    topic: str
    error: str


@dataclass(frozen=True, slots=True, eq=False)
class LedgerView:
    """Projection state of one ledger as :func:`read` loaded it, and what it rests on.

    ``verification``: what the last verification of exactly these rows found (``state`` is
    ``verified``, ``unverified`` or ``failed``; ``first_line()`` is the read commands' first
    line). ``source``: ``log``, ``read-model`` or ``read-model+log``. ``undecodable``: rows
    left out because they do not decode (always empty when the state was verified).
    """

    ledger: Ledger
    state: LedgerState
    verification: Standing
    source: str
    undecodable: tuple[Undecodable, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def events(self) -> int:
        """How many stored rows the state rests on (the log size)."""
        return self.verification.built.size

    def offer_id(self, offer: str | None = None) -> uuid.UUID:
        """An offer by stream name, id or CIK; None when the ledger holds exactly one."""
        return self.ledger.resolve_offer(offer)

    def document(
        self,
        offer: str | None = None,
        *,
        as_of: date | None = None,
        as_recorded: datetime | None = None,
        section: str | None = None,
        document: str | None = None,
    ) -> DocumentView:
        """The offer document as it stood at the end of ``as_of`` (US Eastern), as recorded by
        ``as_recorded``, with each part's provenance (``offerledger text``'s data)."""
        with _query_errors():
            view = document_at(
                self.state, self.offer_id(offer), _moment(as_of, as_recorded), document
            )
            return view if section is None else select_section(view, section)

    def text(
        self,
        offer: str | None = None,
        *,
        as_of: date | None = None,
        as_recorded: datetime | None = None,
        section: str | None = None,
        document: str | None = None,
        provenance: bool = False,
        fmt: str = "text",
    ) -> str:
        """``offerledger text`` without its first line: ``fmt`` text, markdown or json."""
        _choose(fmt, ("text", "markdown", "json"), "fmt")
        with _query_errors():
            return outputs.text_output(
                self.state,
                self.offer_id(offer),
                _moment(as_of, as_recorded),
                section=section,
                provenance=provenance,
                fmt=fmt,
                document=document,
            )

    def elections(
        self, offer: str | None = None, *, employee: str | None = None, status: str | None = None
    ) -> list[EmployeeStatus]:
        """Each registered employee's standing choice per eligible grant, by employee id;
        ``status`` keeps only the grants whose standing is exchange, not_tendered or
        withdrawn (``offerledger elections``'s rows)."""
        if status is not None:
            _choose(status, STANDINGS, "status")
        with _query_errors():
            everyone = election_statuses(self.state, self.offer_id(offer))
        if employee is not None and all(s.employee_id != employee for s in everyone):
            raise InputError(f"no employee {employee!r} in this offer", field="employee")
        return filter_statuses(everyone, employee=employee, status=status)

    def election_summary(self, offer: str | None = None) -> ElectionSummary:
        """Employees eligible and tendering, options eligible and tendered, in total and by
        plan (``offerledger elections``'s summary)."""
        return summarize(self.elections(offer))

    def findings(self, offer: str | None = None) -> list[Finding]:
        """Each timing rule's finding, every offer or one (``offerledger findings``)."""
        offer_id = None if offer is None else self.offer_id(offer)
        with _query_errors():
            return findings(self.state, offer_id=offer_id)

    def final_amendment(
        self, offer: str | None = None, *, fmt: str = "text", draft: bool = False
    ) -> str:
        """The amendment to Schedule TO that reports the results (``offerledger
        final-amendment`` without its first line); before the results exist only a ``draft``."""
        _choose(fmt, ("text", "markdown"), "fmt")
        with _query_errors():
            return outputs.final_amendment_output(
                self.state, self.offer_id(offer), draft=draft, fmt=fmt
            )


def read(ledger: Ledger, *, read_model: Path | None = None, from_log: bool = False) -> LedgerView:
    """Load the projection state of ``ledger`` (see the module docstring for where from).

    ``read_model``: the read-model file (default ``OFFERLEDGER_READ_MODEL``, else beside the
    ledger); ``from_log``: fold the log even when a verified read model is there.
    """
    notes: list[str] = []
    if not from_log:
        path = read_model_path(ledger, read_model)
        try:
            loaded = runner.load(log_source(ledger), path)
        except runner.ReadModelDiverged as e:
            loaded = None
            notes.append(f"{e}; folded the log instead")
        if loaded is None and not notes:
            notes.append(f"no read model at {path}; folded the log (run 'offerledger rebuild')")
        if loaded is not None:
            verified = verification_of(ledger, loaded.head, read_model)
            if verified.state == VERIFIED:
                return LedgerView(ledger, loaded.state, verified, loaded.source, (), tuple(notes))
            notes.append(
                f"the read model's state is {verified.state}: folded the log, so that no row "
                "is skipped unseen (run 'offerledger verify')"
            )
    state, head, undecodable = fold_log(ledger)
    verified = verification_of(ledger, head, read_model)
    return LedgerView(ledger, state, verified, "log", undecodable, tuple(notes))


def fold_log(ledger: Ledger) -> tuple[LedgerState, Head, tuple[Undecodable, ...]]:
    """The log itself folded (no read model), the size and root of the rows folded, and the
    rows left out because they do not decode."""
    frontier = Frontier()
    skipped: list[Undecodable] = []

    def decoded() -> Iterator[tuple[int, LedgerEvent]]:
        for entry in ledger.log():
            frontier.append(leaf_hash(entry.state))
            if entry.event is None:
                skipped.append(
                    Undecodable(entry.position, entry.topic, entry.error or "does not decode")
                )
            else:
                yield entry.position, entry.event

    with runner.paused_gc():
        state = fold_all(EMPTY, decoded())
    return log_source(ledger).open_lists(state), runner.head_of(frontier), tuple(skipped)


def log_timeline(ledger: Ledger) -> tuple[list[TimelineRow], Head]:
    """The timeline's rows read from the log itself (no read model), and the size and root of
    the rows read; a row that does not decode has no timeline row (``log`` lists it, ``verify``
    reports it)."""
    frontier = Frontier()
    rows = []
    for entry in ledger.log():
        frontier.append(leaf_hash(entry.state))
        if entry.event is not None:
            rows.append(timeline_row((entry.position, entry.event)))
    return rows, runner.head_of(frontier)


# --- arguments and errors --------------------------------------------------------------------


def _moment(as_of: date | None, as_recorded: datetime | None) -> Moment:
    if isinstance(as_of, datetime):
        raise InputError("give a date, not a date-time", field="as_of", hint="e.g. 2001-09-13")
    if as_of is not None and not 1900 <= as_of.year <= 9998:
        raise InputError(f"the date {as_of} is out of range (years 1900 to 9998)", field="as_of")
    if as_recorded is not None and as_recorded.utcoffset() is None:
        raise InputError(
            "the date-time has no time zone", field="as_recorded", hint="e.g. tzinfo=EASTERN"
        )
    return Moment.on(as_of, recorded=as_recorded)


def _choose(value: str, choices: tuple[str, ...], field: str) -> None:
    if value not in choices:
        raise InputError(
            f"unknown {field} {value!r}", field=field, hint=f"one of {', '.join(choices)}"
        )


@contextmanager
def _query_errors() -> Iterator[None]:
    """The read side's errors as the library's (wrapped once, here)."""
    try:
        yield
    except QueryError as e:
        raise InputError(e.message, field=e.field, hint=e.hint) from None
    except ListUnavailable as e:
        raise DisclosureInvalid(
            e.message, document_sha256=e.document_sha256, hint="run 'offerledger verify'"
        ) from None


__all__ = [
    "READ_MODEL_ENV",
    "LedgerView",
    "Undecodable",
    "fold_log",
    "index_head",
    "log_source",
    "log_timeline",
    "read",
    "read_model_path",
    "verification_of",
]
