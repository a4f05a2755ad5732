"""In-app notifications and their e-mails. A service calls ``notify`` inside its transaction;
the e-mail goes out from a Celery task after the commit, in Vietnamese and English (the
platform does not know a reader's language outside a request)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from procurement.clock import db_now
from procurement.models import Membership, Notification, Organisation, Role, User

# kind → message; params are filled in at display time, in the reader's language.
MESSAGES = {
    "award_published": _("The result of tender %(tender)s is published."),
    "award_won": _("Your bid won tender %(tender)s (lot %(lot)s)."),
    "clarification_requested": _(
        "The evaluation committee of tender %(tender)s asks your organisation to clarify its bid "
        "by %(due)s."
    ),
    "debrief_answered": _("The agency answered your debriefing request on tender %(tender)s."),
    "complaint_filed": _("A complaint was filed on tender %(tender)s."),
    "complaint_decided": _("A complaint on tender %(tender)s was decided."),
    "report_submitted": _("The evaluation report of tender %(tender)s awaits approval."),
    "report_returned": _("The approver sent the evaluation report of tender %(tender)s back."),
}


def render(notification: Notification) -> str:
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % notification.params
    except (KeyError, TypeError, ValueError):
        return str(template)


def notify(users, kind: str, params: dict, link: str = "") -> list[Notification]:
    """Create one notification per user (inside the caller's transaction) and send the e-mails
    after the commit."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = db_now()
    made = Notification.objects.bulk_create(
        Notification(user=u, kind=kind, params=params, link=link, created_at=now)
        for u in {u.pk: u for u in users}.values()
    )
    ids = [n.pk for n in made if n.pk is not None]
    if ids:
        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return made


def representatives(organisations) -> list[User]:
    """The active supplier representatives of these organisations."""
    return list(
        User.objects.filter(
            memberships__organisation__in=organisations,
            memberships__role=Role.SUPPLIER,
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )


def staff(organisation: Organisation, role: str) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=Membership.objects.filter(
                organisation=organisation, role=role, is_active=True
            ).values("user")
        ).filter(is_active=True)
    )


def send_emails(ids: list[int]) -> int:
    """Send each not-yet-sent notification with an address; idempotent (marks emailed_at)."""
    sent = 0
    for n in Notification.objects.select_related("user").filter(pk__in=ids, emailed_at=None):
        if not n.user.email:
            continue
        texts = []
        for language in ("vi", "en"):
            with translation.override(language):
                texts.append(render(n))
        link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{n.link}" if n.link else ""
        body = "\n\n".join([*texts, link]).strip() + "\n"
        # Claimed before sending, so two workers never send the same mail (at most once).
        if not Notification.objects.filter(pk=n.pk, emailed_at=None).update(emailed_at=db_now()):
            continue
        send_mail(f"Minh Bạch: {texts[0]}"[:150], body, None, [n.user.email])
        sent += 1
    return sent


def send_pending_emails(*, older_than_seconds: int = 120, within_days: int = 7) -> int:
    """The e-mails whose queuing was lost (a broker outage, a killed worker): notifications of
    the last ``within_days`` still unsent after ``older_than_seconds`` (the queued task has had
    its chance), oldest first. Run by the beat; at most 500 a run."""
    now = db_now()
    ids = list(
        Notification.objects.filter(
            emailed_at=None,
            created_at__lt=now - dt.timedelta(seconds=older_than_seconds),
            created_at__gte=now - dt.timedelta(days=within_days),
        )
        .exclude(user__email="")
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:500]
    )
    return send_emails(ids) if ids else 0


def read_latest(user: User, *, limit: int = 200) -> list[Notification]:
    """The reader's latest notifications, each with its ``text`` in the reader's language;
    reading them marks them read (the unread counter in the menu drops to zero)."""
    rows = list(Notification.objects.filter(user=user)[:limit])
    for n in rows:
        n.text = render(n)  # type: ignore[attr-defined]  # for the template only
    Notification.objects.filter(user=user, read_at=None).update(read_at=db_now())
    return rows


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at=None).count()


# The e-mail tasks live here, beside what they send, so that queuing them needs no import of
# ``procurement.tasks`` (which re-exports them for Celery's discovery).
@shared_task(name="procurement.tasks.send_notification_emails")
def send_notification_emails(ids: list[int]) -> int:
    return send_emails(ids)


@shared_task(name="procurement.tasks.send_pending_notification_emails")
def send_pending_notification_emails() -> int:
    """Beat: send the e-mails whose queuing was lost (a broker outage or a killed worker)."""
    return send_pending_emails()
