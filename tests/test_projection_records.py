"""The read model's employee records (``codec.employee_out``) are, line by line, what orjson
writes for each record's dataclass: the acts and receipts, written from dicts of their fields
for speed, keep every field in the dataclass's order."""

from __future__ import annotations

from dataclasses import fields

import orjson

from offerledger.projections import EMPTY, fold_all
from offerledger.projections.codec import _act_fields, _default, _receipt_fields, employee_out
from offerledger.projections.employee import Act, Receipt
from test_projection_gather import _with_receipt_and_correction
from test_read_stored import reference_for_ledger


def test_records_are_the_dataclasses_as_orjson_writes_them() -> None:
    entries = _with_receipt_and_correction(reference_for_ledger().entries)
    employees = fold_all(EMPTY, entries).employees.values()
    assert any(e.acts and e.receipts and e.registrations and e.corrections for e in employees)
    for e in employees:
        lines = [orjson.dumps(["reg", r], default=_default) for r in e.registrations]
        lines += [orjson.dumps(["act", a], default=_default) for a in e.acts]
        lines += [orjson.dumps(["rcpt", r], default=_default) for r in e.receipts]
        lines += [orjson.dumps(["corr", c], default=_default) for c in e.corrections]
        assert employee_out(e) == b"".join(line + b"\n" for line in lines)


def test_the_dicts_name_every_field_in_order() -> None:
    act = fold_all(EMPTY, reference_for_ledger().entries)
    first = next(e for e in act.employees.values() if e.acts).acts[0]
    assert list(_act_fields(first)) == [f.name for f in fields(Act)]
    stamp_names = [f.name for f in fields(type(first.stamp))]
    assert list(_act_fields(first)["stamp"]) == stamp_names
    receipt = Receipt(first.stamp, "F1", "email", first.received_at)
    assert list(_receipt_fields(receipt)) == [f.name for f in fields(Receipt)]
