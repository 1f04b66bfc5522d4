"""Render the final amendment to Schedule TO that reports the results (jinja2 templates).

The wording lives in ``templates/final_amendment.{txt,md}.j2``; this module only turns
:class:`~offerledger.projections.results.Results` into the values the templates print (dates
spelled out, counts with separators, the cover as filed, the marker where the ledger has no
value). The shape follows filed option-exchange final amendments (docs/projections.md,
"Compared with filed final amendments"): cover as the issuer filed it, fee table, introduction
with its defined terms, Item 4 with the results, Item 12 with the form of results letter, the
signature, the index to exhibits and the exhibit itself; then the ledger's sources, which are
not part of the filing.
"""

from __future__ import annotations

import functools
import textwrap
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from offerledger.events import EASTERN, EffectiveTime, TimeNotOnFile
from offerledger.projections.catalog import FilingRef
from offerledger.projections.core import not_on_file
from offerledger.projections.filed import identifier_source
from offerledger.projections.offer_terms import Quote
from offerledger.projections.results import Results

WIDTH = 80
TEMPLATES = Path(__file__).parent / "templates"


def longdate(day: date) -> str:
    """ "September 27, 2001"."""
    return f"{day:%B} {day.day}, {day.year}"


def clock_time(at: datetime) -> str:
    """ "11:59 p.m., Eastern Daylight Time, on September 27, 2001"."""
    local = at.astimezone(EASTERN)
    zone = "Eastern Daylight Time" if local.dst() else "Eastern Standard Time"
    hour = local.hour % 12 or 12
    half = "a.m." if local.hour < 12 else "p.m."
    if (local.hour, local.minute) == (0, 0):
        return f"12:00 midnight, {zone}, at the start of {longdate(local.date())}"
    return f"{hour}:{local.minute:02d} {half}, {zone}, on {longdate(local.date())}"


def num(value: int) -> str:
    return f"{value:,}"


def count(value: int, singular: str, plural: str | None = None) -> str:
    """``1 option grant``, ``2 option grants``: the number and the noun that agrees with it."""
    return f"{num(value)} {singular if value == 1 else (plural or singular + 's')}"


def money(value: Decimal) -> str:
    """Dollars with at least two decimals, never rounded: $39.70, $0.5125."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"${value:,.{places}f}"


def box(checked: bool) -> str:
    return "[X]" if checked else "[_]"


def unknown(r: Results, what: str) -> str:
    """The marker for what the ledger does not hold: "not yet known on <date>" when the
    document rests on what was known by its date, "not on file" otherwise."""
    m = r.moment
    if m.as_of is None and m.as_recorded is None:
        return not_on_file(what)
    if m.as_of_day is not None and m.as_of_day == m.as_recorded_day:
        return f"[not yet known on {longdate(m.as_of_day)}: {what}]"
    return f"[not yet known as of {m.as_of_text}, as recorded {m.as_recorded_text}: {what}]"


def quoted(quote: Quote | None, what: str) -> str:
    """A term of the offer as the offer document on record states it, or the not-on-file
    marker (the term is the offer's, not a later event: it is not on file, not "not yet
    known")."""
    if quote is None:
        return not_on_file(f"{what}; the offer document's text on record does not state it")
    return f'{quote.where} states: "{quote.text}"'


def bounds(effective: EffectiveTime | None) -> str:
    """A time not on file with the bounds the record gives ("on or after August 27, 2001 and
    on or before September 13, 2001"); a bound at 00:00 Eastern excludes that day."""
    if not isinstance(effective, TimeNotOnFile):
        return ""
    out = []
    if effective.after is not None:
        local = effective.after.astimezone(EASTERN)
        out.append(
            f"on or after {longdate(local.date())}"
            if local.time() == time(0)
            else f"after {clock_time(local)}"
        )
    if effective.before is not None:
        local = effective.before.astimezone(EASTERN)
        out.append(
            f"on or before {longdate(local.date() - timedelta(days=1))}"
            if local.time() == time(0)
            else f"before {clock_time(local)}"
        )
    return " and ".join(out)


def para(text: str, indent: int = 9) -> str:
    """A paragraph wrapped to the page width, its first line indented."""
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=" " * indent,
        subsequent_indent="",
        break_long_words=False,
        break_on_hyphens=False,
    )


def hang(text: str, indent: int = 5) -> str:
    """A paragraph wrapped with every line after the first indented (footnotes, sources)."""
    return textwrap.fill(
        text, WIDTH, subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False
    )


def center(text: str) -> str:
    return text.center(WIDTH).rstrip()


@functools.cache
def template_environment() -> jinja2.Environment:
    """One environment per process: it caches the compiled templates (compiling the letter's
    template again for each of a few hundred letters took most of ``letters`` and ``report``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(para=para, center=center, hang=hang)
    env.globals.update(box=box, nof=not_on_file, longdate=longdate, num=num)
    return env


def filed_phrase(f: FilingRef) -> str:
    """ "Amendment No. 2 filed on September 13, 2001", or with the bounds the record gives."""
    if f.filed_on is not None:
        return f"{f.name} filed on {longdate(f.filed_on)}"
    between = bounds(f.effective)
    note = f"filing date; the record places it {between}" if between else "filing date"
    return f"{f.name} (filed on {not_on_file(note)})"


def introduction(r: Results) -> str:
    """The first paragraph: what this amendment amends, by whom, and the offer's defined terms
    as the filings on record define them (quoted), else as the events name them."""
    original = r.original
    filed = (
        longdate(original.filed_on)
        if original is not None and original.filed_on is not None
        else not_on_file("filing date of the Schedule TO")
    )
    amended = ""
    if r.amendments:
        phrases = [filed_phrase(f) for f in r.amendments]
        joined = phrases[0]
        if len(phrases) > 1:
            joined = ", ".join(phrases[:-1]) + " and " + phrases[-1]
        amended = f", as amended by {joined}"
    cover = r.cover
    state = (
        f", a {cover.incorporated_in.value} corporation"
        if cover is not None and cover.incorporated_in is not None
        else ""
    )
    opening = (
        f"This Amendment No. {r.amendment_number} amends and supplements the Tender Offer "
        f'Statement on Schedule TO (the "Tender Offer Statement") filed with the Securities and '
        f"Exchange Commission on {filed}{amended}, by {r.issuer}{state} "
        '(the "Company"), '
    )
    if cover is not None and cover.relating is not None:
        return opening + str(cover.relating.value)
    plans = " and the ".join(r.plans) if r.plans else not_on_file("the option plans")
    document = ""
    if r.document_title:
        dated = f", dated {longdate(r.document_dated)}" if r.document_dated else ""
        document = (
            f" upon the terms and subject to the conditions described in the "
            f"{r.document_title}{dated}"
        )
    return (
        f"{opening}relating to the offer by the Company to exchange options outstanding under "
        f'the {plans} for new options (the "Offer"){document}.'
    )


def _terms(r: Results) -> tuple[str, str, str]:
    """What the introduction defined: (common stock, new options, eligible options)."""
    relating = str(r.cover.relating.value) if r.cover and r.cover.relating else ""
    return (
        "Common Stock" if '"Common Stock"' in relating else "common stock",
        "New Options" if '"New Options"' in relating else "new options",
        "Eligible Options" if '"Eligible Options"' in relating else "options",
    )


SYNTHETIC_BANNER = "DRAFT — SYNTHETIC DATA — NOT FOR FILING"  # as issue 10 words it


def synthetic_labels(r: Results) -> dict[str, str]:
    """What a final amendment resting on synthetic events says where it rests on them (issue 10
    item 2): ``banner`` atop every page (cover, body, signature page, exhibit), ``notice`` under
    the first, ``number_note`` under the amendment number (the next after those on record: a
    reconstruction, never the number of an amendment the issuer filed), and the signature page's
    ``certification`` and ``signature`` (no one's /s/ over synthetic figures). Empty banner and
    notes, and the usual certification and /s/, when nothing it rests on is synthetic."""
    signer = r.signer_name or not_on_file("signing officer")
    if not r.synthetic:
        return {
            "banner": "",
            "notice": "",
            "number_note": "",
            "certification": "After due inquiry and to the best of my knowledge and belief, I "
            f"certify that the information set forth in this Amendment No. {r.amendment_number} "
            "to Schedule TO is true, complete and correct.",
            "signature": f"/s/ {signer.upper()}",
        }
    return {
        "banner": SYNTHETIC_BANNER,
        "notice": "SYNTHETIC DATA. This is a reconstruction rendered from a ledger that rests on "
        "synthetic events (a demonstration's story clock and keys, a generated roster, elections, "
        "acceptance and new grants); its figures are not the issuer's results. Never file it.",
        "number_note": f"(Amendment No. {r.amendment_number}: the number after the amendments on "
        "record; a reconstruction, not an amendment the issuer filed)",
        "certification": "Not certified: the information in this draft rests on synthetic data; "
        "no one may certify it as true, complete and correct.",
        "signature": f"[not signed: {SYNTHETIC_BANNER}]",
    }


def item4(r: Results) -> tuple[list[str], list[str]]:
    """The results paragraphs of Item 4 before and after the acceptance table."""
    stock, new, eligible = _terms(r)
    out = []
    if r.synthetic:
        out.append(
            "SYNTHETIC DATA: the figures in this Item come from synthetic records (a generated "
            "roster, elections, acceptance and new grants); they are not the issuer's results."
        )
    if r.expiration is None:
        out.append(f"The Offer expired at {unknown(r, 'expiration time')}.")
    elif r.expired is not None:
        out.append(f"The Offer expired at {clock_time(r.expiration)}.")
    else:
        out.append(f"The Offer is scheduled to expire at {clock_time(r.expiration)}.")
    e = r.eligibility.total
    were = "was" if e.employees_eligible == 1 else "were"
    out.append(
        f"A total of {count(e.employees_eligible, 'employee')} {were} eligible to participate "
        f"in the Offer, holding {count(e.grants_eligible, 'eligible option grant')} to purchase "
        f"{count(e.options_eligible, 'share')} of {stock}. Of these employees, "
        f"{num(e.employees_tendering)} elected to tender "
        f"{count(e.grants_tendered, 'option grant')} to purchase "
        f"{count(e.options_tendered, 'share')} of {stock} and did not withdraw them."
    )
    a = r.accepted_total
    if r.acceptance is not None and r.cancelled_on is not None:
        share = r.accepted_percent
        approx = f", approximately {share}% of the options eligible for exchange" if share else ""
        out.append(
            f"Pursuant to the Offer, the Company accepted for exchange and cancelled on "
            f"{longdate(r.cancelled_on)} {eligible} to purchase {count(a.options, 'share')} of "
            f"{stock} ({count(a.grants, 'option grant')}) tendered by "
            f"{count(a.employees, 'employee')}"
            f"{approx}, as follows:"
        )
    else:
        out.append(
            "Options accepted for exchange and cancelled: "
            f"{unknown(r, 'no acceptance of tendered options is recorded')}."
        )
    after = new_option_paragraphs(r, stock, new)
    if r.synthetic:
        after.append(
            "The employee, option and grant figures in this Item come from records marked "
            "synthetic in the ledger."
        )
    return out, after


def new_option_paragraphs(r: Results, stock: str, new: str) -> list[str]:
    """What Item 4 says of the new options: the grant when the ledger knows it by the
    document's date, else what the offer document states of it, else the marker."""
    out = []
    for g in r.new_grants:
        future = r.date is None or g.grant_date > r.date
        verb = "will grant" if future else "granted"
        price = (
            f" at an exercise price of {money(g.exercise_price)} per share"
            if g.exercise_price is not None
            else f" at an exercise price {not_on_file(f'the exercise price of the {new}')}"
        )
        out.append(
            f"Subject to the terms and conditions of the Offer, the Company {verb} {new} to "
            f"purchase {num(g.options)} shares of {stock} under the {g.plan} to "
            f"{num(g.employees)} employees on {longdate(g.grant_date)}{price}, in exchange for "
            "the options accepted for exchange and cancelled."
        )
    if out:
        if all(g.exercise_price is None for g in r.new_grants) and r.term("price"):
            out.append(f"The exercise price: {quoted(r.term('price'), 'the exercise price')}")
        return out
    out.append(
        f"Subject to the terms and conditions of the Offer, the Company will grant {new} in "
        "exchange for the options accepted for exchange and cancelled. The grant itself: "
        + unknown(r, f"no grant of {new} is recorded")
        + "."
    )
    out.append(f"When the {new} will be granted: " + quoted(r.term("grant"), "the grant date"))
    out.append(
        "The exercise price: "
        + quoted(r.term("price"), f"how the exercise price of the {new} is set")
    )
    return out


def accepted_table(r: Results) -> str:
    if not r.accepted:
        return ""
    rows = [("Plan", "Employees", "Grants", "Options accepted and cancelled")]
    for p in (*r.accepted, r.accepted_total):
        label = "Total" if p is r.accepted_total else p.plan
        rows.append((label, num(p.employees), num(p.grants), num(p.options)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)]
        lines.append(("         " + "   ".join(cells)).rstrip())
        if n == 0:
            lines.append("         " + "   ".join("-" * w for w in widths))
    return "\n".join(lines)


def _check(r: Results, *names: str) -> bool:
    """A cover-page box as the last filing that states it checked it (unchecked otherwise)."""
    for filing in reversed(r.filings_cited):
        boxes = dict(filing.check_boxes)
        for name in boxes:
            if any(part in name for part in names):
                return boxes[name]
    return False


def cover_contact(r: Results) -> list[str]:
    """The person authorized to receive notices, as the latest filing on record gives it."""
    if r.cover is not None and r.cover.contact is not None:
        return list(r.cover.contact.value)
    lines = [r.signer_name or not_on_file("the person authorized to receive notices")]
    if r.signer_title:
        lines.append(r.signer_title)
    return [*lines, r.issuer, not_on_file("address and telephone number")]


def fee_table(r: Results) -> tuple[str, str, list[str]]:
    """(transaction valuation, amount of filing fee, footnotes) as the filing on record that
    states them gives them, else the markers."""
    if r.cover is not None and r.cover.fee is not None:
        valuation, amount, notes, _ = r.cover.fee
        return valuation, amount, list(notes)
    first = r.original.name if r.original is not None else "the Schedule TO"
    return (
        not_on_file("transaction valuation"),
        not_on_file("amount of filing fee"),
        [f"*    {not_on_file(f'the fee table of the {first}, whose text is not on record')}"],
    )


def sources(r: Results) -> list[str]:
    """The ledger's sources for the document: each filing cited with its accession number, where
    the cover came from, where the CIK and file number came from, and what it rests on."""
    out = []
    for f in r.filings_cited:
        filed = f"filed {longdate(f.filed_on)}" if f.filed_on else f"filed {not_on_file('date')}"
        if f.filed_on is None and bounds(f.effective):
            filed += f" ({bounds(f.effective)})"
        stored = f"; stored file SHA-256 {f.source_sha256}" if f.source_sha256 else ""
        out.append(
            f"{f.name} ({f.form}), {filed}; {f.accession_text}; ledger event "
            f"{f.stamp.position}{stored}."
        )
    cover = r.cover
    if cover is not None:
        by_filing: dict[int, tuple[FilingRef, list[str]]] = {}
        for what, f in cover.sources():
            by_filing.setdefault(f.stamp.position, (f, []))[1].append(what)
        for f, whats in by_filing.values():
            out.append(f"As filed in {f.name} ({f.accession_text}): {'; '.join(whats)}.")
    at = r.commenced_at.position if r.commenced_at is not None else None
    out.append(f"CIK {r.cik}: {identifier_source(cover.cik_from if cover else None, at)}.")
    out.append(
        f"SEC file number {r.file_number}: "
        f"{identifier_source(cover.file_number_from if cover else None, at)}."
    )
    out.append(f"This document rests on what the ledger held. {r.moment.text}.")
    return out


def render_final_amendment(r: Results, *, fmt: str = "text", draft: bool = False) -> str:
    template = "final_amendment.md.j2" if fmt == "markdown" else "final_amendment.txt.j2"
    title_lines = (
        textwrap.wrap(r.signer_title, 38)
        if r.signer_title
        else [not_on_file("title of the signing officer")]
    )
    before, after = item4(r)
    valuation, amount, fee_notes = fee_table(r)
    from offerledger.projections.letters import form_of_letter  # the exhibit (no cycle at import)

    context: dict[str, Any] = {
        "r": r,
        "draft": draft or not r.final,
        "intro": introduction(r),
        "item4": before,
        "item4_after": after,
        "accepted_table": accepted_table(r),
        "title_lines": title_lines,
        "contact": cover_contact(r),
        "copy_to": list(r.cover.copy_to.value) if r.cover and r.cover.copy_to else [],
        "fee_valuation": valuation,
        "fee_amount": amount,
        "fee_notes": fee_notes,
        "fee_offset": _check(r, "fee_offset"),
        "going_private": _check(r, "going_private"),
        "amendment_13d": _check(r, "13d"),
        "exhibit_id": r.results_exhibit,
        "exhibit_title": "Form of Letter to Employees Reporting the Results of the Offer",
        "exhibit_text": form_of_letter(r) if r.final or draft else "",
        "sources": sources(r),
        **synthetic_labels(r),
    }
    text = template_environment().get_template(template).render(**context)
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


__all__ = [
    "accepted_table",
    "bounds",
    "clock_time",
    "filed_phrase",
    "introduction",
    "item4",
    "longdate",
    "money",
    "num",
    "quoted",
    "render_final_amendment",
    "synthetic_labels",
    "template_environment",
    "unknown",
]
