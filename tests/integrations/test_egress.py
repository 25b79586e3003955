"""The egress guard (integrations/egress/): what it refuses, where it connects, its timeouts.

No DNS here: names are resolved by a stub installed over socket.getaddrinfo (the `dns`
fixture), and tests/conftest.py's socket guard refuses and records every non-loopback connect,
so "no connection opened" is asserted on its record (`refused_connections`), and "connected to
the checked address" on the one attempt it recorded. Servers are real, on loopback.
"""

from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests_oauthlib import OAuth1Session, OAuth2Session

from integrations.egress import (
    ADDRESS_REFUSED,
    EMBEDDED_ADDRESS_REFUSED,
    HOST_NOT_ALLOWED,
    PLAIN_HTTP_REFUSED,
    PROXY_REFUSED,
    VERIFY_REFUSED,
    EgressRefused,
    allowed_hosts,
    bounded_timeout,
    guarded_session,
)

# A global unicast address standing for "a public host". Nothing is ever sent to it: the
# socket guard refuses the connect before it happens (checked just below).
PUBLIC = "93.184.215.14"

assert socket.socket.connect.__name__ == "_guarded_connect", "tests/conftest.py socket guard"


def refused(address: str, category: str) -> str:
    return ADDRESS_REFUSED.format(address=address, category=category)


def embedded(address: str, inner: str, category: str) -> str:
    return EMBEDDED_ADDRESS_REFUSED.format(address=address, embedded=inner, category=category)


# -- loopback servers -----------------------------------------------------------------------


class RecordingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler) -> None:
        self.accepted = 0
        self.seen: list[dict[str, str]] = []
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        self.accepted += 1
        super().process_request(request, client_address)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self.server.seen.append(
            {
                "path": self.path,
                "host": self.headers.get("Host", ""),
                "authorization": self.headers.get("Authorization", ""),
            }
        )
        status, headers = self.server.routes.get(self.path, (200, {}))
        body = b"ok"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


def start_server(server: RecordingServer) -> RecordingServer:
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    running = start_server(RecordingServer(("127.0.0.1", 0), RecordingHandler))
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def other_server() -> Iterator[RecordingServer]:
    running = start_server(RecordingServer(("127.0.0.1", 0), RecordingHandler))
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections (the kernel does, through the backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


# -- base URLs ------------------------------------------------------------------------------

# (url, hosts the caller allow-lists so that the address rule is what refuses, expected reason)
REFUSED_BASE_URLS = [
    ("https://127.0.0.1/", refused("127.0.0.1", "loopback")),
    ("https://[::ffff:127.0.0.1]/", embedded("::ffff:127.0.0.1", "127.0.0.1", "loopback")),
    ("https://10.0.0.1/", refused("10.0.0.1", "private")),
    ("https://100.64.0.1/", refused("100.64.0.1", "shared address space (CGNAT)")),
    ("https://169.254.169.254/", refused("169.254.169.254", "a cloud metadata address")),
    (
        "https://[64:ff9b::a9fe:a9fe]/",
        embedded("64:ff9b::a9fe:a9fe", "169.254.169.254", "a cloud metadata address"),
    ),
    (
        "https://[2002:a9fe:a9fe::1]/",
        embedded("2002:a9fe:a9fe::1", "169.254.169.254", "a cloud metadata address"),
    ),
    ("https://0.0.0.0/", refused("0.0.0.0", "unspecified")),
    ("https://[::1]/", refused("::1", "loopback")),
    ("https://169.254.1.1/", refused("169.254.1.1", "link-local")),
    ("https://[fe80::1]/", refused("fe80::1", "link-local")),
    ("https://[fd12::1]/", refused("fd12::1", "private")),
    ("https://224.0.0.1/", refused("224.0.0.1", "multicast")),
    ("https://240.0.0.1/", refused("240.0.0.1", "reserved")),
    (
        "https://[::a9fe:a9fe]/",
        embedded("::a9fe:a9fe", "169.254.169.254", "a cloud metadata address"),
    ),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_BASE_URLS)
def test_base_url_to_a_non_public_address_is_refused(
    url, reason, loopback_off, refused_connections
):
    host = requests.utils.urlparse(url).hostname
    session = guarded_session(allowed_hosts=[host])

    with pytest.raises(EgressRefused) as refusal:
        session.get(url)

    assert refusal.value.reason == reason
    assert reason in str(refusal.value)
    assert refused_connections == []


def test_name_resolving_to_a_private_address_is_refused(dns, loopback_off, refused_connections):
    dns.answers["jira.internal.test"] = [["10.0.0.1"]]
    session = guarded_session(allowed_hosts=["jira.internal.test"])

    with pytest.raises(EgressRefused) as refusal:
        session.get("https://jira.internal.test/rest/api/2/myself")

    assert refusal.value.reason == refused("10.0.0.1", "private")
    assert refused_connections == []


def test_name_with_one_private_answer_among_public_ones_is_refused(
    dns, loopback_off, refused_connections
):
    dns.answers["mixed.test"] = [[PUBLIC, "169.254.169.254"]]
    session = guarded_session(allowed_hosts=["mixed.test"])

    with pytest.raises(EgressRefused) as refusal:
        session.get("https://mixed.test/")

    assert refusal.value.reason == refused("169.254.169.254", "a cloud metadata address")
    assert refused_connections == []


@pytest.mark.parametrize("loopback", ["loopback_off", "loopback_on"])
def test_plain_http_to_a_public_host_is_refused(request, dns, loopback, refused_connections):
    """Loopback mode allows plain HTTP to the simulators only, never to a public host."""
    request.getfixturevalue(loopback)
    dns.answers["api.public.test"] = [[PUBLIC]]
    session = guarded_session(allowed_hosts=["api.public.test"])

    with pytest.raises(EgressRefused) as refusal:
        session.get("http://api.public.test/")

    assert refusal.value.reason == PLAIN_HTTP_REFUSED
    assert refused_connections == []


def test_host_outside_the_allow_list_is_refused_before_any_lookup(
    dns, loopback_off, refused_connections
):
    dns.answers["elsewhere.test"] = [[PUBLIC]]

    with pytest.raises(EgressRefused) as refusal:
        guarded_session().get("https://elsewhere.test/")

    assert refusal.value.reason == HOST_NOT_ALLOWED
    assert dns.lookups == []
    assert refused_connections == []


def test_allowed_public_host_is_connected_at_the_checked_address(
    dns, settings, loopback_off, refused_connections
):
    settings.EGRESS_ALLOWED_HOSTS = ["api.public.test"]
    dns.answers["api.public.test"] = [[PUBLIC]]

    with pytest.raises(requests.ConnectionError):  # the socket guard's refusal
        guarded_session().get("https://api.public.test/")

    assert refused_connections == [("AF_INET", (PUBLIC, 443))]
    assert dns.lookups == ["api.public.test"]


def test_provider_hosts_come_from_the_asana_settings(settings):
    settings.ASANA_API_URL = "https://app.asana.com/api/1.0"
    settings.ASANA_OAUTH_URL = "https://auth.asana.test/-/"
    settings.EGRESS_ALLOWED_HOSTS = ["*.s3.amazonaws.com"]

    assert allowed_hosts(["https://jira.team.test:8443/jira"]) == {
        "app.asana.com",
        "auth.asana.test",
        "*.s3.amazonaws.com",
        "jira.team.test",
    }


def test_wildcard_entry_allows_subdomains_only(dns, settings, loopback_off, refused_connections):
    settings.EGRESS_ALLOWED_HOSTS = ["*.files.test"]
    dns.answers["bucket.files.test"] = [[PUBLIC]]

    with pytest.raises(requests.ConnectionError):
        guarded_session().get("https://bucket.files.test/a")
    with pytest.raises(EgressRefused) as refusal:
        guarded_session().get("https://files.test/a")

    assert refusal.value.reason == HOST_NOT_ALLOWED
    assert refused_connections == [("AF_INET", (PUBLIC, 443))]


def test_name_resolving_public_then_private_connects_only_to_the_checked_address(
    dns, loopback_off, refused_connections
):
    dns.answers["rebind.test"] = [[PUBLIC]]
    dns.later = "10.0.0.1"
    session = guarded_session(allowed_hosts=["rebind.test"])

    with pytest.raises(requests.ConnectionError):
        session.get("https://rebind.test/")

    assert dns.lookups == ["rebind.test"]  # one lookup: the connection never resolves again
    assert refused_connections == [("AF_INET", (PUBLIC, 443))]

    with pytest.raises(EgressRefused) as refusal:  # the next request is checked afresh
        session.get("https://rebind.test/")

    assert refusal.value.reason == refused("10.0.0.1", "private")
    assert refused_connections == [("AF_INET", (PUBLIC, 443))]


def test_proxies_are_refused(dns, loopback_off, refused_connections):
    dns.answers["api.public.test"] = [[PUBLIC]]
    session = guarded_session(allowed_hosts=["api.public.test"])
    session.proxies = {"https": "http://127.0.0.1:3128"}

    with pytest.raises(EgressRefused) as refusal:
        session.get("https://api.public.test/")

    assert refusal.value.reason == PROXY_REFUSED
    assert refused_connections == []


def test_turning_off_certificate_verification_is_refused(dns, loopback_off, refused_connections):
    dns.answers["api.public.test"] = [[PUBLIC]]
    session = guarded_session(allowed_hosts=["api.public.test"])

    with pytest.raises(EgressRefused) as refusal:
        session.get("https://api.public.test/", verify=False)

    assert refusal.value.reason == VERIFY_REFUSED
    assert refused_connections == []


def test_refusal_log_holds_no_header_query_or_body(loopback_off, caplog):
    session = guarded_session(allowed_hosts=["10.0.0.1"])

    with pytest.raises(EgressRefused) as refusal:
        session.post(
            "https://10.0.0.1/token?code=query-secret",
            headers={"Authorization": "Bearer header-secret"},
            data={"client_secret": "body-secret"},
        )

    logged = caplog.text + str(refusal.value)
    assert refused("10.0.0.1", "private") in logged
    for secret in ("query-secret", "header-secret", "body-secret", "/token"):
        assert secret not in logged


# -- loopback mode --------------------------------------------------------------------------


def test_loopback_url_works_when_loopback_is_allowed(loopback_on, server):
    response = guarded_session().get(f"{server.origin}/hello")

    assert response.status_code == 200
    assert server.seen == [
        {"path": "/hello", "host": f"127.0.0.1:{server.server_port}", "authorization": ""}
    ]


def test_loopback_url_is_refused_by_default(loopback_off, server):
    with pytest.raises(EgressRefused) as refusal:
        guarded_session().get(f"{server.origin}/hello")

    assert refusal.value.reason == HOST_NOT_ALLOWED
    assert server.accepted == 0


def test_pinned_connection_keeps_the_hostname_in_the_host_header(dns, loopback_on, server):
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    session = guarded_session(allowed_hosts=["sandbox.test"])

    response = session.get(f"http://sandbox.test:{server.server_port}/hello")

    assert response.status_code == 200
    assert server.seen[0]["host"] == f"sandbox.test:{server.server_port}"
    assert dns.lookups == ["sandbox.test"]


# -- TLS on a pinned address ----------------------------------------------------------------


def self_signed_certificate(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def serve_tls(tmp_path, handler: type[http.server.BaseHTTPRequestHandler]
              ) -> Iterator[tuple[RecordingServer, str, list[str]]]:
    """A loopback HTTPS server whose certificate names only sandbox.test; records SNI."""
    cert_path, key_path = self_signed_certificate(tmp_path, "sandbox.test")
    server_names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda _sock, name, _context: server_names.append(name)
    running = RecordingServer(("127.0.0.1", 0), handler)
    running.socket = context.wrap_socket(running.socket, server_side=True)
    start_server(running)
    yield running, cert_path, server_names
    running.shutdown()
    running.server_close()


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[RecordingServer, str, list[str]]]:
    yield from serve_tls(tmp_path, RecordingHandler)


def test_tls_on_a_pinned_address_uses_the_hostname_for_sni_and_certificate(
    dns, loopback_on, tls_server
):
    server, ca_path, server_names = tls_server
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    session = guarded_session(allowed_hosts=["sandbox.test"])

    response = session.get(f"https://sandbox.test:{server.server_port}/hello", verify=ca_path)

    assert response.status_code == 200
    assert server_names == ["sandbox.test"]
    assert server.seen[0]["host"] == f"sandbox.test:{server.server_port}"


def test_tls_certificate_for_another_name_is_rejected(dns, loopback_on, tls_server):
    server, ca_path, _server_names = tls_server
    dns.answers["other.test"] = [["127.0.0.1"]]
    session = guarded_session(allowed_hosts=["other.test"])

    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://other.test:{server.server_port}/hello", verify=ca_path)

    assert server.seen == []


# -- redirects ------------------------------------------------------------------------------

REFUSED_REDIRECT_TARGETS = [
    ("http://10.0.0.1/", refused("10.0.0.1", "private")),
    ("http://100.64.0.1/", refused("100.64.0.1", "shared address space (CGNAT)")),
    (
        "http://169.254.169.254/latest/meta-data/",
        refused("169.254.169.254", "a cloud metadata address"),
    ),
    ("http://[::ffff:127.0.0.1]:{port}/", embedded("::ffff:127.0.0.1", "127.0.0.1", "loopback")),
    (
        "http://[64:ff9b::a9fe:a9fe]/",
        embedded("64:ff9b::a9fe:a9fe", "169.254.169.254", "a cloud metadata address"),
    ),
    (
        "http://[2002:a9fe:a9fe::1]/",
        embedded("2002:a9fe:a9fe::1", "169.254.169.254", "a cloud metadata address"),
    ),
    ("http://0.0.0.0:{port}/", refused("0.0.0.0", "unspecified")),  # 0.0.0.0 reaches this host
    ("https://jira.internal.test/", refused("10.0.0.1", "private")),
    ("http://api.public.test/", PLAIN_HTTP_REFUSED),
]


@pytest.mark.parametrize(("target", "reason"), REFUSED_REDIRECT_TARGETS)
def test_redirect_to_a_refused_target_is_not_followed(
    target, reason, dns, loopback_on, server, refused_connections
):
    dns.answers["jira.internal.test"] = [["10.0.0.1"]]
    dns.answers["api.public.test"] = [[PUBLIC]]
    target = target.format(port=server.server_port)
    server.routes["/go"] = (302, {"Location": target})
    hosts = [requests.utils.urlparse(target).hostname]
    session = guarded_session(allowed_hosts=hosts)

    with pytest.raises(EgressRefused) as refusal:
        session.get(f"{server.origin}/go")

    assert refusal.value.reason == reason
    assert [seen["path"] for seen in server.seen] == ["/go"]
    assert server.accepted == 1
    assert refused_connections == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:{port}/", refused("127.0.0.1", "loopback")),
        ("http://[::1]:{port}/", refused("::1", "loopback")),
    ],
)
def test_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(
    target, reason, settings, server, other_server, refused_connections
):
    """The first hop needs loopback (it is the only place a test server can be); a response hook
    turns loopback off before requests follows the redirect, so the hop is judged as in
    production. The guard reads the settings on every hop."""
    settings.EGRESS_ALLOW_LOOPBACK = True
    target = target.format(port=other_server.server_port)
    server.routes["/go"] = (302, {"Location": target})
    session = guarded_session(allowed_hosts=["127.0.0.1", "::1"])

    def production_from_now_on(response, **kwargs):
        settings.EGRESS_ALLOW_LOOPBACK = False

    with pytest.raises(EgressRefused) as refusal:
        session.get(f"{server.origin}/go", hooks={"response": production_from_now_on})

    assert refusal.value.reason == reason
    assert server.accepted == 1
    assert other_server.accepted == 0
    assert refused_connections == []


def test_redirect_to_an_allowed_target_is_followed(loopback_on, server, other_server):
    server.routes["/go"] = (302, {"Location": f"{other_server.origin}/final"})

    response = guarded_session().get(f"{server.origin}/go")

    assert response.status_code == 200
    assert [hop.status_code for hop in response.history] == [302]
    assert [seen["path"] for seen in other_server.seen] == ["/final"]


def test_redirect_to_a_host_outside_the_allow_list_is_refused(
    dns, loopback_on, server, refused_connections
):
    dns.answers["elsewhere.test"] = [[PUBLIC]]
    server.routes["/go"] = (302, {"Location": "https://elsewhere.test/"})

    with pytest.raises(EgressRefused) as refusal:
        guarded_session().get(f"{server.origin}/go")

    assert refusal.value.reason == HOST_NOT_ALLOWED
    assert refused_connections == []


def test_redirect_chain_is_bounded(settings, loopback_on, server):
    settings.EGRESS_MAX_REDIRECTS = 3
    server.routes["/loop"] = (302, {"Location": "/loop"})

    with pytest.raises(requests.TooManyRedirects):
        guarded_session().get(f"{server.origin}/loop")

    assert len(server.seen) == 4


# -- OAuth sessions -------------------------------------------------------------------------


@pytest.fixture
def oauthlib_allows_loopback_http(monkeypatch):
    # oauthlib refuses http:// itself; the loopback servers here are http. The guard keeps
    # refusing plain http to anything but loopback (tested above).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def oauth2_session(**kwargs) -> OAuth2Session:
    return guarded_session(
        session_class=OAuth2Session,
        client_id="conduit",
        token={"access_token": "access-1", "token_type": "Bearer"},
        **kwargs,
    )


def oauth1_session(**kwargs) -> OAuth1Session:
    return guarded_session(
        session_class=OAuth1Session, client_key="conduit", client_secret="s", **kwargs
    )


@pytest.mark.parametrize(
    ("make_session", "scheme"), [(oauth2_session, "Bearer "), (oauth1_session, "OAuth ")]
)
def test_oauth_sessions_go_through_the_guard(
    make_session, scheme, oauthlib_allows_loopback_http, loopback_on, server
):
    response = make_session().get(f"{server.origin}/me")

    assert response.status_code == 200
    assert server.seen[0]["authorization"].startswith(scheme)


@pytest.mark.parametrize("make_session", [oauth2_session, oauth1_session])
def test_oauth_session_redirect_to_metadata_is_refused(
    make_session, oauthlib_allows_loopback_http, loopback_on, server, refused_connections
):
    server.routes["/me"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    session = make_session(allowed_hosts=["169.254.169.254"])

    with pytest.raises(EgressRefused) as refusal:
        session.get(f"{server.origin}/me")

    assert refusal.value.reason == refused("169.254.169.254", "a cloud metadata address")
    assert refused_connections == []


def test_oauth2_token_request_to_a_private_address_is_refused(loopback_off, refused_connections):
    session = oauth2_session(allowed_hosts=["10.0.0.1"])

    with pytest.raises(EgressRefused) as refusal:
        session.fetch_token("https://10.0.0.1/-/oauth_token", code="c", client_secret="s")

    assert refusal.value.reason == refused("10.0.0.1", "private")
    assert refused_connections == []


# -- timeouts -------------------------------------------------------------------------------


def test_default_timeouts_come_from_the_settings(settings):
    settings.EGRESS_CONNECT_TIMEOUT = 5
    settings.EGRESS_READ_TIMEOUT = 20
    settings.EGRESS_MAX_TIMEOUT = 60

    assert bounded_timeout(None) == (5.0, 20.0)
    assert bounded_timeout((None, 7)) == (5.0, 7.0)
    assert bounded_timeout(3600) == (60.0, 60.0)


@pytest.mark.parametrize("caller_timeout", ["absent", None, 3600, (None, None)])
def test_a_server_that_never_answers_times_out_quickly(
    caller_timeout, settings, loopback_on, silent_server
):
    settings.EGRESS_READ_TIMEOUT = 0.3
    settings.EGRESS_MAX_TIMEOUT = 0.5
    kwargs = {} if caller_timeout == "absent" else {"timeout": caller_timeout}
    started = time.monotonic()

    with pytest.raises(requests.exceptions.ReadTimeout):
        guarded_session().get(f"http://127.0.0.1:{silent_server}/", **kwargs)

    assert time.monotonic() - started < 3
