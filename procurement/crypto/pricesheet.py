"""The price sheet inside an envelope: one rule for the sealer (before sealing) and the opening
(after decrypting). Pure: no Django, so the command-line sealer carries it.

``{"currency": "VND", "lots": [{"lot": 1, "price": "41500000000.00"}], ...}``: a JSON object;
``lots`` a non-empty list of objects, each with its own integer ``lot`` (one of the tender's lot
numbers, each once) and ``price``, a positive decimal string with at most 16 digits before the
point and 2 after; the total below 10^18; ``currency`` the tender's. Other keys are allowed (a
note, the bidder's own references) and published with the opening record.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

PRICE_RE = re.compile(r"^[1-9]\d{0,15}(\.\d{1,2})?$|^0\.\d{1,2}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class PriceSheetError(ValueError):
    """The price sheet breaks the rule; the message names what is wrong."""


def parse(
    raw: bytes, *, currency: str | None = None, lots: set[int] | None = None
) -> tuple[dict, Decimal]:
    """The sheet and its total. ``currency`` and ``lots`` are the tender's, when known (the
    opening always knows them; a sealer may check them too)."""
    try:
        sheet = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PriceSheetError("the price sheet is not JSON") from exc
    if not isinstance(sheet, dict) or not isinstance(sheet.get("lots"), list) or not sheet["lots"]:
        raise PriceSheetError("the price sheet has no lots")
    if not isinstance(sheet.get("currency"), str) or not CURRENCY_RE.match(sheet["currency"]):
        raise PriceSheetError('the currency is not a 3-letter code such as "VND"')
    if currency is not None and sheet["currency"] != currency:
        raise PriceSheetError(f"the price is not in {currency}")
    total, seen = Decimal(0), set()
    for line in sheet["lots"]:
        lot = line.get("lot") if isinstance(line, dict) else None
        unknown = type(lot) is not int or (lot not in lots if lots is not None else lot < 1)
        if unknown or lot in seen:
            raise PriceSheetError("a price line names no lot of this tender, or one twice")
        seen.add(lot)
        price = line.get("price")
        if not isinstance(price, str) or not PRICE_RE.match(price) or Decimal(price) <= 0:
            raise PriceSheetError(
                f"lot {lot}: the price must be a positive decimal string, at most 2 decimals"
            )
        total += Decimal(price)
    if total >= Decimal(10) ** 18:
        raise PriceSheetError("the total price is out of range")
    return sheet, total
