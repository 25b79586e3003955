"""Removing a member from a team: their accounts for the team are revoked (the Asana simulator
receives the revocation) and their webhook subscriptions stop using their token — handed to
another connected member, or deleted at the provider when nobody else is connected.

Conduit runs in pytest-django's live server so the simulator's webhook deliveries reach it.
"""

from __future__ import annotations

import pytest

from approvals import services
from approvals.models import Membership
from cards.models import CardWidget, WebhookSubscription
from integrations.providers import Credentials, get_provider
from integrations.sandbox.asana.seed import ALAN, GRACE, WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, connect_asana
from tests.factories import make_member
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db(transaction=True)


def works_at_asana(access_token: str) -> bool:
    from integrations.errors import ApiUnauthorized

    try:
        get_provider("asana").list_workspaces(Credentials(access_token=access_token))
    except ApiUnauthorized:
        return False
    return True


@pytest.fixture
def subscribed(sandbox, settings, live_server, team, member, board, installed):
    """The member imported a Website task, which subscribed the team to the project with the
    member's account (the handshake completed against the live server)."""
    settings.CONDUIT_PUBLIC_URL = live_server.url
    account = connect_asana(sandbox, user=member, team=team, user_gid=GRACE)
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST],
         "container": WEBSITE_PROJECT}, format="json")
    assert response.status_code == 201, response.content[:300]
    subscription = WebhookSubscription.objects.get(team=team, container_id=WEBSITE_PROJECT)
    assert subscription.status == WebhookSubscription.Status.ACTIVE
    return account, subscription


def _remove(member, team, admin, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.membership_delete(
            membership=Membership.objects.get(user=member, team=team), acting_user=admin)


def test_removed_member_is_revoked_and_refetches_use_another_members_token(
        sandbox, subscribed, team, member, admin, board, django_capture_on_commit_callbacks):
    account, subscription = subscribed
    token = account.access_token
    colleague = make_member(team, "carol")
    connect_asana(sandbox, user=colleague, team=team, user_gid=ALAN)
    sandbox.clear_requests()

    assert _remove(member, team, admin, django_capture_on_commit_callbacks) == 1

    assert len(sandbox.requests("/-/oauth_revoke")) == 1
    assert not works_at_asana(token)
    kept = ConnectedAccount.objects.get(pk=account.pk)
    assert kept.status == ConnectedAccount.Status.REVOKED and kept.access_token is None
    assert kept.revoked_reason == "member_removed"
    subscription.refresh_from_db()
    assert subscription.subscribed_by == colleague

    # A later change in Asana is refetched with the colleague's token: the member's is dead at
    # the simulator, so a refetch with it would have left a sync error instead of the title.
    sandbox.control("change_task", gid=WEBSITE_TASK_FIRST, changes={"name": "After Bob left"})
    deliveries = sandbox.control("webhooks", wait=True)["deliveries"]
    assert deliveries and all(delivery["status"] == 200 for delivery in deliveries)
    card = CardWidget.objects.get(board=board, external_id=WEBSITE_TASK_FIRST)
    assert (card.title, card.sync_error) == ("After Bob left", "")


def test_removed_members_subscription_is_deleted_at_asana_when_nobody_else_is_connected(
        sandbox, subscribed, team, member, admin, django_capture_on_commit_callbacks):
    _, subscription = subscribed
    _remove(member, team, admin, django_capture_on_commit_callbacks)
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    hooks = sandbox.control("webhooks")["data"]
    assert subscription.provider_webhook_id not in [hook["gid"] for hook in hooks]
    assert len(sandbox.requests("/-/oauth_revoke")) == 1
