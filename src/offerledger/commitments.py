"""The write side of committed lists: an action given its full list records only a commitment.

``record`` takes the three actions that name many employees exactly as before, with the full
list (``NoticeDispatched.recipients``, the ``grants`` of ``TenderedOptionsAccepted`` and
``NewOptionsGranted``). :func:`commit_action_list` validates every entry, commits to the list
(:func:`offerledger.disclosure.commit_entries`), derives the offer's own figures the event
carries (employees, options, per plan) and returns the source document to store in the same
save. :func:`stored_entries` reads a committed list back for a rule that needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from pydantic import BaseModel, ValidationError

from offerledger.disclosure import commit_entries, open_document
from offerledger.documents import SourceDocument
from offerledger.errors import DisclosureInvalid, InputError
from offerledger.events import LIST_ENTRIES, CommittedList, ListKind
from offerledger.input_problems import validation_problems
from offerledger.values import ENTERING

# action -> (payload field holding the list, kind of list)
LIST_FIELDS: dict[str, tuple[str, ListKind]] = {
    "NoticeDispatched": ("recipients", "notice-recipients"),
    "TenderedOptionsAccepted": ("grants", "accepted-grants"),
    "NewOptionsGranted": ("grants", "new-grants"),
}

DocumentReader = Callable[[str], SourceDocument | None]


def _entries(kind: ListKind, raw: Any, *, field: str, source: str | None) -> list[BaseModel]:
    if isinstance(raw, Mapping):
        raise InputError(
            "give the full list: the ledger commits to it and stores it as a document",
            file=source,
            field=field,
        )
    if not isinstance(raw, list | tuple):
        raise InputError("must be a JSON list", file=source, field=field)
    model = LIST_ENTRIES[kind]
    out: list[BaseModel] = []
    problems: list[tuple[str, str]] = []  # every entry's problems, reported at once
    for i, item in enumerate(raw):
        if kind == "notice-recipients" and isinstance(item, str):
            item = {"employee_id": item}
        try:
            out.append(model.model_validate(item, context={ENTERING: True}))
        except ValidationError as e:
            for path, message in validation_problems(model, e):
                where = f"{field}[{i}]" + (f".{path}" if path else "")
                problems.append((where, message))
    if len(problems) == 1:
        raise InputError(problems[0][1], file=source, field=problems[0][0])
    if problems:
        lines = [f"  field '{where}': {message}" for where, message in problems]
        head = f"{len(problems)} problems; nothing was recorded:"
        raise InputError("\n".join([head, *lines]), file=source)
    return out


class _JsonFields(Sequence[dict[str, Any]]):
    """The entries' JSON fields, each dumped when read: :func:`commit_entries` reads each entry
    twice (its sort key, then its salted bytes), and a list of every dump beside the values
    held 190 bytes an entry (95 MB for a notice to 500,000 employees)."""

    def __init__(self, entries: Sequence[BaseModel]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [e.model_dump(mode="json") for e in self._entries[i]]
        return self._entries[i].model_dump(mode="json")


def _totals(name: str, entries: Sequence[BaseModel]) -> dict[str, Any]:
    """The offer's own figures the event carries beside the commitment."""
    rows = [e.model_dump() for e in entries]
    employees = len({r["employee_id"] for r in rows})
    options = sum(int(r["options"]) for r in rows)
    if name == "NewOptionsGranted":
        return {"employees": employees, "options": options}
    plans: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        plans.setdefault(r["plan"], []).append(r)
    by_plan = [
        {
            "plan": plan,
            "employees": len({r["employee_id"] for r in group}),
            "grants": len(group),
            "options": sum(int(r["options"]) for r in group),
        }
        for plan, group in sorted(plans.items())
    ]
    return {"employees": employees, "options": options, "by_plan": by_plan}


def _same(given: Any, derived: Any) -> bool:
    """A figure given (a number may come as text from the command line) equals the derived."""
    if isinstance(derived, int):
        return str(given).strip() == str(derived)
    return bool(given == derived)


def commit_action_list(
    name: str, fields: Mapping[str, Any], *, source: str | None = None
) -> tuple[dict[str, Any], list[SourceDocument], list[BaseModel]]:
    """``fields`` with the full list replaced by its commitment and the figures derived.

    Returns (fields, documents to store in the same save, the entries as values). Actions
    without a list pass through unchanged. Figures given in ``fields`` must equal the derived
    ones.
    """
    out = dict(fields)
    if name not in LIST_FIELDS:
        return out, [], []
    field, kind = LIST_FIELDS[name]
    raw = out.get(field)
    if raw is None or (name == "NoticeDispatched" and raw == []):
        out.pop(field, None)  # a notice to a class of people with no list on record
        return out, [], []
    entries = _entries(kind, raw, field=field, source=source)
    if name != "NoticeDispatched":
        for key, value in _totals(name, entries).items():
            given = out.get(key)
            if given is not None and not _same(given, value):
                raise InputError(
                    f"is {given!r} but the list gives {value!r}",
                    file=source,
                    field=key,
                    hint="leave it out: the ledger derives it from the list",
                )
            out[key] = value
    committed, document = commit_entries(kind, _JsonFields(entries))
    out[field] = committed.model_dump(mode="json")
    return out, [document], entries


def stored_entries(read: DocumentReader, committed: CommittedList) -> list[Any]:
    """The entries of a committed list stored in the ledger, checked against the commitment.

    Raises DisclosureInvalid when the document is missing or does not match.
    """
    document = read(committed.document_sha256)
    if document is None:
        raise DisclosureInvalid(
            f"the {committed.kind} list (document {committed.document_sha256[:16]}…) is not "
            "stored in this ledger",
            document_sha256=committed.document_sha256,
            hint="run 'offerledger verify'; the event's list cannot be read without it",
        )
    model = LIST_ENTRIES[committed.kind]
    return [model.model_validate(e) for e in open_document(committed, document.content)]


def accepted_pairs(
    read: DocumentReader, committed: CommittedList | None
) -> frozenset[tuple[str, str]]:
    """(employee id, grant id) of every grant an ``accepted-grants`` list holds (None: none)."""
    if committed is None:
        return frozenset()
    return frozenset((g.employee_id, g.grant_id) for g in stored_entries(read, committed))


__all__ = [
    "LIST_FIELDS",
    "DocumentReader",
    "accepted_pairs",
    "commit_action_list",
    "stored_entries",
]
