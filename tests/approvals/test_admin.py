"""The governance console through the Django test client: scoping, actions, audit."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import AuditEvent, Installation, InstallRequest, Membership
from tests.factories import PASSWORD, make_admin, make_member, make_support, make_team

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:approvals_installrequest_changelist"


@pytest.fixture
def setup():
    acme, globex = make_team("Acme"), make_team("Globex")
    acme_admin, globex_admin = make_admin(acme, "acme-admin"), make_admin(globex, "globex-admin")
    member = make_member(acme, "alice")
    install_request = services.install_request_create(
        team=acme, integration="asana", requested_by=member
    )
    return {"acme": acme, "acme_admin": acme_admin, "globex_admin": globex_admin,
            "member": member, "request": install_request}


def console(client, user):
    client.force_login(user)
    return client


def test_member_request_appears_for_the_admin_of_that_team(client, setup):
    response = console(client, setup["acme_admin"]).get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "alice" in response.content.decode()


def test_member_request_is_absent_for_the_admin_of_another_team(client, setup):
    console(client, setup["globex_admin"])
    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200 and "alice" not in listing.content.decode()
    change_url = reverse("admin:approvals_installrequest_change", args=[setup["request"].pk])
    change = client.get(change_url)
    assert change.status_code == 302 and change.url == reverse("admin:index")
    action = client.post(reverse(CHANGELIST), {
        "action": "approve_requests", "_selected_action": [setup["request"].pk],
    })
    assert action.status_code == 302
    setup["request"].refresh_from_db()
    assert setup["request"].status == InstallRequest.Status.PENDING
    assert not Installation.objects.exists()


def test_pending_request_count_is_on_the_admin_index(client, setup):
    page = console(client, setup["acme_admin"]).get(reverse("admin:index")).content.decode()
    assert "1 pending request" in page
    client.force_login(setup["globex_admin"])
    assert "0 pending requests" in client.get(reverse("admin:index")).content.decode()


def test_approve_action_installs(client, setup):
    response = console(client, setup["acme_admin"]).post(reverse(CHANGELIST), {
        "action": "approve_requests", "_selected_action": [setup["request"].pk],
    })
    assert response.status_code == 302
    assert Installation.objects.filter(team=setup["acme"], integration="asana").exists()
    setup["request"].refresh_from_db()
    assert setup["request"].status == InstallRequest.Status.APPROVED
    event = AuditEvent.objects.get(action="install_request.approve")
    assert event.actor == setup["acme_admin"] and event.source_ip == "127.0.0.1"


def test_deny_action_asks_for_a_reason_then_records_it(client, setup):
    console(client, setup["acme_admin"])
    data = {"action": "deny_requests", "_selected_action": [setup["request"].pk]}
    form = client.post(reverse(CHANGELIST), data)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    setup["request"].refresh_from_db()
    assert setup["request"].status == InstallRequest.Status.PENDING
    done = client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "Budget freeze"})
    assert done.status_code == 302
    setup["request"].refresh_from_db()
    assert (setup["request"].status, setup["request"].reason) == ("denied", "Budget freeze")


def test_member_without_console_role_cannot_enter(client, setup):
    setup["member"].is_staff = True
    setup["member"].save()
    response = console(client, setup["member"]).get(reverse(CHANGELIST))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_member_who_opens_the_console_is_shown_the_way_back_to_the_boards(client, setup):
    response = console(client, setup["member"]).get("/admin/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The console is for team admins, support staff and operators." in page
    assert f'href="{reverse("cards:boards")}">Back to your boards' in page
    assert 'id="login-form"' in page  # signing in as someone else is still offered


def test_the_console_sign_in_page_offers_no_way_back_to_someone_not_signed_in(client):
    page = client.get("/admin/login/").content.decode()
    assert 'id="login-form"' in page and "Back to your boards" not in page


def test_support_sees_every_team_read_only(client, setup):
    console(client, make_support("sam"))
    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    client.post(reverse(CHANGELIST), {
        "action": "approve_requests", "_selected_action": [setup["request"].pk],
    })
    setup["request"].refresh_from_db()
    assert setup["request"].status == InstallRequest.Status.PENDING
    add = client.get(reverse("admin:approvals_installation_add"))
    assert add.status_code == 403


def test_admin_installs_from_the_console(client, setup):
    response = console(client, setup["acme_admin"]).post(
        reverse("admin:approvals_installation_add"),
        {"team": setup["acme"].pk, "integration": "jira_server"},
    )
    assert response.status_code == 302
    assert Installation.objects.filter(team=setup["acme"], integration="jira_server").exists()
    assert AuditEvent.objects.filter(action="integration.install").exists()


def test_admin_cannot_add_a_member_to_another_team(client, setup):
    outsider = make_member(make_team(), "bob")
    response = console(client, setup["globex_admin"]).post(
        reverse("admin:approvals_membership_add"),
        {"team": setup["acme"].pk, "user": outsider.username, "role": "member"},
    )
    assert response.status_code == 200  # the form refuses the team choice
    assert not Membership.objects.filter(team=setup["acme"], user=outsider).exists()


def test_membership_change_is_audited(client, setup):
    membership = Membership.objects.get(user=setup["member"])
    console(client, setup["acme_admin"]).post(
        reverse("admin:approvals_membership_change", args=[membership.pk]),
        {"team": setup["acme"].pk, "user": setup["member"].username, "role": "admin"},
    )
    membership.refresh_from_db()
    assert membership.role == "admin"
    assert AuditEvent.objects.filter(action="membership.change", team=setup["acme"]).exists()


def test_admin_login_and_logout_are_audited(client, setup):
    response = client.post(reverse("admin:login"),
                           {"username": "acme-admin", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("admin:logout"))
    assert {"auth.login", "auth.logout"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_superuser_user_changes_are_audited(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    target = make_member(make_team(), "carol")
    client.force_login(root)
    response = client.post(reverse("admin:auth_user_change", args=[target.pk]), {
        "username": "carol", "email": "carol@example.com", "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="user.change", target="carol").exists()


def test_audit_log_is_read_only(client, setup):
    event = AuditEvent.objects.first()
    console(client, setup["acme_admin"])
    page = client.get(reverse("admin:approvals_auditevent_change", args=[event.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:approvals_auditevent_add")).status_code == 403
