"""What every portal view does with a service's refusal, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden

from procurement.exceptions import DomainError, InvalidInput, PermissionDenied

T = TypeVar("T")


def run_service(request, form, action: Callable[[], T]) -> T | None:
    """Call a service. A refusal goes onto ``form`` (on its field when the form has it) or,
    without a form, into a message; a missing role becomes a 403. Returns None on refusal."""
    try:
        return action()
    except PermissionDenied as exc:
        raise HttpForbidden(exc.message) from exc
    except DomainError as exc:
        if form is None:
            messages.error(request, exc.message)
        elif isinstance(exc, InvalidInput) and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        else:
            form.add_error(None, exc.message)
    return None
