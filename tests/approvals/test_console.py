"""The governance desk through the test client: the home, a request's decision pages, the
uninstall confirmation, human audit sentences, and revoked accounts kept in the list."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.audit_sentences import audit_sentence
from approvals.models import AuditEvent, Installation, InstallRequest, Membership
from tests.factories import make_admin, make_member, make_support, make_team
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    team = make_team("Demo Team")
    admin = make_admin(team, "ada")
    member = make_member(team, "bob")
    install_request = services.install_request_create(team=team, integration="asana",
                                                      requested_by=member)
    client.force_login(admin)
    return {"team": team, "admin": admin, "member": member, "request": install_request,
            "client": client}


def _url(name: str, install_request) -> str:
    return reverse(f"admin:approvals_installrequest_{name}", args=[install_request.pk])


def test_home_lists_pending_requests_with_approve_and_deny_in_place(desk):
    page = desk["client"].get(reverse("admin:index")).content.decode()
    assert f'action="{_url("approve", desk["request"])}"' in page
    assert f'action="{_url("deny", desk["request"])}"' in page
    assert 'name="reason"' in page and "Connections by health" in page
    assert "bob asked for Asana in Demo Team" in page  # the latest events, as sentences


def test_request_page_has_approve_and_deny_and_no_save(desk):
    page = desk["client"].get(_url("change", desk["request"])).content.decode()
    assert 'id="approve-request"' in page and 'id="deny-request"' in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page


def test_approve_from_the_request_page_installs_and_returns_there(desk):
    response = desk["client"].post(_url("approve", desk["request"]),
                                   {"next": _url("change", desk["request"])})
    assert response.status_code == 302 and response.url == _url("change", desk["request"])
    assert Installation.objects.filter(team=desk["team"], integration="asana").exists()
    desk["request"].refresh_from_db()
    assert desk["request"].status == InstallRequest.Status.APPROVED


def test_deny_confirms_on_a_page_saying_what_happens_then_denies(desk):
    first = desk["client"].post(_url("deny", desk["request"]),
                                {"reason": "Budget freeze", "next": reverse("admin:index")})
    page = first.content.decode()
    assert first.status_code == 200 and "Yes, deny the request" in page
    assert "1 person, bob, is told by e-mail" in page
    desk["request"].refresh_from_db()
    assert desk["request"].status == InstallRequest.Status.PENDING
    done = desk["client"].post(_url("deny", desk["request"]), {
        "reason": "Budget freeze", "confirm": "yes", "next": reverse("admin:index")})
    assert done.status_code == 302 and done.url == reverse("admin:index")
    desk["request"].refresh_from_db()
    assert desk["request"].status == InstallRequest.Status.DENIED
    assert desk["request"].reason == "Budget freeze"


def test_decision_urls_refuse_an_admin_of_another_team(desk, client):
    client.force_login(make_admin(make_team("Globex"), "gus"))
    response = client.post(_url("approve", desk["request"]))
    assert response.status_code == 404
    assert not Installation.objects.exists()


def test_next_outside_the_site_is_ignored(desk):
    response = desk["client"].post(_url("approve", desk["request"]),
                                   {"next": "https://evil.example/"})
    assert response.url == _url("change", desk["request"])


def test_uninstall_for_team_confirms_with_how_many_people_lose_their_tokens(desk):
    services.integration_install(team=desk["team"], integration="asana",
                                 acting_user=desk["admin"])
    installation = Installation.objects.get()
    ConnectedAccount.objects.create(user=desk["member"], team=desk["team"], integration="asana")
    changelist = reverse("admin:approvals_installation_changelist")
    selection = {"action": "uninstall_for_team", "_selected_action": [installation.pk]}
    confirm = desk["client"].post(changelist, selection)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Yes, uninstall and revoke" in page
    assert "<strong>1 person</strong> (bob)" in page
    assert Installation.objects.exists()
    desk["client"].post(changelist, {**selection, "apply": "1"})
    assert not Installation.objects.exists()
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.REVOKED


def test_revoked_accounts_stay_listed_under_the_revoked_filter(desk, client):
    account = ConnectedAccount.objects.create(user=desk["member"], team=desk["team"],
                                              integration="asana")
    account.access_token = "secret-access-value"
    account.save()
    from tokens.services import account_revoke

    account_revoke(account=account, acting_user=desk["admin"], reason="console")
    client.force_login(make_support("sam"))
    listing = client.get(reverse("admin:tokens_connectedaccount_changelist"),
                         {"status__exact": "revoked"}).content.decode()
    assert "bob" in listing and "ada" in listing and "revoked in the console" in listing
    assert "secret-access-value" not in listing


def test_role_change_is_a_sentence_with_the_old_and_new_role(desk):
    membership = Membership.objects.get(user=desk["member"])
    membership.role = Membership.Role.ADMIN
    services.membership_save(membership=membership, acting_user=desk["admin"])
    event = AuditEvent.objects.get(action="membership.change")
    assert event.metadata["changes"] == {"role": ["member", "admin"]}
    assert audit_sentence(event) == (
        "ada changed bob's membership of Demo Team (role: Member → Team admin)")


def test_approval_reads_as_a_sentence(desk):
    services.install_request_approve(install_request=desk["request"], acting_user=desk["admin"])
    event = AuditEvent.objects.get(action="install_request.approve")
    assert audit_sentence(event) == "ada approved Asana for Demo Team (status: pending → approved)"


def test_an_unknown_audit_action_is_refused():
    from approvals.audit import audit_event_record

    with pytest.raises(ValueError):
        audit_event_record(action="install_request.aprove")


def test_removing_a_member_confirms_which_accounts_go_then_revokes_them(desk):
    account = ConnectedAccount.objects.create(user=desk["member"], team=desk["team"],
                                              integration="asana", access_token="opaque")
    membership = Membership.objects.get(user=desk["member"])
    url = reverse("admin:approvals_membership_delete", args=[membership.pk])
    page = desk["client"].get(url).content.decode()
    assert "Their Asana account in this team is revoked at once" in page
    desk["client"].post(url, {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.REVOKED
    assert account.revoked_reason == "member_removed" and account.access_token is None
    event = AuditEvent.objects.get(action="membership.delete")
    assert audit_sentence(event) == "ada removed bob (Member) from Demo Team"
