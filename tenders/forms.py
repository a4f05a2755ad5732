"""Web forms of the officer workspace and the supplier's question form. They only collect and
convert input; the services decide, and their errors come back onto the form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tenders.fields import FORM_FIELDS
from tenders.models import (
    MAX_ITEMS,
    MAX_LOTS,
    Category,
    ClassificationScheme,
    EnvelopeProcedure,
    EvaluationMethod,
    LegalRegime,
    Method,
    PriceFormula,
    Tender,
)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def when(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput()
    )


class TenderForm(forms.ModelForm):
    """A draft's fields (the list is ``tenders.fields``'; each is described here for the web),
    its agency and regime, and its lots as lines of text."""

    agency = forms.ChoiceField(label=_("Agency"))
    regime = forms.ModelChoiceField(LegalRegime.objects.all(), label=_("Legal regime"))
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    classification_scheme = forms.ChoiceField(
        label=_("Classification scheme"), choices=ClassificationScheme.choices
    )
    classification_code = forms.CharField(label=_("Classification code"), max_length=16)
    estimated_value = forms.DecimalField(
        label=_("Estimated value"), min_value=Decimal("0.01"), max_digits=20, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="VND")
    method = forms.ChoiceField(label=_("Procurement method"), choices=Method.choices)
    method_rationale = forms.CharField(
        label=_("Why not open bidding"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    envelope_procedure = forms.ChoiceField(
        label=_("Envelope procedure"), choices=EnvelopeProcedure.choices
    )
    evaluation_method = forms.ChoiceField(
        label=_("Evaluation method"), choices=EvaluationMethod.choices
    )
    price_weight = forms.IntegerField(
        label=_("Price weight (%)"), min_value=1, max_value=99, required=False
    )
    price_formula = forms.ChoiceField(
        label=_("Price score formula"), choices=PriceFormula.choices, required=False
    )
    technical_pass_mark = forms.IntegerField(
        label=_("Technical pass mark (points of 100)"), min_value=0, max_value=100, initial=70,
        required=False,
    )  # fmt: skip
    abnormal_share_pct = forms.IntegerField(
        label=_("Abnormally low below (per cent of the estimate)"), min_value=0, max_value=100,
        initial=80, required=False,
    )  # fmt: skip
    abnormal_gap_pct = forms.IntegerField(
        label=_("Abnormally low: more than this % below the mean of the other bids"),
        min_value=0, max_value=100, initial=20, required=False,
    )  # fmt: skip
    is_international = forms.BooleanField(label=_("International bidding"), required=False)
    bid_security_amount = forms.DecimalField(
        label=_("Bid security"), min_value=0, max_digits=20, decimal_places=2, initial=0
    )
    bid_validity_days = forms.IntegerField(
        label=_("Bid validity (days)"), min_value=1, max_value=730, initial=90
    )
    submission_deadline = when(_("Submission deadline"))
    opening_time = when(_("Opening time"))
    province = forms.CharField(label=_("Province or city"), max_length=100, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    lot_title = forms.CharField(label=_("Lot title"), max_length=300)
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One item a line: description; quantity; unit; classification code. "
            "A line “# title” starts another lot."
        ),
    )
    invited_suppliers = forms.CharField(
        label=_("Invited suppliers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Restricted bidding and direct contracting only: the codes of the suppliers "
            "invited, separated by spaces, commas or lines. Only they may bid or ask questions."
        ),
    )

    class Meta:
        model = Tender
        fields = FORM_FIELDS

    field_order = ["agency", "regime"]  # then the tender's fields, then its lots

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.code, a.name_vi) for a in agencies]

    def _post_clean(self) -> None:
        # The form only collects and converts; the services check the tender against the
        # model and the regime, and their errors come back onto the form (run_service).
        pass

    def clean_invited_suppliers(self) -> list[str]:
        text = self.cleaned_data["invited_suppliers"]
        return [code for code in text.replace(",", " ").split() if code]

    def clean_items(self) -> list[dict]:
        """Lots and their items. A line "# title" starts a new lot; the first lot takes its
        title from the lot-title field."""
        lots: list[dict] = [{"title": None, "items": []}]
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            if line.lstrip().startswith("#"):
                title = line.lstrip()[1:].strip()
                if not title:
                    raise forms.ValidationError(
                        _("Line %(n)d: a new lot needs a title after #.") % {"n": number}
                    )
                lots.append({"title": title, "items": []})
                continue
            parts = [p.strip() for p in line.split(";")]
            if len(parts) != 4 or not all(parts):
                raise forms.ValidationError(
                    _("Line %(n)d: write description; quantity; unit; code.") % {"n": number}
                )
            lots[-1]["items"].append(
                {
                    "description": parts[0],
                    "quantity": parts[1].replace(",", "."),
                    "unit": parts[2],
                    "classification_code": parts[3],
                }
            )
        if not lots[0]["items"]:
            lots.pop(0)
        if not lots or any(not lot["items"] for lot in lots):
            raise forms.ValidationError(_("Every lot needs at least one item."))
        if len(lots) > MAX_LOTS:
            raise forms.ValidationError(
                _("A tender can have at most %(max)d lots; this one has %(n)d.")
                % {"max": MAX_LOTS, "n": len(lots)}
            )
        count = sum(len(lot["items"]) for lot in lots)
        if count > MAX_ITEMS:
            raise forms.ValidationError(
                _("A tender can have at most %(max)d items over all its lots; this one has %(n)d.")
                % {"max": MAX_ITEMS, "n": count}
            )
        return lots

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("agency")
        lots = data.pop("items")
        first_title = data.pop("lot_title")
        if lots[0]["title"] is None:
            lots[0]["title"] = first_title
        for optional in (
            "price_formula",
            "technical_pass_mark",
            "abnormal_share_pct",
            "abnormal_gap_pct",
        ):  # left empty: the declared defaults
            if data.get(optional) in (None, ""):
                data.pop(optional, None)  # fmt: skip
        return {"regime": data.pop("regime"), "lots": lots, **data}


class AmendForm(forms.Form):
    rationale = forms.CharField(label=_("Reason for the amendment"), widget=forms.Textarea)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    bid_security_amount = forms.DecimalField(
        label=_("Bid security"), min_value=0, max_digits=20, decimal_places=2, required=False
    )
    bid_validity_days = forms.IntegerField(
        label=_("Bid validity (days)"), min_value=1, max_value=730, required=False
    )
    submission_deadline = when(_("Submission deadline"))
    submission_deadline.required = False
    opening_time = when(_("Opening time"))
    opening_time.required = False

    def changes(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "rationale" and value not in (None, "")
        }


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Document title"), max_length=300)
    file = forms.FileField(label=_("File"), allow_empty_file=True)
    rationale = forms.CharField(
        label=_("Reason (required once published)"), required=False, max_length=20000
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    """Cancel before the opening (the legal ground optional) or, with ``proposal``, propose a
    cancellation after it (the ground required). The grounds are the tender regime's."""

    ground = forms.ChoiceField(label=_("Legal ground"), required=False)
    reason = forms.CharField(
        label=_("Public reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why, in words: at least 20 characters."),
    )

    def __init__(self, *args, tender=None, proposal: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        english = get_language() == "en"
        grounds = tender.regime.cancellation_grounds if tender is not None else []
        self.fields["ground"].choices = [("", "—")] + [
            (g["code"], g["en"] if english else g["vi"]) for g in grounds
        ]
        self.fields["ground"].required = proposal


class CancellationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason (required to reject)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RosterForm(forms.Form):
    """The tender's key custodians (in order of choice) and how many keys open its bids."""

    custodians = forms.MultipleChoiceField(
        label=_("Key custodians"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("From at least two organisations: oversight institutions or this agency."),
    )
    threshold = forms.IntegerField(
        label=_("Keys needed to open (k)"), min_value=2, max_value=15, initial=3
    )

    def __init__(self, *args, tender=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from tenders.services import custody  # noqa: PLC0415

        eligible = custody.eligible_identities(tender) if tender is not None else []
        english = get_language() == "en"

        def label(i) -> str:
            name = i.organisation.name_en if english else i.organisation.name_vi
            return f"{i.code} — {name}" + (f" ({_('demo')})" if i.is_demo else "")

        self.fields["custodians"].choices = [(i.code, label(i)) for i in eligible]
        if tender is not None and tender.roster.exists():
            self.initial.setdefault(
                "custodians", list(tender.roster.values_list("custodian__code", flat=True))
            )
            self.initial.setdefault("threshold", tender.threshold)
