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
from itertools import islice, repeat
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
    if not results:
        return ExaminedChunk(
            0, b"", [], [], [], [], [], [], [], [], [], [], [], [], {}, signatures_checked
        )
    columns = zip(*results, strict=True)  # the transpose: one tuple per field
    positions, streams, versions, digests, leaves, key_ids, actions, actors = islice(columns, 8)
    recorded, prevs, key_facts, problems, signatures, saves, cites, floors = islice(columns, 8)
    (corrections,) = columns
    save_index: dict[tuple[int, bytes, int, bytes], int] = {}
    number = save_index.setdefault
    rare: dict[int, _Rare] = {}
    for k, (why, fact, cited, floor, corrected) in enumerate(
        zip(problems, key_facts, cites, floors, corrections, strict=True)
    ):
        if floor is not None:
            at = recorded[k]
            if at is None or not recorded_problems(at, floor, None):
                floor = None  # met, or never compared: the judge makes nothing of it
        if why or fact is not None or cited or floor is not None or corrected is not None:
            rare[k] = (why, fact, cited, floor, corrected)
    seen: dict[Any, Any] = {}
    same = seen.setdefault  # one object per distinct key id, actor...: pickled once a chunk
    return ExaminedChunk(
        positions[0],
        b"".join(leaves),
        list(streams),
        list(versions),
        list(digests),
        [same(k, k) for k in key_ids],
        [same(a, a) for a in actions],
        [same(a, a) for a in actors],
        [None if r is None else r.isoformat() for r in recorded],
        list(prevs),
        [same(s, s) for s in signatures],
        [
            -1
            if f is None
            else number((f.log_size, f.log_root, f.size, f.signature), len(save_index))
            for f in saves
        ],
        [0 if f is None else f.at for f in saves],
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
