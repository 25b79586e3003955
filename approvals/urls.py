"""/settings/: the signed-in person's own settings."""

from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.settings_page, name="settings"),
]
