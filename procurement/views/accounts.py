"""Signing in to the portal, and one's own notifications."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from procurement.notifications import read_latest


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
@require_safe
def notifications(request):
    """The signed-in person's notifications; seeing them marks them read (the one write a
    page does on GET: a read receipt for its own reader)."""
    return render(request, "accounts/notifications.html", {"rows": read_latest(request.user)})
