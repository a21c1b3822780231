"""The contract's own rules about Amili-bound data: what an event may ask for and what a fact may say.

These are promises the contract makes to producers and consumers (they appear in the exported JSON
Schemas), so they live here, in the distribution a producer installs alone. The fleet's client imports
them from here too (`workers.amili.assumptions` re-exports them): it assumes Amili accepts whatever the
contract lets through. Where Amili documents the rule, the reference section is named; where it does
not, the value is the contract's choice, and the sandbox's own reading may differ (docs/sandbox.md).
"""

from __future__ import annotations

from typing import Final, Literal

#: Longest postponement a respite may ask for, counted from the event time. Amili documents no limit
#: (reference 4.10 / 7.2 item 6); 90 days is common practice for a creditor-granted respite.
MAX_RESPITE_DAYS: Final = 90

#: Content types a document may have: Amili's documented default for media uploads (reference 3, "Document").
MEDIA_CONTENT_TYPES: Final[tuple[str, ...]] = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
)
#: Largest document the contract carries (by URL; inline documents are smaller still). Amili documents
#: no size limit (reference 4.3: "field-specific limits may apply"); 10 MiB holds any invoice PDF.
MEDIA_MAX_BYTES: Final = 10 * 1024 * 1024

#: Why a case closed, as a `CaseClosed` fact says it. Amili's own structure and values are not documented
#: (reference 5, 7.2 item 8); these are the outcomes the reference names: paid, written off, bankruptcy,
#: cancelled (withdrawn), credited.
ClosureReason = Literal["paid", "written_off", "bankruptcy", "cancelled", "credited"]
CLOSURE_REASONS: Final[tuple[str, ...]] = ("paid", "written_off", "bankruptcy", "cancelled", "credited")
