"""The entries behind committed lists, as the plain values the queries read.

An offer event that names many employees (``NoticeDispatched``, ``TenderedOptionsAccepted``,
``NewOptionsGranted``) carries a :class:`~offerledger.events.CommittedList`, not the list
(docs/disclosure.md). Whoever builds a :class:`~offerledger.projections.state.LedgerState` from a
ledger (the runner's source, :mod:`offerledger.projections.source`) reads each list's document,
checks it against the commitment and hands the entries in as :class:`OpenedList` values
(``LedgerState.lists``, keyed by the commitment). A list that could not be read keeps its
problem, and a query that needs it raises :class:`ListUnavailable` naming the event: a list is
never silently taken as empty. Version 1 events, which listed the entries themselves, are read
as they are.

Nothing here reads a file or a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from offerledger.events import (
    AcceptedGrant,
    CommittedList,
    LedgerEvent,
    NewGrant,
    NewOptionsGranted,
    NewOptionsGrantedV1,
    NoticeDispatched,
    NoticeDispatchedV1,
    NoticeRecipient,
    TenderedOptionsAccepted,
    TenderedOptionsAcceptedV1,
)

NOTICES = (NoticeDispatched, NoticeDispatchedV1)
ACCEPTANCES = (TenderedOptionsAccepted, TenderedOptionsAcceptedV1)
NEW_GRANTS = (NewOptionsGranted, NewOptionsGrantedV1)


@dataclass(frozen=True, slots=True)
class OpenedList:
    """The entries of one committed list, in the list's order, or why they could not be read.

    ``complete`` is False when only some entries are known (each proven by its audit path, as
    in a one-employee evidence bundle): queries then answer for those entries alone.
    """

    committed: CommittedList
    entries: tuple[object, ...] = ()  # NoticeRecipient, AcceptedGrant or NewGrant values
    problem: str | None = None
    complete: bool = True


Lists = Mapping[CommittedList, OpenedList]


class ListUnavailable(ValueError):
    """A query needs the entries of a committed list that were not read or did not match.

    The command line reports it as a verification problem (exit 1).
    """

    def __init__(self, message: str, *, position: int, document_sha256: str) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.document_sha256 = document_sha256


def committed_lists(event: LedgerEvent) -> tuple[CommittedList, ...]:
    """The committed lists an event carries (none for every other event)."""
    if isinstance(event, NoticeDispatched):
        return () if event.recipients is None else (event.recipients,)
    if isinstance(event, TenderedOptionsAccepted | NewOptionsGranted):
        return (event.grants,)
    return ()


def _entries(lists: Lists, committed: CommittedList, position: int) -> tuple[object, ...]:
    opened = lists.get(committed)
    problem = "its entries were not read from the ledger" if opened is None else opened.problem
    if opened is None or problem is not None:
        raise ListUnavailable(
            f"the {committed.kind} list of the event at position {position} "
            f"(document {committed.document_sha256[:16]}…): {problem}",
            position=position,
            document_sha256=committed.document_sha256,
        )
    return opened.entries


def recipients(lists: Lists, position: int, event: LedgerEvent) -> tuple[str, ...]:
    """The employee ids a notice was sent to (empty: sent to a class with no list on record)."""
    if isinstance(event, NoticeDispatchedV1):
        return event.recipients
    if isinstance(event, NoticeDispatched) and event.recipients is not None:
        entries = _entries(lists, event.recipients, position)
        return tuple(e.employee_id for e in entries if isinstance(e, NoticeRecipient))
    return ()


def accepted_grants(lists: Lists, position: int, event: LedgerEvent) -> tuple[AcceptedGrant, ...]:
    """The grants an acceptance accepted and cancelled."""
    if isinstance(event, TenderedOptionsAcceptedV1):
        return event.grants
    if isinstance(event, TenderedOptionsAccepted):
        entries = _entries(lists, event.grants, position)
        return tuple(e for e in entries if isinstance(e, AcceptedGrant))
    return ()


def new_grants(lists: Lists, position: int, event: LedgerEvent) -> tuple[NewGrant, ...]:
    """The new option grants an event made."""
    if isinstance(event, NewOptionsGrantedV1):
        return event.grants
    if isinstance(event, NewOptionsGranted):
        entries = _entries(lists, event.grants, position)
        return tuple(e for e in entries if isinstance(e, NewGrant))
    return ()


__all__ = [
    "ACCEPTANCES",
    "NEW_GRANTS",
    "NOTICES",
    "ListUnavailable",
    "Lists",
    "OpenedList",
    "accepted_grants",
    "committed_lists",
    "new_grants",
    "recipients",
]
