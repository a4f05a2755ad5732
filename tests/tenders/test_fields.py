"""The tender's field list is declared once (tenders/fields.py): the services, the officer's
web form and the API's inputs agree with it."""

from __future__ import annotations

from api.views.tenders import AmendIn, TenderIn, TenderPatch
from tenders import fields, services
from tenders.forms import TenderForm
from tenders.models import Tender

# What each input adds around the tender's own fields.
FORM_EXTRAS = ["agency", "regime"], ["lot_title", "items", "invited_suppliers"]
API_EXTRAS = ["agency", "regime"], ["lots", "criteria", "invited_suppliers"]


def test_the_declaration_names_editable_model_fields_once():
    names = [f.name for f in fields.FIELDS]
    assert len(names) == len(set(names))
    model_fields = {f.name: f for f in Tender._meta.get_fields() if hasattr(f, "editable")}
    for name in names:
        assert name in model_fields, name
        assert model_fields[name].editable, name
    # Required: the model has neither a default nor a blank value for it.
    for field in fields.FIELDS:
        model_field = model_fields[field.name]
        optional = model_field.has_default() or model_field.blank or model_field.null
        assert field.required is not optional, field.name


def test_the_services_lists_are_the_declarations():
    assert tuple(f.name for f in fields.FIELDS) == services.DRAFT_FIELDS
    assert tuple(f.name for f in fields.FIELDS if f.amendable) == services.AMENDABLE
    assert services.AMENDABLE == (
        "title", "description", "estimated_value", "bid_security_amount", "bid_validity_days",
        "enquiry_end", "submission_deadline", "opening_time", "contact_name", "contact_email",
        "contact_phone",
    )  # fmt: skip


def test_the_web_form_has_the_declared_fields_in_order():
    form = TenderForm(agencies=[])
    before, after = FORM_EXTRAS
    assert list(form.fields) == [*before, *fields.FORM_FIELDS, *after]
    assert set(fields.DRAFT_FIELDS) - set(fields.FORM_FIELDS) == {"enquiry_end"}
    for name in fields.REQUIRED:
        assert form.fields[name].required, name


def test_the_api_input_has_the_declared_fields_in_order():
    before, after = API_EXTRAS
    serializer = TenderIn()
    assert list(serializer.fields) == [*before, *fields.DRAFT_FIELDS, *after]
    for field in fields.FIELDS:
        assert serializer.fields[field.name].required is field.required, field.name
    # A draft is edited with the same fields (each optional: a partial update), not its agency.
    patch = TenderPatch()
    assert list(patch.fields) == ["regime", *fields.DRAFT_FIELDS, *after]
    assert patch.partial


def test_the_amendment_input_has_the_amendable_fields():
    assert list(AmendIn().fields) == ["rationale", *fields.AMENDABLE]


def test_the_api_output_shows_every_field():
    from api.views.tenders import TenderDetail

    assert set(fields.DRAFT_FIELDS) <= set(TenderDetail().fields), "add it to TenderDetail"
