"""Turning Django's model validation into the domain's InvalidInput, in one place."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from procurement.exceptions import InvalidInput


def clean_model(
    instance: models.Model, *, exclude: list[str] | None = None, constraints: bool = True
) -> None:
    """Run ``full_clean``; raise InvalidInput with the first failing field and its messages."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from exc


def clean_text(value: Any, field: str, *, required: bool = False, limit: int = 300) -> str:
    """User text, stripped: refused when it is not text, missing (``required``), longer than
    ``limit`` or carries a NUL (PostgreSQL cannot store one)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("This must be text."), field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > limit:
        raise InvalidInput(_("At most %(n)d characters.") % {"n": limit}, field=field)
    if "\x00" in value:
        raise InvalidInput(_("This text contains a forbidden character."), field=field)
    return value
