"""A thin client of Jira Server's REST API v2, signed with the user's OAuth 1.0a access token.

One method per endpoint, returning Jira's JSON (paths from the Jira Server REST API v2
reference, https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/, and the webhook REST
API, https://developer.atlassian.com/server/jira/platform/webhooks/). `BaseClient` owns the
egress-guarded session and the typed errors; this class adds Jira's error envelope
(`errorMessages`, `errors`), OAuth problems (401 with `oauth_problem` -> `JiraOAuthError`, a
rejected token -> `JiraTokenRejected`, an ApiUnauthorized) and HTML answered where JSON was asked
(a login proxy in front of Jira).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.base_client import BaseClient
from integrations.errors import ApiError, error_from_exception
from integrations.jira_server import oauth
from integrations.jira_server.context import ServerContext

XSRF_HEADER = {"X-Atlassian-Token": "no-check"}  # Jira's XSRF check on multipart uploads


class JiraClient(BaseClient):
    provider = oauth.PROVIDER
    timeout = (5.0, 30.0)

    SERVER_INFO = "/rest/api/2/serverInfo"
    MYSELF = "/rest/api/2/myself"
    PROJECTS = "/rest/api/2/project"
    PROJECT = "/rest/api/2/project/{key}"
    CREATEMETA = "/rest/api/2/issue/createmeta"
    CREATEMETA_ISSUETYPES = "/rest/api/2/issue/createmeta/{project}/issuetypes"
    CREATEMETA_FIELDS = "/rest/api/2/issue/createmeta/{project}/issuetypes/{issuetype}"
    ISSUES = "/rest/api/2/issue"
    ISSUE = "/rest/api/2/issue/{key}"
    ATTACHMENTS = "/rest/api/2/issue/{key}/attachments"
    SEARCH = "/rest/api/2/search"
    WEBHOOKS = "/rest/webhooks/1.0/webhook"
    WEBHOOK = "/rest/webhooks/1.0/webhook/{webhook_id}"

    def __init__(self, *, server: ServerContext, access_token: str, token_secret: str) -> None:
        self.server = server
        session = oauth.oauth_session(
            server, resource_owner_key=access_token, resource_owner_secret=token_secret
        )
        super().__init__(base_url=server.base_url, session=session)

    def close(self) -> None:
        self.session.close()

    # -- errors ----------------------------------------------------------------------------------
    def error_message(self, response: requests.Response) -> str:
        body = response.json()
        if not isinstance(body, dict):
            return ""
        messages = [str(message) for message in body.get("errorMessages") or []]
        messages += [f"{field}: {text}" for field, text in (body.get("errors") or {}).items()]
        return "; ".join(messages)

    def error_from_response(self, response: requests.Response) -> ApiError:
        path = urlsplit(response.url or "").path.removeprefix(urlsplit(self.base_url).path)
        if oauth.problem_parameters(response).get("oauth_problem") or (
            "html" in oauth.content_type(response)
        ):
            return oauth.oauth_error(response, server=self.server, path=path)
        if response.status_code == 403 and "json" not in oauth.content_type(response):
            # e.g. "XSRF check failed" (text/plain) on an upload without X-Atlassian-Token.
            return ApiError.from_response(
                response, provider=self.provider, message=response.text.strip()[:200]
            )
        return super().error_from_response(response)

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if "html" in oauth.content_type(response):
            raise oauth.oauth_error(response, server=self.server, path=path)
        return _json(self, response)

    # -- endpoints -------------------------------------------------------------------------------
    def server_info(self) -> dict[str, Any]:
        return self.get(self.SERVER_INFO)

    def myself(self) -> dict[str, Any]:
        return self.get(self.MYSELF)

    def projects(self) -> list[dict[str, Any]]:
        return self.get(self.PROJECTS)

    def project(self, key: str) -> dict[str, Any]:
        return self.get(self.PROJECT.format(key=key))

    def createmeta(self, *, project_keys: list[str] | None = None,
                   issuetype_ids: list[str] | None = None, fields: bool = False) -> dict[str, Any]:
        """The create metadata of Jira 7 and 8 (removed in 9.0)."""
        params: dict[str, Any] = {}
        if project_keys:
            params["projectKeys"] = ",".join(project_keys)
        if issuetype_ids:
            params["issuetypeIds"] = ",".join(issuetype_ids)
        if fields:
            params["expand"] = "projects.issuetypes.fields"
        return self.get(self.CREATEMETA, params=params)

    def createmeta_issuetypes(self, project: str, *, start_at: int = 0,
                              max_results: int = 50) -> dict[str, Any]:
        """The paginated replacement (Jira 8.4 and later)."""
        return self.get(self.CREATEMETA_ISSUETYPES.format(project=project),
                        params={"startAt": start_at, "maxResults": max_results})

    def createmeta_fields(self, project: str, issuetype: str, *, start_at: int = 0,
                          max_results: int = 50) -> dict[str, Any]:
        return self.get(self.CREATEMETA_FIELDS.format(project=project, issuetype=issuetype),
                        params={"startAt": start_at, "maxResults": max_results})

    def issue_get(self, key: str, *, fields: str | None = None) -> dict[str, Any]:
        params = {"fields": fields} if fields else None
        return self.get(self.ISSUE.format(key=key), params=params)

    def issue_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.post(self.ISSUES, json={"fields": fields})

    def issue_edit(self, key: str, fields: dict[str, Any]) -> None:
        self.put(self.ISSUE.format(key=key), json={"fields": fields})

    def attachment_add(self, key: str, *, filename: str, content: bytes,
                       content_type: str) -> list[dict[str, Any]]:
        """POST a multipart body with one part named `file`, as Jira requires."""
        url = self.url(self.ATTACHMENTS.format(key=key))
        try:
            response = self.session.post(
                url, files={"file": (filename, content, content_type or "application/octet-stream")},
                headers={**self.headers, **XSRF_HEADER}, timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise error_from_exception(error, provider=self.provider) from None
        if response.status_code >= 400:
            raise self.error_from_response(response)
        return _json(self, response)

    def search(self, *, jql: str, start_at: int = 0, max_results: int = 50,
               fields: str = "summary,status,assignee,priority,description,updated",
               validate_query: str = "strict") -> dict:
        """`validate_query="warn"` turns JQL errors such as an unknown key in `key in (...)`
        into `warningMessages` instead of a 400."""
        return self.get(self.SEARCH, params={"jql": jql, "startAt": start_at,
                                             "maxResults": max_results, "fields": fields,
                                             "validateQuery": validate_query})

    def webhook_register(self, *, name: str, url: str, events: list[str],
                         jql: str = "") -> dict[str, Any]:
        return self.post(self.WEBHOOKS, json={
            "name": name, "url": url, "events": events, "excludeBody": False,
            "filters": {"issue-related-events-section": jql},
        })

    def webhook_delete(self, webhook_id: str) -> None:
        self.delete(self.WEBHOOK.format(webhook_id=webhook_id))


def _json(client: JiraClient, response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ApiError(f"{client.provider} answered with something that is not JSON",
                       status=response.status_code, provider=client.provider) from None
