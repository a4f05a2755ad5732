"""Signing in. How sign-in reads a username: case does not matter (``User`` is unique
regardless of case), so the login throttle must not count “Officer” and “officer” as two
accounts either. And the API's token authentication, in one query."""

from __future__ import annotations

import binascii
import functools
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken, get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework.exceptions import AuthenticationFailed

from procurement import prepared, rows


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token authentication, reading only the presented token and its user (one
    prepared statement: every API request pays for it, and the ORM's compiler cost it thirty
    times what running it did). knox's own also reads every other token of the user on every
    request, to delete the expired ones: here an expired token is refused and deleted when it
    is presented, and a sign-in deletes the user's other expired tokens
    (``purge_expired_tokens``). Otherwise knox's rules, in knox's order."""

    def authenticate_credentials(self, token: bytes):
        refused = _("Invalid token.")
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed(refused) from None
        for auth_token in _tokens_with_key(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise AuthenticationFailed(refused) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed(refused)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


@functools.cache
def _token_sql(vendor: str) -> str:
    token_model, user_model = get_token_model(), get_user_model()
    quote = connection.ops.quote_name
    user_column = quote(str(token_model._meta.get_field("user").column))
    return (
        f"SELECT {rows.columns(token_model, 't')}, {rows.columns(user_model, 'u')} "  # noqa: S608
        f"FROM {quote(token_model._meta.db_table)} t JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(str(user_model._meta.pk.column))} = t.{user_column} "
        f"WHERE t.{quote('token_key')} = %s"
    )


def _tokens_with_key(key: str) -> list:
    """The tokens whose key (the token's first characters) is ``key``, each with its user."""
    with connection.cursor() as cursor:
        prepared.execute(cursor, "mb_auth_token", _token_sql(connection.vendor), [key])
        found = cursor.fetchall()
    token_model, user_model = get_token_model(), get_user_model()
    width = len(token_model._meta.concrete_fields)
    tokens = []
    for row in found:
        auth_token = rows.from_row(token_model, row[:width])
        auth_token.user = rows.from_row(user_model, row[width:])
        tokens.append(auth_token)
    return tokens


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
