"""One card: read the stored data, write through to the tool, delete; live details; linked
tickets in other tools (the contract's Jira issue among them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cards import services
from cards.api.base import ConduitApi, InstallRequestedOutput
from cards.api.schema import ErrorEnvelopeSerializer
from cards.api.serializers import (
    JIRA_ISSUES_TARGET,
    CardOutputSerializer,
    CardWithLinksOutputSerializer,
    JiraIssueLinkSerializer,
    LinkedTicketSerializer,
    jira_issue_link_json,
)
from cards.linked_tickets import (
    LinkedTicketResult,
    linked_ticket_create,
    linked_ticket_form,
    ticket_link_json,
)
from cards.models import TITLE_MAX_LENGTH
from cards.selectors import card_etag, card_get

CARD_CHANGED_DESCRIPTION = (
    "If-Match does not match the card's ETag: nothing was written; error.detail.current holds "
    "the card's values now (and their etag), error.detail.submitted what was sent."
)


ETAG_HEADER = OpenApiParameter(
    name="ETag", type=str, location=OpenApiParameter.HEADER, response=[200],
    description="The card's version (a strong entity tag); send it back in If-Match.",
)
IF_MATCH_HEADER = OpenApiParameter(
    name="If-Match", type=str, location=OpenApiParameter.HEADER, required=False,
    description="The ETag of the card as the client last read it (or `*`): a card that changed "
                "since is not written and the answer is 412 with error.detail.current (its "
                "values now, with their etag) and error.detail.submitted. Without If-Match the "
                "last write wins.",
)


class CardApi(ConduitApi):
    """GET: the stored card, with its version in `ETag`. PATCH: the tool first, then the card,
    serialised per card; `If-Match` guards against stale edits (412); a refusal answers the
    tool's status in the error envelope with `error.detail.submitted` and leaves the card as it
    was. DELETE: removes the card (the task stays in the tool)."""

    class UpdateInputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=TITLE_MAX_LENGTH)
        description = serializers.CharField(required=False, allow_blank=True, max_length=65536)
        completed = serializers.BooleanField(required=False)

    @extend_schema(responses=CardWithLinksOutputSerializer, operation_id="cards_retrieve",
                   parameters=[ETAG_HEADER])
    def get(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        response = Response(CardWithLinksOutputSerializer(card).data)
        response["ETag"] = card_etag(card)
        return response

    @extend_schema(
        request=UpdateInputSerializer, operation_id="cards_partial_update",
        parameters=[IF_MATCH_HEADER, ETAG_HEADER],
        responses={
            200: CardOutputSerializer,
            412: OpenApiResponse(ErrorEnvelopeSerializer, description=CARD_CHANGED_DESCRIPTION),
        },
    )
    def patch(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = services.card_update(card=card, acting_user=request.user,
                                    if_match=request.headers.get("If-Match"),
                                    **data.validated_data)
        response = Response(CardOutputSerializer(card).data)
        response["ETag"] = card_etag(card)
        return response

    @extend_schema(responses={204: None}, operation_id="cards_destroy")
    def delete(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        services.card_delete(card=card, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardDetailsApi(ConduitApi):
    """The live ticket read with the viewer's own token: the stored fields are refreshed from
    it; details (tags, due date, attachments...) are returned, never stored."""

    class OutputSerializer(serializers.Serializer):
        card = CardOutputSerializer()
        details = serializers.DictField(help_text="Live-only fields, as the tool gave them.")

    @extend_schema(responses=OutputSerializer, parameters=[ETAG_HEADER])
    def get(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        result = services.card_details(card=card, viewer=request.user)
        response = Response(self.OutputSerializer(result).data)
        # The refreshed card's version: an edit dialog opened from the live details can send it
        # as If-Match without another read.
        response["ETag"] = card_etag(result.card)
        return response


FORM_PROJECTS_HELP = ("[{key, name, issue_types: [{id, name, fields: [{id, name, required, type, "
                      "allowed_values}]}]}]; fields only for the container asked for")
ATTACHMENTS_HELP = ("{copied: [{name, size, attachment_id}], skipped: [{name, host, url, reason}], "
                    "failed: [{name, host, reason}]}")


def _ticket_json(result: LinkedTicketResult) -> dict:
    ticket = result.ticket
    return {"key": ticket.external_id, "url": ticket.url, "title": ticket.title,
            "status": ticket.status}


def _attachments_json(result: LinkedTicketResult, *, legacy: bool = False) -> dict:
    copied = result.copied
    if legacy:  # the contract's name for the attachment's id in Jira
        copied = [{**item, "jira_attachment_id": item["attachment_id"]} for item in copied]
    return {"copied": copied, "skipped": result.skipped, "failed": result.failed}


class LinkedTicketApi(ConduitApi):
    """A ticket created in another tool (`target`, an integration key) from this card, and
    linked to it (cards.linked_tickets), through the target's own capabilities.

    GET: the target's create form, read with the user's own token: its containers (projects)
    and ticket types, with `?container=ID` the fields each type needs, plus the card's links to
    the target. POST: creates the ticket with the card's live title and description, copies the
    files the card's tool holds (links to other services are skipped and listed) and stores the
    link. A target that cannot be linked to answers 400; one the team has not set up, 409.
    """

    class FormOutputSerializer(serializers.Serializer):
        projects = serializers.ListField(child=serializers.DictField(),
                                         help_text=FORM_PROJECTS_HELP)
        title = serializers.CharField()
        description = serializers.CharField()
        links = LinkedTicketSerializer(many=True)

    class CreatedOutputSerializer(serializers.Serializer):
        ticket = serializers.DictField(help_text="{key, url, title, status}")
        link = LinkedTicketSerializer()
        attachments = serializers.DictField(help_text=ATTACHMENTS_HELP)

    class InputSerializer(serializers.Serializer):
        container = serializers.CharField(max_length=255,
                                          help_text="The target's container (a project)")
        values = serializers.DictField(
            required=False, help_text="The form's values, as the target's form names them "
                                      "(Jira Server: issue_type and fields)")

    @extend_schema(responses={200: FormOutputSerializer, 202: InstallRequestedOutput},
                   operation_id="cards_linked_ticket_form",
                   parameters=[OpenApiParameter("container", str, required=False)])
    def get(self, request: Request, card_id: int, target: str) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        form = linked_ticket_form(card=card, target=target, acting_user=request.user,
                                  container_id=request.query_params.get("container", ""),
                                  source_ip=self.source_ip(request))
        return Response({**form, "links": [ticket_link_json(link) for link in form["links"]]})

    @extend_schema(request=InputSerializer,
                   responses={201: CreatedOutputSerializer, 202: InstallRequestedOutput},
                   operation_id="cards_linked_ticket_create")
    def post(self, request: Request, card_id: int, target: str) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = linked_ticket_create(
            card=card, target=target, acting_user=request.user,
            container_id=data.validated_data["container"],
            extra=data.validated_data.get("values") or {}, source_ip=self.source_ip(request),
        )
        return Response({"ticket": _ticket_json(result), "link": ticket_link_json(result.link),
                         "attachments": _attachments_json(result)},
                        status=status.HTTP_201_CREATED)


class JiraIssueCreateApi(ConduitApi):
    """The contract's linked Jira issue (`/cards/{id}/jira-issue`): the service behind
    LinkedTicketApi with the target Jira Server, in the contract's names (project, issue,
    linked_issues, jira_issue_key...).

    GET: the create form from Jira's createmeta, read with the user's Jira token: projects and
    issue types, and with `?project=KEY` the required fields each issue type needs, plus the
    issues already linked. POST: creates the issue with the task's title and description,
    copies the files the card's tool holds, skips and lists links to other services, stores
    the link.
    """

    class FormOutputSerializer(serializers.Serializer):
        projects = serializers.ListField(
            child=serializers.DictField(),
            help_text="[{key, name, issue_types: [{id, name, fields: [{id, name, required, "
                      "type, allowed_values}]}]}]; fields only with ?project=",
        )
        title = serializers.CharField()
        description = serializers.CharField()
        linked_issues = JiraIssueLinkSerializer(many=True)

    class CreatedOutputSerializer(serializers.Serializer):
        issue = serializers.DictField(help_text="{key, url, title, status}")
        link = JiraIssueLinkSerializer()
        attachments = serializers.DictField(help_text=ATTACHMENTS_HELP)

    class InputSerializer(serializers.Serializer):
        project = serializers.CharField(max_length=100, help_text="Jira project key")
        issue_type = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                           help_text="Issue type id or name (default Task)")
        fields = serializers.DictField(required=False, help_text="Values of required fields")

    @extend_schema(responses={200: FormOutputSerializer, 202: InstallRequestedOutput},
                   operation_id="cards_jira_issue_form")
    def get(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        form = linked_ticket_form(card=card, target=JIRA_ISSUES_TARGET, acting_user=request.user,
                                  container_id=request.query_params.get("project", ""),
                                  source_ip=self.source_ip(request))
        links = form.pop("links")
        return Response({**form, "linked_issues": [jira_issue_link_json(link) for link in links]})

    @extend_schema(request=InputSerializer,
                   responses={201: CreatedOutputSerializer, 202: InstallRequestedOutput},
                   operation_id="cards_jira_issue_create")
    def post(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = linked_ticket_create(
            card=card, target=JIRA_ISSUES_TARGET, acting_user=request.user,
            container_id=data.validated_data["project"],
            extra={"issue_type": data.validated_data.get("issue_type", ""),
                   "fields": dict(data.validated_data.get("fields") or {})},
            source_ip=self.source_ip(request),
        )
        return Response({"issue": _ticket_json(result), "link": jira_issue_link_json(result.link),
                         "attachments": _attachments_json(result, legacy=True)},
                        status=status.HTTP_201_CREATED)
