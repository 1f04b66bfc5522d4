"""What a worker sends back for a chunk of examined rows: columns, not a tuple per row.

A list of :class:`~.examine.Examined` pickles as one named tuple, a datetime or two and a
:class:`~.examine.SaveFacts` per row (≈ 490 bytes an event, and a constructor call for each
when the main process unpickles it). :func:`pack` turns a chunk's results into one
:class:`ExaminedChunk` of plain columns instead: the leaf hashes concatenated, strings and
integers in lists, the recorded time as its ISO text, each save's facts once, and what few rows
have (problems, key facts, cites, corrections, a floor their recorded time does not meet) only
for those rows. :func:`unpack` gives the same ``Examined`` back, in order, for the judge.

A floor is kept only when the recorded time precedes it (:func:`recorded_problems` names it):
the judge uses a row's floor for that check alone, so any other floor changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from itertools import repeat
from typing import Any, NamedTuple

from offerledger.events import recorded_problems
from offerledger.integrity.examine import Examined, KeyFact, SaveFacts, StoredRow, examine_chunk

__all__ = ["ExaminedChunk", "examine_packed", "pack", "unpack"]

_Rare = tuple[
    tuple[tuple[str, str], ...],  # problems
    KeyFact | None,
    tuple[str, ...],  # cites
    tuple[datetime, str] | None,  # floor, when the recorded time precedes it
    tuple[int, str, tuple[tuple[str, str], ...]] | None,  # correction
]


class ExaminedChunk(NamedTuple):
    """The examined rows of one chunk, in columns (row ``k`` is at log position first + k)."""

    first: int
    leaves: bytes  # 32 bytes a row
    streams: list[str | None]
    versions: list[int | None]
    digests: list[str]
    key_ids: list[str | None]
    actions: list[str]
    actors: list[str | None]
    recorded: list[str | None]  # the ISO text of the recorded time (None: none parses)
    prevs: list[str | None]
    signatures: list[str]
    saves: list[int]  # index in save_facts; -1: the row names no readable save
    ats: list[int]  # the row's index in its save (0 when it names none)
    save_facts: list[tuple[int, bytes, int, bytes]]  # (log_size, log_root, size, signature)
    rare: dict[int, _Rare]  # by row: what most rows do not have
    signatures_checked: int


def pack(results: list[Examined], signatures_checked: int) -> ExaminedChunk:
    """The columns of consecutive ``results`` (what :func:`unpack` turns back into them)."""
    first = results[0].position if results else 0
    save_index: dict[tuple[int, bytes, int, bytes], int] = {}
    saves: list[int] = []
    ats: list[int] = []
    rare: dict[int, _Rare] = {}
    recorded: list[str | None] = []
    for k, e in enumerate(results):
        facts = e.save
        if facts is None:
            saves.append(-1)
            ats.append(0)
        else:
            key = (facts.log_size, facts.log_root, facts.size, facts.signature)
            saves.append(save_index.setdefault(key, len(save_index)))
            ats.append(facts.at)
        floor = e.floor
        if floor is not None and (
            e.recorded is None or not recorded_problems(e.recorded, floor, None)
        ):
            floor = None  # met, or never compared: the judge makes nothing of it
        if e.problems or e.key_fact is not None or e.cites or floor is not None or e.correction:
            rare[k] = (e.problems, e.key_fact, e.cites, floor, e.correction)
        recorded.append(None if e.recorded is None else e.recorded.isoformat())
    seen: dict[Any, Any] = {}
    same = seen.setdefault  # one object per distinct key id, actor...: pickled once a chunk
    return ExaminedChunk(
        first,
        b"".join(e.leaf for e in results),
        [e.stream for e in results],
        [e.version for e in results],
        [e.envelope_hash for e in results],
        [same(e.key_id, e.key_id) for e in results],
        [same(e.action, e.action) for e in results],
        [same(e.actor, e.actor) for e in results],
        recorded,
        [e.prev for e in results],
        [same(e.signature, e.signature) for e in results],
        saves,
        ats,
        list(save_index),
        rare,
        signatures_checked,
    )


def examine_packed(rows: list[StoredRow]) -> ExaminedChunk:
    """In a worker: :func:`~.examine.examine_chunk`, packed to send back."""
    return pack(*examine_chunk(rows))


def unpack(chunk: ExaminedChunk) -> list[Examined]:
    """The chunk's rows as :class:`Examined`, in log order (built column by column)."""
    parse = datetime.fromisoformat
    n = len(chunk.streams)
    leaves = chunk.leaves
    facts = chunk.save_facts
    firsts = [SaveFacts(log_size, root, 0, size, sig) for log_size, root, size, sig in facts]
    saves = [  # a save's first event (most are, where every save has one) shares its facts
        None
        if s < 0
        else SaveFacts(facts[s][0], facts[s][1], at, facts[s][2], facts[s][3])
        if at
        else firsts[s]
        for s, at in zip(chunk.saves, chunk.ats, strict=True)
    ]
    rows = list(
        map(
            Examined._make,
            zip(
                range(chunk.first, chunk.first + n),
                chunk.streams,
                chunk.versions,
                chunk.digests,
                [leaves[k : k + 32] for k in range(0, 32 * n, 32)],
                chunk.key_ids,
                chunk.actions,
                chunk.actors,
                [None if r is None else parse(r) for r in chunk.recorded],
                chunk.prevs,
                repeat(None),  # key_fact
                repeat(()),  # problems
                chunk.signatures,
                saves,
                repeat(()),  # cites
                repeat(None),  # floor
                repeat(None),  # correction
            ),
        )
    )
    for k, (problems, key_fact, cites, floor, correction) in chunk.rare.items():
        rows[k] = rows[k]._replace(
            problems=problems, key_fact=key_fact, cites=cites, floor=floor, correction=correction
        )
    return rows
