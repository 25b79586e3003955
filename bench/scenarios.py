"""P1-P5: each runs Conduit's path and its bare baseline, interleaved, and returns Measures.

Baselines do the same provider calls and DB writes with nothing around them: a pooled
`requests.Session` that trusts the sandbox's CA (the physical limit of one call over TLS),
plain ORM writes, a `values()` dump, a bare DRF view.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.harness import Measure, interleave
from bench.processes import Sandbox, bare_session
from bench.setup_data import World, board_with_cards, connect
from cards import selectors as card_selectors
from cards import services as card_services
from cards.conf import cards_settings
from cards.models import CardWidget, LinkPreview
from integrations.sandbox.asana.seed import BACKLOG_PROJECT, BACKLOG_TASK_COUNT, WEBSITE_TASK_FIRST
from tokens.conf import token_settings
from tokens.models import ConnectedAccount

User = get_user_model()
ASANA = "asana"  # the provider key (integrations.providers registry)
TASK_URL = f"https://app.asana.com/0/0/{WEBSITE_TASK_FIRST}"
# What a card's stored fields are read from (title, description, assignee, status, priority,
# url): the baselines ask the provider for exactly these, as Conduit must to store a card.
STORED_TASK_FIELDS = ("name,notes,completed,permalink_url,assignee.name,assignee.email,"
                      "memberships.project.name,memberships.section.name,custom_fields.name,"
                      "custom_fields.resource_subtype,custom_fields.enum_value.name")
CARD_FIELDS = ("id", "board_id", "provider", "external_id", "url", "title", "description",
               "assignee_name", "assignee_email", "status", "priority", "synced_at",
               "sync_error", "created_at")


@dataclass
class Sizes:
    """How much each measure does: `small` proves the bench works, `full` is the real run."""

    pairs: int
    p1_pairs: int
    p2_cards: int
    p3_tasks: int
    p4_accounts: list[int]
    p4_pairs: int
    p5_seconds: float
    p5_pairs: int
    p5_clients: int


SMALL = Sizes(pairs=3, p1_pairs=3, p2_cards=500, p3_tasks=500, p4_accounts=[60], p4_pairs=1,
              p5_seconds=1.5, p5_pairs=1, p5_clients=4)
# P4 measures 1,000 and 10,000 accounts (the acceptance size); 100,000 would need 100,000
# accounts made through the sandbox first, more than a shared 2-core machine holds in a run,
# so the plot extrapolates to it from the best measured rate.
# P1's pairs are a few milliseconds each: 100 of them take a second and steady the median, which
# moved by 0.1 between two runs of 15 on a machine shared with other work.
FULL = Sizes(pairs=15, p1_pairs=100, p2_cards=500, p3_tasks=1000, p4_accounts=[1000, 10000], p4_pairs=1,
             p5_seconds=5, p5_pairs=3, p5_clients=8)


def _api(sandbox: Sandbox, token: str) -> requests.Session:
    session = bare_session(sandbox.ca_file)
    session.headers["Authorization"] = f"Bearer {token}"
    return session


class QueryCount:
    """Counts the SQL statements run on the default connection inside the block.

    An execute wrapper rather than CaptureQueriesContext: a request through the test Client
    fires request_started, which empties connection.queries_log mid-capture.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCount:
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._wrapper.__exit__(*exc_info)


def _one_operation(sandbox: Sandbox, call, path_prefix: str = "/api/1.0", *,
                   warm: bool = False) -> tuple[int, int]:
    """(provider calls, SQL queries) of one run of `call`; with `warm`, of its second run, as
    in a burst of one person's actions (the first reads the account the others reuse)."""
    if warm:
        call()
    sandbox.clear_requests()
    with QueryCount() as queries:
        call()
    return len(sandbox.requests(path_prefix)), queries.count


# -- P1 ---------------------------------------------------------------------------------------
def p1_unfurl(world: World, sandbox: Sandbox, sizes: Sizes) -> Measure:
    bare = _api(sandbox, world.access_token)
    api = sandbox.url("/api/1.0")

    def conduit() -> None:
        card_services.unfurl(board=world.board, url=TASK_URL, acting_user=world.member)

    def baseline() -> None:
        answer = bare.get(f"{api}/tasks/{WEBSITE_TASK_FIRST}", params={"opt_fields": "name"},
                          timeout=30)
        answer.raise_for_status()
        LinkPreview.objects.create(board=world.board, provider=ASANA,
                                   title=answer.json()["data"]["name"], reference=TASK_URL,
                                   created_by=world.member)

    calls, queries = _one_operation(sandbox, conduit, warm=True)
    base_calls, _ = _one_operation(sandbox, baseline)
    c, b = interleave(conduit, baseline, pairs=sizes.p1_pairs, warmup=5, name="P1 unfurl")
    return Measure("P1 unfurl (TLS)", "s", c, b, provider_calls=calls,
                   baseline_provider_calls=base_calls, sql_queries=queries)


def p1_update(world: World, sandbox: Sandbox, sizes: Sizes) -> Measure:
    bare = _api(sandbox, world.access_token)
    api = sandbox.url("/api/1.0")
    imported = card_services.card_import_from_url(board=world.board, url=TASK_URL,
                                                  acting_user=world.member)
    # Loaded as the API loads it (with its board and team), so the SQL count is a request's.
    card = card_selectors.card_get(user=world.member, card_id=imported.pk)
    counter = iter(range(10**9))

    def conduit() -> None:
        card_services.card_update(card=card, acting_user=world.member,
                                  title=f"Draft homepage copy {next(counter)}")

    def baseline() -> None:
        # The same write with the same answer (the stored fields), stored in one UPDATE.
        title = f"Draft homepage copy {next(counter)}"
        answer = bare.put(f"{api}/tasks/{card.external_id}", json={"data": {"name": title}},
                          params={"opt_fields": STORED_TASK_FIELDS}, timeout=30)
        answer.raise_for_status()
        CardWidget.objects.filter(pk=card.pk).update(**_bare_card(answer.json()["data"]),
                                                     synced_at=timezone.now(), sync_error="")

    calls, queries = _one_operation(sandbox, conduit, warm=True)
    base_calls, _ = _one_operation(sandbox, baseline)
    c, b = interleave(conduit, baseline, pairs=sizes.p1_pairs, warmup=5, name="P1 update")
    return Measure("P1 card update (TLS)", "s", c, b, provider_calls=calls,
                   baseline_provider_calls=base_calls, sql_queries=queries)


# -- P2 ---------------------------------------------------------------------------------------
def p2_cards_list(world: World, sandbox: Sandbox, sizes: Sizes) -> Measure:
    board = board_with_cards(world, sizes.p2_cards, "P2")
    client = Client()
    client.force_login(world.member)
    # All of them in one page (the list's most per page is 500), as the baseline dumps them.
    path = f"/api/v1/boards/{board.pk}/cards/?page_size={sizes.p2_cards}"

    def conduit() -> None:
        answer = client.get(path)
        assert answer.status_code == 200, answer.status_code  # noqa: S101 - bench sanity check
        answer.content  # noqa: B018 - the body is what is measured

    def baseline() -> None:
        rows = list(CardWidget.objects.filter(board=board).order_by("id").values(*CARD_FIELDS))
        json.dumps({"data": rows}, default=str).encode()

    conduit()  # the session's first request also reads and keeps the user's time zone
    with QueryCount() as queries:
        conduit()
    c, b = interleave(conduit, baseline, pairs=sizes.pairs)
    return Measure(f"P2 cards list ({sizes.p2_cards}, JSON)", "s", c, b, provider_calls=0,
                   sql_queries=queries.count,
                   notes={"cards": sizes.p2_cards})


# -- P3 ---------------------------------------------------------------------------------------
def _backlog_with(sandbox: Sandbox, world: World, total: int) -> list[str]:
    """The backlog project's task gids, topped up through the API to `total` tasks."""
    bare = _api(sandbox, world.access_token)
    api = sandbox.url("/api/1.0")
    for index in range(max(0, total - BACKLOG_TASK_COUNT)):
        bare.post(f"{api}/tasks", json={"data": {"name": f"Bench task {index}",
                                                 "projects": [BACKLOG_PROJECT]}},
                  timeout=30).raise_for_status()
    return [task["gid"] for task in _list_all(bare, api)][:total]


def _list_all(bare: requests.Session, api: str, opt_fields: str = "name") -> list[dict]:
    tasks: list[dict] = []
    offset = None
    while True:
        params = {"limit": cards_settings.CARDS_IMPORT_PAGE_SIZE, "opt_fields": opt_fields}
        if offset:
            params["offset"] = offset
        page = bare.get(f"{api}/projects/{BACKLOG_PROJECT}/tasks", params=params, timeout=30)
        page.raise_for_status()
        body = page.json()
        tasks += body["data"]
        offset = (body.get("next_page") or {}).get("offset")
        if not offset:
            return tasks


def _bare_card(task: dict) -> dict[str, str]:
    """A card's stored values from a task, mapped as plainly as they can be."""
    assignee = task.get("assignee") or {}
    sections = [m["section"].get("name") or "" for m in task.get("memberships") or []
                if m.get("section")]
    priority = next((f.get("enum_value") or {} for f in task.get("custom_fields") or []
                     if (f.get("name") or "").strip().lower() == "priority"), {})
    status = "done" if task.get("completed") else "open"
    return {"url": task.get("permalink_url") or "", "title": (task.get("name") or "")[:500],
            "description": task.get("notes") or "", "assignee_name": assignee.get("name") or "",
            "assignee_email": assignee.get("email") or "",
            "status": f"{status} · {sections[0]}" if sections and sections[0] else status,
            "priority": priority.get("name") or ""}


def p3_import(world: World, sandbox: Sandbox, sizes: Sizes) -> Measure:
    gids = _backlog_with(sandbox, world, sizes.p3_tasks)
    bare = _api(sandbox, world.access_token)
    api = sandbox.url("/api/1.0")
    board = world.board
    list_path = f"/api/1.0/projects/{BACKLOG_PROJECT}/tasks"

    def conduit() -> None:
        # One request for every task (CARDS_IMPORT_MAX allows 5,000).
        card_services.cards_import(board=board, integration=ASANA, external_ids=gids,
                                   container_id=BACKLOG_PROJECT, acting_user=world.member)

    def baseline() -> None:
        # The same list calls, and the same one upsert of every card.
        now = timezone.now()
        cards = [CardWidget(board_id=board.pk, provider=ASANA, external_id=task["gid"],
                            created_by_id=world.member.pk, synced_at=now, sync_error="",
                            **_bare_card(task))
                 for task in _list_all(bare, api, STORED_TASK_FIELDS)]
        CardWidget.objects.bulk_create(
            cards, update_conflicts=True, unique_fields=["board", "provider", "external_id"],
            update_fields=[*_bare_card({}), "synced_at", "sync_error"])

    calls, queries = _one_operation(sandbox, conduit)
    list_calls = len(sandbox.requests(list_path))
    base_calls, _ = _one_operation(sandbox, baseline)
    # As many pairs as P1: a pair is about a quarter of a second, and with 5 the median moved
    # by 0.2 between two runs on a loaded machine.
    c, b = interleave(conduit, baseline, pairs=sizes.pairs, name="P3 import")
    ideal = math.ceil(len(gids) / cards_settings.CARDS_IMPORT_PAGE_SIZE)
    return Measure(f"P3 import {len(gids)} tasks (TLS)", "s", c, b, provider_calls=calls,
                   baseline_provider_calls=base_calls, sql_queries=queries,
                   notes={"tasks": len(gids), "list_calls": list_calls,
                          "ideal_list_calls": ideal})


# -- P4 ---------------------------------------------------------------------------------------
P4_EXPIRES_IN = 300  # seconds: every account's token expires 5 minutes after the sweep starts


def _expiring_accounts(world: World, sandbox: Sandbox, count: int, tag: str) -> list[dict]:
    """`count` accounts (one user each) holding real sandbox tokens; their token bodies."""
    users = User.objects.bulk_create(
        [User(username=f"bench-{tag}-{index}") for index in range(count)], batch_size=1000
    )
    accounts, bodies = [], []
    for user in users:
        account, body = connect(sandbox, user=user, team=world.team, expires_in=P4_EXPIRES_IN,
                                save=False)
        accounts.append(account)
        bodies.append(body)
    ConnectedAccount.objects.bulk_create(accounts, batch_size=500)
    return bodies


def _refreshed(since) -> int:
    return ConnectedAccount.objects.filter(last_refreshed_at__gte=since).count()


def _sweep_until_refreshed(count: int, since, timeout: float) -> int:
    """The beat's sweep, then wait until `count` accounts were refreshed since `since`; how many
    accounts the sweep enqueued."""
    from tokens import services as token_services

    enqueued = token_services.accounts_refresh_expiring()
    deadline = time.monotonic() + timeout
    while _refreshed(since) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return enqueued


def _warm_up_sweep(world: World, sandbox: Sandbox, workers: int) -> None:
    """A small sweep before the measured ones, so that the sweeping process and every worker
    process have refreshed before (a database connection, a TLS session with the provider, code
    imported on first use), as in production, where they run for days; P1-P3 also measure after
    one operation. Without it the first measure (1,000 accounts) paid ≈0.4 s of first tasks."""
    count = workers * 10  # chunks of 3: each worker process gets some
    _expiring_accounts(world, sandbox, count, "p4-warm-up")
    since = timezone.now()
    ConnectedAccount.objects.exclude(pk=world.account.pk).update(
        expires_at=since + timedelta(seconds=P4_EXPIRES_IN))
    _sweep_until_refreshed(count, since, timeout=120)


def p4_refresh_sweep(world: World, sandbox: Sandbox, sizes: Sizes, *, workers: int,
                     ) -> list[Measure]:
    """The beat's sweep (tokens.refresh_expiring_accounts' service) against `workers` prefork
    processes, for each size: every account expires P4_EXPIRES_IN seconds after the sweep
    starts, well inside the 10-minute window; the baseline refreshes the same tokens with bare
    pooled HTTP calls from `workers` threads."""
    from django.conf import settings
    from django.db.models import Max

    from tokens import services as token_services

    token_url = sandbox.url("/-/oauth_token")
    client_auth = (settings.ASANA_CLIENT_ID, settings.ASANA_CLIENT_SECRET)
    measures = []
    _warm_up_sweep(world, sandbox, workers)
    for count in sizes.p4_accounts:
        conduit_times, baseline_times, grants = [], [], []
        for pair in range(sizes.p4_pairs):
            ConnectedAccount.objects.exclude(pk=world.account.pk).delete()
            User.objects.filter(username__startswith="bench-p4-").delete()
            bodies = _expiring_accounts(world, sandbox, count, f"p4-{pair}")
            sandbox.clear_requests()
            started_at = timezone.now()
            expires_at = started_at + timedelta(seconds=P4_EXPIRES_IN)
            ConnectedAccount.objects.exclude(pk=world.account.pk).update(expires_at=expires_at)
            started = time.perf_counter()
            # The sweep as the beat job runs it: every expiring account, in worker-sized chunks.
            enqueued = _sweep_until_refreshed(count, started_at, timeout=max(600, count))
            conduit_times.append(time.perf_counter() - started)
            done = _refreshed(started_at)
            last = ConnectedAccount.objects.filter(last_refreshed_at__gte=started_at).aggregate(
                last=Max("last_refreshed_at"))["last"]
            refreshes = [entry for entry in sandbox.requests("/-/oauth_token")
                         if entry["grant_type"] == "refresh_token"]
            grants.append({"refreshed": done, "grants": len(refreshes), "enqueued": enqueued,
                           "not_refreshed": count - done,
                           "all_before_expiry": done == count and last is not None
                           and last < expires_at})
            baseline_times.append(_bare_refreshes(token_url, client_auth, bodies, workers,
                                                  ca_file=sandbox.ca_file))
        per_account = [g["grants"] / count for g in grants]
        rate = count / min(conduit_times)
        measures.append(Measure(
            f"P4 refresh sweep {count} accounts", "s", conduit_times, baseline_times,
            provider_calls=grants[-1]["grants"], notes={
                "accounts": count, "workers": workers, "runs": grants,
                "grants_per_account": per_account, "conduit_per_second": rate,
                "baseline_per_second": count / min(baseline_times),
                "chunk_size": token_services.refresh_chunk_size(count),
                "window_seconds": int(token_settings.TOKEN_REFRESH_WINDOW_SECONDS),
            }))
    return measures


def _bare_refreshes(token_url: str, client_auth: tuple[str, str], bodies: list[dict],
                    workers: int, *, ca_file: str) -> float:
    """Seconds for `workers` threads, each on a pooled session, to refresh every token once."""
    pending = list(bodies)
    lock = threading.Lock()

    def run() -> None:
        session = bare_session(ca_file)
        while True:
            with lock:
                if not pending:
                    return
                body = pending.pop()
            session.post(token_url, data={
                "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                "client_id": client_auth[0], "client_secret": client_auth[1],
            }, timeout=30).raise_for_status()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


# -- P5 ---------------------------------------------------------------------------------------
def _bearer_token(world: World) -> str:
    import secrets

    from oauth2_provider.models import AccessToken, Application

    application = Application.objects.create(
        name="Bench client", user=world.member, client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://plugin.example/callback",
    )
    token = AccessToken.objects.create(
        user=world.member, application=application, token=secrets.token_urlsafe(30),
        expires=timezone.now() + timedelta(hours=2), scope="read",
    )
    return token.token


def _throughput(url: str, headers: dict[str, str], *, seconds: float, clients: int) -> float:
    """Successful requests per second of `clients` keep-alive clients hitting `url`."""
    counts = [0] * clients
    errors: list[int] = []
    stop = time.perf_counter() + seconds

    def run(index: int) -> None:
        session = bare_session()
        session.headers.update(headers)
        while time.perf_counter() < stop:
            answer = session.get(url, timeout=30)
            if answer.status_code == 200:
                counts[index] += 1
            else:
                errors.append(answer.status_code)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{url}: {len(errors)} failed answers, e.g. {errors[:5]}")
    return sum(counts) / (time.perf_counter() - started)


def p5_api_throughput(world: World, sizes: Sizes, *, base_url: str) -> Measure:
    board = board_with_cards(world, 50, "P5")
    token = _bearer_token(world)
    conduit_url = f"{base_url}/api/v1/boards/{board.pk}/cards/"
    bare_url = f"{base_url}/bench/bare/boards/{board.pk}/cards/"
    auth = {"Authorization": f"Bearer {token}"}
    for url, headers in ((conduit_url, auth), (bare_url, {})):
        bare_session().get(url, headers=headers, timeout=30).raise_for_status()
        # Unmeasured load first: each gunicorn worker imports and connects on its first
        # requests, which is start-up cost, not throughput.
        _throughput(url, headers, seconds=1.0, clients=sizes.p5_clients)
    conduit_rates, bare_rates = [], []
    for index in range(sizes.p5_pairs):
        order = [(conduit_url, auth, conduit_rates), (bare_url, {}, bare_rates)]
        if index % 2:
            order.reverse()
        for url, headers, rates in order:
            rates.append(_throughput(url, headers, seconds=sizes.p5_seconds,
                                     clients=sizes.p5_clients))
    return Measure("P5 API cards list (50), bearer", "req/s", conduit_rates, bare_rates,
                   provider_calls=0, notes={"clients": sizes.p5_clients,
                                            "seconds_per_run": sizes.p5_seconds})


