"""Signing in. How sign-in reads a username: case does not matter (``User`` is unique
regardless of case), so the login throttle must not count “Officer” and “officer” as two
accounts either. And the API's token authentication, in one query."""

from __future__ import annotations

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token authentication, reading only the presented token and its user (one query).
    knox's own also reads every other token of the user on every request, to delete the expired
    ones: here an expired token is refused and deleted when it is presented, and a sign-in
    deletes the user's other expired tokens (``purge_expired_tokens``)."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def purge_expired_tokens(user) -> int:
    """Delete ``user``'s expired API tokens; how many."""
    deleted, _ = AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return deleted


def lockout_username(request, credentials: dict | None) -> str | None:
    """django-axes' AXES_USERNAME_CALLABLE: the lower-cased username that failures count for."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else username
