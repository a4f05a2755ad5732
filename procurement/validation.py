"""Turning Django's model validation into the domain's InvalidInput, in one place."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

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
