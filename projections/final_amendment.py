"""Render the final amendment to Schedule TO that reports the results (jinja2 templates).

The wording lives in ``templates/final_amendment.{txt,md}.j2``; this module only turns
:class:`~offerledger.projections.results.Results` into the values the templates print (dates
spelled out, counts with separators, the not-on-file marker where the ledger has no value).
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from offerledger.events import EASTERN
from offerledger.projections.catalog import FilingRef
from offerledger.projections.core import not_on_file
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


def money(value: Decimal) -> str:
    """Dollars with at least two decimals, never rounded: $39.70, $0.5125."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"${value:,.{places}f}"


def box(checked: bool) -> str:
    return "[X]" if checked else "[_]"


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


def center(text: str) -> str:
    return text.center(WIDTH).rstrip()


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(para=para, center=center)
    env.globals.update(box=box, nof=not_on_file, longdate=longdate, num=num)
    return env


def _filing_phrase(f: FilingRef) -> str:
    if f.filed_on is not None:
        return f"{f.name} filed on {longdate(f.filed_on)}"
    return f"{f.name} (filed on {not_on_file('filing date')})"


def introduction(r: Results) -> str:
    original = r.original
    filed = (
        longdate(original.filed_on)
        if original is not None and original.filed_on is not None
        else not_on_file("filing date of the Schedule TO")
    )
    amended = ""
    if r.amendments:
        phrases = [_filing_phrase(f) for f in r.amendments]
        joined = phrases[0]
        if len(phrases) > 1:
            joined = ", ".join(phrases[:-1]) + " and " + phrases[-1]
        amended = f", as amended by {joined}"
    plans = " and the ".join(r.plans) if r.plans else not_on_file("the option plans")
    document = ""
    if r.document_title:
        dated = f", dated {longdate(r.document_dated)}" if r.document_dated else ""
        document = (
            f" upon the terms and subject to the conditions described in the "
            f"{r.document_title}{dated}"
        )
    return (
        f"This Amendment No. {r.amendment_number} amends and supplements the Tender Offer "
        f'Statement on Schedule TO (the "Tender Offer Statement") filed with the Securities and '
        f'Exchange Commission on {filed}{amended}, by {r.issuer} (the "Company"), relating to '
        f"the offer by the Company to exchange options outstanding under the {plans} for new "
        f'options (the "Offer"){document}.'
    )


def item4(r: Results) -> tuple[list[str], list[str]]:
    """The results paragraphs of Item 4 before and after the acceptance table."""
    out = []
    if r.expiration is None:
        out.append(f"The Offer expired at {not_on_file('expiration time')}.")
    elif r.expired is not None:
        out.append(f"The Offer expired at {clock_time(r.expiration)}.")
    else:
        out.append(f"The Offer is scheduled to expire at {clock_time(r.expiration)}.")
    e = r.eligibility.total
    out.append(
        f"A total of {num(e.employees_eligible)} employees were eligible to participate in the "
        f"Offer, holding {num(e.grants_eligible)} eligible option grants to purchase "
        f"{num(e.options_eligible)} shares of common stock. Of these employees, "
        f"{num(e.employees_tendering)} elected to tender {num(e.grants_tendered)} option grants "
        f"to purchase "
        f"{num(e.options_tendered)} shares of common stock and did not withdraw them."
    )
    a = r.accepted_total
    if r.acceptance is not None and r.cancelled_on is not None:
        share = r.accepted_percent
        approx = f", approximately {share}% of the options eligible for exchange" if share else ""
        out.append(
            f"Pursuant to the Offer, the Company accepted for exchange and cancelled on "
            f"{longdate(r.cancelled_on)} options to purchase {num(a.options)} shares of common "
            f"stock ({num(a.grants)} option grants) tendered by {num(a.employees)} employees"
            f"{approx}, as follows:"
        )
    else:
        out.append(
            f"Options accepted for exchange and cancelled: "
            f"{not_on_file('no acceptance of tendered options is recorded')}."
        )
    after = _new_grant_paragraphs(r)
    if r.synthetic:
        after.append(
            "The employee, option and grant figures in this Item come from records marked "
            "synthetic in the ledger."
        )
    return out, after


def _new_grant_paragraphs(r: Results) -> list[str]:
    if not r.new_grants:
        return [f"New options: {not_on_file('no grant of new options is recorded')}."]
    out = []
    for g in r.new_grants:
        future = r.date is None or g.grant_date > r.date
        verb = "will grant" if future else "granted"
        price = (
            f" at an exercise price of {money(g.exercise_price)} per share"
            if g.exercise_price is not None
            else f" at an exercise price {not_on_file('the exercise price of the new options')}"
        )
        out.append(
            f"Subject to the terms and conditions of the Offer, the Company {verb} new options "
            f"to purchase {num(g.options)} shares of common stock under the {g.plan} to "
            f"{num(g.employees)} employees on {longdate(g.grant_date)}{price}, in exchange for "
            "the options accepted for exchange and cancelled."
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
    for filing in reversed((r.original, *r.amendments) if r.original else r.amendments):
        if filing is None:
            continue
        boxes = dict(filing.check_boxes)
        for name in boxes:
            if any(part in name for part in names):
                return boxes[name]
    return False


def render_final_amendment(r: Results, *, fmt: str = "text", draft: bool = False) -> str:
    template = "final_amendment.md.j2" if fmt == "markdown" else "final_amendment.txt.j2"
    title_lines = (
        textwrap.wrap(r.signer_title, 38)
        if r.signer_title
        else [not_on_file("title of the signing officer")]
    )
    context: dict[str, Any] = {
        "r": r,
        "draft": draft or not r.final,
        "intro": introduction(r),
        "item4": item4(r)[0],
        "item4_after": item4(r)[1],
        "accepted_table": accepted_table(r),
        "title_lines": title_lines,
        "fee_offset": _check(r, "fee_offset"),
        "going_private": _check(r, "going_private"),
        "amendment_13d": _check(r, "13d"),
    }
    text = template_environment().get_template(template).render(**context)
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


__all__ = [
    "accepted_table",
    "clock_time",
    "introduction",
    "item4",
    "longdate",
    "money",
    "num",
    "render_final_amendment",
    "template_environment",
]
