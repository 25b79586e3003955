"""The Asana provider: its manifest and the capabilities over this package's oauth, client and
mapping.

Loaded by the registry from `CONDUIT_PROVIDERS` ("integrations.asana"). Everything outside
integrations/asana/ talks to Asana through `provider` only; it returns unified values
(`Ticket`, `Page`, `TokenSet`, plain dicts) and raises `integrations.errors` types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from integrations.asana import links, oauth, webhooks
from integrations.asana.client import PAGE_LIMIT, STORED_TASK_FIELDS, AsanaClient
from integrations.asana.conf import asana_settings
from integrations.asana.consent import CONSENT
from integrations.asana.mapping import attachment_summary, ticket_from_task
from integrations.errors import ApiError, ApiNotFound
from integrations.providers import (
    Attachments,
    AuthKind,
    Browsing,
    Credentials,
    LinkParsing,
    LinkRef,
    NewTicket,
    Page,
    ProviderManifest,
    Revocation,
    SandboxSpec,
    Ticket,
    TicketChanges,
    TicketCreate,
    TicketRead,
    TicketSearch,
    TicketTitleRead,
    TicketUpdate,
    WebhookAnswer,
    WebhookReceiver,
    WebhookSubscriptionInfo,
    WebhookSubscriptions,
)
from integrations.providers.hosts import hosts_of
from integrations.providers.oauth2 import OAuth2Provider

PAYMENT_REQUIRED = 402  # Asana's search is for premium workspaces only
SEARCH_SCAN_PAGES = 5  # without search, at most this many pages of a project are filtered
ATTACHMENT_NOT_DOWNLOADABLE = "This attachment is a link to {host}, not a file held by Asana"
NEW_TICKET_EXTRAS = ("assignee", "due_on")  # what `NewTicket.extra` may set besides a section


def _egress_hosts() -> set[str]:
    """The API and OAuth hosts (task links on ASANA_APP_URL are parsed, never fetched)."""
    return hosts_of(asana_settings.ASANA_API_URL, asana_settings.ASANA_OAUTH_URL)


def _sandbox_environment(base_url: str) -> dict[str, str]:
    return {"ASANA_API_URL": f"{base_url}/api/1.0", "ASANA_OAUTH_URL": f"{base_url}/-/"}


def _demo_tickets(base_url: str) -> list:
    # Imported when the trial asks: the module reads the simulator's seed.
    from integrations.asana.demo import demo_tickets

    return demo_tickets(base_url)


MANIFEST = ProviderManifest(
    key="asana",
    name="Asana",
    plans=frozenset({"business", "enterprise"}),
    auth_kind=AuthKind.OAUTH2,
    capabilities=frozenset({
        LinkParsing, TicketRead, TicketTitleRead, Browsing, TicketSearch, TicketCreate, TicketUpdate,
        Attachments, WebhookSubscriptions, WebhookReceiver, Revocation,
    }),
    settings=asana_settings,
    egress_hosts=_egress_hosts,
    sandbox=SandboxSpec(
        name="asana", simulator="integrations.sandbox.asana.app:AsanaSandbox",
        default_port=8101, environment=_sandbox_environment,
        options=lambda base_url: [f"app_url={base_url}"], demo_tickets=_demo_tickets,
    ),
    consent=CONSENT,
)


class AsanaProvider(OAuth2Provider):
    """Asana needs nothing per team: each user's token is all a call needs. The OAuth 2.0 flow
    (https://developers.asana.com/docs/oauth) is this package's oauth module."""

    key = "asana"
    name = "Asana"
    manifest = MANIFEST
    oauth_flow = oauth

    def client(self, credentials: Credentials) -> AsanaClient:
        return AsanaClient(credentials.access_token)

    # -- links ---------------------------------------------------------------------------------
    def parse_link(self, url: str) -> LinkRef | None:
        return links.parse_link(url)

    # -- tickets -------------------------------------------------------------------------------
    def fetch_ticket(self, credentials: Credentials, external_id: str) -> Ticket:
        """The live task with its details (tags, due date, projects, attachments, modified)."""
        client = self.client(credentials)
        task = client.task(external_id)
        attachments = client.task_attachments(external_id)
        return ticket_from_task(task, attachments=attachments)

    def fetch_ticket_summary(self, credentials: Credentials, external_id: str) -> Ticket:
        """The task's stored fields alone (getTask): one call, no details, no attachments."""
        return ticket_from_task(
            self.client(credentials).task(external_id, opt_fields=STORED_TASK_FIELDS)
        )

    def fetch_ticket_title(self, credentials: Credentials, external_id: str) -> Ticket:
        """The task's name alone (getTask with opt_fields=name), for a link preview."""
        return ticket_from_task(self.client(credentials).task(external_id, opt_fields="name"))

    def list_tickets(
        self,
        credentials: Credentials,
        *,
        container_id: str,
        cursor: str | None = None,
        query: str = "",
        limit: int = PAGE_LIMIT,
    ) -> Page:
        """One page of a project's tasks (cursor: Asana's offset); with `query`, the matches."""
        client = self.client(credentials)
        if query.strip():
            return Page(items=self._search_project(client, container_id, query.strip(), limit))
        body = client.project_tasks(container_id, limit=limit, offset=cursor,
                                    opt_fields=STORED_TASK_FIELDS)
        items = [ticket_from_task(task, project_gid=container_id) for task in body["data"]]
        return Page(items=items, next_cursor=(body.get("next_page") or {}).get("offset"))

    def _search_project(
        self, client: AsanaClient, project_gid: str, query: str, limit: int
    ) -> list[Ticket]:
        workspace = (client.project(project_gid).get("workspace") or {}).get("gid", "")
        try:
            tasks = client.search_tasks(workspace, text=query, project_gid=project_gid, limit=limit)
        except ApiError as error:
            if error.status != PAYMENT_REQUIRED:
                raise
            tasks = self._scan_project(client, project_gid, query, limit)
        return [ticket_from_task(task, project_gid=project_gid) for task in tasks]

    @staticmethod
    def _scan_project(
        client: AsanaClient, project_gid: str, query: str, limit: int
    ) -> list[dict[str, Any]]:
        """Search's stand-in on non-premium workspaces: names filtered, a few pages at most."""
        wanted = query.casefold()
        found: list[dict[str, Any]] = []
        for index, task in enumerate(client.all_project_tasks(project_gid)):
            if index >= SEARCH_SCAN_PAGES * PAGE_LIMIT or len(found) >= limit:
                break
            if wanted in (task.get("name") or "").casefold():
                found.append(task)
        return found

    def search_tickets(self, credentials: Credentials, *, workspace_id: str, query: str) -> Page:
        tasks = self.client(credentials).search_tasks(workspace_id, text=query)
        return Page(items=[ticket_from_task(task) for task in tasks])

    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket:
        """A task in project `container_id` (in `extra["section"]` when given)."""
        data: dict[str, Any] = {"name": new.title, "notes": new.description}
        section = new.extra.get("section")
        if section:
            data["memberships"] = [{"project": new.container_id, "section": str(section)}]
        else:
            data["projects"] = [new.container_id]
        data.update({key: new.extra[key] for key in NEW_TICKET_EXTRAS if key in new.extra})
        task = self.client(credentials).create_task(data, opt_fields=STORED_TASK_FIELDS)
        return ticket_from_task(task, project_gid=new.container_id)

    def update_ticket(
        self, credentials: Credentials, external_id: str, changes: TicketChanges
    ) -> Ticket:
        """Writes only the fields given (title -> name, description -> notes, completed)."""
        names = {"title": "name", "description": "notes", "completed": "completed"}
        data = {names[field]: value for field, value in changes.as_dict().items()}
        client = self.client(credentials)
        task = (client.update_task(external_id, data, opt_fields=STORED_TASK_FIELDS) if data
                else client.task(external_id, opt_fields=STORED_TASK_FIELDS))
        return ticket_from_task(task)

    # -- import picker -------------------------------------------------------------------------
    def list_workspaces(self, credentials: Credentials) -> list[dict[str, str]]:
        return [
            {"id": w["gid"], "name": w.get("name", "")}
            for w in self.client(credentials).workspaces()
        ]

    def list_containers(self, credentials: Credentials, *, workspace_id: str) -> list[dict]:
        """The workspace's unarchived projects the user can see."""
        projects = self.client(credentials).workspace_projects(workspace_id)
        return [{"id": p["gid"], "name": p.get("name", "")} for p in projects]

    # -- attachments ---------------------------------------------------------------------------
    def list_attachments(self, credentials: Credentials, external_id: str) -> list[dict]:
        """name, host, download_url (None for links to other services), view_url, id."""
        attachments = self.client(credentials).task_attachments(external_id)
        return [attachment_summary(attachment) for attachment in attachments]

    def download_attachment(
        self, credentials: Credentials, attachment: dict[str, Any]
    ) -> tuple[str, bytes, str]:
        """(filename, content, content type) of a file Asana holds; a link raises ApiError.

        download_url is short-lived, so it is read afresh (getAttachment) when the summary
        has an id.
        """
        client = self.client(credentials)
        summary = attachment
        if attachment.get("id"):
            summary = attachment_summary(client.attachment(str(attachment["id"])))
        url = summary.get("download_url")
        if not url:
            host = summary.get("host") or "another service"
            raise ApiError(ATTACHMENT_NOT_DOWNLOADABLE.format(host=host), provider=self.name)
        content, content_type = client.download(url)
        filename = summary.get("name") or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        return filename, content, content_type

    # -- webhooks ------------------------------------------------------------------------------
    def webhook_subscribe(
        self, credentials: Credentials, *, container_id: str, target_url: str
    ) -> dict[str, Any]:
        """Watch project (or task) `container_id`; answers {"id", "secret": None}.

        Asana hands the secret only to `target_url`, in the X-Hook-Secret handshake that happens
        *during* this call: the receiving view must store it (webhook_receive answers a
        WebhookHandshake) and be able to answer while this call is in flight.
        """
        hook = self.client(credentials).create_webhook(container_id, target_url)
        return {"id": hook["gid"], "secret": None, "active": hook.get("active", True)}

    def webhook_unsubscribe(self, credentials: Credentials, webhook_id: str) -> None:
        """Delete the webhook; one already gone is fine. Needs the webhooks:delete scope."""
        try:
            self.client(credentials).delete_webhook(webhook_id)
        except ApiNotFound:
            pass

    def webhook_receive(self, *, headers: Mapping[str, str], body: bytes,
                        subscription: WebhookSubscriptionInfo,
                        url_token: str = "") -> WebhookAnswer:
        """The X-Hook-Secret handshake or a delivery signed with X-Hook-Signature."""
        return webhooks.webhook_receive(headers=headers, body=body, subscription=subscription,
                                        url_token=url_token)


provider = AsanaProvider()
asana_provider = provider  # the name tests and older callers import
