"""The scoring engine: a pure, versioned function from (bids, examination results, method and
its declared parameters) to scores and a ranking. No database, no clock, no randomness: anyone
can re-run it on the published inputs and must get the same output.

Formulas (procurement-rules.md §2):
  - lowest price / evaluated price: rank by price ascending;
  - price score, proportional:  S = max × P_min / P_i;
  - price score, linear:        S = max × (P_max − P_i) / (P_max − P_min)  (all equal: max);
  - combined:  total = w_price × S_price + (1 − w_price) × T_i, on a 0–100 scale;
  - technical only: rank by T_i descending.
A technical pass mark is applied first, and P_min / P_max are taken among the bids that passed
only. Scores are rounded half-up to the declared number of decimals before ranking, so two bids
tie exactly when their rounded scores are equal; the declared tie-break chain then decides, and
the result says which comparator did.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ENGINE_VERSION = "minhbach-scoring-1"
METHODS = ("lowest_price", "evaluated_price", "combined", "technical")
PRICE_FORMULAS = ("proportional", "linear")
# Comparators a tie-break chain may use, each "better first". Vietnam (D214 Art. 140(18)) in
# this order; the last one (earlier submission, by ledger index) always separates two bids.
TIE_BREAKERS = {
    "women_owned_sme": lambda b: not b.facts.get("women_owned_sme", False),
    "higher_technical": lambda b: -(b.technical or Decimal(0)),
    "lower_price": lambda b: b.price,
    "local_head_office": lambda b: not b.facts.get("local_head_office", False),
    "disabled_employees": lambda b: -int(b.facts.get("disabled_employees", 0)),
    "ethnic_minority_employees": lambda b: -int(b.facts.get("ethnic_minority_employees", 0)),
    "female_employees": lambda b: -int(b.facts.get("female_employees", 0)),
    "earlier_submission": lambda b: b.seq,
}
VN_TIE_BREAK = (
    "women_owned_sme", "higher_technical", "local_head_office", "disabled_employees",
    "ethnic_minority_employees", "female_employees", "earlier_submission",
)  # fmt: skip


class ScoringError(ValueError):
    """Inputs the engine cannot score (a method or parameter outside its definition)."""


@dataclass(frozen=True)
class BidInput:
    bid: str
    seq: int  # the bid's ledger index: the final, always-deciding tie-break
    price: Decimal  # evaluated price, after declared corrections and adjustments
    passed: bool = True  # the pass/fail examination
    technical: Decimal | None = None  # mean technical score, 0–100
    facts: dict = field(default_factory=dict)  # tie-break facts (women-owned SME, …)


@dataclass(frozen=True)
class Method:
    kind: str = "lowest_price"
    price_formula: str = "proportional"
    price_weight: int = 100  # percent, for "combined"
    pass_mark: Decimal = Decimal(0)  # technical, 0–100
    max_points: Decimal = Decimal(100)
    decimals: int = 2
    tie_break: tuple[str, ...] = VN_TIE_BREAK

    def check(self) -> None:
        if self.kind not in METHODS:
            raise ScoringError(f"unknown method {self.kind!r}")
        if self.price_formula not in PRICE_FORMULAS:
            raise ScoringError(f"unknown price formula {self.price_formula!r}")
        if not 0 <= self.price_weight <= 100:
            raise ScoringError("the price weight is a percentage")
        if not 0 <= self.decimals <= 6:
            raise ScoringError("between 0 and 6 decimals")
        unknown = [t for t in self.tie_break if t not in TIE_BREAKERS]
        if unknown:
            raise ScoringError(f"unknown tie-break comparators {unknown}")


@dataclass(frozen=True)
class Scored:
    bid: str
    responsive: bool
    reason: str
    price_score: Decimal | None
    total: Decimal | None
    rank: int | None
    tie_resolved_by: str | None


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def price_scores(prices: list[Decimal], formula: str, max_points: Decimal) -> list[Decimal]:
    """Unrounded price scores of the responsive bids' prices."""
    if any(p <= 0 for p in prices):
        raise ScoringError("prices must be positive")
    low, high = min(prices), max(prices)
    if formula == "proportional":
        return [max_points * low / p for p in prices]
    if high == low:
        return [max_points for _ in prices]
    return [max_points * (high - p) / (high - low) for p in prices]


def score(bids: list[BidInput], method: Method) -> list[Scored]:
    """Score and rank. The output is in rank order (responsive bids first), the same for any
    order of the input."""
    method.check()
    if len({b.bid for b in bids}) != len(bids) or len({b.seq for b in bids}) != len(bids):
        raise ScoringError("bid ids and ledger indices must be unique")
    uses_technical = method.kind in ("combined", "technical")
    responsive, results = [], {}
    for b in bids:
        if not b.passed:
            results[b.bid] = ("failed the examination", None, None)
        elif uses_technical and (b.technical is None or b.technical < method.pass_mark):
            results[b.bid] = ("below the technical pass mark", None, None)
        else:
            responsive.append(b)
    if responsive:
        prices = price_scores([b.price for b in responsive], method.price_formula,
                              method.max_points)  # fmt: skip
        weight = Decimal(method.price_weight) / 100
        for b, s in zip(responsive, prices, strict=True):
            if method.kind in ("lowest_price", "evaluated_price"):
                total = b.price
            elif method.kind == "technical":
                total = b.technical
            else:
                total = weight * s + (1 - weight) * b.technical
            results[b.bid] = ("", _round(s, method.decimals), _round(total, method.decimals))
    ascending = method.kind in ("lowest_price", "evaluated_price")

    def primary(b: BidInput):
        total = results[b.bid][2]
        return total if ascending else -total

    chain = [*method.tie_break, "earlier_submission"]
    ordered = sorted(
        responsive,
        key=lambda b: (primary(b), *(TIE_BREAKERS[name](b) for name in chain)),
    )
    groups: dict = {}
    for b in ordered:
        groups.setdefault(primary(b), []).append(b)
    deciders = {  # tied on the score: the first comparator that tells the group apart
        key: next(name for name in chain if len({TIE_BREAKERS[name](o) for o in group}) > 1)
        for key, group in groups.items()
        if len(group) > 1
    }
    out: list[Scored] = []
    for rank, b in enumerate(ordered, start=1):
        resolved = deciders.get(primary(b))
        reason, price_score, total = results[b.bid]
        out.append(Scored(b.bid, True, reason, price_score, total, rank, resolved))
    ranked = {r.bid for r in out}
    for b in sorted((b for b in bids if b.bid not in ranked), key=lambda b: b.seq):
        reason, _, _ = results[b.bid]
        out.append(Scored(b.bid, False, reason, None, None, None, None))
    return out


def abnormally_low(
    bids: list[BidInput],
    *,
    estimate: Decimal | None,
    share_of_estimate: Decimal = Decimal("0.8"),
    gap_to_mean: Decimal = Decimal("0.2"),
) -> dict[str, list[str]]:
    """Flag (never reject) prices below ``share_of_estimate`` of the estimate, or more than
    ``gap_to_mean`` below the mean of the other bids' prices. Returns {bid: [reasons]}."""
    flags: dict[str, list[str]] = {}
    total = sum((b.price for b in bids), Decimal(0))
    for b in bids:
        reasons = []
        if estimate is not None and b.price < estimate * share_of_estimate:
            reasons.append(f"below {share_of_estimate:%} of the estimate")
        others = len(bids) - 1
        if others and b.price < ((total - b.price) / others) * (1 - gap_to_mean):
            reasons.append(f"more than {gap_to_mean:%} below the mean of the other bids")
        if reasons:
            flags[b.bid] = reasons
    return flags


def as_record(bids: list[BidInput], method: Method, result: list[Scored]) -> dict:
    """Inputs and outputs as published (decimals as strings), with the engine version."""

    def plain(value):
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {
        "engine": ENGINE_VERSION,
        "method": plain(asdict(method)),
        "bids": [plain(asdict(b)) for b in sorted(bids, key=lambda b: b.seq)],
        "result": [plain(asdict(r)) for r in result],
    }


def inputs_from_record(lot: dict) -> tuple[list[BidInput], Method]:
    """Rebuild the engine's inputs from one lot of a published record."""
    m = lot["method"]
    method = Method(
        kind=m["kind"], price_formula=m["price_formula"], price_weight=int(m["price_weight"]),
        pass_mark=Decimal(m["pass_mark"]), max_points=Decimal(m["max_points"]),
        decimals=int(m["decimals"]), tie_break=tuple(m["tie_break"]),
    )  # fmt: skip
    bids = [
        BidInput(
            bid=b["bid"],
            seq=int(b["seq"]),
            price=Decimal(b["price"]),
            passed=bool(b["passed"]),
            technical=None if b["technical"] is None else Decimal(b["technical"]),
            facts=dict(b["facts"]),
        )  # fmt: skip
        for b in lot["bids"]
    ]
    return bids, method


def rerun(record: dict) -> list[dict]:
    """Re-run every lot of a published evaluation record. Returns one line per lot: the lot,
    whether the recomputed result equals the published one, and the recomputed result."""
    if record.get("engine") != ENGINE_VERSION:
        raise ScoringError(f"this is {ENGINE_VERSION}; the record needs {record.get('engine')!r}")
    out = []
    for lot in record["lots"]:
        bids, method = inputs_from_record(lot)
        result = as_record(bids, method, score(bids, method))["result"] if bids else []
        out.append({"lot": lot["lot"], "matches": result == lot["result"], "result": result})
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m evaluation.scoring record.json``: re-run a published record offline."""
    import argparse  # noqa: PLC0415 - command line only
    import json  # noqa: PLC0415

    parser = argparse.ArgumentParser(description="Re-run a published evaluation record.")
    parser.add_argument("record", help="the record JSON (from /api/v1/tenders/<ref>/evaluation/)")
    args = parser.parse_args(argv)
    with open(args.record, encoding="utf-8") as fh:
        record = json.load(fh)
    record = record.get("record", record)
    lines = rerun(record)
    for line in lines:
        ranking = ", ".join(f"{r['rank']}. {r['bid']}" for r in line["result"] if r["rank"])
        print(f"lot {line['lot']}: {'MATCHES' if line['matches'] else 'DIFFERS'}  {ranking}")
    return 0 if all(line["matches"] for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
