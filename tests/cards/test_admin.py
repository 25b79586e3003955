"""The console's ticket links: what a team admin reads there (providers by name, the target
ticket as a link), and the filters by provider."""

import html

import pytest
from django.urls import reverse

from cards.models import TicketLink
from tests.factories import make_admin, make_team

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cards_ticketlink_changelist")


@pytest.fixture
def link():
    team = make_team("Acme")
    return TicketLink.objects.create(
        team=team, source_provider="asana", source_external_id="1100000000100001",
        target_provider="jira_server", target_site="https://jira.example.com",
        target_external_id="TEST-4", target_internal_id="10004",
        target_url="https://jira.example.com/browse/TEST-4", created_by=make_admin(team))


@pytest.fixture
def console(client, link):
    client.force_login(link.created_by)
    return client


def text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_list_names_the_providers_and_links_the_target_ticket(console, link):
    page = text(console.get(CHANGELIST))
    assert "Asana 1100000000100001" in page
    assert ('<a href="https://jira.example.com/browse/TEST-4" target="_blank" '
            'rel="noopener noreferrer">Jira Server TEST-4 ↗</a>') in page
    assert ">jira_server<" not in page and ">asana<" not in page  # no raw keys shown


def test_the_provider_filters_offer_the_providers_by_name(console, link):
    page = text(console.get(CHANGELIST))
    assert "By source provider" in page and "By target provider" in page
    assert ">Jira Server</a>" in page and ">Asana</a>" in page  # the filters' choices
    assert text(console.get(CHANGELIST, {"target_provider": "jira_server"})).count("TEST-4 ↗") == 1
    assert "TEST-4 ↗" not in text(console.get(CHANGELIST, {"target_provider": "asana"}))


def test_the_link_page_labels_read_as_words(console, link):
    page = text(console.get(reverse("admin:cards_ticketlink_change", args=[link.pk])))
    for label in ("Source provider:", "Source ID:", "Target provider:", "Target key:", "Target URL:"):
        assert label in page
    assert "Target url:" not in page and "Source external id:" not in page
    assert "Jira Server" in page and "https://jira.example.com/browse/TEST-4 ↗" in page
