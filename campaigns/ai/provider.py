"""The one place that talks to the model: the OpenAI SDK against OPENAI_BASE_URL (OpenAI or any compatible
server), with the SDK's own retries and backoff for 408, 409, 429, 5xx and timeouts. Every way a call can fail
comes out as a ProviderError with one of our codes, never as an SDK exception."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import openai
from django.conf import settings
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema

# Codes a job can fail with because of the provider.
AI_UNAVAILABLE = "ai_unavailable"
AI_RATE_LIMITED = "ai_rate_limited"
AI_TIMEOUT = "ai_timeout"
AI_INVALID_OUTPUT = "ai_invalid_output"
AI_DISABLED = "ai_disabled"
# How much of a provider's error text a job's reason keeps.
REASON_MAX = 300


def is_enabled() -> bool:
    return bool(settings.OPENAI_API_KEY)


class ProviderError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:REASON_MAX]


@dataclass(frozen=True)
class Answer:
    """The model's reply: its text, or its refusal, and the tokens the provider says it used (None when a
    compatible server does not report usage)."""

    content: str | None
    refusal: str | None
    finish_reason: str | None
    tokens_used: int | None


@functools.cache
def _client(api_key: str, base_url: str | None, max_retries: int) -> openai.OpenAI:
    # One client (and its connection pool) per configuration for the life of the worker process.
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=max_retries)


def client() -> openai.OpenAI:
    if not is_enabled():
        raise ProviderError(AI_DISABLED, "AI copy is not configured on this server (no OPENAI_API_KEY).")
    return _client(str(settings.OPENAI_API_KEY), settings.OPENAI_BASE_URL or None, int(settings.AI_MAX_RETRIES))


def _status_error(error: openai.APIStatusError) -> ProviderError:
    # The SDK hands over the body's `error` object when there is one; its message is what the provider said.
    said = error.body.get("message") if isinstance(error.body, dict) else None
    detail = f"the AI provider answered {error.status_code}: {said or error.message}"
    if isinstance(error, openai.RateLimitError):
        return ProviderError(AI_RATE_LIMITED, f"The AI provider is rate limiting us ({detail}).")
    return ProviderError(AI_UNAVAILABLE, f"The AI provider failed ({detail}).")


def chat_complete(
    *, messages: list[dict[str, str]], response_format: dict[str, Any], max_completion_tokens: int, timeout: float
) -> Answer:
    """One chat completion with a strict JSON-schema response format. `timeout` bounds each HTTP attempt; the SDK
    makes up to AI_MAX_RETRIES more with exponential backoff (honouring Retry-After) before it gives up."""
    try:
        completion: Any = client().chat.completions.create(
            model=settings.AI_MODEL,
            # Plain role/content dicts and a JSON-schema format, as the API takes them.
            messages=cast("list[ChatCompletionMessageParam]", messages),
            response_format=cast("ResponseFormatJSONSchema", response_format),
            max_completion_tokens=max_completion_tokens,
            timeout=timeout,
        )
    except openai.APITimeoutError:
        raise ProviderError(AI_TIMEOUT, f"The AI provider did not answer within {timeout:g} seconds.") from None
    except openai.APIStatusError as error:
        raise _status_error(error) from None
    except openai.APIConnectionError as error:
        raise ProviderError(AI_UNAVAILABLE, f"The AI provider could not be reached ({error}).") from None
    except openai.OpenAIError as error:
        raise ProviderError(AI_UNAVAILABLE, f"The AI provider's answer could not be read ({error}).") from None
    # A compatible server may answer 200 with something that is not a chat completion (an HTML page, `{}`).
    if not isinstance(completion, ChatCompletion) or not completion.choices:
        raise ProviderError(AI_UNAVAILABLE, "The AI provider's answer was not a chat completion.")
    choice = completion.choices[0]
    usage = completion.usage
    return Answer(
        content=getattr(choice.message, "content", None),
        refusal=getattr(choice.message, "refusal", None),
        finish_reason=choice.finish_reason,
        tokens_used=usage.total_tokens if usage is not None and usage.total_tokens is not None else None,
    )
