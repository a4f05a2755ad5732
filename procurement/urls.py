from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from procurement import views

urlpatterns = [
    path("", views.home, name="home"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger/<int:seq>/", views.ledger_entry_page, name="ledger-entry"),
    path("ledger/minhbach-verify.pyz", views.verifier_download, name="ledger-verifier"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]

admin.site.site_header = "Minh Bạch"
admin.site.site_title = "Minh Bạch"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
