"""A tender's own fields, declared once: which an officer sets on a draft, which must be given,
which an amendment may change after publication and which the officer's web form shows.

The services (``DRAFT_FIELDS``, ``AMENDABLE``), the web form (``tenders.forms.TenderForm``'s
``Meta.fields``) and the API's input serializers (``api.views.tenders.TenderIn`` and ``AmendIn``)
take their lists from here; each may still describe a field its own way (a label, a widget, a
bound), and tests/tenders/test_fields.py checks that they all agree with this table. Lots,
criteria, documents and the invited suppliers are not fields of the tender row: they have their
own inputs and services.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TenderField:
    name: str  # the ``Tender`` model field
    required: bool = False  # a draft cannot be created without it (the model has no default)
    amendable: bool = False  # an amendment may change it once the tender is published
    on_form: bool = True  # on the officer's web form


FIELDS: tuple[TenderField, ...] = (
    TenderField("title", required=True, amendable=True),
    TenderField("description", amendable=True),
    TenderField("category", required=True),
    TenderField("classification_scheme"),
    TenderField("classification_code", required=True),
    TenderField("estimated_value", required=True, amendable=True),
    TenderField("currency"),
    TenderField("method"),
    TenderField("method_rationale"),
    TenderField("envelope_procedure"),
    TenderField("evaluation_method"),
    TenderField("price_weight"),
    TenderField("price_formula"),
    TenderField("technical_pass_mark"),
    TenderField("abnormal_share_pct"),
    TenderField("abnormal_gap_pct"),
    TenderField("is_international"),
    TenderField("bid_security_amount", amendable=True),
    TenderField("bid_validity_days", amendable=True),
    # Left empty, publication sets it to the regime's cut-off: the web form does not ask.
    TenderField("enquiry_end", amendable=True, on_form=False),
    TenderField("submission_deadline", required=True, amendable=True),
    TenderField("opening_time", required=True, amendable=True),
    TenderField("province"),
    TenderField("contact_name", required=True, amendable=True),
    TenderField("contact_email", required=True, amendable=True),
    TenderField("contact_phone", amendable=True),
)

# Fields an officer sets on a draft; AMENDABLE is what may change after publication.
DRAFT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)
AMENDABLE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.amendable)
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
FORM_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.on_form)
