"""The compatibility check of a Jira Server, after the requirements of the Asana for Jira Server
admin guide (seeds/001): a supported version (7.13.5 - 8.21.1), the REST API reachable over
HTTPS, and a DNS name that resolves to an externally valid address.

Each requirement gives a `CheckItem` (pass, warning, fail or skipped) with what to change when it
is not met. HTTPS and the public address are enforced here and by the egress guard; with
EGRESS_ALLOW_LOOPBACK (tests, the local trial) plain http to 127.0.0.1 passes, and the report
says that the loopback exception was applied. `/rest/api/2/serverInfo` is Jira's anonymous
server description (https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/#api/2/serverInfo).
Nothing here touches the database: `services.connection_check` stores the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.conf import integration_settings
from integrations.egress import EgressRefused, EgressResolutionError, guarded_session
from integrations.egress.addresses import address_refusal
from integrations.egress.policy import DEFAULT_PORTS, normalize_host, resolve
from integrations.jira_server.links import BaseUrlInvalid, normalize_base_url

PASS, WARNING, FAIL, SKIPPED = "pass", "warning", "fail", "skipped"
SUPPORTED_MIN = (7, 13, 5)
SUPPORTED_MAX = (8, 21, 1)
SUPPORTED_RANGE = "7.13.5 – 8.21.1"
SERVER_INFO_PATH = "/rest/api/2/serverInfo"
TIMEOUT = (5.0, 15.0)

# -- messages (tests assert on these) --------------------------------------------------------
LOOPBACK_EXCEPTION = (
    "Loopback exception applied: {what} accepted only because EGRESS_ALLOW_LOOPBACK is on "
    "(tests and the local trial). A production Jira Server must use HTTPS and a public address."
)
URL_INVALID = "{error}"
URL_ADVICE = "Register Jira's base URL as users open it, for example https://jira.example.com."

HTTPS_OK = "The address uses HTTPS."
HTTPS_LOOPBACK = (
    "Plain http is accepted for this loopback host under the loopback exception (not in "
    "production)."
)
HTTPS_MISSING = "The address uses plain http: Conduit talks to Jira over HTTPS only."
HTTPS_ADVICE = (
    "Serve Jira over HTTPS (Tomcat's HTTPS connector, or a TLS reverse proxy in front of Jira) "
    "with a certificate from a public certificate authority, set Jira's Base URL "
    "(Administration > System > General configuration) to the https:// address, and register "
    "that address here."
)

ADDRESS_OK = "{host} resolves to a public address ({addresses})."
ADDRESS_LOOPBACK = (
    "{host} resolves to loopback ({addresses}), accepted under the loopback exception."
)
ADDRESS_UNRESOLVED = "{host} does not resolve in DNS."
ADDRESS_UNRESOLVED_ADVICE = (
    "Publish a DNS record for {host} that resolves to an address reachable from the internet, "
    "or register the external name of your Jira Server."
)
ADDRESS_NOT_PUBLIC = (
    "{host} resolves to {address}, which is {category}: Conduit runs outside your network and "
    "cannot reach it (and OAuth 1.0a signatures name this host, so it must be the same name "
    "inside and outside)."
)
ADDRESS_NOT_PUBLIC_ADVICE = (
    "Give {host} an externally valid address, in one of two ways. (1) Split DNS: resolve {host} "
    "to the internal address for intranet users and to a public address for external clients "
    "such as Conduit. (2) A separate external name (for example jira-external.example.com) on a "
    "network load balancer that forwards TCP unchanged to Jira's internal addresses; then set "
    'proxyName="<external name>" and proxyPort="<port>" on the Connector in Jira\'s server.xml '
    "so Jira validates requests signed for that name, and register the external name here."
)

SERVER_INFO_OK = "{title} answered /rest/api/2/serverInfo: Jira {version} ({deployment})."
SERVER_INFO_SKIPPED = "Not tried: fix the requirements above first."
SERVER_INFO_UNREACHABLE = "Could not connect to {origin} ({reason})."
SERVER_INFO_TIMEOUT = "{origin} did not answer within {seconds:.0f} seconds."
REACHABILITY_ADVICE = (
    "Make sure Jira is running and reachable from the internet at this address (DNS, firewall, "
    "load balancer, port). If a firewall restricts access, let Conduit's outbound address reach "
    "/, /rest/api/2/* and /plugins/servlet/oauth/* on Jira."
)
SERVER_INFO_TLS = "The TLS certificate of {origin} could not be verified."
TLS_ADVICE = (
    "Install a certificate from a public certificate authority that covers {host}, served with "
    "its full chain (a self-signed or internal CA certificate is not trusted by Conduit)."
)
SERVER_INFO_REFUSED = "The egress guard refused the call: {reason}."
SERVER_INFO_REDIRECT = "/rest/api/2/serverInfo answered a redirect (HTTP {status}) to {location}."
REDIRECT_ADVICE = (
    "Something in front of Jira redirects API calls (a login or SSO proxy, or http to https). "
    "Register the address Jira answers on directly, and let /rest/ and /plugins/servlet/oauth/ "
    "through without a login page."
)
SERVER_INFO_STATUS = "/rest/api/2/serverInfo answered HTTP {status}."
NOT_FOUND_ADVICE = (
    "No Jira REST API at this address: check the base URL, including Jira's context path "
    "(for example https://example.com/jira)."
)
AUTH_ADVICE = (
    "Jira lets anyone read serverInfo, so a proxy in front of Jira is asking for a login: let "
    "/rest/ and /plugins/servlet/oauth/ reach Jira without one."
)
UNAVAILABLE_ADVICE = (
    "Jira is starting, in maintenance or failing: run the check again once Jira answers normally."
)
SERVER_INFO_HTML = (
    "/rest/api/2/serverInfo answered an HTML page ({content_type}) instead of Jira's JSON: a "
    "login page of a single sign-on proxy, or another web application, answers in place of Jira."
)
HTML_ADVICE = (
    "Let Conduit's requests to /rest/ and /plugins/servlet/oauth/ reach Jira directly (exclude "
    "them from the SSO or proxy login), or register the address where Jira itself answers."
)
SERVER_INFO_NOT_JIRA = "/rest/api/2/serverInfo answered JSON without a Jira version."
SERVER_INFO_CLOUD = "This is Jira Cloud ({deployment}); this connector is for Jira Server."
CLOUD_ADVICE = "Connect Jira Server or Data Center here; Jira Cloud is not supported."

BASE_URL_OK = "Jira's own Base URL matches the registered address."
BASE_URL_DIFFERS = (
    "Jira's own Base URL is {jira}, but the registered address is {ours}. OAuth 1.0a signatures "
    "cover the request URL, and Jira verifies them against the URL it thinks it has."
)
BASE_URL_ADVICE = (
    "Set Jira's Base URL (Administration > System > General configuration) to {ours}, or, when "
    "Jira sits behind a load balancer under another name, set proxyName and proxyPort on the "
    "Connector in server.xml to the external name and port. Otherwise users will see "
    "signature_invalid when they connect."
)

VERSION_SUPPORTED = "Jira {version} is in the supported range " + SUPPORTED_RANGE + "."
VERSION_OTHER_8 = (
    "Jira {version} is a Jira 8 version outside the tested range " + SUPPORTED_RANGE + ": it is "
    "expected to work, but Conduit is not tested against it."
)
VERSION_OTHER_8_ADVICE = (
    "Nothing is required. If something misbehaves, use a version within " + SUPPORTED_RANGE + "."
)
VERSION_TOO_OLD = "Jira {version} is older than 7.13.5, the oldest supported version."
VERSION_TOO_NEW = (
    "Jira {version} is not supported (supported: " + SUPPORTED_RANGE + ", other Jira 8 "
    "versions with a warning)."
)
VERSION_UNSUPPORTED_ADVICE = "Run Jira Server or Data Center " + SUPPORTED_RANGE + "."
VERSION_UNREADABLE = "Jira reported a version Conduit cannot read: {version!r}."
VERSION_SKIPPED = "Not known: serverInfo did not answer."

# Each title names the requirement checked, so "[PASS] <title>" reads as "<title> is met".
TITLES = {
    "url": "Base URL is a valid address",
    "https": "HTTPS is used",
    "public_address": "Address is reachable from the internet",
    "server_info": "Jira answers /rest/api/2/serverInfo",
    "base_url": "Jira's own Base URL matches",
    "version": f"Jira version is supported ({SUPPORTED_RANGE})",
}


@dataclass
class CheckItem:
    key: str
    status: str
    message: str
    advice: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TITLES.get(self.key, self.key)


@dataclass
class CheckReport:
    base_url: str
    items: list[CheckItem] = field(default_factory=list)
    version: str = ""
    server_title: str = ""
    loopback_exception: bool = False

    @property
    def outcome(self) -> str:
        statuses = {item.status for item in self.items}
        if FAIL in statuses:
            return FAIL
        return WARNING if WARNING in statuses else PASS

    @property
    def passed(self) -> bool:
        return self.outcome != FAIL

    @property
    def failures(self) -> list[CheckItem]:
        return [item for item in self.items if item.status == FAIL]

    def item(self, key: str) -> CheckItem | None:
        return next((item for item in self.items if item.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "outcome": self.outcome,
            "version": self.version,
            "server_title": self.server_title,
            "loopback_exception": self.loopback_exception,
            "items": [{**asdict(item), "title": item.title} for item in self.items],
        }

    def render_text(self) -> str:
        """The readable report of `manage.py jira_check` (and the console's detail view)."""
        lines = [f"Jira Server compatibility check for {self.base_url}", ""]
        for item in self.items:
            lines.append(f"  [{item.status.upper():7}] {item.title}: {item.message}")
            for note in item.notes:
                lines.append(f"            Note: {note}")
            if item.advice and item.status in (FAIL, WARNING):
                lines.append(f"            What to change: {item.advice}")
        lines.append("")
        if self.loopback_exception:
            lines.append(
                "Loopback exception applied (EGRESS_ALLOW_LOOPBACK): not valid for production."
            )
        lines.append(f"Result: {outcome_label(self)}")
        return "\n".join(lines)


def outcome_label(report: CheckReport) -> str:
    if report.outcome == FAIL:
        count = len(report.failures)
        return f"FAIL ({count} requirement{'s' if count != 1 else ''} not met)"
    if report.outcome == WARNING:
        return "PASS with warnings"
    return "PASS"


# -- versions -------------------------------------------------------------------------------
def parse_version(value: Any) -> tuple[int, int, int] | None:
    """(major, minor, patch) from "8.5.0", "8.20.10-beta" or serverInfo's versionNumbers."""
    if isinstance(value, list | tuple):
        numbers = [int(part) for part in value if isinstance(part, int)]
    else:
        numbers = []
        for part in str(value or "").split(".")[:3]:
            digits = ""
            for character in part:
                if not character.isdigit():
                    break
                digits += character
            if not digits:
                break
            numbers.append(int(digits))
    if not numbers:
        return None
    padded = (numbers + [0, 0, 0])[:3]
    return padded[0], padded[1], padded[2]


def version_item(version: str, numbers: Any = None) -> CheckItem:
    parsed = parse_version(numbers) if numbers else None
    parsed = parsed or parse_version(version)
    if parsed is None:
        return CheckItem(
            "version", FAIL, VERSION_UNREADABLE.format(version=version), VERSION_UNSUPPORTED_ADVICE
        )
    if SUPPORTED_MIN <= parsed <= SUPPORTED_MAX:
        return CheckItem("version", PASS, VERSION_SUPPORTED.format(version=version))
    if parsed[0] == 8:
        return CheckItem(
            "version", WARNING, VERSION_OTHER_8.format(version=version), VERSION_OTHER_8_ADVICE
        )
    message = VERSION_TOO_OLD if parsed < SUPPORTED_MIN else VERSION_TOO_NEW
    return CheckItem("version", FAIL, message.format(version=version), VERSION_UNSUPPORTED_ADVICE)


# -- the check ------------------------------------------------------------------------------
def _loopback_allowed() -> bool:
    return bool(integration_settings.EGRESS_ALLOW_LOOPBACK)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        addresses = resolve(host, 0)
    except EgressResolutionError:
        return False
    return all(address_refusal(a, allow_loopback=True) is None for a in addresses) and all(
        address_refusal(a, allow_loopback=False) is not None for a in addresses
    )


def https_item(base_url: str, report: CheckReport) -> CheckItem:
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return CheckItem("https", PASS, HTTPS_OK)
    host = normalize_host(parts.hostname or "")
    if _loopback_allowed() and is_loopback_host(host):
        report.loopback_exception = True
        return CheckItem(
            "https", PASS, HTTPS_LOOPBACK,
            notes=[LOOPBACK_EXCEPTION.format(what="plain http")],
        )
    return CheckItem("https", FAIL, HTTPS_MISSING, HTTPS_ADVICE)


def address_item(base_url: str, report: CheckReport) -> CheckItem:
    parts = urlsplit(base_url)
    host = normalize_host(parts.hostname or "")
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    try:
        addresses = resolve(host, port)
    except EgressResolutionError:
        return CheckItem(
            "public_address", FAIL, ADDRESS_UNRESOLVED.format(host=host),
            ADDRESS_UNRESOLVED_ADVICE.format(host=host),
        )
    shown = ", ".join(str(address) for address in addresses)
    loopback_used = False
    for address in addresses:
        strict = address_refusal(address, allow_loopback=False)
        if strict is None:
            continue
        if _loopback_allowed() and address_refusal(address, allow_loopback=True) is None:
            loopback_used = True
            continue
        category = strict.split(" is ", 1)[-1]
        return CheckItem(
            "public_address", FAIL,
            ADDRESS_NOT_PUBLIC.format(host=host, address=address, category=category),
            ADDRESS_NOT_PUBLIC_ADVICE.format(host=host),
        )
    if loopback_used:
        report.loopback_exception = True
        return CheckItem(
            "public_address", PASS, ADDRESS_LOOPBACK.format(host=host, addresses=shown),
            notes=[LOOPBACK_EXCEPTION.format(what=f"the loopback address of {host}")],
        )
    return CheckItem("public_address", PASS, ADDRESS_OK.format(host=host, addresses=shown))


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def server_info_fetch(base_url: str) -> tuple[CheckItem, dict[str, Any] | None]:
    """GET serverInfo anonymously through the egress guard; the item and the JSON when it passed."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    origin = f"{parts.scheme}://{parts.netloc}"
    session = guarded_session(allowed_hosts=[host])
    try:
        response = session.get(
            base_url + SERVER_INFO_PATH,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except EgressRefused as error:
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_REFUSED.format(reason=error.reason),
            REACHABILITY_ADVICE,
        ), None
    except requests.exceptions.SSLError:
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_TLS.format(origin=origin), TLS_ADVICE.format(host=host)
        ), None
    except requests.Timeout:
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_TIMEOUT.format(origin=origin, seconds=TIMEOUT[1]),
            REACHABILITY_ADVICE,
        ), None
    except requests.RequestException as error:
        reason = _connection_reason(error)
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_UNREACHABLE.format(origin=origin, reason=reason),
            REACHABILITY_ADVICE,
        ), None
    finally:
        session.close()
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("Location", "(no location)")
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_REDIRECT.format(status=status, location=location),
            REDIRECT_ADVICE,
        ), None
    content_type = _content_type(response)
    if "html" in content_type:
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_HTML.format(content_type=content_type), HTML_ADVICE
        ), None
    if status >= 400:
        advice = (
            NOT_FOUND_ADVICE if status == 404
            else AUTH_ADVICE if status in (401, 403)
            else UNAVAILABLE_ADVICE if status >= 500
            else REACHABILITY_ADVICE
        )
        return CheckItem("server_info", FAIL, SERVER_INFO_STATUS.format(status=status), advice), None
    try:
        info = response.json()
    except ValueError:
        return CheckItem(
            "server_info", FAIL,
            SERVER_INFO_HTML.format(content_type=content_type or "no content type"), HTML_ADVICE,
        ), None
    if not isinstance(info, dict) or not info.get("version"):
        return CheckItem("server_info", FAIL, SERVER_INFO_NOT_JIRA, NOT_FOUND_ADVICE), None
    deployment = str(info.get("deploymentType") or "Server")
    if deployment.lower() == "cloud":
        return CheckItem(
            "server_info", FAIL, SERVER_INFO_CLOUD.format(deployment=deployment), CLOUD_ADVICE
        ), None
    title = str(info.get("serverTitle") or "Jira")
    return CheckItem(
        "server_info", PASS,
        SERVER_INFO_OK.format(title=title, version=info["version"], deployment=deployment),
    ), info


def _connection_reason(error: requests.RequestException) -> str:
    text = str(error)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("timed out", "connection timed out"),
        ("Name or service not known", "name does not resolve"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the connection was closed without an answer"),
    ):
        if marker in text:
            return reason
    return type(error).__name__


def base_url_item(registered: str, info: dict[str, Any]) -> CheckItem | None:
    reported = str(info.get("baseUrl") or "")
    if not reported:
        return None
    try:
        jira = normalize_base_url(reported)
    except BaseUrlInvalid:
        return None
    if jira == registered:
        return CheckItem("base_url", PASS, BASE_URL_OK)
    return CheckItem(
        "base_url", WARNING, BASE_URL_DIFFERS.format(jira=jira, ours=registered),
        BASE_URL_ADVICE.format(ours=registered),
    )


def compatibility_check(
    base_url: str, *, on_item: Callable[[CheckReport], None] | None = None
) -> CheckReport:
    """Every requirement, in order; a later one is skipped when it could not be tried.

    `on_item(report)` is called after each finished item (the console shows the progress)."""

    def add(item: CheckItem) -> None:
        report.items.append(item)
        if on_item is not None:
            on_item(report)

    try:
        base_url = normalize_base_url(base_url)
    except BaseUrlInvalid as error:
        report = CheckReport(base_url=base_url)
        add(CheckItem("url", FAIL, URL_INVALID.format(error=error), URL_ADVICE))
        return report
    report = CheckReport(base_url=base_url)
    add(https_item(base_url, report))
    add(address_item(base_url, report))
    if report.failures:
        add(CheckItem("server_info", SKIPPED, SERVER_INFO_SKIPPED))
        add(CheckItem("version", SKIPPED, VERSION_SKIPPED))
        return report
    item, info = server_info_fetch(base_url)
    add(item)
    if info is None:
        add(CheckItem("version", SKIPPED, VERSION_SKIPPED))
        return report
    report.version = str(info.get("version") or "")
    report.server_title = str(info.get("serverTitle") or "")
    matching = base_url_item(base_url, info)
    if matching is not None:
        add(matching)
    add(version_item(report.version, info.get("versionNumbers")))
    return report
