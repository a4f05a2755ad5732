"""Every write on tenders, by topic: ``drafting`` (create, update, publish), ``amendments``,
``documents``, ``questions``; ``content`` (fields and public content), ``rules`` (the regime's
arithmetic), ``lifecycle`` (the one status change), ``custody`` (custodians and the roster),
``drafts`` (the private draft history). One transaction each, with a role check and a ledger
entry. Closing, key release, opening and cancellation read the bids and awards, so they live in
``evaluation.services``.

This package re-exports the public services, so ``from tenders import services`` reads as before.
"""

from tenders.services.amendments import (  # noqa: F401
    amend_tender,
)
from tenders.services.content import (  # noqa: F401
    AMENDABLE,
    DRAFT_FIELDS,
    check_size,
    content_sha256,
    document_hashes,
    invited_suppliers,
    public_content,
)
from tenders.services.documents import (  # noqa: F401
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    TEXT_LIMIT,
    add_document,
    inspect_upload,
    supersede_document,
)
from tenders.services.drafting import (  # noqa: F401
    create_tender,
    publish_tender,
    update_draft,
)
from tenders.services.questions import (  # noqa: F401
    answer_question,
    ask_question,
    question_commitment,
)
from tenders.services.rules import (  # noqa: F401
    amendment_deadline_floor,
    answer_deadline_floor,
    check_publishable,
    question_cutoff,
    required_preparation,
)
