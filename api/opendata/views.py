"""Open data views: OCDS release and record packages per tender, the change feed, and the
platform's OCDS extension files."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api.opendata import ocds, projector
from api.opendata.models import OcdsRelease
from procurement.clock import db_now

EXTENSION_DIR = Path(__file__).resolve().parent / "ocds_extension"
FEED_PAGE = 100


def _json(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _projected():
    """The releases the projector has finished: up to its watermark, so that every reader
    sees a prefix of the ledger's releases, never one with a hole in it."""
    return OcdsRelease.objects.filter(ledger_seq__lte=projector.watermark())


def _releases(ocid: str) -> list[dict]:
    rows = list(
        _projected().filter(ocid=ocid).order_by("ledger_seq").values_list("data", flat=True)
    )
    if not rows:
        raise Http404(_("No public releases for this contracting process."))
    return rows


@require_safe
def release_package(request, ocid: str):
    uri = ocds.public_url(reverse("ocds-releases", args=[ocid]))
    return _json(ocds.release_package(_releases(ocid), uri=uri, published=db_now()))


@require_safe
def record_package(request, ocid: str):
    uri = ocds.public_url(reverse("ocds-record", args=[ocid]))
    return _json(ocds.record_package(ocid, _releases(ocid), uri=uri, published=db_now()))


@require_safe
def feed(request):
    """All releases in ledger order, after ``since`` (a ledger sequence number), up to the
    projector's watermark (sent as the ``X-Ledger-Projected`` header). The projector writes
    releases in ledger order and moves the watermark with them, so following ``next`` never
    skips a release (unlike a feed keyed on modification time)."""
    try:
        since = int(request.GET.get("since", "-1"))
    except ValueError:
        message = _("“since” must be an integer.")
        return JsonResponse(
            {"error": {"code": "invalid", "message": message, "field": "since", "details": None}},
            status=400,
        )
    watermark = projector.watermark()
    rows = list(
        OcdsRelease.objects.filter(ledger_seq__gt=since, ledger_seq__lte=watermark).order_by(
            "ledger_seq"
        )[:FEED_PAGE]
    )
    uri = ocds.public_url(reverse("ocds-feed")) + f"?since={since}"
    package = ocds.release_package([r.data for r in rows], uri=uri, published=db_now())
    if len(rows) == FEED_PAGE:
        package["links"] = {
            "next": ocds.public_url(reverse("ocds-feed")) + f"?since={rows[-1].ledger_seq}"
        }
    response = _json(package)
    response["X-Ledger-Projected"] = str(watermark)
    return response


@require_safe
def extension_file(request, name: str):
    if name not in {"extension.json", "release-schema.json"}:
        raise Http404
    data = json.loads((EXTENSION_DIR / name).read_text(encoding="utf-8"))
    if name == "extension.json":
        # The schema documents every field it adds; point readers at it on this portal.
        data["documentationUrl"] = {
            "en": ocds.public_url(reverse("ocds-extension", args=["release-schema.json"]))
        }
        data["contactPoint"] = {"name": settings.OCDS_PUBLISHER_NAME}
        if settings.OCDS_CONTACT_EMAIL:
            data["contactPoint"]["email"] = settings.OCDS_CONTACT_EMAIL
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
