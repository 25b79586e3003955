"""The bench's data: a team with Asana installed, a connected member, boards and cards.

Tokens come from the sandbox's `issue_token` control (the OAuth flow itself is the tests'
business); everything else is written through the ORM, as the product stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.catalog import Plan
from approvals.models import Installation, Membership, Team
from bench.processes import Sandbox
from cards.models import Board, CardWidget
from integrations.asana.oauth import SCOPES
from integrations.sandbox.asana.seed import ADA
from tokens.models import ConnectedAccount

User = get_user_model()
ASANA = "asana"  # the provider key (integrations.providers registry)


@dataclass
class World:
    team: Team
    member: object
    account: ConnectedAccount
    access_token: str  # for the baselines' bare calls: the same token Conduit uses
    board: Board


def connect(sandbox: Sandbox, *, user, team: Team, expires_in: int | None = None,
            save: bool = True) -> tuple[ConnectedAccount, dict]:
    body = sandbox.control("issue_token", user=ADA, scope=" ".join(SCOPES))
    account = ConnectedAccount(
        user=user, team=team, integration=ASANA,
        access_token=body["access_token"], refresh_token=body["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=expires_in or int(body["expires_in"])),
        scopes=" ".join(SCOPES), provider_account_id=ADA, provider_account_name="Ada",
    )
    if save:
        account.save()
    return account, body


def world(sandbox: Sandbox) -> World:
    team = Team.objects.create(name="Bench team", plan=Plan.BUSINESS)
    admin = User.objects.create_user(username="bench-admin", password="x", is_staff=True)
    Membership.objects.create(user=admin, team=team, role=Membership.Role.ADMIN)
    member = User.objects.create_user(username="bench-member", password="x")
    Membership.objects.create(user=member, team=team, role=Membership.Role.MEMBER)
    Installation.objects.create(team=team, integration=ASANA, installed_by=admin)
    account, body = connect(sandbox, user=member, team=team)
    board = Board.objects.create(team=team, name="Bench", created_by=member)
    return World(team=team, member=member, account=account, access_token=body["access_token"],
                 board=board)


def board_with_cards(world: World, count: int, name: str) -> Board:
    board = Board.objects.create(team=world.team, name=name, created_by=world.member)
    now = timezone.now()
    CardWidget.objects.bulk_create([
        CardWidget(board=board, provider=ASANA, external_id=f"9{index:015d}",
                   url=f"https://app.asana.com/0/0/9{index:015d}", title=f"Card {index}",
                   description="Stored notes " * 8, status="open", synced_at=now)
        for index in range(count)
    ], batch_size=1000)
    return board
