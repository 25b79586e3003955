"""The login forms (site and console): Django's, with the username bounded before anything
looks it up.

Django's AuthenticationForm sets the username field's max_length after the field is built, so
no length validator runs and a 5,000-character name reached authenticate(), where django-axes
records the failure in a 255-character column (a DataError, a 500). Here an overlong name is a
form error, and authenticate() (hence axes) never sees it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

USERNAME_MAX_LENGTH = 150  # django.contrib.auth's User.username; axes stores up to 255
USERNAME_TOO_LONG = f"A username has at most {USERNAME_MAX_LENGTH} characters."


class _BoundedUsername:
    """Adds the length validator AuthenticationForm leaves out."""

    fields: dict[str, Any]

    def _bound_username(self) -> None:
        limit = min(self.fields["username"].max_length or USERNAME_MAX_LENGTH,
                    USERNAME_MAX_LENGTH)
        self.fields["username"].validators.append(
            MaxLengthValidator(limit, message=USERNAME_TOO_LONG)
        )


class LoginForm(_BoundedUsername, AuthenticationForm):
    """The /login form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bound_username()


class ConsoleLoginForm(_BoundedUsername, AdminAuthenticationForm):
    """The console's (/admin/login/) form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bound_username()
