"""What a Schedule TO-I (or TO-C) holds of its offer: the offer document and the stated terms.

The offer document is the exhibit whose title (in the exhibit index, or the ``<DESCRIPTION>`` of
its ``<DOCUMENT>``) begins "Offer to Exchange" (or "Offer to Purchase", "Offer to Amend"); failing
that, an exhibit (a)(1)... whose first paragraphs carry that title in capitals. Two candidates are
an ambiguity (refused on ingest, listed with their lines), never a choice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from offerledger.ingest.blocks import Para
from offerledger.ingest.dates import parse_date
from offerledger.ingest.model import ExhibitText, OfferTerms, ParsedDocument, Problem
from offerledger.ingest.offerdoc import parse_offer_document
from offerledger.ingest.terms import read_terms

_TITLED = re.compile(
    r"^(?:the\s+)?(?:amended\s+and\s+restated\s+)?Offer\s+to\s+(?P<kind>Exchange|Purchase|Amend)\b",
    re.I,
)
_CAPS = re.compile(r"\bOFFER TO (?P<kind>EXCHANGE|PURCHASE|AMEND)\b")


@dataclass(frozen=True, slots=True)
class ExhibitParts:
    """An exhibit as parsed, with its paragraphs and the printed page of each of its lines."""

    exhibit: ExhibitText
    paras: list[Para]
    pages: dict[int, str]


def _kind(part: ExhibitParts) -> str | None:
    m = _TITLED.match(part.exhibit.title.strip())
    if m:
        return m.group("kind")
    if not part.exhibit.exhibit_id.lower().startswith("(a)(1)"):
        return None
    for para in part.paras[:8]:
        caps = _CAPS.search(para.text)
        if caps:
            return caps.group("kind")
    return None


def offer_exhibit(parts: Sequence[ExhibitParts]) -> tuple[ExhibitParts | None, list[Problem]]:
    """The exhibit that is the offer document, or None (with a blocking problem when two are)."""
    found = [(p, kind) for p in parts if (kind := _kind(p)) is not None]
    titled = [(p, k) for p, k in found if _TITLED.match(p.exhibit.title.strip())]
    chosen = titled or found
    if len(chosen) == 1:
        return chosen[0][0], []
    problems = [
        Problem(
            first_line=p.exhibit.first_line,
            last_line=p.exhibit.last_line,
            what=f"Exhibit {p.exhibit.exhibit_id} ({p.exhibit.title}) reads as the offer "
            f"document; so do {len(chosen) - 1} other exhibit(s)",
            blocking=True,
        )
        for p, _ in chosen
    ]
    return None, problems


def read_offer(
    main: Sequence[Para], parts: Sequence[ExhibitParts], *, form: str
) -> tuple[ParsedDocument | None, OfferTerms, list[Problem]]:
    """The offer document (a Schedule TO-I's; a TO-C registers none), the stated terms, and the
    problems found on the way."""
    problems: list[Problem] = []
    document = None
    scope = list(main)
    if form == "SC TO-I":
        chosen, problems = offer_exhibit(parts)
        if chosen is not None:
            kind = _kind(chosen) or "Exchange"
            title = f"Offer to {kind.capitalize()}"
            ex = chosen.exhibit
            dated = parse_date(ex.title) if "dated" in ex.title.lower() else None
            document, found = parse_offer_document(
                chosen.paras, chosen.pages, exhibit_id=ex.exhibit_id, title=title, dated=dated
            )
            problems.extend(found)
            second = next((s for s in document.sections() if s.number == "2"), None)
            end = second.first_line if second else chosen.exhibit.last_line + 1
            scope += [p for p in chosen.paras if p.first_line < end]
    documents = [(f"the {form}", main)]
    documents += [(f"Exhibit {p.exhibit.exhibit_id}", p.paras) for p in parts]
    terms, found = read_terms(documents, scope)
    problems.extend(found)
    return document, terms, problems


__all__ = ["ExhibitParts", "offer_exhibit", "read_offer"]
