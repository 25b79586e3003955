"""Conduit as an OAuth 2.0 authorization server for API clients (django-oauth-toolkit).

Only the authorization-code flow's endpoints: authorize (PKCE required by settings), token and
revocation. Application management stays in the console (staff), never under /o/.
"""

from django.urls import path
from oauth2_provider import views

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
]
