from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from api.opendata import views as open_data
from api.site import views as site_views
from bidders.views import bids as bid_views
from bidders.views import suppliers as supplier_views
from evaluation.views import cancellation as cancellation_views
from evaluation.views import committee as evaluation_views
from evaluation.views import pages as evaluation_web
from procurement.views import accounts as account_views
from procurement.views import ledger as ledger_views
from tenders.views import public as tender_views
from tenders.views import workspace as workspace_views

urlpatterns = [
    # First: a bid at the deadline should not be matched against every page's pattern.
    path("api/v1/", include("api.urls")),
    path("", site_views.home, name="home"),
    path("tenders/", tender_views.search, name="tenders"),
    path("tenders/<str:reference>/", site_views.tender_page, name="tender"),
    path("tenders/<str:reference>/ask/", tender_views.ask, name="tender-ask"),
    path("agencies/<slug:code>/", tender_views.agency, name="agency"),
    path("suppliers/register/", supplier_views.register, name="supplier-register"),
    path("debarments/", supplier_views.debarments, name="debarments"),
    path("workspace/suppliers/", supplier_views.review_queue, name="supplier-review"),
    path(
        "workspace/suppliers/<int:profile_id>/<str:decision>/",
        supplier_views.decide,
        name="supplier-decide",
    ),
    path("tenders/<str:reference>/bid/", bid_views.submit_page, name="bid-submit"),
    path("workspace/bids/", bid_views.my_bids, name="my-bids"),
    path("workspace/bids/<uuid:bid_id>/receipt.json", bid_views.receipt, name="bid-receipt"),
    path(
        "workspace/bids/<uuid:bid_id>/withdrawal-receipt.json",
        bid_views.receipt,
        {"kind": "withdrawal"},
        name="bid-withdrawal-receipt",
    ),
    path("workspace/bids/<uuid:bid_id>/withdraw/", bid_views.withdraw, name="bid-withdraw"),
    path("workspace/custody/", bid_views.custody_seats, name="custody-seats"),
    path("workspace/evaluations/", evaluation_views.my_evaluations, name="my-evaluations"),
    path("workspace/clarifications/", evaluation_web.my_clarifications, name="my-clarifications"),
    path("workspace/reviews/", evaluation_web.reviews, name="reviews"),
    path("workspace/approvals/", evaluation_web.approvals, name="approvals"),
    path("workspace/cancellations/", cancellation_views.cancellations, name="cancellations"),
    path("workspace/notifications/", account_views.notifications, name="notifications"),
    path(
        "workspace/<str:reference>/evaluation/",
        evaluation_web.workspace,
        name="evaluation-workspace",
    ),
    path(
        "workspace/<str:reference>/evaluation/<slug:action>/",
        evaluation_web.act,
        name="evaluation-act",
    ),
    path(
        "tenders/<str:reference>/clarifications/<int:number>/answer/",
        evaluation_web.answer_clarification,
        name="clarification-answer",
    ),
    path(
        "tenders/<str:reference>/evaluation/",
        evaluation_web.public_evaluation,
        name="tender-evaluation",
    ),
    path(
        "tenders/<str:reference>/complaints/", evaluation_web.file_complaint, name="complaint-file"
    ),
    path(
        "tenders/<str:reference>/complaints/<int:number>/<slug:step>/",
        evaluation_web.complaint_step,
        name="complaint-step",
    ),
    path("tenders/<str:reference>/debriefs/", evaluation_web.ask_debrief, name="debrief-ask"),
    path("suppliers/<slug:code>/", evaluation_web.supplier_page, name="supplier"),
    path("workspace/<str:reference>/committee/", evaluation_views.committee, name="committee"),
    path(
        "workspace/<str:reference>/committee/appoint/",
        evaluation_views.appoint,
        name="committee-appoint",
    ),
    path(
        "workspace/<str:reference>/committee/declare/",
        evaluation_views.declare,
        name="committee-declare",
    ),
    path("ledger/verify-receipt/", bid_views.verify_receipt, name="verify-receipt"),
    path("workspace/", workspace_views.workspace, name="workspace"),
    path("workspace/new/", workspace_views.create, name="workspace-create"),
    path("workspace/<str:reference>/", workspace_views.manage, name="workspace-tender"),
    path("workspace/<str:reference>/edit/", workspace_views.edit, name="workspace-edit"),
    path("workspace/<str:reference>/roster/", workspace_views.roster, name="workspace-roster"),
    path("workspace/<str:reference>/publish/", workspace_views.publish, name="workspace-publish"),
    path("workspace/<str:reference>/amend/", workspace_views.amend, name="workspace-amend"),
    path("workspace/<str:reference>/documents/", workspace_views.upload, name="workspace-upload"),
    path("workspace/<str:reference>/cancel/", cancellation_views.cancel, name="workspace-cancel"),
    path(
        "workspace/<str:reference>/cancellations/",
        cancellation_views.propose_cancellation,
        name="workspace-propose-cancellation",
    ),
    path(
        "workspace/<str:reference>/cancellations/<int:number>/",
        cancellation_views.cancellation,
        name="workspace-cancellation",
    ),
    path(
        "workspace/<str:reference>/questions/<int:number>/answer/",
        workspace_views.answer,
        name="workspace-answer",
    ),
    path("ocds/releases/", open_data.feed, name="ocds-feed"),
    path("ocds/releases/<str:ocid>/", open_data.release_package, name="ocds-releases"),
    path("ocds/records/<str:ocid>/", open_data.record_package, name="ocds-record"),
    path("ocds/extension/<str:name>", open_data.extension_file, name="ocds-extension"),
    path("ledger/", ledger_views.ledger_page, name="ledger"),
    path("ledger/<int:seq>/", ledger_views.ledger_entry_page, name="ledger-entry"),
    path("ledger/minhbach-verify.pyz", ledger_views.verifier_download, name="ledger-verifier"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

# Under /api/ errors answer the API's JSON error format; elsewhere Django's pages.
handler400 = "procurement.errors.bad_request"
handler403 = "procurement.errors.permission_denied"
handler404 = "procurement.errors.page_not_found"
handler500 = "procurement.errors.server_error"

admin.site.site_header = "Minh Bạch"
admin.site.site_title = "Minh Bạch"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
