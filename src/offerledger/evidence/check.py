"""``verify-bundle``: the standalone verifier's checks, then every projection rebuilt.

The standalone verifier (:mod:`offerledger.offerledger_verify`) re-folds the election status;
here the offer text and the results letters are rebuilt too, with this package's projections,
from the bundle's events and entries alone, and compared with the bundle's files byte for byte.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from offerledger import offerledger_verify as standalone
from offerledger.errors import InputError, OfferLedgerError
from offerledger.events import LedgerEvent
from offerledger.evidence.select import list_field
from offerledger.evidence.views import projection_files
from offerledger.projections.catalog import QueryError
from offerledger.projections.disclosed import ListUnavailable, OpenedList
from offerledger.projections.source import open_list, proven_list
from offerledger.store import decode_stored

__all__ = ["BundleCheck", "check_bundle"]

Problem = tuple[str, str, str]  # (file, reason, detail)


@dataclass(frozen=True, slots=True)
class BundleCheck:
    problems: list[Problem]
    events: int
    root_key_id: str | None
    employee: str | None
    trusted: bool  # the root key was given (--trust), not taken from the bundle

    @property
    def ok(self) -> bool:
        return not self.problems


def check_bundle(
    path: Path, *, trust: str | None, witnesses: Sequence[str] = (), **limits: int
) -> BundleCheck:
    """Every check; InputError (exit 2) when ``path`` is no bundle the verifier can read, or is
    over a limit (``limits``: max_bytes, max_events; the standalone verifier's defaults)."""
    try:
        verifier = standalone.verify_bundle(str(path), trust, tuple(witnesses), **limits)
    except standalone.Unusable as e:
        if ", over the limit --max-" in str(e):  # (standalone: Verifier.within)
            raise InputError(
                f"refused before it was read: {e}",
                file=path,
                hint="if the bundle is genuine, raise the limit with the option named",
            ) from None
        raise InputError(f"not an evidence bundle this tool can read: {e}", file=path) from None
    problems: list[Problem] = list(verifier.problems)
    problems += [p for p in _rebuilt(verifier) if p not in problems]
    return BundleCheck(
        problems, len(verifier.events), verifier.root_key_id, verifier.employee, trust is not None
    )


def _rebuilt(verifier: Any) -> list[Problem]:
    """Problems of the projection files against those rebuilt from the bundle's events."""
    events: list[tuple[int, LedgerEvent]] = []
    for e in verifier.events:
        try:
            events.append((e.position, decode_stored(e.topic, e.state)))
        except (OfferLedgerError, ValueError):
            pass  # undecodable: the verifier has named it, or it fails the schema below
    try:
        expected = projection_files(
            events,
            _lists(verifier, events),
            offer_id=uuid.UUID(verifier.index["offer"]["id"]),
            employee=verifier.employee,
            as_of=date.fromisoformat(verifier.index["as_of"]) if verifier.index["as_of"] else None,
        )
    except (QueryError, ListUnavailable, KeyError, TypeError, ValueError) as e:
        why = getattr(e, "message", None) or repr(e)
        return [("projections/", "projection-mismatch", f"the events do not rebuild them: {why}")]
    shown = {n: b for n, b in verifier.files.items() if n.startswith("projections/")}
    problems = []
    for name in sorted(set(expected) | set(shown)):
        if name not in shown:
            problems.append(
                (name, "projection-mismatch", "the events give it; the bundle lacks it")
            )
        elif name not in expected:
            problems.append((name, "projection-mismatch", "the events give no such projection"))
        elif shown[name] != expected[name]:
            problems.append((name, "projection-mismatch", "differs from the one the events give"))
    return problems


def _lists(verifier: Any, events: list[tuple[int, LedgerEvent]]) -> dict[Any, OpenedList]:
    """Each committed list the events carry: whole from its document, or (a one-employee
    bundle) the proven entries of the bundle's entries/ files."""
    proofs: dict[tuple[int, str], list[tuple[bytes, int, list[str]]]] = {}
    for name, content in verifier.files.items():
        if name.startswith("entries/"):
            try:
                p = json.loads(content)
                key = (p["position"], p["field"])
                proofs.setdefault(key, []).append((p["entry"].encode(), p["index"], p["path"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # the verifier names it undecodable

    def read(sha256: str) -> bytes | None:
        content: bytes | None = verifier.files.get(f"documents/{sha256}")
        return content

    lists: dict[Any, OpenedList] = {}
    for position, event in events:
        for field, committed in list_field(event).items():
            if verifier.employee is None:
                lists[committed] = open_list(committed, read)
            else:
                lists[committed] = proven_list(committed, proofs.get((position, field), []))
    return lists
