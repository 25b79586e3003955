"""/integrations/: the page, the connect flow and the account actions."""

from django.urls import path

from tokens import confirm_views, views

app_name = "tokens"

urlpatterns = [
    path("", views.integrations_page, name="integrations"),
    path("<str:integration>/connect", views.connect, name="connect"),
    path("<str:integration>/callback", views.callback, name="callback"),
    path("<str:integration>/disconnect", views.disconnect, name="disconnect"),
    path("<str:integration>/uninstall-for-me", views.uninstall_for_me, name="uninstall_for_me"),
    path("<str:integration>/disconnect/confirm", confirm_views.disconnect_confirm,
         name="disconnect_confirm"),
    path("<str:integration>/uninstall-for-me/confirm", confirm_views.uninstall_for_me_confirm,
         name="uninstall_for_me_confirm"),
    path("<str:integration>/request-install", views.request_install, name="request_install"),
]
