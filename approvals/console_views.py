"""The console's decision pages for one install request: approve at once, deny after a
confirmation page that says what will happen. Thin: each calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from approvals import errors, services
from approvals.audit import client_ip
from approvals.models import InstallRequest
from config.errors import ApplicationError

APPROVED = "Approved: {integration} is now installed for {team}; {requester} was told by e-mail."
DENIED = "Denied {integration} for {team}; {requester} was told why by e-mail."


def _next(request: HttpRequest, install_request: InstallRequest) -> str:
    """Where to go afterwards: the page the form came from (console home or the request)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("admin:approvals_installrequest_change", args=[install_request.pk])


def _install_request(model_admin, request: HttpRequest, object_id) -> InstallRequest:
    if request.method != "POST":
        raise Http404
    install_request = get_object_or_404(
        model_admin.get_queryset(request).select_related("team", "requested_by"), pk=object_id)
    if not model_admin.has_change_permission(request, install_request):
        raise PermissionDenied
    return install_request


def _values(install_request: InstallRequest) -> dict[str, str]:
    return {"integration": install_request.get_integration_display(),
            "team": install_request.team.name,
            "requester": install_request.requested_by.get_username()}


def install_request_approve_view(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    install_request = _install_request(model_admin, request, object_id)
    try:
        services.install_request_approve(install_request=install_request,
                                         acting_user=request.user, source_ip=client_ip(request))
    except ApplicationError as error:
        model_admin.message_user(request, error.message, level=messages.ERROR)
    else:
        model_admin.message_user(request, APPROVED.format(**_values(install_request)),
                                 messages.SUCCESS)
    return HttpResponseRedirect(_next(request, install_request))


def install_request_deny_view(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """First POST (reason typed on the request page or the console home): the confirmation
    page. Second POST (confirm=yes): the denial."""
    install_request = _install_request(model_admin, request, object_id)
    reason = request.POST.get("reason", "").strip()
    if request.POST.get("confirm") == "yes" and reason:
        try:
            services.install_request_deny(install_request=install_request, reason=reason,
                                          acting_user=request.user,
                                          source_ip=client_ip(request))
        except ApplicationError as error:
            model_admin.message_user(request, error.message, level=messages.ERROR)
        else:
            model_admin.message_user(request, DENIED.format(**_values(install_request)),
                                     messages.SUCCESS)
        return HttpResponseRedirect(_next(request, install_request))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Deny {install_request.get_integration_display()} for "
                 f"{install_request.team.name}?",
        "opts": model_admin.model._meta,
        "original": install_request,
        "install_request": install_request,
        "reason": reason,
        "error": errors.DENY_NEEDS_REASON if not reason else "",
        "next": _next(request, install_request),
        "other_pending": InstallRequest.objects.filter(
            team=install_request.team, integration=install_request.integration,
            status=InstallRequest.Status.PENDING,
        ).exclude(pk=install_request.pk).count(),
    }
    return TemplateResponse(request, "admin/approvals/installrequest/deny_confirm.html", context)
