from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import (
    accounts,
    bids,
    complaints,
    custody,
    evaluation,
    examination,
    ledger,
    suppliers,
    tenders,
)

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's split view loads its script from a URL (no inline script); it styles
    # elements inline, which is all the extra this page's CSP allows.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    path("auth/login/", accounts.LoginView.as_view(), name="login"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("organisations/", accounts.OrganisationListView.as_view(), name="organisations"),
    path(
        "organisations/<slug:code>/",
        accounts.OrganisationDetailView.as_view(),
        name="organisation",
    ),
    path(
        "organisations/<slug:code>/memberships/",
        accounts.MembershipListView.as_view(),
        name="memberships",
    ),
    path(
        "memberships/<int:membership_id>/revoke/",
        accounts.MembershipRevokeView.as_view(),
        name="membership-revoke",
    ),
    path("regimes/", tenders.RegimeListView.as_view(), name="regimes"),
    path("suppliers/", suppliers.SupplierListView.as_view(), name="suppliers"),
    path("suppliers/register/", suppliers.RegisterView.as_view(), name="supplier-register"),
    path(
        "suppliers/<int:profile_id>/approve/",
        suppliers.ApproveView.as_view(),
        name="supplier-approve",
    ),
    path(
        "suppliers/<int:profile_id>/reject/", suppliers.RejectView.as_view(), name="supplier-reject"
    ),
    path(
        "suppliers/<int:profile_id>/suspend/",
        suppliers.SuspendView.as_view(),
        name="supplier-suspend",
    ),
    path("debarments/", suppliers.DebarmentListView.as_view(), name="debarments"),
    path("organisations/<slug:code>/debar/", suppliers.DebarView.as_view(), name="supplier-debar"),
    path("tenders/", tenders.TenderListView.as_view(), name="tenders"),
    path("tenders/<str:reference>/", tenders.TenderDetailView.as_view(), name="tender"),
    path("tenders/<str:reference>/publish/", tenders.PublishView.as_view(), name="tender-publish"),
    path("tenders/<str:reference>/cancel/", tenders.CancelView.as_view(), name="tender-cancel"),
    path(
        "tenders/<str:reference>/cancellations/",
        tenders.CancellationsView.as_view(),
        name="tender-cancellations",
    ),
    path(
        "tenders/<str:reference>/cancellations/<int:number>/<str:decision>/",
        tenders.CancellationDecisionView.as_view(),
        name="tender-cancellation-decide",
    ),
    path(
        "tenders/<str:reference>/amendments/",
        tenders.AmendmentsView.as_view(),
        name="tender-amendments",
    ),
    path(
        "tenders/<str:reference>/documents/",
        tenders.DocumentsView.as_view(),
        name="tender-documents",
    ),
    path(
        "tenders/<str:reference>/documents/<uuid:document_id>/",
        tenders.DocumentView.as_view(),
        name="tender-document",
    ),
    path(
        "tenders/<str:reference>/documents/<uuid:document_id>/supersede/",
        tenders.SupersedeView.as_view(),
        name="tender-document-supersede",
    ),
    path(
        "tenders/<str:reference>/questions/",
        tenders.QuestionsView.as_view(),
        name="tender-questions",
    ),
    path(
        "tenders/<str:reference>/questions/<int:number>/answer/",
        tenders.AnswerView.as_view(),
        name="tender-answer",
    ),
    path("tenders/<str:reference>/roster/", custody.RosterView.as_view(), name="tender-roster"),
    path(
        "tenders/<str:reference>/key-statements/",
        custody.StatementView.as_view(),
        name="tender-key-statements",
    ),
    path(
        "tenders/<str:reference>/key-releases/",
        custody.ReleaseView.as_view(),
        name="tender-key-releases",
    ),
    path("tenders/<str:reference>/bids/", bids.SubmitView.as_view(), name="tender-bids"),
    path("tenders/<str:reference>/opening/", bids.OpeningView.as_view(), name="tender-opening"),
    path(
        "tenders/<str:reference>/financial-opening/",
        bids.FinancialOpeningView.as_view(),
        name="tender-financial-opening",
    ),
    path(
        "tenders/<str:reference>/committee/",
        evaluation.CommitteeView.as_view(),
        name="tender-committee",
    ),
    path(
        "tenders/<str:reference>/committee/declaration/",
        evaluation.DeclarationView.as_view(),
        name="tender-declaration",
    ),
    path(
        "tenders/<str:reference>/examinations/",
        examination.ExaminationView.as_view(),
        name="tender-examinations",
    ),
    path(
        "tenders/<str:reference>/clarifications/",
        examination.ClarificationListView.as_view(),
        name="tender-clarifications",
    ),
    path(
        "tenders/<str:reference>/clarifications/<int:number>/answer/",
        examination.ClarificationAnswerView.as_view(),
        name="tender-clarification-answer",
    ),
    path(
        "tenders/<str:reference>/scores/",
        examination.ScoreSheetView.as_view(),
        name="tender-scores",
    ),
    path(
        "tenders/<str:reference>/evaluation-runs/",
        examination.RunView.as_view(),
        name="tender-runs",
    ),
    path(
        "tenders/<str:reference>/reports/",
        examination.ReportListView.as_view(),
        name="tender-reports",
    ),
    path(
        "tenders/<str:reference>/reports/<int:number>/approve/",
        examination.ReportApproveView.as_view(),
        name="tender-report-approve",
    ),
    path(
        "tenders/<str:reference>/reports/<int:number>/return/",
        examination.ReportReturnView.as_view(),
        name="tender-report-return",
    ),
    path(
        "tenders/<str:reference>/evaluation/",
        examination.PublicEvaluationView.as_view(),
        name="tender-evaluation",
    ),
    path(
        "tenders/<str:reference>/awards/",
        examination.AwardListView.as_view(),
        name="tender-awards",
    ),
    path(
        "tenders/<str:reference>/debriefs/",
        examination.DebriefListView.as_view(),
        name="tender-debriefs",
    ),
    path(
        "tenders/<str:reference>/debriefs/<int:debrief_id>/answer/",
        examination.DebriefAnswerView.as_view(),
        name="tender-debrief-answer",
    ),
    path(
        "tenders/<str:reference>/complaints/",
        complaints.ComplaintListView.as_view(),
        name="tender-complaints",
    ),
    path(
        "tenders/<str:reference>/complaints/<int:number>/answer/",
        complaints.ComplaintAnswerView.as_view(),
        name="tender-complaint-answer",
    ),
    path(
        "tenders/<str:reference>/complaints/<int:number>/escalate/",
        complaints.ComplaintEscalateView.as_view(),
        name="tender-complaint-escalate",
    ),
    path(
        "tenders/<str:reference>/complaints/<int:number>/decide/",
        complaints.ComplaintDecideView.as_view(),
        name="tender-complaint-decide",
    ),
    path(
        "tenders/<str:reference>/complaints/<int:number>/withdraw/",
        complaints.ComplaintWithdrawView.as_view(),
        name="tender-complaint-withdraw",
    ),
    path(
        "tenders/<str:reference>/contracts/",
        complaints.ContractListView.as_view(),
        name="tender-contracts",
    ),
    path(
        "tenders/<str:reference>/contracts/<uuid:contract_id>/amendments/",
        complaints.ContractAmendView.as_view(),
        name="tender-contract-amend",
    ),
    path(
        "tenders/<str:reference>/contracts/<uuid:contract_id>/close/",
        complaints.ContractCloseView.as_view(),
        name="tender-contract-close",
    ),
    path(
        "tenders/<str:reference>/attachments/<int:attachment_id>/",
        complaints.AttachmentView.as_view(),
        name="tender-attachment",
    ),
    path("custodians/", custody.CustodianListView.as_view(), name="custodians"),
    path("custody/seats/", custody.MySeatsView.as_view(), name="custody-seats"),
    path("bids/", bids.MyBidsView.as_view(), name="bids"),
    path("bids/<uuid:bid_id>/", bids.BidView.as_view(), name="bid"),
    path("bids/<uuid:bid_id>/withdraw/", bids.WithdrawView.as_view(), name="bid-withdraw"),
    path("bids/<uuid:bid_id>/documents/", bids.DocumentsView.as_view(), name="bid-documents"),
    path("ledger/key/", ledger.LedgerKeyView.as_view(), name="ledger-key"),
    path("ledger/receipt-key/", ledger.ReceiptKeyView.as_view(), name="ledger-receipt-key"),
    path("ledger/checkpoint/", ledger.LatestCheckpointView.as_view(), name="ledger-checkpoint"),
    path("ledger/checkpoints/", ledger.CheckpointListView.as_view(), name="ledger-checkpoints"),
    path("ledger/entries/", ledger.EntriesView.as_view(), name="ledger-entries"),
    path("ledger/entries/bulk/", ledger.EntryPagesView.as_view(), name="ledger-entry-pages"),
    path(
        "ledger/entries/<int:seq>/proof/",
        ledger.EntryProofView.as_view(),
        name="ledger-entry-proof",
    ),
    path("ledger/proof/inclusion/", ledger.InclusionProofView.as_view(), name="ledger-inclusion"),
    path(
        "ledger/proof/consistency/",
        ledger.ConsistencyProofView.as_view(),
        name="ledger-consistency",
    ),
]
