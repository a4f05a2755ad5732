"""How sign-in reads a username: case does not matter (``User`` is unique regardless of case),
so the login throttle must not count “Officer” and “officer” as two accounts either."""

from __future__ import annotations


def lockout_username(request, credentials: dict | None) -> str | None:
    """django-axes' AXES_USERNAME_CALLABLE: the lower-cased username that failures count for."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else username
