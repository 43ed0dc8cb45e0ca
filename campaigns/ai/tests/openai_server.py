"""An OpenAI-compatible chat completions endpoint for tests and the benchmark, served by
tenants.testing.local_http: each answer is decided by a plain function of the request, and a script of answers
can be queued for the next requests.

    fake = FakeOpenAI()
    with local_http_server(fake) as server:
        fake.script(malformed_json, good_answer)  # the next two requests; then good_answer again
        ... OPENAI_BASE_URL = server.url + "/v1" ...
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from tenants.testing.local_http import ReceivedRequest, Reply

Answer = Callable[[ReceivedRequest], Reply]


def requested(request: ReceivedRequest) -> tuple[list[str], int]:
    """The channels and the variants per channel a request's strict response schema asks for."""
    schema = request.json()["response_format"]["json_schema"]["schema"]
    channels = list(schema["properties"])
    count = schema["properties"][channels[0]]["minItems"] if channels else 0
    return channels, count


def data_of(request: ReceivedRequest) -> dict[str, Any]:
    """The first user message: the JSON data document."""
    user = [message for message in request.json()["messages"] if message["role"] == "user"]
    return json.loads(user[0]["content"])


def usage_for(request: ReceivedRequest, content: str) -> dict[str, int]:
    """Plausible token counts: about four bytes a token, as English text runs."""
    prompt = sum(len(message["content"].encode()) for message in request.json()["messages"]) // 4
    completion = max(1, len(content.encode()) // 4)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_reply(
    request: ReceivedRequest,
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    usage: dict[str, int] | None = None,
) -> Reply:
    body = request.json()
    return Reply(
        200,
        {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                }
            ],
            "usage": usage if usage is not None else usage_for(request, content or refusal or ""),
        },
    )


def variant(channel: str, index: int) -> dict[str, Any]:
    """Copy that keeps every rule of the channel; variants differ by their index."""
    n = index + 1
    if channel == "google_ads":
        return {
            "headlines": [
                f"Harbour Lofts {n}",
                "Viewings this week",
                "Two-bed city flats",
                f"From 450k, offer {n}",
            ],
            "descriptions": [f"Bright lofts by the water, variant {n}.", "Book a viewing online today."],
        }
    if channel == "email":
        return {
            "subject": f"Harbour Lofts: viewings open ({n})",
            "preheader": "Floor plans and times inside.",
            "body_html": f"<p>Harbour Lofts, variant {n}.</p><p><a href='https://example.test/v'>Book</a></p>",
        }
    if channel == "sms":
        return {"text": f"Harbour Lofts viewings this week. Reply YES ({n})"}
    return {"text": f"Harbour Lofts: bright flats by the water. Viewings this week. ({channel} {n})"}


def good_answer(request: ReceivedRequest) -> Reply:
    channels, count = requested(request)
    answer = {channel: [variant(channel, index) for index in range(count)] for channel in channels}
    return chat_reply(request, json.dumps(answer))


def long_headlines_answer(request: ReceivedRequest) -> Reply:
    """A well-formed answer whose Google Ads headlines run past 30 characters."""
    channels, count = requested(request)
    answer = {channel: [variant(channel, index) for index in range(count)] for channel in channels}
    for ad in answer.get("google_ads", []):
        ad["headlines"][0] = "A headline that runs far past thirty characters"
    return chat_reply(request, json.dumps(answer))


def malformed_json_answer(request: ReceivedRequest) -> Reply:
    return chat_reply(request, '{"google_ads": [{"headlines": ["Cut off')


def error_answer(status: int, message: str = "upstream trouble", headers: dict[str, str] | None = None) -> Answer:
    def answer(request: ReceivedRequest) -> Reply:
        return Reply(status, {"error": {"message": message, "type": "server_error"}}, headers or {})

    return answer


def hanging_answer(seconds: float) -> Answer:
    def answer(request: ReceivedRequest) -> Reply:
        time.sleep(seconds)
        return good_answer(request)

    return answer


class FakeOpenAI:
    """The server's answer function: the next scripted answer if any, else the default one. Thread-safe."""

    def __init__(self, default: Answer = good_answer) -> None:
        self.default = default
        self._script: collections.deque[Answer] = collections.deque()
        self._lock = threading.Lock()

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._script.clear()
            self._script.extend(answers)

    def reset(self) -> None:
        self.script()
        self.default = good_answer

    def __call__(self, request: ReceivedRequest) -> Reply:
        if not request.path.endswith("/chat/completions"):
            return Reply(404, {"error": {"message": "not found"}})
        with self._lock:
            answer = self._script.popleft() if self._script else self.default
        return answer(request)
