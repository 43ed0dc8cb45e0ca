"""The WebSocket of the per-org event stream: authenticated like the API (JWT + org), filtered per member."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import HttpRequest

from common.errors import ApiError
from common.tokens import session_id_of
from realtime.events import admits, member_group, org_group, session_group, user_group

# Close codes (4000 + the HTTP status the API would answer).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_REFUSED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_MEMBERSHIP_CHANGED = 4409
# The socket's session ended (logout, a replayed refresh token, a password change): its token is no longer good.
CLOSE_SESSION_ENDED = 4401


def _request_of(scope: dict[str, Any]) -> HttpRequest:
    """The socket's credentials as the API reads them: `Authorization` and `org` headers, or (for browsers,
    which cannot set headers on a WebSocket) `?token=` and `?org=` in the query string."""
    headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    request = HttpRequest()
    token = query.get("token", [None])[0]
    authorization = headers.get("authorization") or (f"Bearer {token}" if token else None)
    if authorization:
        request.META["HTTP_AUTHORIZATION"] = authorization
    org = headers.get("org") or query.get("org", [None])[0]
    if org:
        request.META["HTTP_ORG"] = org
    return request


def _resolve(scope: dict[str, Any]) -> tuple[str, str, str, list[str]] | int:
    """The member's org, profile and role, and the groups that end the socket's session; or a close code."""
    from tenants.pipeline.middleware import resolve_org_request

    try:
        resolved = resolve_org_request(_request_of(scope))
    except ApiError as error:
        return {401: CLOSE_UNAUTHENTICATED, 404: CLOSE_NOT_FOUND}.get(error.status_code, CLOSE_REFUSED)
    profile = resolved.profile
    if profile is None or resolved.api_key is not None:
        return CLOSE_REFUSED
    session_id = session_id_of(resolved.token)
    ending = [user_group(profile.user_id), *([session_group(session_id)] if session_id else [])]
    return str(profile.org_id), str(profile.pk), str(profile.role), [member_group(profile.pk), *ending]


class EventStreamConsumer(AsyncWebsocketConsumer):
    """`/ws/events/`: every event of the member's org that they may see, as JSON `{"event", "data"}`."""

    org_id: str
    profile_id: str
    role: str
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        outcome = await database_sync_to_async(_resolve)(self.scope)
        if isinstance(outcome, int):
            await self.accept()
            await self.close(code=outcome)
            return
        self.org_id, self.profile_id, self.role, closing_groups = outcome
        for group in (org_group(self.org_id), *closing_groups):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send(text_data=json.dumps({"event": "ready", "data": {"org": self.org_id}}))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data and text_data.strip() == "ping":
            await self.send(text_data=json.dumps({"event": "pong", "data": {}}))

    async def org_event(self, message: dict[str, Any]) -> None:
        if admits(message["audience"], profile_id=self.profile_id, role=self.role):
            body = {"event": message["event"], "data": message["data"], "sent_at": message["sent_at"]}
            await self.send(text_data=json.dumps(body))

    async def membership_changed(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_MEMBERSHIP_CHANGED)

    async def session_ended(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)
