"""The REST API v1, mounted at /api/v1/ (PRODUCT.md "REST API (v1) — the contract")."""

from django.urls import path, re_path

from cards.api import boards, cards, integrations, me
from cards.api.base import EndpointNotFoundApi
from cards.api.docs import SchemaApi, api_docs

app_name = "api-v1"

urlpatterns = [
    path("me", me.MeApi.as_view(), name="me"),
    path("integrations/", integrations.IntegrationListApi.as_view(), name="integrations"),
    path("integrations/<str:key>/install-requests/",
         integrations.InstallRequestCreateApi.as_view(), name="install-requests"),
    path("integrations/<str:key>/connection", integrations.ConnectionDeleteApi.as_view(),
         name="connection"),
    path("integrations/<str:key>/picker/", integrations.PickerApi.as_view(), name="picker"),
    path("boards/", boards.BoardListCreateApi.as_view(), name="boards"),
    path("boards/<int:board_id>/cards/", boards.BoardCardsApi.as_view(), name="board-cards"),
    path("boards/<int:board_id>/unfurls/", boards.UnfurlCreateApi.as_view(), name="unfurls"),
    path("cards/<int:card_id>", cards.CardApi.as_view(), name="card"),
    path("cards/<int:card_id>/details", cards.CardDetailsApi.as_view(), name="card-details"),
    path("cards/<int:card_id>/jira-issue", cards.JiraIssueCreateApi.as_view(),
         name="card-jira-issue"),
    path("cards/<int:card_id>/linked-tickets/<str:target>", cards.LinkedTicketApi.as_view(),
         name="card-linked-tickets"),
    path("schema/", SchemaApi.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
    # Last: unmatched API paths answer 404 in the error envelope (JSON), never the HTML page;
    # [\s\S], since "." stops at a line break (%0A) in the path, and Django cannot reverse
    # an inline (?s) flag.
    re_path(r"^[\s\S]*$", EndpointNotFoundApi.as_view(), name="not-found"),
]
