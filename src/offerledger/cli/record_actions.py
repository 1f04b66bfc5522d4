"""Each ``record`` action's one-sentence description, kept here so that ``offerledger record
--help`` lists the actions without importing the event models (cli/record.py).

Generated from the models (:func:`offerledger.cli.record.summary` of each class of
:func:`offerledger.recording.action_classes`); tests/test_cli_habits.py checks that it equals
them and prints the table to paste here when an action is added or its docstring changes.
"""

from __future__ import annotations

# action -> the first sentence of its event class
ACTIONS: dict[str, str] = {
    "condition-asserted": (
        "The issuer invokes one of the offer's conditions (the offer may then be terminated)."
    ),
    "condition-waived": "One condition waived; a waiver never waives another condition.",
    "correction-recorded": (
        "A correction supersedes an earlier event of the same stream; the original stays on record."
    ),
    "cross-check-recorded": (
        "What one cross-check made at ingest found, saved with the filing it was made on."
    ),
    "document-amended": (
        "An amendment's changes to the offer document's text (sections, paragraphs, sentences "
        "replaced, inserted or deleted), in the filing's order."
    ),
    "election-changed": (
        "A later form changes the employee's election; it replaces the choices before it."
    ),
    "election-receipt-confirmed": (
        "The issuer confirms to the employee that their election form was received."
    ),
    "election-refused": (
        "A form received and refused (late, or before commencement): the refusal on record."
    ),
    "election-submitted": (
        "An employee's election form tenders grants for exchange (or keeps them)."
    ),
    "election-withdrawn": (
        "Tendered grants withdrawn; an empty grant_ids withdraws every tendered grant."
    ),
    "eligible-grants-registered": (
        "One employee's eligible grants, as the issuer registers them for the offer."
    ),
    "expiration-extended": (
        "The issuer extends the offer to a later expiration (before the current one passes)."
    ),
    "filing-recorded": (
        "A Schedule TO filing (TO-C, TO-I, TO-I/A, final amendment) in its own stream."
    ),
    "new-options-granted": (
        "The new options granted under the offer's terms for the options accepted and cancelled."
    ),
    "notice-dispatched": "A notice sent to employees (amendment notice, reminder, results letter).",
    "offer-commenced": "The offer opens (the Schedule TO-I's date) with its scheduled expiration.",
    "offer-document-registered": (
        "The offer's document (the Offer to Exchange) registered as sections, paragraphs and "
        "sentences with stable ids."
    ),
    "offer-expired": (
        "The offer expires at its expiration in force; elections are closed from then on."
    ),
    "offer-terminated": (
        "The issuer terminates the offer before accepting any options; nothing is exchanged."
    ),
    "tendered-options-accepted": (
        "After the offer expires, the issuer accepts the tendered options and cancels them."
    ),
    "terms-changed": (
        "A change in the consideration offered, the percentage sought or the dealer's fee."
    ),
}

__all__ = ["ACTIONS"]
