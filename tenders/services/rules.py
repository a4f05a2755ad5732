"""The tender's legal regime, as arithmetic: preparation periods, the question cut-off, the
floors that late amendments and answers move the deadline to, and the check before
publication (each broken rule named)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from procurement import workdays
from procurement.exceptions import InvalidInput
from tenders.methods import RULES
from tenders.models import (
    Category,
    CriterionKind,
    EvaluationMethod,
    Item,
    Method,
    Tender,
    TenderStatus,
)

S = TenderStatus


def required_preparation(tender: Tender) -> tuple[int, str]:
    """(number, unit) of the minimum bid-preparation time for this tender under its regime."""
    regime = tender.regime
    if RULES[tender.method].preparation == "shopping":
        return regime.shopping_prep_working_days, "working"
    if tender.is_international:
        days = (
            regime.prep_days_international_small
            if tender.is_small
            else regime.prep_days_international
        )
    else:
        days = regime.prep_days_small if tender.is_small else regime.prep_days
    return days, "calendar"


def question_cutoff(tender: Tender) -> dt.datetime:
    regime = tender.regime
    days = (
        regime.question_working_days_international
        if tender.is_international
        else regime.question_working_days
    )
    return workdays.shift_working_days(tender.submission_deadline, -days, regime.holiday_calendar)


def amendment_deadline_floor(tender: Tender, moment: dt.datetime) -> dt.datetime:
    """The earliest deadline an amendment published at ``moment`` allows."""
    regime = tender.regime
    if tender.is_small:
        return workdays.shift_working_days(
            moment, regime.amendment_working_days_small, regime.holiday_calendar
        )
    return moment + dt.timedelta(days=regime.amendment_days)


def answer_deadline_floor(tender: Tender, moment: dt.datetime) -> dt.datetime:
    regime = tender.regime
    return workdays.shift_working_days(moment, regime.answer_working_days, regime.holiday_calendar)


def check_publishable(tender: Tender, moment: dt.datetime) -> None:
    """Raise InvalidInput naming the first rule of the regime this tender breaks at ``moment``."""
    regime = tender.regime
    if tender.submission_deadline <= moment:
        raise InvalidInput(_("The submission deadline is in the past."), "submission_deadline")
    days, unit = required_preparation(tender)
    if unit == "working":
        given = workdays.working_days_between(
            workdays.local_date(moment),
            workdays.local_date(tender.submission_deadline),
            regime.holiday_calendar,
        )
    else:
        given = (tender.submission_deadline - moment) // dt.timedelta(days=1)
    if given < days:
        raise InvalidInput(
            _(
                "Under “%(regime)s” bidders must have at least %(days)d %(unit)s days between "
                "publication and the submission deadline; this deadline gives %(given)d."
            )
            % {
                "regime": regime.name_for(_lang()),
                "days": days,
                "unit": _("working") if unit == "working" else _("calendar"),
                "given": given,
            },
            field="submission_deadline",
        )
    cutoff = question_cutoff(tender)
    if tender.enquiry_end is not None and tender.enquiry_end > cutoff:
        raise InvalidInput(
            _("Questions must close at least %(n)d working days before the deadline.")
            % {"n": regime.question_working_days},
            field="enquiry_end",
        )
    if tender.enquiry_end is not None and tender.enquiry_end <= moment:
        raise InvalidInput(_("The question period would already be over."), "enquiry_end")
    if (
        regime.domestic_currency
        and not tender.is_international
        and tender.currency != regime.domestic_currency
    ):
        raise InvalidInput(
            _("Domestic bidding under this regime is in %(currency)s only.")
            % {"currency": regime.domestic_currency},
            field="currency",
        )
    _check_method(tender)
    _check_security(tender)
    _check_criteria(tender)
    if not tender.lots.exists() or Item.objects.filter(lot__tender=tender).count() == 0:
        raise InvalidInput(_("A tender needs at least one lot with at least one item."), "lots")


def _check_method(tender: Tender) -> None:
    """The method's row of ``tenders.methods``: a rationale, and who is invited."""
    rule = RULES[tender.method]
    if rule.needs_rationale and not tender.method_rationale:
        raise InvalidInput(
            _("Say why this tender does not use open bidding."), field="method_rationale"
        )
    invited = tender.invitations.count()
    method = Method(tender.method).label
    if not rule.invites and invited:
        raise InvalidInput(
            _("%(method)s is open to every supplier: remove the invited suppliers.")
            % {"method": method},
            field="invited_suppliers",
        )
    if rule.invites and not rule.min_invited <= invited <= rule.max_invited:
        if rule.min_invited == rule.max_invited:
            message = _(
                "%(method)s names exactly %(min)d invited supplier(s); this tender names %(n)d."
            )
        else:
            message = _(
                "%(method)s names at least %(min)d and at most %(max)d invited suppliers; "
                "this tender names %(n)d."
            )
        raise InvalidInput(
            message
            % {"method": method, "min": rule.min_invited, "max": rule.max_invited, "n": invited},
            field="invited_suppliers",
        )


def _check_security(tender: Tender) -> None:
    if tender.category == Category.CONSULTING:
        return
    regime = tender.regime
    low, high = (
        (regime.security_min_pct_small, regime.security_max_pct_small)
        if tender.is_small
        else (regime.security_min_pct, regime.security_max_pct)
    )
    share = tender.bid_security_amount * 100 / tender.estimated_value
    if not low <= share <= high:
        raise InvalidInput(
            _("Bid security must be between %(low)s%% and %(high)s%% of the estimated value here.")
            % {"low": low, "high": high},
            field="bid_security_amount",
        )


def _check_criteria(tender: Tender) -> None:
    scored = [c.weight for c in tender.criteria.all() if c.kind == CriterionKind.SCORED]
    combined = tender.evaluation_method == EvaluationMethod.COMBINED
    if combined and (tender.price_weight is None or not 0 < tender.price_weight < 100):
        raise InvalidInput(
            _("Combined evaluation needs a price weight between 1 and 99."), "price_weight"
        )
    weighted = tender.evaluation_method in (EvaluationMethod.COMBINED, EvaluationMethod.TECHNICAL)
    if weighted and (not scored or sum(scored) != 100):
        raise InvalidInput(
            _("The weights of the scored criteria must add up to 100."), field="criteria"
        )


def _lang() -> str:
    return get_language() or "vi"
