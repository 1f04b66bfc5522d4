"""The words of the rules the timing findings cite, as data, and how far each is checked.

A citation with a ``url`` is **verbatim**: its words were compared, word for word, with the text
of the rule published at that address (shortened only with "...") and outputs print it in
quotation marks with the address. A citation without one is a **paraphrase**: it was written from
the rule's sense and could not be compared with a published text here, so outputs print it
labelled "[paraphrase, not the rule's words]" and never in quotation marks.

Checked on 2026-12-01 against 17 CFR 240.14e-1 as reproduced by Deloitte's DART
(:data:`DART_14E`; the same words are in the FDIC's copy of the rule archived in 2009,
:data:`FDIC_14E`): Rule 14e-1(a), (b) and (c). Not found in a published text that could be read
here, so paraphrases: Rule 14e-1(d) and every paragraph of Rule 13e-4 (17 CFR 240.13e-4, as
amended by Regulation M-A, Release No. 33-7760, 1999, the text in force for the 2001 reference
case; read it at https://www.ecfr.gov/current/title-17/section-240.13e-4 before relying on one).
"""

from __future__ import annotations

from offerledger.domain.timing import Citation

DART_14E = (
    "https://dart.deloitte.com/USDART/home/accounting/sec/rules-regulations/"
    "240-securities-exchange-act-1934-rules/a-rules-regulations-under-securities-exchange/"
    "240-14e-regulation-14e"
)
FDIC_14E = (
    "https://webarchive.library.unt.edu/eot2008/20090512213532/"
    "https:/www.fdic.gov/regulations/laws/rules/8000-7700.html"
)

C_14E1A = Citation(
    "no person who makes a tender offer shall: (a) Hold such tender offer open for less than "
    "twenty business days from the date such tender offer is first published or sent to "
    "security holders",
    "17 CFR 240.14e-1(a)",
    DART_14E,
)

C_13E4F1 = Citation(
    "remain open until the expiration of: (i) At least twenty business days from its "
    "commencement; and (ii) At least ten business days from the date that notice of an "
    "increase or decrease in the percentage of the class of securities being sought or the "
    "consideration offered or the dealer's soliciting fee to be given is first published, sent "
    "or given to security holders",
    "17 CFR 240.13e-4(f)(1)",
)

C_13E4E3 = Citation(
    "If a material change occurs in the information published, sent or given to security "
    "holders, the issuer or affiliate shall disseminate promptly disclosure of the change in a "
    "manner reasonably calculated to inform security holders of the change",
    "17 CFR 240.13e-4(e)(3); the offer then stays open five business days for a material "
    "change other than price or share levels and ten for a change in price or amount sought "
    "(13e-4(e)(3)(i)-(ii); Exchange Act Release No. 34-24296 (1987))",
)

C_14E1B = Citation(
    "Increase or decrease the percentage of the class of securities being sought or the "
    "consideration offered or the dealer's soliciting fee ... unless such tender offer remains "
    "open for at least ten business days from the date that notice of such increase or "
    "decrease is first published or sent or given to security holders",
    "17 CFR 240.14e-1(b)",
    DART_14E,
)

C_14E1D = Citation(
    "Fail to give notice of any extension ... by press release or other public announcement, "
    "which notice ... shall be issued no later than the earlier of: (i) 9:00 a.m. Eastern time, "
    "on the next business day after the scheduled expiration date of the offer",
    "17 CFR 240.14e-1(d)",
)

C_13E4F2 = Citation(
    "Permit securities tendered pursuant to the issuer tender offer to be withdrawn: (i) At "
    "any time during the period such issuer tender offer remains open; and (ii) If not yet "
    "accepted for payment, after the expiration of forty business days from the commencement",
    "17 CFR 240.13e-4(f)(2)",
)

C_13E4C1 = Citation(
    "All written communications made by the issuer or affiliate relating to the issuer tender "
    "offer, from and including the first public announcement, as soon as practicable on the "
    "date of the communication",
    "17 CFR 240.13e-4(c)(1)",
)

C_13E4C3 = Citation(
    "An amendment to Schedule TO reporting promptly any material changes in the information "
    "set forth in the schedule previously filed and including copies of any additional tender "
    "offer materials as exhibits",
    "17 CFR 240.13e-4(c)(3)",
)

C_14E1C = Citation(
    "Fail to pay the consideration offered or return the securities deposited by or on behalf "
    "of security holders promptly after the termination or withdrawal of a tender offer",
    "17 CFR 240.14e-1(c)",
    DART_14E,
)

C_13E4F5 = Citation(
    "The issuer or affiliate making the issuer tender offer shall either pay the consideration "
    "offered, or return the tendered securities, promptly after the termination or withdrawal "
    "of the tender offer",
    "17 CFR 240.13e-4(f)(5)",
)

C_13E4C4 = Citation(
    "A final amendment to Schedule TO reporting promptly the results of the issuer tender offer",
    "17 CFR 240.13e-4(c)(4)",
)

C_13E4F6 = Citation(
    "Until the expiration of at least ten business days after the date of termination of the "
    "issuer tender offer, neither the issuer nor any affiliate shall make any purchases of such "
    "security ... other than pursuant to the issuer tender offer",
    "17 CFR 240.13e-4(f)(6)",
)

C_13E4F8 = Citation(
    "No issuer or affiliate shall make a tender offer unless: (i) The tender offer is open to "
    "all security holders of the class of securities subject to the tender offer; and (ii) The "
    "consideration paid to any security holder ... is the highest consideration paid to any "
    "other security holder",
    "17 CFR 240.13e-4(f)(8); exempted for option exchanges by the SEC's order Issuer Exchange "
    "Offers Conducted for Compensatory Purposes (Division of Corporation Finance, March 21, 2001)",
)

# every citation above, by name (tests check each is verbatim with its source or a paraphrase)
CITATIONS = {
    name: value for name, value in sorted(globals().items()) if isinstance(value, Citation)
}

__all__ = [
    "CITATIONS",
    "DART_14E",
    "FDIC_14E",
    "C_13E4C1",
    "C_13E4C3",
    "C_13E4C4",
    "C_13E4E3",
    "C_13E4F1",
    "C_13E4F2",
    "C_13E4F5",
    "C_13E4F6",
    "C_13E4F8",
    "C_14E1A",
    "C_14E1B",
    "C_14E1C",
    "C_14E1D",
]
