from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RegistrationForm(forms.Form):
    name_vi = forms.CharField(label=_("Company name (Vietnamese)"), max_length=300)
    name_en = forms.CharField(label=_("Company name (English)"), max_length=300)
    tax_code = forms.CharField(label=_("Tax code"), max_length=14)
    province = forms.CharField(label=_("Province or city"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    classifications = forms.CharField(
        label=_("What you sell (CPV codes)"),
        required=False,
        help_text=_("Separate codes with commas, e.g. 30213100-6, 33100000-1."),
    )
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    def clean_classifications(self) -> list[str]:
        raw = self.cleaned_data["classifications"]
        return [code.strip() for code in raw.split(",") if code.strip()]


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Note or reason"), required=False, max_length=20000)
