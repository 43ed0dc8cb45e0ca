"""Boards at the issue's sizes: a 2,000-card board loaded in one request, a card move, a board view over 10,000
deals, and the fan-out of a move to 100 connected sockets through a real server.
Run: .venv/bin/python -m benchmarks.boards [--cards 2000] [--deals 10000] [--sockets 100] [--moves 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.harness import setup, summary, timed

ORG_SLUG = "bench-boards"


def _org() -> dict[str, Any]:
    from common.models import Profile, Role, User
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Boards", slug=ORG_SLUG)
    members = []
    for n in range(5):
        email = f"boards{n}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, secrets.token_urlsafe(16)
        )
        role = Role.OWNER if n == 0 else Role.MEMBER
        profile, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": role})
        members.append(profile)
    return {"org": org, "members": members, "token": access_token_for(members[0].user)}


def _board(org: Any, members: list[Any], cards: int) -> Any:
    from boards import services
    from boards.models import Board, Card, ChecklistItem, Column, Label
    from common.context import org_context

    with org_context(org):
        board = Board.objects.filter(name=f"Bench {cards}").first()
        if board is not None:
            return board
        names = [f"Column {n}" for n in range(8)]
        board = services.board_create(org=org, actor=members[0], data={"name": f"Bench {cards}", "columns": names})
        columns = list(Column.objects.filter(board=board).order_by("position"))
        labels = [Label(org=org, board=board, name=f"Label {n}", created_by=members[0]) for n in range(6)]
        Label.objects.bulk_create(labels)
        rng = random.Random(5)
        made = Card.objects.bulk_create(
            Card(org=org, board=board, column=columns[i % 8], position=(i // 8 + 1) * 65536.0,
                 title=f"Card {i}", assignees=[rng.choice(members).pk],
                 label_ids=[label.pk for label in rng.sample(labels, 2)], created_by=members[0])
            for i in range(cards)
        )  # fmt: skip
        ChecklistItem.objects.bulk_create(
            ChecklistItem(org=org, card=card, text=f"Step {n}", is_done=n == 0, position=n + 1.0)
            for card in made
            for n in range(3)
        )
    return board


def _deals(org: Any, owner: Any, count: int) -> None:
    from common.context import org_context
    from deals.models import Deal
    from deals.pipeline_services import pipeline_ensure_default

    with org_context(org):
        pipeline = pipeline_ensure_default(org=org)
        stages = list(pipeline.stages.filter(kind="open").order_by("position"))
        have = Deal.objects.count()
        Deal.objects.bulk_create(
            Deal(org=org, name=f"Deal {i}", currency="USD", pipeline=pipeline, stage=stages[i % len(stages)],
                 owner=owner, assigned_to=[owner.pk], created_by=owner)
            for i in range(have, count)
        )  # fmt: skip


def _client(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ORG=ORG_SLUG)


def _queries(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def _in_process(data: dict[str, Any], cards: int, deals: int) -> None:
    from boards.models import Card, Column
    from common.context import org_context

    org, members = data["org"], data["members"]
    client = _client(data["token"])
    small, large = _board(org, members, 10), _board(org, members, cards)
    load = f"/api/boards/{large.pk}/"
    print(f"board load, {cards} cards in 8 columns: queries {_queries(client, load)} "
          f"(10 cards: {_queries(client, f'/api/boards/{small.pk}/')})")  # fmt: skip
    print(f"  {summary(timed(lambda: client.get(load), 30))}")

    with org_context(org):
        columns = [
            str(pk) for pk in Column.objects.filter(board=large).order_by("position").values_list("pk", flat=True)
        ]
        ids = [str(pk) for pk in Card.objects.filter(board=large).values_list("pk", flat=True)[:200]]
    rng = random.Random(3)

    def move() -> None:
        card = rng.choice(ids)
        etag = client.get(f"/api/cards/{card}/").headers["ETag"]
        started = time.perf_counter()
        response = client.post(
            f"/api/cards/{card}/move/", {"column": rng.choice(columns), "after": None},
            content_type="application/json", HTTP_IF_MATCH=etag,
        )  # fmt: skip
        moves.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content

    moves: list[float] = []
    for _ in range(200):
        move()
    print(f"card move (one card, If-Match): {summary(moves)}")

    view = _view_board(org, members[0])
    _deals(org, members[0], deals // 10)
    few = _queries(client, f"/api/boards/{view.pk}/view/")
    _deals(org, members[0], deals)
    print(f"board view over {deals} deals, first 20 per stage: queries {_queries(client, f'/api/boards/{view.pk}/view/')}"
          f" ({deals // 10} deals: {few})")  # fmt: skip
    print(f"  {summary(timed(lambda: client.get(f'/api/boards/{view.pk}/view/'), 20))}")


def _view_board(org: Any, owner: Any) -> Any:
    from boards import services
    from boards.models import Board
    from common.context import org_context

    with org_context(org):
        return Board.objects.filter(name="Bench deals").first() or services.board_create(
            org=org, actor=owner, data={"name": "Bench deals", "source": "deals"}
        )


def _fan_out(data: dict[str, Any], sockets: int, moves: int) -> None:
    from django.conf import settings
    from websockets.asyncio.client import connect

    from benchmarks.records import _database_url, _free_port
    from boards.models import Card, Column
    from common.context import org_context

    org, members = data["org"], data["members"]
    board = _board(org, members, 10)
    with org_context(org):
        columns = [str(pk) for pk in Column.objects.filter(board=board).values_list("pk", flat=True)]
        card = str(Card.objects.filter(board=board).values_list("pk", flat=True).first())
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.production", "SECRET_KEY": "bench-only",
           "DATABASE_URL": _database_url(settings.DATABASES["default"]), "REDIS_URL": settings.REDIS_URL,
           "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR",
           "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"], "WEB_CONCURRENCY": "2",
           "HOST": "127.0.0.1", "PORT": str(port)}  # fmt: skip
    command = [sys.executable, "-m", "gunicorn", "--config", "crm/gunicorn.py", "crm.asgi"]
    server = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        asyncio.run(_measure(port, data["token"], card, columns, sockets, moves, connect))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


async def _measure(
    port: int, token: str, card: str, columns: list[str], sockets: int, moves: int, connect: Any
) -> None:
    import http.client

    url = f"ws://127.0.0.1:{port}/ws/events/?token={token}&org={ORG_SLUG}"
    deadline = time.monotonic() + 60
    while True:
        try:
            probe = await connect(url)
            await probe.close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)
    connections = [await connect(url) for _ in range(sockets)]
    for ws in connections:
        await ws.recv()  # ready
    end_to_end: list[float] = []
    from_publish: list[float] = []

    def post_move(after_column: str) -> float:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "org": ORG_SLUG, "Content-Type": "application/json"}
        started = time.time()
        conn.request(
            "POST", f"/api/cards/{card}/move/", json.dumps({"column": after_column, "after": None}), headers
        )
        assert conn.getresponse().status == 200
        return started

    async def receive(ws: Any, arrivals: list[tuple[float, float]]) -> None:
        while True:
            event = json.loads(await ws.recv())
            if event["event"] == "card.moved":
                arrivals.append((time.time(), event["sent_at"]))
                return

    for n in range(moves):
        arrivals: list[tuple[float, float]] = []
        waiting = [asyncio.create_task(receive(ws, arrivals)) for ws in connections]
        started = await asyncio.to_thread(post_move, columns[n % len(columns)])
        await asyncio.gather(*waiting)
        end_to_end.extend((now - started) * 1000 for now, _ in arrivals)
        from_publish.extend((now - sent) * 1000 for now, sent in arrivals)
    for ws in connections:
        await ws.close()
    print(f"fan-out of a move to {sockets} sockets ({moves} moves, {len(end_to_end)} deliveries):")
    print(f"  from the move's request to each socket: p50 {statistics.median(end_to_end):.1f} ms, "
          f"p95 {sorted(end_to_end)[int(len(end_to_end) * 0.95)]:.1f} ms")  # fmt: skip
    print(f"  from publish (after commit) to each socket: p50 {statistics.median(from_publish):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    setup()
    data = _org()
    _in_process(data, args.cards, args.deals)
    _fan_out(data, args.sockets, args.moves)


if __name__ == "__main__":
    main()
