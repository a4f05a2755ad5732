"""Helpers for sealed-bid tests: seal a bid for a tender exactly as a supplier would (from the
tender's published key set, verified against the custodians' identity keys)."""

from __future__ import annotations

import itertools
import json

import pytest

from bidders.sealing import seal_for
from bidders.services import registration as services
from procurement.crypto import envelope
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
    chunk: int = envelope.MIN_CHUNK,
    **options,
) -> bytes:
    price = price if price is not None else price_sheet(tender)
    return seal_for(tender, bidder, price=price, docs=docs, chunk=chunk, **options)


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
