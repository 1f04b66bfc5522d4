"""Each read command's output as one string, from projection state (shared by the commands,
``nightly`` and the tests, so the read model and the log give byte-identical results).

Given ``verification`` (a :class:`~offerledger.projections.verification.Standing`, handed in),
an output states it: the first line of text, Markdown and the letters, a first ``# `` comment
line of CSV, a ``verification`` field of JSON (:func:`~.verification.headed`).
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, is_dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from offerledger.projections import elections_render, text_render
from offerledger.projections.catalog import QueryError, commenced, filings, offer_changes
from offerledger.projections.core import NOW, Moment, Stamp, eastern
from offerledger.projections.diff import diff_documents, exhibits_added
from offerledger.projections.disclosed import NOTICES, recipients
from offerledger.projections.elections import (
    STANDINGS,
    election_statuses,
    filter_statuses,
    summarize,
)
from offerledger.projections.exhibits import document_for_exhibit, exhibit_at, render_exhibit
from offerledger.projections.final_amendment import render_final_amendment
from offerledger.projections.letters import render_letter, results_letters
from offerledger.projections.results import offer_results, require_final
from offerledger.projections.state import LedgerState
from offerledger.projections.text import DocumentView, Origin, document_at, select_section
from offerledger.projections.timeline import (
    TimelineRow,
    filter_rows,
    ordered,
    row_as_dict,
    status_of,
    superseded_index,
)
from offerledger.projections.verification import Standing, headed

Problems = Mapping[int, Sequence[str]]


def text_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    moment: Moment = NOW,
    *,
    section: str | None = None,
    provenance: bool = False,
    fmt: str = "text",
    document: str | None = None,
    verification: Standing | None = None,
    exhibit: str | None = None,
) -> str:
    """The offer document at ``moment``; with ``exhibit``, that exhibit of the offer's filings
    (the registered document filed as it, else its stored text: :mod:`.exhibits`)."""
    if exhibit is not None:
        document = document_for_exhibit(state, offer_id, exhibit, moment)
        if document is None:
            found = exhibit_at(state, offer_id, exhibit, moment)
            rests_on = [n.stamp for n in found.notices]
            rests_on.extend([found.filing.stamp] if found.filing is not None else [])
            basis = synthetic_basis(state, rests_on, "exhibit")
            if fmt == "json":
                data = {**found.as_dict(), **basis.as_dict()}
                return text_render.dumps(_with_field(data, verification))
            return headed(basis.lead(render_exhibit(found, fmt), fmt), verification)
    view = document_at(state, offer_id, moment, document)
    if section is not None:
        view = select_section(view, section)
    synthetic = synthetic_basis(state, _stamps(view), "text")
    if fmt == "json":
        data = text_render.view_as_dict(view, provenance=provenance)
        return text_render.dumps(_with_field({**data, **synthetic.as_dict()}, verification))
    if fmt == "markdown":
        body = text_render.render_markdown(view, provenance=provenance)
        return headed(synthetic.lead(body, "markdown"), verification)
    body = text_render.render_text(view, provenance=provenance)
    return headed(synthetic.lead(body), verification)


def _with_field(data: dict[str, Any], verification: Standing | None) -> dict[str, Any]:
    return data if verification is None else {**data, "verification": verification.as_dict()}


# --- what is synthetic in the offer's text and its diff ------------------------------------------


class SyntheticBasis:
    """The synthetic events a text or diff rests on, said precisely: a synthetic demonstration
    recorded them (its story clock and demo keys: when and by whom), or their data are
    generated. The demo's offer text is the filings' words recorded by a synthetic clock, so
    it is the recording, not the words, that is synthetic."""

    def __init__(self, recorded: list[Stamp], generated: list[Stamp], what: str) -> None:
        self.recorded, self.generated, self.what = recorded, generated, what

    @property
    def synthetic(self) -> bool:
        return bool(self.recorded or self.generated)

    @property
    def line(self) -> str:
        if not self.synthetic:
            return ""

        def names(stamps: list[Stamp]) -> str:
            return ", ".join(f"#{s.position} {s.action}" for s in stamps)

        parts = []
        if self.recorded:
            parts.append(
                f"this {self.what} rests on events recorded by a SYNTHETIC demonstration (its "
                f"story clock and demo keys: when and by whom they were recorded is synthetic): "
                f"{names(self.recorded)}"
            )
        if self.generated:
            parts.append(f"the data of {names(self.generated)} are generated (SYNTHETIC)")
        else:
            parts.append(
                "the passages are the words these events carry (filing text, or 'not on "
                "file'); none of them marks its data as generated"
            )
        return "SYNTHETIC: " + "; ".join(parts) + "."

    def lead(self, body: str, fmt: str = "text") -> str:
        """``body`` under the SYNTHETIC line (a quoted line in Markdown); unchanged if none."""
        if not self.synthetic:
            return body
        if fmt == "markdown":
            return f"> **{self.line}**\n\n{body}"
        line = textwrap.fill(
            self.line, text_render.WIDTH, break_long_words=False, break_on_hyphens=False
        )
        return f"{line}\n\n{body}"

    def as_dict(self) -> dict[str, Any]:
        events = sorted(
            {s.position: s for s in (*self.recorded, *self.generated)}.values(),
            key=lambda s: s.position,
        )
        return {
            "synthetic": self.synthetic,
            "synthetic_basis": self.line,
            "synthetic_events": [
                {
                    "position": s.position,
                    "action": s.action,
                    "recorded_by_synthetic_demonstration": s in self.recorded,
                    "generated_data": s in self.generated,
                }
                for s in events
            ],
        }


def _stamps(*views: DocumentView, origins: Iterable[Origin | None] = ()) -> list[Stamp]:
    """The stamps of every change (and filing) the views and ``origins`` rest on."""
    found: list[Origin | None] = [*origins]
    for view in views:
        found.extend(view.changes)
        found.extend(i.origin for i in view.incorporated)
        found.extend(o for o, _ in view.not_applied)
        found.extend(o for _, o in view.removed)
    stamps = []
    for origin in found:
        if origin is not None:
            stamps.append(origin.stamp)
            if origin.filing is not None:
                stamps.append(origin.filing.stamp)
    return stamps


def synthetic_basis(state: LedgerState, stamps: Iterable[Stamp], what: str) -> SyntheticBasis:
    """Which of ``stamps`` are synthetic, and how (their events' header mark or payload)."""
    marked = {s.position: s for s in stamps if s.synthetic}
    recorded: list[Stamp] = []
    generated: list[Stamp] = []
    if marked:
        for stream in state.streams.values():
            if stream.kind not in ("offer", "filing"):
                continue
            for stamp, event in stream.changes:
                if stamp.position not in marked:
                    continue
                if event.synthetic_record:
                    recorded.append(marked[stamp.position])
                if getattr(event, "synthetic", False) is True:
                    generated.append(marked[stamp.position])
    return SyntheticBasis(
        sorted(recorded, key=lambda s: s.position),
        sorted(generated, key=lambda s: s.position),
        what,
    )


def diff_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    before: Moment,
    after: Moment,
    *,
    fmt: str = "text",
    document: str | None = None,
    verification: Standing | None = None,
    named_by: tuple[str | None, str | None] = (None, None),
) -> str:
    """``named_by``: what set ``before`` and ``after`` (see :func:`document_at`)."""
    old = document_at(state, offer_id, before, document, named_by=named_by[0])
    new = document_at(state, offer_id, after, document, named_by=named_by[1])
    added = exhibits_added(filings(state, offer_id, before), filings(state, offer_id, after))
    diff = replace(diff_documents(old, new), exhibits=tuple(added))
    rests_on = _stamps(old, new, origins=(e.origin for e in diff.entries))
    rests_on.extend(x.filing.stamp for x in added)
    synthetic = synthetic_basis(state, rests_on, "diff")
    if fmt == "json":
        return text_render.dumps(
            _with_field({**diff.as_dict(), **synthetic.as_dict()}, verification)
        )
    return headed(synthetic.lead(text_render.render_diff_text(diff)), verification)


def elections_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    employee: str | None = None,
    status: str | None = None,
    fmt: str = "table",
    verification: Standing | None = None,
    moment: Moment = NOW,
) -> str:
    """Election status at ``moment``; a moment other than now is said on a line of its own
    (a ``# `` comment line in CSV, a ``moment`` field in JSON)."""
    if status is not None and status not in STANDINGS:
        raise QueryError(
            f"unknown status {status!r}", field="status", hint=f"one of {', '.join(STANDINGS)}"
        )
    commenced(state, offer_id, moment)
    everyone = election_statuses(state, offer_id, moment)
    if employee is not None and all(s.employee_id != employee for s in everyone):
        raise QueryError(f"no employee {employee!r} in this offer", field="employee")
    chosen = filter_statuses(everyone, employee=employee, status=status)
    summary = summarize(chosen if employee is not None else everyone)
    if fmt == "csv":
        return headed(
            _moment_lines(elections_render.render_csv(chosen), moment, "# "), verification, "csv"
        )
    if fmt == "json":
        data = elections_render.statuses_as_dict(chosen, summary)
        return text_render.dumps(_with_field(_with_moment(data, moment), verification))
    return headed(
        _moment_lines(elections_render.render_table(chosen, summary), moment), verification
    )


def _moment_lines(text: str, moment: Moment, prefix: str = "") -> str:
    """``text`` after a line saying the moment, when it is not now (a blank line follows it in
    plain text; CSV has it as a ``# `` comment line)."""
    if moment == NOW:
        return text
    gap = "\n" if prefix else "\n\n"
    return f"{prefix}{moment.text}{gap}{text}"


def _with_moment(data: dict[str, Any], moment: Moment) -> dict[str, Any]:
    return data if moment == NOW else {**data, "moment": moment.as_dict()}


def final_amendment_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    draft: bool = False,
    fmt: str = "text",
    on: date | None = None,
    verification: Standing | None = None,
    moment: Moment = NOW,
) -> str:
    """The final amendment dated ``on`` (default: the acceptance's effective date), resting on
    what the ledger had by the end of that day and by ``moment``."""
    results = offer_results(state, offer_id, on=on, moment=moment)
    require_final(results, draft=draft)
    return headed(render_final_amendment(results, fmt=fmt, draft=draft), verification)


def final_amendment_json(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    draft: bool = False,
    fmt: str = "text",
    on: date | None = None,
    verification: Standing | None = None,
    moment: Moment = NOW,
) -> str:
    """The final amendment as JSON: every figure it rests on (``results``), its ``text`` as
    :func:`final_amendment_output` renders it in ``fmt`` (with the verification line), and the
    ``verification`` and ``moment`` fields every JSON output has."""
    results = offer_results(state, offer_id, on=on, moment=moment)
    require_final(results, draft=draft)
    figures = _jsonable(results)
    figures["final"] = results.final
    percent = results.accepted_percent
    figures["accepted_percent"] = None if percent is None else str(percent)
    text = headed(render_final_amendment(results, fmt=fmt, draft=draft), verification)
    data = {"draft": draft, "format": fmt, "results": figures, "text": text}
    return text_render.dumps(_with_field(_with_moment(data, moment), verification))


def _jsonable(value: Any) -> Any:
    """A projection value as JSON: its own ``as_dict`` where it has one, a dataclass field by
    field, decimals as strings (never floats), dates and instants in ISO 8601."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return value


def letters_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    on: date | None = None,
    verification: Standing | None = None,
    moment: Moment = NOW,
) -> list[tuple[str, str]]:
    """(file name, letter text) for every participating employee and every employee whose
    election form was refused, resting on what the ledger had by the letters' date."""
    results = offer_results(state, offer_id, on=on, moment=moment)
    require_final(results, draft=False)
    return [
        (letter.filename, headed(render_letter(letter, results), verification))
        for letter in results_letters(state, offer_id, results.moment)
    ]


def notice_positions(
    state: LedgerState, offer_ids: Sequence[uuid.UUID], employee: str, moment: Moment = NOW
) -> list[int]:
    """Log positions of the notices sent to ``employee`` (that ``moment`` admits)."""
    out = []
    for offer_id in offer_ids:
        for stamp, event in offer_changes(state, offer_id, moment):
            if isinstance(event, NOTICES) and employee in recipients(
                state.lists, stamp.position, event
            ):
                out.append(stamp.position)
    return out


def timeline_output(
    rows: Sequence[TimelineRow],
    problems: Problems | None,
    *,
    as_json: bool = False,
    employee: str | None = None,
    filing: uuid.UUID | None = None,
    employee_notices: Sequence[int] = (),
    general: Sequence[str] = (),
    verification: Standing | None = None,
    moment: Moment = NOW,
) -> str:
    """Every action in effective order; ``general`` lists problems without a position.

    Given ``verification``, the statuses and ``general`` come from its record (``problems``
    and ``general`` are then ignored). At a ``moment`` other than now, only the events it
    admits (effective by its ``as_of``, recorded by its ``as_recorded``) are listed, and a
    correction recorded later supersedes nothing."""
    if verification is not None:
        problems, general = verification.problems_by_position(), verification.general
    everything = ordered(r for r in rows if moment.admits(r.stamp))
    superseded = superseded_index(everything)
    chosen = filter_rows(
        everything, employee=employee, filing=filing, employee_notices=employee_notices
    )
    if as_json:
        data = {
            "events": [row_as_dict(r, problems, superseded) for r in chosen],
            "ledger_problems": list(general),
            "verified": problems is not None,
        }
        return text_render.dumps(_with_field(_with_moment(data, moment), verification))
    lines = []
    for r in chosen:
        s = r.stamp
        mark = ""
        if r.supersedes is not None:
            mark = "  (correction) "
        by = superseded.get((r.stream, s.version))
        tail = f"; superseded by event {by}" if by is not None else ""
        lines.append(f"{s.effective_text:<25}  #{s.position:<6} {s.action:<24} {mark}{r.summary}")
        synthetic = " (SYNTHETIC)" if s.synthetic else ""
        lines.append(
            f"{'':<25}  recorded {eastern(s.recorded)} by {s.actor}, key {s.key_id[:12]}"
            f"{synthetic}; {status_of(s.position, problems)}{tail}"
        )
    for problem in general:
        lines.append(f"ledger problem: {problem}")
    return headed(_moment_lines("\n".join(lines) + ("\n" if lines else ""), moment), verification)


__all__ = [
    "diff_output",
    "elections_output",
    "final_amendment_json",
    "final_amendment_output",
    "letters_output",
    "notice_positions",
    "text_output",
    "timeline_output",
]
