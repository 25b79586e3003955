"""Console form fields and list filters that keep a team admin inside the admin's own teams.

Django's defaults list every row of the related model: a `user` select on the membership form
names every user in the system, and a `team` list filter names every team. These replacements
name nothing the viewer may not see.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, Q
from django.http import HttpRequest

from approvals.admin_site import console_teams
from approvals.models import Team
from integrations.providers import all_providers, provider_name

USER_NOT_FOUND = "No user has this username or e-mail address."
USER_LABEL = "User (username or e-mail)"
USER_HELP = "The username or e-mail address of an existing Conduit user."


class UserByNameField(forms.ModelChoiceField):
    """A text box resolved to one user by exact username or case-insensitive e-mail.

    A team admin can add a person they know by name without the form listing anybody; an
    e-mail shared by several users matches none of them (no guess at which one was meant).
    """

    widget = forms.TextInput
    default_error_messages = {"invalid_choice": USER_NOT_FOUND}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", USER_LABEL)
        kwargs.setdefault("help_text", USER_HELP)
        kwargs.pop("limit_choices_to", None)
        super().__init__(*args, empty_label=None, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Unbound forms carry the member's pk (model_to_dict) or the instance; a re-shown bound
        # form carries the text that was typed, which stays as it was.
        if isinstance(value, Model):
            return value.get_username()
        if isinstance(value, int):
            user = self.queryset.filter(pk=value).first()
            return user.get_username() if user else ""
        return value

    def to_python(self, value: Any) -> Model | None:
        text = str(value or "").strip()
        if not text:
            return None
        username_field = get_user_model().USERNAME_FIELD
        matches = list(self.queryset.filter(Q(**{username_field: text}))[:1])
        if not matches:
            matches = list(self.queryset.filter(email__iexact=text)[:2])
        if len(matches) != 1:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice")
        return matches[0]


class TeamListFilter(admin.RelatedFieldListFilter):
    """The `team` list filter, offering only the teams the viewer may see in the console."""

    def field_choices(self, field, request: HttpRequest, model_admin) -> list[tuple[Any, str]]:
        teams = console_teams(request)
        visible = Team.objects.all() if teams is None else Team.objects.filter(pk__in=teams)
        return [(team.pk, str(team)) for team in visible.order_by("name")]


def provider_choices() -> list[tuple[str, str]]:
    """The enabled providers, read when the form is drawn (the key fields carry no choices)."""
    return [(provider.key, provider.name) for provider in all_providers()]


class IntegrationField(forms.ChoiceField):
    """A select of the registry's providers for an integration key field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=provider_choices, **kwargs)


class AuditActionFilter(admin.SimpleListFilter):
    """The audit log's "By action" filter, labelled from the vocabulary (Conduit's actions and
    each enabled provider's), since the column has no choices."""

    title = "action"
    parameter_name = "action__exact"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        from approvals.audit_actions import audit_actions

        return [(value, spec.label) for value, spec in audit_actions().items()]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class ProviderListFilter(admin.AllValuesFieldListFilter):
    """A list filter over a provider key column (`integration`, `target_provider`, ...) that
    names each provider as people read it ("Jira Server", not "jira_server")."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            key, _, count = choice["display"].partition(" (")
            if key in self.lookup_choices:
                choice["display"] = f"{provider_name(key)} ({count}" if count else provider_name(key)
            yield choice


def provider_column(field: str, description: str):
    """A list_display column showing a provider key field by the provider's name."""

    @admin.display(description=description, ordering=field)
    def column(obj: Model) -> str:
        return provider_name(getattr(obj, field))

    column.__name__ = f"{field}_name"
    return column
