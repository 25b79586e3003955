"""The Jira Server provider: its manifest and the capabilities over this package's oauth,
client and mapping.

Loaded by the registry from `CONDUIT_PROVIDERS` ("integrations.jira_server"). Every call takes
`Credentials` whose `connection` is the team's `ServerContext`, which `connection_for(team)`
reads (the one place here that reads the database). `parse_link` is pure: it reads any
`{base}/browse/KEY` link and says which server it names in `LinkRef.site`; only a team whose
registered server is that site can fetch it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from integrations.errors import ApiInvalid, ApiNotFound, OAuthError
from integrations.jira_server import mapping, oauth, webhooks
from integrations.jira_server.audit_actions import AUDIT_ACTIONS
from integrations.jira_server.client import JiraClient
from integrations.jira_server.conf import jira_server_settings
from integrations.jira_server.consent import CONSENT
from integrations.jira_server.context import ServerContext
from integrations.jira_server.errors import CURSOR_INVALID, CursorInvalid
from integrations.jira_server.links import issue_url, parse_browse_url, project_key_of
from integrations.providers import (
    Attachments,
    AttachmentUpload,
    AuthKind,
    AuthorizationStart,
    Browsing,
    Connection,
    Credentials,
    LinkParsing,
    LinkRef,
    LinkTarget,
    NewTicket,
    Page,
    ProviderManifest,
    SandboxSpec,
    TeamRef,
    Ticket,
    TicketBatchRead,
    TicketChanges,
    TicketCreate,
    TicketRead,
    TicketSearch,
    TicketUpdate,
    TokenSet,
    WebhookAnswer,
    WebhookReceiver,
    WebhookSubscriptionInfo,
)

T = TypeVar("T")
NOT_SET_UP = "Jira Server is not set up for this team: a team admin must register the server."
NO_REFRESH = (
    "Jira Server access tokens cannot be refreshed (OAuth 1.0a): connect your Jira account again."
)
COMPLETED_UNSUPPORTED = (
    "Jira Server moves an issue to done through its workflow: change the issue's status in Jira."
)
ISSUE_TYPE_UNKNOWN = "Issue type {issue_type!r} is not available in project {project}."
FORM_VALUES_INVALID = (
    "The form's values are an issue_type (an id or a name) and fields (an object of field ids "
    "and values)."
)
PROJECT_UNKNOWN = "You cannot create issues in Jira project {project} (or it does not exist)."
ISSUE_FIELDS = "summary,description,status,assignee,priority,labels,duedate,project,attachment,updated,issuetype"
DEFAULT_ISSUE_TYPES = ("Task", "Story", "Bug")
FETCH_CHUNK = 50  # keys per `key in (...)` search: a short URL, a page Jira answers whole
WEBHOOK_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]


def _jql_string(value: str) -> str:
    """`value` as one quoted JQL string literal: backslashes and quotes escaped, so nothing in
    it can end the string and add JQL of its own."""
    return '"{}"'.format(str(value).replace("\\", "\\\\").replace('"', '\\"'))


def _start_at(cursor: str | None) -> int:
    """The picker's opaque cursor is Jira's `startAt`; anything but a whole number >= 0 is the
    caller's mistake (400), not a server error."""
    text = (cursor or "0").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise CursorInvalid(CURSOR_INVALID)
    return int(text)


def _console() -> Any:
    # Imported when the console asks: it reaches the ORM and the registration services.
    from integrations.jira_server import console

    return console


def _demo_tickets(base_url: str) -> list:
    # Imported when the trial asks: the module reads the simulator's seed.
    from integrations.jira_server.demo import demo_tickets

    return demo_tickets(base_url)


MANIFEST = ProviderManifest(
    key="jira_server",
    name="Jira Server",
    plans=frozenset({"business", "enterprise"}),
    auth_kind=AuthKind.OAUTH1,
    # No Revocation: Jira Server has no revocation endpoint for OAuth 1.0a consumers (users
    # revoke in Profile > Tools > View OAuth Access Tokens); deleting the tokens is all there is.
    # No WebhookSubscriptions: cards subscribes per imported container with the importing
    # member's token, but Jira lets only its administrators register webhooks, so the console
    # registers one per server (services.webhook_register, server_webhook_register below).
    capabilities=frozenset({
        LinkParsing, TicketRead, TicketBatchRead, Browsing, TicketSearch, TicketCreate,
        TicketUpdate, Attachments, AttachmentUpload, WebhookReceiver, LinkTarget,
    }),
    settings=jira_server_settings,
    # No fixed host: each team's server is allowed through its connection's egress_hosts.
    needs_connection=True,
    sandbox=SandboxSpec(name="jira", simulator="integrations.sandbox.jira.app:JiraSandbox",
                        default_port=8102, demo_tickets=_demo_tickets),
    consent=CONSENT,
    audit_actions=AUDIT_ACTIONS,
    console=_console,
)


def _server(server: Any) -> ServerContext:
    if not isinstance(server, ServerContext):
        raise OAuthError(NOT_SET_UP, error="not_set_up", provider=oauth.PROVIDER)
    return server


def with_client(credentials: Credentials, call: Callable[[JiraClient], T]) -> T:
    server = _server(credentials.connection)
    client = JiraClient(server=server, access_token=credentials.access_token,
                        token_secret=credentials.token_secret or "")
    try:
        return call(client)
    finally:
        client.close()


class JiraServerProvider:
    key = "jira_server"
    name = "Jira Server"
    manifest = MANIFEST

    def connection_for(self, team: TeamRef | None) -> ServerContext | None:
        """The team's registered server with its signing key, or None when it has none."""
        from integrations.jira_server.selectors import server_context

        return server_context(team)

    # -- links ---------------------------------------------------------------------------------
    def parse_link(self, url: str) -> LinkRef | None:
        """`{base}/browse/KEY` on any http(s) server; `site` is the normalised base URL."""
        parsed = parse_browse_url(url)
        if parsed is None:
            return None
        base_url, key = parsed
        return LinkRef(provider=self.key, external_id=key, url=issue_url(base_url, key),
                       container_id=project_key_of(key), site=base_url)

    # -- OAuth 1.0a ----------------------------------------------------------------------------
    def authorization_start(
        self, *, redirect_uri: str, connection: Connection | None = None
    ) -> AuthorizationStart:
        return oauth.authorization_start(redirect_uri=redirect_uri, server=_server(connection))

    def authorization_finish(self, *, params: dict[str, str], start: AuthorizationStart,
                             redirect_uri: str, connection: Connection | None = None) -> TokenSet:
        return oauth.authorization_finish(params=params, start=start, redirect_uri=redirect_uri,
                                          server=_server(connection))

    def refresh(self, *, refresh_token: str) -> TokenSet:
        raise oauth.JiraOAuthError(NO_REFRESH, error="token_expired", audience=oauth.USER)

    # -- tickets -------------------------------------------------------------------------------
    def fetch_ticket(self, credentials: Credentials, external_id: str) -> Ticket:
        server = _server(credentials.connection)
        issue = with_client(credentials, lambda c: c.issue_get(external_id, fields=ISSUE_FIELDS))
        return mapping.issue_to_ticket(issue, base_url=server.base_url)

    def fetch_ticket_summary(self, credentials: Credentials, external_id: str) -> Ticket:
        """The same single issue read as fetch_ticket: Jira answers every field in one call."""
        return self.fetch_ticket(credentials, external_id)

    def list_tickets(self, credentials: Credentials, *, container_id: str,
                     cursor: str | None = None, query: str = "", limit: int = 100) -> Page:
        """A page of the project's issues in key order. Jira runs the JQL afresh for every page
        (`startAt` is an offset into a new result), so the order is one edits cannot change:
        under `ORDER BY updated` an issue edited while pages are read jumps onto a page already
        read. A deletion can still shift later issues back by one; callers that need every
        wanted issue fetch the ones still missing by key (`fetch_tickets`)."""
        server = _server(credentials.connection)
        start_at = _start_at(cursor)
        jql = f"project = {_jql_string(container_id)}"
        if query:
            jql += f" AND text ~ {_jql_string(query)}"
        jql += " ORDER BY key ASC"
        answer = with_client(credentials, lambda c: c.search(jql=jql, start_at=start_at,
                                                             max_results=limit))
        issues = answer.get("issues") or []
        tickets = [mapping.issue_to_ticket(issue, base_url=server.base_url) for issue in issues]
        following = start_at + len(issues)
        more = issues and following < int(answer.get("total") or 0)
        return Page(items=tickets, next_cursor=str(following) if more else None)

    def fetch_tickets(self, credentials: Credentials, external_ids: list[str]) -> list[Ticket]:
        """The issues among `external_ids` that exist and the user may see, in few calls
        (`key in (...)`, FETCH_CHUNK keys per search); the others are simply absent."""
        server = _server(credentials.connection)
        tickets: list[Ticket] = []
        for first in range(0, len(external_ids), FETCH_CHUNK):
            chunk = external_ids[first:first + FETCH_CHUNK]
            jql = "key in ({}) ORDER BY key ASC".format(", ".join(map(_jql_string, chunk)))
            answer = with_client(credentials, lambda c, jql=jql: c.search(
                jql=jql, max_results=FETCH_CHUNK, fields=ISSUE_FIELDS, validate_query="warn"))
            tickets += [mapping.issue_to_ticket(issue, base_url=server.base_url)
                        for issue in answer.get("issues") or []]
        return tickets

    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket:
        """Create in project `new.container_id`; `extra` holds the create form's values (the
        `LinkTarget` form): `issue_type` (id or name) and `fields` (values of the required
        fields the form lists), mapped to Jira's fields here."""
        server = _server(credentials.connection)
        values = new.extra.get("fields") or {}
        issue_type = new.extra.get("issue_type") or ""
        if not isinstance(values, dict) or not isinstance(issue_type, str | int):
            raise ApiInvalid(FORM_VALUES_INVALID, provider=oauth.PROVIDER)

        def create(client: JiraClient) -> dict[str, Any]:
            issuetype = self._issue_type(client, new.container_id, issue_type)
            fields = mapping.create_fields(
                project_key=new.container_id, issuetype_id=issuetype["id"], title=new.title,
                description=new.description, form_fields=issuetype.get("fields") or [],
                values=dict(values),
            )
            created = client.issue_create(fields)
            return client.issue_get(str(created["key"]), fields=ISSUE_FIELDS)

        try:
            issue = with_client(credentials, create)
        except mapping.FieldValuesInvalid as error:
            raise ApiInvalid(f"{oauth.PROVIDER} needs: {error}", provider=oauth.PROVIDER,
                             payload={"errors": error.problems}) from None
        return mapping.issue_to_ticket(issue, base_url=server.base_url)

    def _issue_type(self, client: JiraClient, project: str, wanted: Any) -> dict[str, Any]:
        form = self._form(client, project_key=project, with_fields=True)
        projects = form["projects"]
        if not projects:
            raise ApiNotFound(PROJECT_UNKNOWN.format(project=project), provider=oauth.PROVIDER)
        types = projects[0]["issue_types"]
        if wanted:
            found = next((t for t in types if str(wanted) in (t["id"], t["name"])), None)
            if found is None:
                raise ApiInvalid(ISSUE_TYPE_UNKNOWN.format(issue_type=wanted, project=project),
                                 provider=oauth.PROVIDER)
            return found
        for name in DEFAULT_ISSUE_TYPES:
            found = next((t for t in types if t["name"] == name), None)
            if found is not None:
                return found
        if not types:
            raise ApiNotFound(PROJECT_UNKNOWN.format(project=project), provider=oauth.PROVIDER)
        return types[0]

    def update_ticket(self, credentials: Credentials, external_id: str,
                      changes: TicketChanges) -> Ticket:
        if changes.completed is not None:
            raise ApiInvalid(COMPLETED_UNSUPPORTED, provider=oauth.PROVIDER)
        fields: dict[str, Any] = {}
        if changes.title is not None:
            fields["summary"] = changes.title.strip()[: mapping.SUMMARY_MAX_LENGTH]
        if changes.description is not None:
            fields["description"] = changes.description
        if fields:
            with_client(credentials, lambda c: c.issue_edit(external_id, fields))
        return self.fetch_ticket(credentials, external_id)

    # -- picker --------------------------------------------------------------------------------
    def list_workspaces(self, credentials: Credentials) -> list[dict[str, str]]:
        """One "workspace": the team's Jira server."""
        server = _server(credentials.connection)
        return [{"id": server.base_url, "name": server.base_url}]

    def list_containers(self, credentials: Credentials, *, workspace_id: str = "") -> list[dict]:
        projects = with_client(credentials, lambda c: c.projects())
        return [{"id": str(p.get("key", "")), "name": str(p.get("name", ""))} for p in projects]

    def search_tickets(self, credentials: Credentials, *, workspace_id: str = "",
                       query: str) -> Page:
        server = _server(credentials.connection)
        answer = with_client(credentials, lambda c: c.search(
            jql=f"text ~ {_jql_string(query)} ORDER BY updated DESC", max_results=50))
        return Page(items=[mapping.issue_to_ticket(i, base_url=server.base_url)
                           for i in answer.get("issues") or []])

    # -- the target of a linked ticket (LinkTarget), attachments ----------------------------
    def create_form(self, credentials: Credentials, *, container_id: str = "") -> dict[str, Any]:
        """Projects and issue types the user can create in; with `container_id` (a project
        key), the fields of each of its issue types that the user must fill in."""
        return with_client(credentials, lambda c: self._form(
            c, project_key=container_id, with_fields=bool(container_id)))

    def _form(self, client: JiraClient, *, project_key: str, with_fields: bool) -> dict[str, Any]:
        try:
            meta = client.createmeta(project_keys=[project_key] if project_key else None,
                                     fields=with_fields)
        except ApiNotFound:
            if not project_key:
                raise
            return self._form_paginated(client, project_key=project_key)
        return mapping.create_form(meta)

    def _form_paginated(self, client: JiraClient, *, project_key: str) -> dict[str, Any]:
        """Jira 9 removed issue/createmeta; its paginated replacements exist from 8.4."""
        project = client.project(project_key)
        types = []
        for issuetype in client.createmeta_issuetypes(project_key).get("values") or []:
            if issuetype.get("subtask"):
                continue
            values = client.createmeta_fields(project_key, str(issuetype["id"])).get("values")
            fields = {str(v.get("fieldId") or v.get("key")): v for v in values or []}
            types.append({"id": str(issuetype["id"]), "name": str(issuetype.get("name", "")),
                          "fields": mapping.user_fields(fields)})
        return {"projects": [{"key": str(project.get("key", project_key)),
                              "name": str(project.get("name", "")), "issue_types": types}]}

    def add_attachment(self, credentials: Credentials, external_id: str, *, filename: str,
                       content: bytes, content_type: str) -> dict[str, Any]:
        answer = with_client(credentials, lambda c: c.attachment_add(
            external_id, filename=filename, content=content, content_type=content_type))
        first = (answer or [{}])[0]
        return {"id": str(first.get("id", "")), "name": first.get("filename", filename),
                "size": first.get("size")}

    def list_attachments(self, credentials: Credentials, external_id: str) -> list[dict[str, Any]]:
        """An issue's attachments; every one is a file Jira holds (host "jira")."""
        issue = with_client(credentials, lambda c: c.issue_get(external_id, fields="attachment"))
        return [
            {"id": str(a.get("id", "")), "name": a.get("filename", ""), "host": "jira",
             "download_url": a.get("content"), "view_url": a.get("content")}
            for a in (issue.get("fields") or {}).get("attachment") or []
        ]

    def download_attachment(self, credentials: Credentials,
                            attachment: dict[str, Any]) -> tuple[str, bytes, str]:
        url = str(attachment.get("download_url") or "")

        def download(client: JiraClient) -> tuple[bytes, str]:
            response = client.request("GET", url, headers={"Accept": "*/*"})
            return response.content, oauth.content_type(response) or "application/octet-stream"

        content, content_type = with_client(credentials, download)
        return str(attachment.get("name") or "attachment"), content, content_type

    # -- webhooks ------------------------------------------------------------------------------
    def server_webhook_register(self, credentials: Credentials, *, target_url: str,
                                container_id: str = "") -> dict[str, Any]:
        """Register a Jira webhook (needs a Jira administrator's token). The secret is in
        `target_url` (Jira Server signs nothing), so none comes back."""
        jql = f'project = "{container_id}"' if container_id else ""
        answer = with_client(credentials, lambda c: c.webhook_register(
            name="Conduit", url=target_url, events=WEBHOOK_EVENTS, jql=jql))
        webhook_id = str(answer.get("self", "")).rstrip("/").rsplit("/", 1)[-1]
        return {"id": webhook_id, "secret": None}

    def server_webhook_delete(self, credentials: Credentials, webhook_id: str) -> None:
        try:
            with_client(credentials, lambda c: c.webhook_delete(webhook_id))
        except ApiNotFound:
            pass  # already gone

    def webhook_receive(self, *, headers: Mapping[str, str], body: bytes,
                        subscription: WebhookSubscriptionInfo,
                        url_token: str = "") -> WebhookAnswer:
        """A delivery to the URL holding the connection's secret: the issue, whole."""
        return webhooks.webhook_receive(headers=headers, body=body, subscription=subscription,
                                        url_token=url_token)


provider = JiraServerProvider()
jira_server_provider = provider  # the name tests and older callers import
