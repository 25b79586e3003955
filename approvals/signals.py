"""Audit receivers: logins, logouts and failed logins, wherever they happen."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from approvals.audit import audit_event_record, client_ip


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_event_record(
        action="auth.login", actor=user, target=user.get_username(),
        source_ip=client_ip(request),
        metadata={"path": request.path if request else "", "staff": user.is_staff},
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    audit_event_record(
        action="auth.logout", actor=user, target=user.get_username(),
        source_ip=client_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the username: credentials also hold the password, which never reaches the log.
    audit_event_record(
        action="auth.login_failed", target=str(credentials.get("username", ""))[:150],
        source_ip=client_ip(request),
    )
