"""One's own notifications: shown in the reader's language, only to their addressee, and
marked read by being seen (the menu's unread count drops to zero)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from procurement import notifications
from procurement.models import Notification

pytestmark = pytest.mark.django_db


def test_the_page_shows_ones_own_notifications_and_marks_them_read(client, make_user):
    reader, other = make_user(), make_user()
    with transaction.atomic():
        notifications.notify([reader], "award_published", {"tender": "MB-2026-000042"})
        notifications.notify([other], "complaint_filed", {"tender": "MB-2026-000099"})
    assert notifications.unread_count(reader) == 1

    assert client.get(reverse("notifications")).status_code == 302  # sign in first
    client.force_login(reader)
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The result of tender MB-2026-000042 is published." in page
    assert "MB-2026-000099" not in page
    assert notifications.unread_count(reader) == 0
    assert Notification.objects.get(user=other).read_at is None

    client.cookies.load({"django_language": "vi"})
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "MB-2026-000042" in page and "The result of tender" not in page
    assert client.post(reverse("notifications")).status_code == 405
