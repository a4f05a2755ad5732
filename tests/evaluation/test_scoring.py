"""The scoring engine: worked examples (formulas, pass mark, rounding, ties) and properties
(the ranking does not depend on the input order; adding a bid never reverses two others'
proportional price scores)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.scoring import BidInput, Method, ScoringError, abnormally_low, as_record, score


def bid(n, price, technical=None, passed=True, **facts):
    return BidInput(f"b{n}", n, D(price), passed, None if technical is None else D(technical),
                    facts)  # fmt: skip


def test_lowest_price_ranks_by_price_and_skips_failed_bids():
    bids = [bid(1, "120"), bid(2, "100"), bid(3, "90", passed=False), bid(4, "110")]
    result = score(bids, Method("lowest_price"))
    assert [(r.bid, r.rank) for r in result] == [
        ("b2", 1), ("b4", 2), ("b1", 3), ("b3", None)
    ]  # fmt: skip
    assert result[-1].reason == "failed the examination"


def test_proportional_price_scores_worked_example():
    # P_min = 80: 80 → 100; 100 → 80; 120 → 66.666… → 66.67 (half-up, 2 decimals).
    result = score([bid(1, "80", 50), bid(2, "100", 50), bid(3, "120", 50)],
                   Method("combined", price_weight=100))  # fmt: skip
    assert [r.price_score for r in result] == [D("100.00"), D("80.00"), D("66.67")]


def test_linear_price_scores_and_equal_prices():
    result = score([bid(1, "80", 80), bid(2, "100", 80), bid(3, "120", 80)],
                   Method("combined", price_formula="linear", price_weight=100))  # fmt: skip
    assert [r.price_score for r in result] == [D("100.00"), D("50.00"), D("0.00")]
    same = score([bid(1, "100", 80), bid(2, "100", 80)],
                 Method("combined", price_formula="linear", price_weight=100))  # fmt: skip
    assert [r.price_score for r in same] == [D("100.00"), D("100.00")]


def test_combined_consulting_80_20_with_a_pass_mark():
    # Vietnamese consulting: K 80 % technical, G 20 % price, pass mark 70.
    bids = [bid(1, "1000", "85"), bid(2, "800", "72"), bid(3, "700", "65")]
    result = score(bids, Method("combined", price_weight=20, pass_mark=D(70)))
    # b3 is below the pass mark, so P_min = 800 among the responsive bids:
    # b1: 0.2 × 80 + 0.8 × 85 = 84.00; b2: 0.2 × 100 + 0.8 × 72 = 77.60.
    assert [(r.bid, r.total, r.rank) for r in result] == [
        ("b1", D("84.00"), 1), ("b2", D("77.60"), 2), ("b3", None, None)
    ]  # fmt: skip
    assert result[2].reason == "below the technical pass mark"


def test_ties_follow_the_declared_chain_and_say_which_rule_decided():
    bids = [bid(1, "100"), bid(2, "100", women_owned_sme=True), bid(3, "100")]
    result = score(bids, Method("lowest_price"))
    assert [r.bid for r in result] == ["b2", "b1", "b3"]
    assert {r.tie_resolved_by for r in result} == {"women_owned_sme"}
    plain = score([bid(1, "100"), bid(2, "100")], Method("lowest_price"))
    assert [r.bid for r in plain] == ["b1", "b2"]
    assert plain[0].tie_resolved_by == "earlier_submission"


def test_rounding_makes_a_tie_at_the_published_precision():
    # 100 × 3/7 = 42.857… and 100 × 3/7.0001 = 42.8565…: both 42.86 at two decimals.
    result = score([bid(1, "7.0001", 50), bid(2, "7", 50), bid(3, "3", 50)],
                   Method("combined", price_weight=100))  # fmt: skip
    tied = [r for r in result if r.bid in ("b1", "b2")]
    assert tied[0].price_score == tied[1].price_score == D("42.86")
    assert [r.bid for r in tied] == ["b1", "b2"]  # equal on every fact: the earlier bid first
    assert tied[0].tie_resolved_by == tied[1].tie_resolved_by == "earlier_submission"


def test_bad_parameters_are_refused():
    for method in (Method("auction"), Method(price_formula="cubic"), Method(price_weight=120),
                   Method(tie_break=("coin_toss",))):  # fmt: skip
        with pytest.raises(ScoringError):
            score([bid(1, "1")], method)
    with pytest.raises(ScoringError):
        score([bid(1, "1"), bid(1, "2")], Method())


def test_abnormally_low_flags():
    flags = abnormally_low([bid(1, "70"), bid(2, "100"), bid(3, "105")], estimate=D(100))
    assert set(flags) == {"b1"} and len(flags["b1"]) == 2


def test_the_record_is_the_inputs_and_outputs_as_strings():
    bids = [bid(2, "100", "80"), bid(1, "90", "75")]
    method = Method("combined", price_weight=30, pass_mark=D(70))
    record = as_record(bids, method, score(bids, method))
    assert record["engine"] == "minhbach-scoring-1"
    assert [b["bid"] for b in record["bids"]] == ["b1", "b2"]
    # b1: 0.3 × 100 + 0.7 × 75 = 82.50; b2: 0.3 × 90 + 0.7 × 80 = 83.00.
    assert [(r["bid"], r["total"]) for r in record["result"]] == [("b2", "83.00"), ("b1", "82.50")]


prices = st.decimals(min_value=D("1"), max_value=D("1e9"), places=2, allow_nan=False,
                     allow_infinity=False)  # fmt: skip
technicals = st.decimals(min_value=D(0), max_value=D(100), places=1)
bid_lists = st.lists(st.tuples(prices, technicals, st.booleans()), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(bid_lists, st.randoms(use_true_random=False), st.sampled_from(["proportional", "linear"]))
def test_ranking_is_independent_of_input_order(rows, rng, formula):
    bids = [bid(i, p, t, women_owned_sme=w) for i, (p, t, w) in enumerate(rows, start=1)]
    method = Method("combined", price_formula=formula, price_weight=30, pass_mark=D(50))
    shuffled = list(bids)
    rng.shuffle(shuffled)
    assert score(bids, method) == score(shuffled, method)


@settings(max_examples=150, deadline=None)
@given(st.lists(prices, min_size=2, max_size=10, unique=True), prices)
def test_adding_a_bid_never_reverses_proportional_price_scores(existing, newcomer):
    from evaluation.scoring import price_scores

    before = price_scores(existing, "proportional", D(100))
    after = price_scores([*existing, newcomer], "proportional", D(100))[: len(existing)]
    for i in range(len(existing)):
        for j in range(len(existing)):
            if before[i] > before[j]:
                assert after[i] > after[j]
