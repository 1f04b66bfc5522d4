"""Notices to employees filed as exhibits: dispatch facts and cross-checks against the filing.

A notice exhibit (a memo "To: … From: …", or an exhibit titled notice, letter, e-mail or
reminder) becomes one notice-dispatched event per channel its text names. Its stated deadline
and the amendments it repeats are compared with the ledger and the filing; differences are
reported as findings, never fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from offerledger.ingest.dates import parse_date, parse_deadline
from offerledger.ingest.locators import BlockRef, Locator, SectionRef, SentenceRef, Target
from offerledger.ingest.model import ExhibitText, Instruction, ParsedFiling

_NOTICE_TITLE = re.compile(r"\b(?:notice|letter|e-?mail|reminder|memorandum|announcement)\b", re.I)
_EMAIL = re.compile(r"\b(?:via|by)\s+(?:e-?mail|electronic\s+mail)\b|\be-?mail(?:ed)?\s+to\b", re.I)
_FORM_TITLE = re.compile(
    r"\b(?:withdrawal|election)\s+form\b|\bnotice\s+of\s+withdrawal\b|\bwithdrawal\s+notice\b",
    re.I,
)
_PAPER = re.compile(
    r"\bpaper\s+cop(?:y|ies)\b|\bby\s+(?:mail|hand\s+delivery|courier)\b|"
    r"\bhand[- ]deliver",
    re.I,
)


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    exhibit_id: str
    title: str
    kind: str
    channels: tuple[str, ...]
    recipient_class: str | None
    sender: str | None
    dated: date | None
    stated_deadline: datetime | None
    first_line: int
    last_line: int


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """A finding of the ingest: a check, whether it is met, and what it rests on; ``compared``
    says what was compared with what (recorded with the filing as a CrossCheckRecorded)."""

    check: str
    status: str  # met | not_met | not_checked
    detail: str
    lines: tuple[int, int] | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    compared: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "status": self.status,
            "detail": self.detail,
            "lines": list(self.lines) if self.lines else None,
            "evidence": self.evidence,
            "compared": self.compared,
        }


def read_notice(exhibit: ExhibitText) -> NoticeFacts | None:
    text = exhibit.text
    memo = re.search(r"\bTo:\s*(?P<to>.+?)\s+From:\s*(?P<from>.+?)\s+Date:?\s+", text[:600])
    if memo is None and not _NOTICE_TITLE.search(exhibit.title):
        return None
    if memo is None and _FORM_TITLE.search(exhibit.title):
        return None  # a form employees fill in (election, withdrawal), not a notice sent
    channels = []
    if _EMAIL.search(text):
        channels.append("email")
    if _PAPER.search(text):
        channels.append("paper")
    if not channels and re.search(r"\be-?mail\b", exhibit.title, re.I):
        channels.append("email")  # "Form of Announcement E-mail": the title says how
    lowered = f"{exhibit.title} {text[:400]}".lower()
    if "amendment" in lowered:
        kind = "amendment_notice"
    elif "result" in lowered or "accepted for exchange" in text.lower():
        kind = "results_letter"
    elif "remind" in lowered:
        kind = "reminder"
    else:
        kind = "other"
    dm = re.search(r"\bDate:?\s+(.{0,30})", text[:800])
    return NoticeFacts(
        exhibit_id=exhibit.exhibit_id,
        title=exhibit.title,
        kind=kind,
        channels=tuple(channels),
        recipient_class=memo.group("to").strip() if memo else None,
        sender=memo.group("from").strip() if memo else None,
        dated=parse_date(dm.group(1)) if dm else parse_date(exhibit.title),
        stated_deadline=parse_deadline(text),
        first_line=exhibit.first_line,
        last_line=exhibit.last_line,
    )


def _bare(target: Target) -> Target:
    """A target without the document it is in (a notice to employees omits "of Exhibit (a)(1)")."""
    if isinstance(target, SectionRef):
        return target.model_copy(update={"document": None})
    if isinstance(target, BlockRef):
        return target.model_copy(update={"section": _bare(target.section)})
    if isinstance(target, SentenceRef):
        return target.model_copy(update={"block": _bare(target.block)})
    return target


def _key(loc: Locator, ins: Instruction) -> tuple[object, ...]:
    return (
        loc.action,
        tuple(_bare(t) for t in loc.targets),
        loc.where,
        tuple(p.text for p in ins.payload),
    )


def check_repeated_amendments(filing: ParsedFiling, exhibit: ExhibitText) -> CrossCheck:
    """The amendments a notice repeats against those the filing makes."""
    made = [
        i
        for i in filing.instructions
        if i.locator is not None and i.locator.action not in ("file_exhibit", "preamble")
    ]
    repeated = list(exhibit.repeats)
    lines = (exhibit.first_line, exhibit.last_line)
    compared = (
        f"the amendments Exhibit {exhibit.exhibit_id} repeats against the amendment "
        "instructions the filing makes (locators and new text)"
    )
    if not repeated:
        return CrossCheck(
            "notice-repeats-amendments",
            "not_checked",
            f"Exhibit {exhibit.exhibit_id} repeats no amendment instruction",
            lines,
            compared=compared,
        )
    problems = []
    matched = 0
    for ins in made:
        assert ins.locator is not None
        twin = [
            r
            for r in repeated
            if r.locator is not None and _key(r.locator, r) == _key(ins.locator, ins)
        ]
        if twin:
            matched += 1
        else:
            problems.append(
                f"instruction {ins.label or '?'} (lines {ins.first_line}-"
                f"{ins.last_line}) is not repeated word for word in the notice"
            )
    for r in repeated:
        assert r.locator is not None
        if not any(
            i.locator is not None and _key(i.locator, i) == _key(r.locator, r) for i in made
        ):
            problems.append(
                f"notice item {r.label} (lines {r.first_line}-{r.last_line}) "
                "describes an amendment the filing does not make"
            )
    pages = sorted(
        {
            t.section.page
            for r in repeated
            if r.locator
            for t in r.locator.targets
            if isinstance(t, BlockRef) and t.section.page
        }
    )
    page_note = f" (locators cite page {', '.join(pages)})" if pages else ""
    values = {"filing_instructions": str(len(made)), "notice_items": str(len(repeated))}
    if problems:
        return CrossCheck(
            "notice-repeats-amendments",
            "not_met",
            "; ".join(problems),
            lines,
            {**values, "matched": str(matched)},
            compared,
        )
    return CrossCheck(
        "notice-repeats-amendments",
        "met",
        f"Exhibit {exhibit.exhibit_id} repeats all {matched} text amendment(s) of the filing "
        f"with the same locators and the same new text{page_note}",
        lines,
        {**values, "matched": str(matched)},
        compared,
    )


def check_deadline(notice: NoticeFacts, expiration: datetime | None) -> CrossCheck:
    lines = (notice.first_line, notice.last_line)
    compared = (
        f"the deadline Exhibit {notice.exhibit_id} states against the offer's expiration in "
        "force in the ledger on the notice's date"
    )
    if notice.stated_deadline is None:
        return CrossCheck(
            "notice-deadline",
            "not_checked",
            f"Exhibit {notice.exhibit_id} states no deadline in Eastern time",
            lines,
            compared=compared,
        )
    stated = notice.stated_deadline.isoformat()
    if expiration is None:
        return CrossCheck(
            "notice-deadline",
            "not_checked",
            f"the notice states {stated}; the ledger holds no expiration to compare with",
            lines,
            {"stated": stated},
            compared,
        )
    status = "met" if expiration == notice.stated_deadline else "not_met"
    verb = "matches" if status == "met" else "differs from"
    return CrossCheck(
        "notice-deadline",
        status,
        f"the deadline Exhibit {notice.exhibit_id} states ({stated}) {verb} the expiration in "
        f"force in the ledger on the notice's date ({expiration.isoformat()})",
        lines,
        {"stated": stated, "ledger": expiration.isoformat()},
        compared,
    )


__all__ = [
    "CrossCheck",
    "NoticeFacts",
    "check_deadline",
    "check_repeated_amendments",
    "read_notice",
]
