"""The Jira webhook receiver: POST /webhooks/jira/<connection id>.<secret>.

No session and no CSRF (Jira is not a browser); the secret in the path is checked in constant
time against the connection's (Jira Server signs nothing). An unknown or wrong id answers 404,
the same for both, so the endpoint says nothing about which connections exist. Refusals are
logged without the path (Django's request logger would write it, secret included).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.inputs import json_loads_bounded
from integrations.jira_server.deliveries import delivery_apply
from integrations.jira_server.selectors import connection_for_hook

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 5 * 1024 * 1024


def _refusal(message: str, status: int) -> JsonResponse:
    logger.warning("Jira webhook delivery refused: %s", message)
    response = JsonResponse({"error": message}, status=status)
    response._has_been_logged = True  # django.utils.log.log_response: the path holds the secret
    return response


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, hook_id: str) -> HttpResponse:
    connection = connection_for_hook(hook_id)
    if connection is None:
        return _refusal("unknown webhook", 404)
    if len(request.body) > MAX_BODY_BYTES:
        return _refusal("body too large", 413)
    try:
        payload = json_loads_bounded(request.body or b"null")
    except ValueError:
        return _refusal("body is not JSON", 400)
    changed = delivery_apply(connection=connection, payload=payload)
    return JsonResponse({"cards_updated": changed})
