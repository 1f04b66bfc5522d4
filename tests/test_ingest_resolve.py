"""Each instruction form of docs/amendments.md: read by the grammar, resolved against a document."""

from __future__ import annotations

import pytest

from offerledger.events import apply_operations, inserted_paragraph_id, split_sentences
from offerledger.ingest import GrammarError, UnparsedInstructions, parse_filing, parse_head, resolve
from offerledger.ingest.model import ParsedFiling
from offerledger.values import (
    AmendScheduleItem,
    DeleteParagraph,
    DeleteSentence,
    IncorporateExhibit,
    InsertParagraphAfter,
    InsertSentence,
    ReplaceParagraph,
    ReplaceSection,
    ReplaceSentence,
    UnresolvedInstruction,
)
from test_ingest_support import known_document, reference_bytes, reference_document

HEAD = "SCHEDULE TO\n(Amendment No. 3)\n\nThis Amendment No. 3 amends the Schedule TO.\n\n"


def amendment(body: str) -> ParsedFiling:
    return parse_filing((HEAD + body).encode(), name="amend.txt")


def ops_for(body: str, doc=None, **kw):  # type: ignore[no-untyped-def]
    doc = doc or known_document()
    resolved = resolve(amendment(body), {doc.id: doc}, **kw)
    return resolved.operations


def test_reference_filing_gives_the_demo_operations() -> None:
    parsed = parse_filing(reference_bytes(), name="amendment-2.txt")
    doc = reference_document()
    resolved = resolve(parsed, {doc.id: doc})
    ((doc_id, ops),) = resolved.groups
    a, b, c, d = ops
    assert doc_id == "offer-to-exchange"
    assert isinstance(a, ReplaceParagraph) and (a.section_id, a.paragraph_id) == ("s7", "s7-last")
    assert a.new.id == "s7-last" and a.new.sentences == split_sentences(
        parsed.instructions[0].payload[0].text
    )
    assert a.locator == (
        'The last paragraph in "Section 7. Conditions of the Offer" on page 27 '
        "of Exhibit (a)(1) to the Tender Offer Statement"
    )
    assert isinstance(b, ReplaceSentence) and (b.section_id, b.paragraph_id, b.index) == (
        "s17",
        "s17-p1",
        0,
    )
    assert isinstance(c, InsertParagraphAfter) and c.after_id == "s17-p1"
    assert c.new.id == inserted_paragraph_id(filing=parsed.stream_name, label="C", index=2)
    assert isinstance(d, IncorporateExhibit) and (d.exhibit, d.title) == (
        "(a)(11)",
        "Notice of Amendment to Offer to Exchange dated September 13, 2001",
    )
    new_doc, _ = apply_operations(doc, ops)
    s17 = [p for p in new_doc.parts if p.id == "s17"][0]
    assert [blk.id for blk in s17.blocks] == ["s17-p1", c.new.id, "s17-rest"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "ordinal,target",
    [
        ("first", "s3-p1"),
        ("second", "s3-p2"),
        ("fourth", "s3-p4"),
        ("last", "s3-p4"),
        ("final", "s3-p4"),
        ("penultimate", "s3-p3"),
        ("3rd", "s3-p3"),
    ],
)
def test_ordinal_paragraph_replaced(ordinal: str, target: str) -> None:
    (op,) = ops_for(
        f"A. The {ordinal} paragraph of Section 3 of the Offer to Exchange is hereby "
        'amended and restated to read as follows:\n\n"New text. Second."\n'
    )
    assert isinstance(op, ReplaceParagraph) and op.paragraph_id == target
    assert op.new.sentences == ("New text.", "Second.")


def test_headings_do_not_count_as_paragraphs() -> None:
    (op,) = ops_for(
        'A. The first paragraph in "Section 3. Procedures" has been deleted in its '
        'entirety and has been replaced with the following:\n\n"X."\n'
    )
    assert op.paragraph_id == "s3-p1"  # type: ignore[union-attr]


def test_sentence_targets() -> None:
    (op,) = ops_for(
        "A. The second sentence of the third paragraph of Section 3 is replaced with "
        'the following:\n\n"Changed."\n'
    )
    assert isinstance(op, ReplaceSentence) and (op.paragraph_id, op.index) == ("s3-p3", 1)
    (op,) = ops_for("A. The last sentence of the first paragraph of Section 3 is hereby deleted.\n")
    assert isinstance(op, DeleteSentence) and (op.paragraph_id, op.index) == ("s3-p1", 1)


def test_several_bullet_points_in_one_instruction() -> None:
    ops = ops_for(
        "A. The fifth, ninth and tenth bullet points in Section 7 are amended and "
        'restated as follows:\n\n"\u2022 Five."\n\n"\u2022 Nine."\n\n"\u2022 Ten."\n'
    )
    assert [(o.paragraph_id, o.new.style, o.new.sentences) for o in ops] == [  # type: ignore[union-attr]
        ("b5", "bullet", ("Five.",)),
        ("b9", "bullet", ("Nine.",)),
        ("b10", "bullet", ("Ten.",)),
    ]


def test_bullet_count_must_match_passages() -> None:
    with pytest.raises(UnparsedInstructions, match="3 targets but 1 replacement passages"):
        ops_for(
            "A. The fifth, ninth and tenth bullet points in Section 7 are amended and "
            'restated as follows:\n\n"\u2022 Five."\n'
        )


def test_section_amended_in_its_entirety() -> None:
    (op,) = ops_for(
        'A. Section 3 ("Procedures") of the Offer to Exchange is hereby amended in its '
        'entirety to read as follows:\n\n"3. Procedures for Electing."\n\n"New one."'
        '\n\n"New two. Three."\n'
    )
    assert isinstance(op, ReplaceSection) and op.section_id == "s3"
    assert op.new.title == "Procedures for Electing"
    assert [b.sentences for b in op.new.blocks] == [("New one.",), ("New two.", "Three.")]  # type: ignore[union-attr]


def test_insert_between_two_paragraphs_and_after() -> None:
    (op,) = ops_for(
        'A. The section of the Offer to Exchange captioned "Procedures" is hereby '
        "amended by adding the following paragraph between the second and third "
        'paragraphs thereof:\n\n"Inserted."\n'
    )
    assert isinstance(op, InsertParagraphAfter) and op.after_id == "s3-p2"
    ops = ops_for(
        "A. The following paragraphs have been inserted immediately after the last "
        'paragraph of Section 3:\n\n"One."\n\n"Two."\n'
    )
    assert [type(o) for o in ops] == [InsertParagraphAfter, InsertParagraphAfter]
    assert ops[1].after_id == ops[0].new.id  # type: ignore[union-attr]


def test_insert_before_a_paragraph() -> None:
    (op,) = ops_for(
        "A. The following paragraph is inserted immediately before the second "
        'paragraph of Section 3:\n\n"Before two."\n'
    )
    assert isinstance(op, InsertParagraphAfter) and op.after_id == "s3-p1"


def test_sentence_added_at_the_end_of_a_paragraph() -> None:
    ops = ops_for(
        'A. The information set forth in the Offer to Exchange under "Introduction" '
        "and Items 1 through 9 and Item 11 of this Schedule TO, to the extent such "
        "Items incorporate by reference such information, is hereby amended and "
        "supplemented by adding the following sentence to the end of the first "
        'paragraph under "Introduction" of the Offer to Exchange:\n\n"Added. Two."\n'
    )
    assert [(type(o), o.paragraph_id, o.index) for o in ops] == [  # type: ignore[union-attr]
        (InsertSentence, "i1", 1),
        (InsertSentence, "i1", 2),
    ]


def test_schedule_item_supplemented() -> None:
    (op,) = ops_for(
        "Item 4. Terms of the Transaction.\n\nItem 4(a) of the Schedule TO is hereby "
        "amended and supplemented to add the following sentence:\n\n"
        '"The offer expired at 11:59 p.m. on September 27, 2001."\n'
    )
    assert isinstance(op, AmendScheduleItem)
    assert (op.item, op.mode, op.text) == (
        "4(a)",
        "supplement",
        ("The offer expired at 11:59 p.m. on September 27, 2001.",),
    )


def test_exhibits_added_to_item_12() -> None:
    ops = ops_for(
        "Item 12. Exhibits.\n\nItem 12 of the Schedule TO is hereby amended and "
        "supplemented by adding the following exhibits:\n\n(a)(1)(G) Form of "
        "Reminder E-mail.\n\n(a)(1)(H) Press Release dated May 1, 2009.\n"
    )
    assert [(o.exhibit, o.title) for o in ops] == [  # type: ignore[union-attr]
        ("(a)(1)(G)", "Form of Reminder E-mail"),
        ("(a)(1)(H)", "Press Release dated May 1, 2009"),
    ]


def test_paragraph_deleted() -> None:
    (op,) = ops_for("A. The second paragraph of Section 3 has been deleted in its entirety.\n")
    assert isinstance(op, DeleteParagraph) and op.paragraph_id == "s3-p2"


@pytest.mark.parametrize(
    "body,reason",
    [
        (
            'A. The first paragraph in "Section 7. Conditions of the Offer" is replaced with the '
            'following:\n\n"X."\n',
            "not on file",
        ),
        (
            'A. The second sentence of the first paragraph in "Section 17. Forward Looking '
            'Statements; Miscellaneous" is replaced with the following:\n\n"X."\n',
            "cannot be counted",
        ),
        (
            'A. The last paragraph in "Section 7. Conditions of Offer" is replaced with the '
            'following:\n\n"X."\n',
            "is titled 'Conditions of the Offer' in the document",
        ),
        (
            'A. The last paragraph of Section 9 is replaced with the following:\n\n"X."\n',
            "has no Section 9 on record",
        ),
    ],
)
def test_unknowable_targets_are_refused_never_guessed(body: str, reason: str) -> None:
    doc = reference_document()
    with pytest.raises(UnparsedInstructions, match=reason) as err:
        ops_for(body, doc)
    (item,) = err.value.items
    assert (item.label, item.first_line) == ("A", 6)
    assert "lines 6-8: instruction A" in err.value.message


def test_allow_unparsed_keeps_the_raw_instruction() -> None:
    body = "A. We have decided to clarify the Offer in several respects, as described below.\n"
    (op,) = ops_for(body, allow_unparsed=True)
    assert isinstance(op, UnresolvedInstruction)
    assert (op.first_line, op.last_line, op.label) == (6, 6, "A")
    assert op.text.startswith("We have decided to clarify")


def test_bullets_among_paragraphs_make_paragraph_counts_ambiguous() -> None:
    with pytest.raises(UnparsedInstructions, match="bullet points stand among the paragraphs"):
        ops_for('A. The last paragraph of Section 7 is replaced with the following:\n\n"X."\n')


@pytest.mark.parametrize(
    "head,reason",
    [
        ("On page i, the first paragraph of this section is restated as follows", "this section"),
        ("The Offer is good for everyone", "no action of the grammar"),
        (
            "The following paragraph is added between the second and fourth paragraphs of "
            "Section 3",
            "not neighbours",
        ),
    ],
)
def test_grammar_refusals(head: str, reason: str) -> None:
    with pytest.raises(GrammarError, match=reason):
        parse_head(head)
