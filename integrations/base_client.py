"""The base of every provider API client: the guarded session, timeouts and typed errors.

Shaped after Sentry's integrations `ApiClient`: a subclass names its provider, its base URL and
its endpoint paths; `request()` sends through the egress-guarded session with a bounded timeout
and turns every failure into an `integrations.errors` type (`ApiError.from_response` for an
answer, `error_from_exception` for a transport failure). Subclasses override `error_message()`
to read their provider's error body. Nothing here logs or raises request headers or bodies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from integrations.egress import thread_session
from integrations.egress.observe import endpoint_templates_register
from integrations.errors import ApiError, error_from_exception

MALFORMED_ANSWER = "{provider} answered with something that is not JSON"


class BaseClient:
    provider = ""  # the name people read in error messages ("Asana")
    timeout: tuple[float, float] = (5.0, 20.0)  # connect, read (seconds); the guard caps both

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The endpoint path constants become the metrics' route templates ("/tasks/{task_gid}").
        super().__init_subclass__(**kwargs)
        endpoint_templates_register(
            [value for name, value in vars(cls).items()
             if name.isupper() and isinstance(value, str) and value.startswith("/")]
        )

    def __init__(
        self,
        *,
        base_url: str,
        headers: dict[str, str] | None = None,
        allowed_hosts: Iterable[str] = (),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Without a session of its own, the client uses its thread's (shared with the thread's
        # other clients of these hosts, so it is never given this client's headers).
        self.session = session or thread_session(allowed_hosts=allowed_hosts)
        self.headers = {"Accept": "application/json", **(headers or {})}

    # -- to override ---------------------------------------------------------------------------
    def error_message(self, response: requests.Response) -> str:
        """The provider's own message in an error answer ("" when it has none)."""
        return ""

    # -- requests ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """An absolute URL is taken as it is (a next_page URI); a path goes under base_url."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        session: requests.Session | None = None,
    ) -> requests.Response:
        """Send one request; a non-2xx answer or a transport failure raises an ApiError type."""
        try:
            response = (session or self.session).request(
                method,
                self.url(path),
                params=params,
                json=json,
                data=data,
                # The client's headers (a user's token) go with its own session only: a session
                # passed in reaches another host (a signed download URL).
                headers={**self.headers, **(headers or {})} if session is None else headers,
                timeout=self.timeout,
                stream=stream,
            )
        except requests.RequestException as error:
            raise error_from_exception(error, provider=self.provider) from None
        if response.status_code >= 400:
            raise self.error_from_response(response)
        return response

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                MALFORMED_ANSWER.format(provider=self.provider),
                status=response.status_code,
                provider=self.provider,
            ) from None

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request_json("GET", path, params=params)

    def post(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request_json("POST", path, json=json, params=params)

    def put(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request_json("PUT", path, json=json, params=params)

    def delete(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request_json("DELETE", path, params=params)

    # -- errors --------------------------------------------------------------------------------
    def error_from_response(self, response: requests.Response) -> ApiError:
        try:
            message = self.error_message(response)
        except ValueError:
            message = ""
        error = ApiError.from_response(response, provider=self.provider, message=message)
        try:
            error.payload = response.json()  # the provider's error body, never our request
        except ValueError:
            error.payload = None
        return error
