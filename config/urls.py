"""Conduit's URL map."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from config.forms import LoginForm
from config.observability.views import metrics
from config.readiness import ReadyzView


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: says nothing about the data."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
    path("login", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("integrations/", include("tokens.urls")),
    path("settings/", include("approvals.urls")),
    path("api/v1/", include("cards.api_urls")),
    path("webhooks/", include("cards.webhook_urls")),
    path("o/", include("cards.oauth_urls")),
    path("", include("cards.urls")),
]

# An outage (database, broker) answers Conduit's 503; anything else Conduit's 500 page.
handler500 = "config.unavailable.server_error"
