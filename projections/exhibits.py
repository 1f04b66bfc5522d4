"""An exhibit of the offer's filings at a moment: which filing lists it, which notices carried
it, and its text as stored (``text --exhibit "(a)(11)"``).

The text is the source document a ``NoticeDispatched`` stored as sent (``content_sha256``);
its normalized SHA-256 is compared with the hash the filing recorded for the exhibit, and the
output says whether they match. An exhibit whose text the ledger does not hold says so. An
exhibit that is the registered offer document itself ("(a)(1)") is shown by ``text`` as the
document (see :func:`document_for_exhibit`).

Pure apart from reading the state's stored documents (handed in with the state).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from offerledger.events import OfferDocumentRegistered, normalize_text
from offerledger.projections.catalog import FilingRef, QueryError, commenced, filings, offer_changes
from offerledger.projections.core import Moment, Stamp, not_on_file
from offerledger.projections.disclosed import NOTICES
from offerledger.projections.state import LedgerState


@dataclass(frozen=True, slots=True)
class NoticeRef:
    notice_id: str
    channel: str
    stamp: Stamp
    content_sha256: str


@dataclass(frozen=True, slots=True)
class ExhibitView:
    exhibit_id: str
    title: str | None
    filing: FilingRef | None
    recorded_sha256: str | None
    notices: tuple[NoticeRef, ...]
    text: str | None
    text_sha256: str | None
    moment: Moment

    @property
    def check(self) -> str:
        """Whether the text shown is the text the filing recorded a hash of."""
        if self.text is None:
            return "no text of this exhibit is stored in the ledger"
        if self.recorded_sha256 is None:
            return "the filing on record recorded no hash of this exhibit's text to compare with"
        normalized = hashlib.sha256(normalize_text(self.text).encode("utf-8")).hexdigest()
        if normalized == self.recorded_sha256:
            return (
                f"its normalized text matches the SHA-256 {self.filing.name if self.filing else ''}"
                f" recorded for the exhibit ({self.recorded_sha256})"
            )
        return (
            f"its normalized text hashes to {normalized}, NOT the SHA-256 the filing recorded "
            f"for the exhibit ({self.recorded_sha256})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "exhibit": self.exhibit_id,
            "title": self.title,
            "filing": None if self.filing is None else self.filing.as_dict(),
            "recorded_sha256": self.recorded_sha256,
            "notices": [
                {
                    "notice_id": n.notice_id,
                    "channel": n.channel,
                    "sent": n.stamp.effective_text,
                    "position": n.stamp.position,
                    "content_sha256": n.content_sha256,
                }
                for n in self.notices
            ],
            "text": self.text,
            "text_sha256": self.text_sha256,
            "check": self.check,
            "moment": self.moment.as_dict(),
        }


def document_for_exhibit(
    state: LedgerState, offer_id: uuid.UUID, exhibit: str, moment: Moment
) -> str | None:
    """The id of the registered offer document filed as ``exhibit`` (None: none is)."""
    for _, event in offer_changes(state, offer_id, moment):
        if isinstance(event, OfferDocumentRegistered) and event.document.exhibit == exhibit:
            return event.document.id
    return None


def exhibit_at(
    state: LedgerState, offer_id: uuid.UUID, exhibit: str, moment: Moment
) -> ExhibitView:
    """The exhibit as the ledger shows it at ``moment``; refuses one no filing lists and no
    notice carried by then."""
    commenced(state, offer_id, moment)
    listed = [(f, x) for f in filings(state, offer_id, moment) for x in f.exhibits]
    mine = [(f, x) for f, x in listed if x.exhibit_id == exhibit]
    notices = tuple(
        NoticeRef(e.notice_id, e.channel, s, e.content_sha256)
        for s, e in offer_changes(state, offer_id, moment)
        if isinstance(e, NOTICES) and e.exhibit == exhibit
    )
    if not mine and not notices:
        known = sorted({x.exhibit_id for _, x in listed})
        raise QueryError(
            f"no exhibit {exhibit!r} is on record at the moment asked for",
            field="exhibit",
            hint=f"exhibits on record: {', '.join(known)}" if known else None,
        )
    filing, listing = mine[-1] if mine else (None, None)
    text = sha = None
    for n in notices:
        content = state.sources(n.content_sha256) if state.sources is not None else None
        if content is not None:
            text, sha = content.decode("utf-8", errors="replace"), n.content_sha256
            break
    return ExhibitView(
        exhibit_id=exhibit,
        title=listing.title if listing is not None else None,
        filing=filing,
        recorded_sha256=listing.sha256 if listing is not None else None,
        notices=notices,
        text=text,
        text_sha256=sha,
        moment=moment,
    )


def _header(view: ExhibitView) -> list[str]:
    title = view.title or not_on_file("the exhibit's title: no filing on record lists it")
    out = [f"Exhibit {view.exhibit_id}: {title}", view.moment.text]
    if view.filing is not None:
        out.append(f"filed with: {view.filing.label}; {view.filing.accession_text}")
    else:
        out.append(f"filed with: {not_on_file('no filing on record lists this exhibit')}")
    for n in view.notices:
        out.append(
            f"sent: notice {n.notice_id} by {n.channel} on {n.stamp.effective_text} "
            f"(event {n.stamp.position}; stored text SHA-256 {n.content_sha256})"
        )
    out.append(f"text: {view.check}")
    return out


def render_exhibit(view: ExhibitView, fmt: str = "text") -> str:
    """Plain text or Markdown (JSON: :meth:`ExhibitView.as_dict`)."""
    body = view.text if view.text is not None else not_on_file("the text of this exhibit") + "\n"
    if fmt == "markdown":
        head = "\n".join(f"- {line}" for line in _header(view)[1:])
        title = _header(view)[0]
        return f"# {title}\n\n{head}\n\n```\n{body.rstrip()}\n```\n"
    rule = "-" * 78
    return "\n".join(_header(view)) + f"\n{rule}\n{body.rstrip()}\n"


__all__ = ["ExhibitView", "NoticeRef", "document_for_exhibit", "exhibit_at", "render_exhibit"]
