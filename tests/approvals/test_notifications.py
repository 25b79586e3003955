"""E-mails: admins of each new request, requesters of each decision; a failed send is logged,
audited and shown on the console home, and the decision stands.

Mail goes to Django's locmem backend (pytest-django's default), which is the outbox a real
SMTP server would fill; the failing send uses an SMTP URL to a closed loopback port.
"""

import socket

import pytest
from django.core import mail
from django.urls import reverse

from approvals import notifications, services
from approvals.models import AuditEvent, InstallRequest
from config.settings import email_settings
from tests.factories import make_admin, make_member, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make_team("Demo Team")


def test_each_team_admin_is_told_of_a_new_request(team, django_capture_on_commit_callbacks):
    make_admin(team, "ada")
    make_admin(team, "alan")
    make_admin(make_team("Other"), "otto")
    member = make_member(team, "bob")
    with django_capture_on_commit_callbacks(execute=True):
        install_request = services.install_request_create(team=team, integration="asana",
                                                          requested_by=member)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["ada@example.com", "alan@example.com"]
    assert message.subject == "bob asks to install Asana for Demo Team"
    assert reverse("admin:approvals_installrequest_change",
                   args=[install_request.pk]) in message.body


def test_nothing_is_sent_before_commit(team, django_capture_on_commit_callbacks):
    make_admin(team, "ada")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.install_request_create(team=team, integration="asana",
                                        requested_by=make_member(team, "bob"))
    assert mail.outbox == [] and len(callbacks) == 1


def test_requester_is_told_of_the_approval(team, django_capture_on_commit_callbacks):
    admin = make_admin(team, "ada")
    install_request = services.install_request_create(team=team, integration="asana",
                                                      requested_by=make_member(team, "bob"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.install_request_approve(install_request=install_request, acting_user=admin)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["bob@example.com"], "Asana is now installed for Demo Team")]
    assert "ada approved Asana" in mail.outbox[0].body


def test_requester_is_told_of_the_denial_with_the_reason(team, django_capture_on_commit_callbacks):
    admin = make_admin(team, "ada")
    install_request = services.install_request_create(team=team, integration="asana",
                                                      requested_by=make_member(team, "bob"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.install_request_deny(install_request=install_request, acting_user=admin,
                                      reason="Budget freeze")
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert mail.outbox[0].subject == "Your request for Asana was declined"
    assert "Budget freeze" in mail.outbox[0].body


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens


def test_a_failed_send_is_logged_audited_and_shown_on_the_console(
        team, settings, client, caplog, django_capture_on_commit_callbacks):
    for name, value in email_settings(f"smtp://127.0.0.1:{_closed_port()}").items():
        setattr(settings, name, value)
    admin = make_admin(team, "ada")
    with django_capture_on_commit_callbacks(execute=True):
        install_request = services.install_request_create(team=team, integration="asana",
                                                          requested_by=make_member(team, "bob"))
    assert InstallRequest.objects.filter(pk=install_request.pk).exists()  # the request stands
    assert "Could not send" in caplog.text
    event = AuditEvent.objects.get(action="notification.failed")
    assert event.metadata["recipients"] == ["ada@example.com"]
    client.force_login(admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert "E-mails that could not be sent" in page
    assert notifications.NEW_REQUEST_SUBJECT.format(
        requester="bob", integration="Asana", team="Demo Team") in page


def test_email_url_schemes():
    assert email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_settings("smtp+tls://mailer:p%40ss@mail.example.com:2525")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"],
            smtp["EMAIL_HOST_PASSWORD"], smtp["EMAIL_USE_TLS"]) == (
        "mail.example.com", 2525, "mailer", "p@ss", True)
    with pytest.raises(SystemExit):
        email_settings("carrier-pigeon://coop")
