from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import accounts, ledger

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
    path("ledger/key/", ledger.LedgerKeyView.as_view(), name="ledger-key"),
    path("ledger/checkpoint/", ledger.LatestCheckpointView.as_view(), name="ledger-checkpoint"),
    path("ledger/checkpoints/", ledger.CheckpointListView.as_view(), name="ledger-checkpoints"),
    path("ledger/entries/", ledger.EntriesView.as_view(), name="ledger-entries"),
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
