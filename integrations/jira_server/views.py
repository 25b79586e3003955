"""The Jira webhook receiver: POST /webhooks/jira/<connection id>.<secret>.

No session and no CSRF (Jira is not a browser); the secret in the path is checked in constant
time against the connection's (Jira Server signs nothing). An unknown or wrong id answers 404,
the same for both, so the endpoint says nothing about which connections exist.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.jira_server.deliveries import delivery_apply
from integrations.jira_server.selectors import connection_for_hook

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 5 * 1024 * 1024


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, hook_id: str) -> HttpResponse:
    connection = connection_for_hook(hook_id)
    if connection is None:
        logger.warning("Jira webhook delivery refused: unknown id or wrong secret")
        return JsonResponse({"error": "unknown webhook"}, status=404)
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    changed = delivery_apply(connection=connection, payload=payload)
    return JsonResponse({"cards_updated": changed})
