"""The last guard of a one-employee bundle: no file may name another employee.

Searched for in every file's bytes: each other employee's id and name, as whole words (not
inside a longer run of letters and digits, so a base64 signature that happens to contain
``E12`` is no match; a name also JSON-escaped), and the id of their employee stream, dashed
and as 32 hex digits (uuid5 of ``employee:<offer>:<id>``). A file's runs of letters and digits
are collected once, so an identifier is searched for only when all its words occur: the check
stays fast with a hundred thousand employees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from offerledger.evidence.select import Employee

__all__ = ["find_others"]

_WORD = re.compile(rb"[A-Za-z0-9]+")


def _needles(others: Iterable[Employee]) -> list[tuple[str, bytes]]:
    found = []
    for other in others:
        forms = {other.employee_id, other.name, json.dumps(other.name)[1:-1]}
        forms |= {str(other.stream), other.stream.hex}
        found += [(other.employee_id, form.encode()) for form in sorted(forms) if form]
    return found


def find_others(files: Mapping[str, bytes], others: Iterable[Employee]) -> list[tuple[str, str]]:
    """(file, employee id) for every file that names one of ``others``."""
    needles = [(who, needle, _WORD.findall(needle)) for who, needle in _needles(others)]
    hits = []
    for name, content in sorted(files.items()):
        words = set(_WORD.findall(content))
        for who, needle, parts in needles:
            if parts and all(p in words for p in parts):
                exact = rb"(?<![A-Za-z0-9])" + re.escape(needle) + rb"(?![A-Za-z0-9])"
                if re.search(exact, content):
                    hits.append((name, who))
    return sorted(set(hits))
