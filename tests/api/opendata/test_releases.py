"""OCDS 1.1 open data, validated with the Open Contracting Partnership's own tools: zero
validation errors, no wrong closed-codelist values, no invalid extension, and every additional
field covered by the platform's documented extension. Records are compiled with ocdsmerge and
cross-checked against ocdskit.

The standard's files are not part of this project: they are read from ``../shared/ocds`` (or
MINHBACH_OCDS_DIR). Without them these tests skip and say why, except under REQUIRE_OCDS. The
fixtures that find them and validate (``ocds_dir``, ``extension_server``, ``validate``) are in
``tests/api/opendata/ocds_fixtures.py``, shared with the award and contract tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from ocdsmerge.rules import get_merge_rules

from api.opendata import ocds
from api.opendata.models import OcdsRelease
from evaluation import tasks
from evaluation.services import cancellation as cancelling
from tenders import services
from tenders.models import Tender

# Releases are projected once each service commits, as in production: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.api.opendata.ocds_fixtures"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def full_history(make_tender, officer, supplier):
    """A tender published with a document, amended, asked and answered, and closed."""
    tender = make_tender()
    services.add_document(
        tender,
        actor=officer,
        title="Hồ sơ mời thầu",
        upload=SimpleUploadedFile("hsmt.pdf", b"%PDF-1.7 hsmt"),
    )
    services.publish_tender(tender, actor=officer)
    services.amend_tender(
        tender, actor=officer, rationale="Gia hạn hiệu lực", bid_validity_days=150
    )
    question = services.ask_question(tender, actor=supplier, text="Bản vẽ thi công?")
    services.answer_question(question, actor=officer, answer="Đã đăng tải.")
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    tasks.close_due_tenders()
    return Tender.objects.get(pk=tender.pk)


def test_one_release_per_public_ledger_change(full_history):
    releases = list(OcdsRelease.objects.filter(tender=full_history))
    assert [r.tag for r in releases] == [
        ["planning", "tender"],
        ["tenderAmendment"],
        ["tenderUpdate"],
        ["tenderUpdate"],
    ]
    assert all(r.release_id.startswith(full_history.ocid + "-") for r in releases)
    assert full_history.ocid == f"ocds-mbdemo-{full_history.reference}"
    assert "#" not in "".join(r.release_id for r in releases)


def test_drafts_publish_no_open_data(make_tender, client):
    tender = make_tender()
    assert OcdsRelease.objects.count() == 0
    assert client.get(reverse("ocds-releases", args=[tender.ocid])).status_code == 404


def test_release_package_validates_with_zero_errors(client, full_history, validate):
    package = client.get(reverse("ocds-releases", args=[full_history.ocid])).json()
    assert len(package["releases"]) == 4
    tender = package["releases"][0]["tender"]
    assert tender["procurementMethod"] == "open"
    assert tender["documents"][0]["sha256"] == full_history.documents.get().sha256
    assert tender["lots"][0]["id"] == tender["items"][0]["relatedLot"] == "1"
    result = validate(package)
    assert result["version_used"] == "1.1"


def test_cancellation_release_validates(client, make_tender, officer, validate):
    tender = make_tender(publish=True)
    cancelling.cancel_tender(tender, actor=officer, reason="Không còn nhu cầu mua sắm gói thầu này")
    package = client.get(reverse("ocds-releases", args=[tender.ocid])).json()
    last = package["releases"][-1]
    assert last["tag"] == ["tenderCancellation"]
    assert last["tender"]["status"] == "cancelled"
    assert last["tender"]["amendments"][-1]["rationale"] == "Không còn nhu cầu mua sắm gói thầu này"
    validate(package)


def test_record_package_is_compiled_and_validates(client, full_history, validate):
    package = client.get(reverse("ocds-record", args=[full_history.ocid])).json()
    (record,) = package["records"]
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["hasEnquiries"] is True
    assert len(compiled["tender"]["amendments"]) == 1
    validate(package, record=True)


def test_compiled_release_matches_ocdskit(client, full_history, ocds_dir):
    from ocdskit.combine import merge

    releases = client.get(reverse("ocds-releases", args=[full_history.ocid])).json()
    ours = client.get(reverse("ocds-record", args=[full_history.ocid])).json()
    schema = str(ocds_dir / "schema-1.1.5" / "release-schema.json")
    (theirs,) = list(merge([releases], schema=schema))
    assert ours["records"][0]["compiledRelease"] == theirs


def test_built_in_merge_rules_are_the_standards(ocds_dir):
    rules = get_merge_rules(str(ocds_dir / "schema-1.1.5" / "release-schema.json"))
    assert rules == ocds.CORE_MERGE_RULES


def test_feed_follows_the_ledger_and_never_skips(client, full_history, make_tender, validate):
    other = make_tender(publish=True)
    first = client.get(reverse("ocds-feed")).json()
    ids = [r["id"] for r in first["releases"]]
    assert len(ids) == 5
    seqs = [int(i.rsplit("-", 1)[1]) for i in ids]
    assert seqs == sorted(seqs)
    assert ids[-1].startswith(other.ocid)
    since = seqs[2]
    later = client.get(reverse("ocds-feed"), {"since": since}).json()
    assert [r["id"] for r in later["releases"]] == ids[3:]
    validate(first)


def test_extension_files_are_served(client):
    response = client.get(reverse("ocds-extension", args=["extension.json"]))
    assert response.json()["schemas"] == ["release-schema.json"]
    schema = client.get(reverse("ocds-extension", args=["release-schema.json"])).json()
    assert "sha256" in schema["definitions"]["Document"]["properties"]
    assert client.get("/ocds/extension/settings.py").status_code == 404
    assert client.get("/ocds/extension/..%2Fsettings.py").status_code == 404


def test_a_renamed_organisation_keeps_its_old_name_in_earlier_releases(
    make_tender, officer, agency
):
    from procurement.services import update_organisation

    tender = make_tender(publish=True)
    old_name = agency.name_vi
    update_organisation(agency, actor=None, name_vi="Sở Giao thông Vận tải (tên mới)")
    services.amend_tender(tender, actor=officer, rationale="Gia hạn", bid_validity_days=150)
    published, amended = OcdsRelease.objects.filter(tender=tender).order_by("ledger_seq")
    assert published.data["buyer"]["name"] == old_name
    assert amended.data["buyer"]["name"] == "Sở Giao thông Vận tải (tên mới)"
    # The autouse check then rebuilds every release after the rename: byte for byte the same.
