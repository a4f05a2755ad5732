"""Sealing a bid on the platform's side of a test, a demo or a benchmark, exactly as a
supplier's sealer does: verify the tender's published key set against the custodians'
identity keys, then seal (EPB1). Real bids are sealed in the supplier's browser or with the
command-line sealer; the platform never seals a real bid."""

from __future__ import annotations

import io
import uuid

from procurement.crypto import envelope
from tenders.services import custody


def seal_for(
    tender,
    bidder: str,
    *,
    price: bytes,
    docs: bytes,
    k: int | None = None,
    bid: str | None = None,
    keyset: str | None = None,
    chunk: int = envelope.DEFAULT_CHUNK,
) -> bytes:
    verified = custody.verified_keyset(tender)
    out = io.BytesIO()
    envelope.seal(
        out,
        tender=tender.reference,
        keyset=keyset or verified.keyset_hash,
        bidder=bidder,
        bid=bid or str(uuid.uuid4()),
        k=k or tender.threshold,
        public_keys=verified.public_keys,
        price=price,
        docs=io.BytesIO(docs),
        docs_len=len(docs),
        chunk=chunk,
    )
    return out.getvalue()
