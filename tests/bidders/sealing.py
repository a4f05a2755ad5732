"""Helpers for sealed-bid tests: seal a bid for a tender exactly as a supplier would (from the
tender's published key set, verified against the custodians' identity keys)."""

from __future__ import annotations

import base64
import io
import itertools
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bidders import services
from procurement.crypto import envelope, keystatement
from tenders import custody
from tests.conftest import PASSWORD

MARKER = b"MINHBACH-PLAINTEXT-MARKER-7f3a"


def price_sheet(tender, price: str = "41500000000.00") -> bytes:
    return json.dumps(
        {"currency": tender.currency, "lots": [{"lot": 1, "price": price}], "note": MARKER.decode()}
    ).encode()


def seal_bid(
    tender,
    bidder: str,
    *,
    price: bytes | None = None,
    docs: bytes = b"HO SO KY THUAT " + MARKER,
    k: int | None = None,
    bid: str | None = None,
    keyset: str | None = None,
    chunk: int = envelope.MIN_CHUNK,
) -> bytes:
    seats = list(tender.roster.select_related("custodian").order_by("index"))
    verified = keystatement.verify_keyset(
        [s.signed for s in seats],
        identities={
            s.custodian.code: Ed25519PublicKey.from_public_bytes(
                base64.b64decode(s.custodian.public_key)
            )
            for s in seats
        },
        tender=tender.reference,
        deadline=custody.iso(tender.submission_deadline),
        n=len(seats),
    )
    out = io.BytesIO()
    envelope.seal(
        out,
        tender=tender.reference,
        keyset=keyset or verified.keyset_hash,
        bidder=bidder,
        bid=bid or str(uuid.uuid4()),
        k=k or tender.threshold,
        public_keys=verified.public_keys,
        price=price if price is not None else price_sheet(tender),
        docs=io.BytesIO(docs),
        docs_len=len(docs),
        chunk=chunk,
    )
    return out.getvalue()


_n = itertools.count(1)


@pytest.fixture
def make_bidder():
    """An approved supplier and its representative (registered and reviewed as in life)."""

    def make():
        n = next(_n)
        profile = services.register_supplier(
            name_vi=f"Công ty Xây dựng {n}",
            name_en=f"Construction Company {n}",
            tax_code=f"03{n:08d}",
            province="Hà Nội",
            address="1 Tràng Tiền",
            contact_name="Lê Văn Bình",
            contact_email=f"binh{n}@example.vn",
            classifications=[],
            username=f"bidder{n}",
            password=PASSWORD,
        )
        services.approve_supplier(profile, actor=None, note="ok")
        return profile.registered_by, profile.organisation

    return make
