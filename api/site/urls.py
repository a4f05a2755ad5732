from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from api.site import views as site_views
from bidders import bid_views
from bidders import views as supplier_views
from evaluation import views as evaluation_views
from evaluation import web as evaluation_web
from procurement import views
from tenders import open_data
from tenders import views as tender_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path("tenders/", tender_views.search, name="tenders"),
    path("tenders/<str:reference>/", tender_views.detail, name="tender"),
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
    path("workspace/cancellations/", tender_views.cancellations, name="cancellations"),
    path("workspace/notifications/", evaluation_web.notifications, name="notifications"),
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
    path("workspace/", tender_views.workspace, name="workspace"),
    path("workspace/new/", tender_views.create, name="workspace-create"),
    path("workspace/<str:reference>/", tender_views.manage, name="workspace-tender"),
    path("workspace/<str:reference>/edit/", tender_views.edit, name="workspace-edit"),
    path("workspace/<str:reference>/roster/", tender_views.roster, name="workspace-roster"),
    path("workspace/<str:reference>/publish/", tender_views.publish, name="workspace-publish"),
    path("workspace/<str:reference>/amend/", tender_views.amend, name="workspace-amend"),
    path("workspace/<str:reference>/documents/", tender_views.upload, name="workspace-upload"),
    path("workspace/<str:reference>/cancel/", tender_views.cancel, name="workspace-cancel"),
    path(
        "workspace/<str:reference>/cancellations/",
        tender_views.propose_cancellation,
        name="workspace-propose-cancellation",
    ),
    path(
        "workspace/<str:reference>/cancellations/<int:number>/",
        tender_views.cancellation,
        name="workspace-cancellation",
    ),
    path(
        "workspace/<str:reference>/questions/<int:number>/answer/",
        tender_views.answer,
        name="workspace-answer",
    ),
    path("ocds/releases/", open_data.feed, name="ocds-feed"),
    path("ocds/releases/<str:ocid>/", open_data.release_package, name="ocds-releases"),
    path("ocds/records/<str:ocid>/", open_data.record_package, name="ocds-record"),
    path("ocds/extension/<str:name>", open_data.extension_file, name="ocds-extension"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger/<int:seq>/", views.ledger_entry_page, name="ledger-entry"),
    path("ledger/minhbach-verify.pyz", views.verifier_download, name="ledger-verifier"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
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
