"""What each kind of copy looks like and the rules it must keep: the platforms' own limits, measured the way each
platform measures them. The same check runs on the model's answer and on a member's edit."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nh3

from campaigns.models import Channel as CampaignChannel

LISTING_DESCRIPTION = "listing_description"

# Every kind of copy the model writes: the campaign channels, and a listing's description for one property.
CHANNELS: tuple[str, ...] = (*CampaignChannel.values, LISTING_DESCRIPTION)
CHANNEL_LABELS: dict[str, str] = {**dict(CampaignChannel.choices), LISTING_DESCRIPTION: "Listing description"}

# --- Limits (docs/ai-copy.md says where each comes from) -------------------------------------------------------
GOOGLE_HEADLINES = (3, 15)
GOOGLE_HEADLINE_WIDTH = 30
GOOGLE_DESCRIPTIONS = (2, 4)
GOOGLE_DESCRIPTION_WIDTH = 90
EMAIL_SUBJECT_MAX = 78
EMAIL_PREHEADER_MAX = 100
EMAIL_BODY_MAX = 20_000
FACEBOOK_MAX = 63_206
INSTAGRAM_MAX = 2_200
INSTAGRAM_HASHTAGS_MAX = 30
LINKEDIN_MAX = 3_000
X_WEIGHTED_MAX = 280
X_URL_WEIGHT = 23
SMS_SEGMENTS_MAX = 1
SMS_GSM7_SINGLE, SMS_GSM7_PART = 160, 153
SMS_UCS2_SINGLE, SMS_UCS2_PART = 70, 67
WHATSAPP_MAX = 1_024
LISTING_DESCRIPTION_MAX = 5_000

# Tags an email body may keep; everything else (scripts, styles, forms, images from anywhere) is removed.
EMAIL_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "blockquote",
    "hr",
    "span",
}
EMAIL_ATTRIBUTES = {"a": {"href", "title"}}
EMAIL_URL_SCHEMES = {"http", "https", "mailto"}

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")  # each takes two septets (an escape, then the character)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<!\w)#\w+")
# twitter-text v3: code points in these ranges weigh 1, every other one 2 (CJK, emoji...); a URL weighs 23.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (`google_ads.0.headlines.3`) and what, in words the model and a member can act on."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# --- Measuring, as each platform does -----------------------------------------------------------------------


def google_width(text: str) -> int:
    """Google Ads counts a double-width character (Chinese, Japanese, Korean) as two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def x_weighted_length(text: str) -> int:
    """X's count (twitter-text v3): a link is 23 whatever its length, CJK and emoji code points weigh 2."""
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    weight = 0
    for char in unicodedata.normalize("NFC", rest):
        code = ord(char)
        weight += 1 if any(low <= code <= high for low, high in _X_LIGHT_RANGES) else 2
    return weight + X_URL_WEIGHT * len(urls)


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_size(text: str) -> SmsSize:
    """How a phone network would send it: GSM-7 when every character is in the GSM alphabet (160 a message,
    153 per part of a longer one), else UCS-2 (70, then 67 per part)."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in text):
        units = sum(2 if char in _GSM7_EXTENDED else 1 for char in text)
        single, part, encoding = SMS_GSM7_SINGLE, SMS_GSM7_PART, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = SMS_UCS2_SINGLE, SMS_UCS2_PART, "ucs2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsSize(encoding=encoding, units=units, segments=segments)


def hashtags(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def email_html_clean(html: str) -> str:
    """The body as it may be sent: an allow-list of formatting tags, links to http(s) and mailto only."""
    return nh3.clean(
        html,
        tags=EMAIL_TAGS,
        attributes=EMAIL_ATTRIBUTES,
        url_schemes=EMAIL_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def _visible_text(html: str) -> str:
    return nh3.clean(html, tags=set()).strip()


def _normalised(text: str) -> str:
    """Two pieces of copy that differ only in case or spacing are the same copy."""
    return " ".join(text.casefold().split())


# --- One channel --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    # The JSON schema of one variant (strict structured outputs: every key required, nothing else allowed).
    variant_schema: dict[str, Any]
    # The rules in words: for the model (the fixed system prompt), the docs and GET /campaigns/ai-channels/.
    rules: str
    # Output tokens allowed per variant: what the reservation counts and the request caps the answer at.
    tokens_per_variant: int
    check: Callable[[dict[str, Any], str], tuple[dict[str, Any], list[Problem]]]
    limits: dict[str, int]


def _object_schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _string_list(low: int, high: int, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "minItems": low,
        "maxItems": high,
        "description": description,
    }


def _text(content: dict[str, Any], path: str, name: str, problems: list[Problem]) -> str:
    value = content.get(name)
    if not isinstance(value, str):
        problems.append(Problem(f"{path}.{name}", "must be a string"))
        return ""
    value = value.strip()
    if not value:
        problems.append(Problem(f"{path}.{name}", "must not be empty"))
    return value


def _too_long(path: str, size: int, limit: int, unit: str, text: str) -> Problem:
    return Problem(path, f"{size} {unit}, at most {limit}: {text[:120]!r}")


def _check_google_ads(content: dict[str, Any], path: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for name, (low, high), width in (
        ("headlines", GOOGLE_HEADLINES, GOOGLE_HEADLINE_WIDTH),
        ("descriptions", GOOGLE_DESCRIPTIONS, GOOGLE_DESCRIPTION_WIDTH),
    ):
        items = content.get(name)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            problems.append(Problem(f"{path}.{name}", "must be a list of strings"))
            clean[name] = []
            continue
        items = [item.strip() for item in items]
        if not low <= len(items) <= high:
            problems.append(Problem(f"{path}.{name}", f"{len(items)} given, {low} to {high} needed"))
        seen: set[str] = set()
        for index, item in enumerate(items):
            if not item:
                problems.append(Problem(f"{path}.{name}.{index}", "must not be empty"))
            elif (size := google_width(item)) > width:
                problems.append(_too_long(f"{path}.{name}.{index}", size, width, "characters", item))
            if _normalised(item) in seen:
                problems.append(Problem(f"{path}.{name}.{index}", f"repeats an earlier one: {item!r}"))
            seen.add(_normalised(item))
        clean[name] = items
    return clean, problems


def _check_email(content: dict[str, Any], path: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    subject = _text(content, path, "subject", problems)
    preheader = _text(content, path, "preheader", problems)
    body = email_html_clean(_text(content, path, "body_html", problems))
    if len(subject) > EMAIL_SUBJECT_MAX:
        problems.append(_too_long(f"{path}.subject", len(subject), EMAIL_SUBJECT_MAX, "characters", subject))
    if len(preheader) > EMAIL_PREHEADER_MAX:
        problems.append(
            _too_long(f"{path}.preheader", len(preheader), EMAIL_PREHEADER_MAX, "characters", preheader)
        )
    if len(body) > EMAIL_BODY_MAX:
        problems.append(_too_long(f"{path}.body_html", len(body), EMAIL_BODY_MAX, "characters", body))
    given = content.get("body_html")
    if isinstance(given, str) and given.strip() and not _visible_text(body):
        problems.append(Problem(f"{path}.body_html", "has no text left once unsafe HTML is removed"))
    return {"subject": subject, "preheader": preheader, "body_html": body}, problems


def _text_checker(
    measure: Callable[[str], int] | None,
    limit: int = 0,
    unit: str = "characters",
    extra: Callable[[str, str], list[Problem]] | None = None,
) -> Callable[[dict[str, Any], str], tuple[dict[str, Any], list[Problem]]]:
    def check(content: dict[str, Any], path: str) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        text = _text(content, path, "text", problems)
        if measure is not None and (size := measure(text)) > limit:
            problems.append(_too_long(f"{path}.text", size, limit, unit, text))
        if extra is not None and text:
            problems += extra(text, f"{path}.text")
        return {"text": text}, problems

    return check


def _instagram_hashtags(text: str, path: str) -> list[Problem]:
    count = len(hashtags(text))
    if count > INSTAGRAM_HASHTAGS_MAX:
        return [Problem(path, f"{count} hashtags, at most {INSTAGRAM_HASHTAGS_MAX}")]
    return []


def _sms_segments(text: str, path: str) -> list[Problem]:
    size = sms_size(text)
    if size.segments > SMS_SEGMENTS_MAX:
        single = SMS_GSM7_SINGLE if size.encoding == "gsm7" else SMS_UCS2_SINGLE
        alphabet = (
            "the GSM alphabet" if size.encoding == "gsm7" else "UCS-2 (a character outside the GSM alphabet)"
        )
        return [
            Problem(
                path,
                f"needs {size.segments} SMS messages: {size.units} units in {alphabet}, one message "
                f"holds {single}",
            )
        ]
    return []


def _text_schema(description: str) -> dict[str, Any]:
    return _object_schema({"text": _string(description)})


SPECS: dict[str, ChannelSpec] = {
    CampaignChannel.GOOGLE_ADS: ChannelSpec(
        key=CampaignChannel.GOOGLE_ADS,
        variant_schema=_object_schema(
            {
                "headlines": _string_list(*GOOGLE_HEADLINES, f"Each at most {GOOGLE_HEADLINE_WIDTH} characters."),
                "descriptions": _string_list(
                    *GOOGLE_DESCRIPTIONS, f"Each at most {GOOGLE_DESCRIPTION_WIDTH} characters."
                ),
            }
        ),
        rules=(
            f"A responsive search ad: {GOOGLE_HEADLINES[0]} to {GOOGLE_HEADLINES[1]} headlines of at most "
            f"{GOOGLE_HEADLINE_WIDTH} characters and {GOOGLE_DESCRIPTIONS[0]} to {GOOGLE_DESCRIPTIONS[1]} "
            f"descriptions of at most {GOOGLE_DESCRIPTION_WIDTH}; a Chinese, Japanese or Korean character counts "
            "as two; no two headlines and no two descriptions alike."
        ),
        tokens_per_variant=700,
        check=_check_google_ads,
        limits={
            "headlines_min": GOOGLE_HEADLINES[0],
            "headlines_max": GOOGLE_HEADLINES[1],
            "headline_characters": GOOGLE_HEADLINE_WIDTH,
            "descriptions_min": GOOGLE_DESCRIPTIONS[0],
            "descriptions_max": GOOGLE_DESCRIPTIONS[1],
            "description_characters": GOOGLE_DESCRIPTION_WIDTH,
        },
    ),
    CampaignChannel.EMAIL: ChannelSpec(
        key=CampaignChannel.EMAIL,
        variant_schema=_object_schema(
            {
                "subject": _string(f"At most {EMAIL_SUBJECT_MAX} characters."),
                "preheader": _string(f"At most {EMAIL_PREHEADER_MAX} characters."),
                "body_html": _string("Simple HTML: p, br, strong, em, ul, ol, li, a, h1-h3, blockquote."),
            }
        ),
        rules=(
            f"An email: a subject of at most {EMAIL_SUBJECT_MAX} characters, a preheader (the preview line) of "
            f"at most {EMAIL_PREHEADER_MAX}, and a body of simple HTML (p, br, strong, em, ul, ol, li, a, h1-h3, "
            f"blockquote; no images, styles or scripts) of at most {EMAIL_BODY_MAX} characters."
        ),
        tokens_per_variant=2500,
        check=_check_email,
        limits={
            "subject_characters": EMAIL_SUBJECT_MAX,
            "preheader_characters": EMAIL_PREHEADER_MAX,
            "body_html_characters": EMAIL_BODY_MAX,
        },
    ),
    CampaignChannel.FACEBOOK: ChannelSpec(
        key=CampaignChannel.FACEBOOK,
        variant_schema=_text_schema(f"At most {FACEBOOK_MAX} characters; keep it short."),
        rules=f"A Facebook post: at most {FACEBOOK_MAX} characters (keep it well under 500).",
        tokens_per_variant=800,
        check=_text_checker(len, FACEBOOK_MAX, "characters"),
        limits={"characters": FACEBOOK_MAX},
    ),
    CampaignChannel.INSTAGRAM: ChannelSpec(
        key=CampaignChannel.INSTAGRAM,
        variant_schema=_text_schema(f"At most {INSTAGRAM_MAX} characters and {INSTAGRAM_HASHTAGS_MAX} hashtags."),
        rules=f"An Instagram caption: at most {INSTAGRAM_MAX} characters and {INSTAGRAM_HASHTAGS_MAX} hashtags.",
        tokens_per_variant=900,
        check=_text_checker(len, INSTAGRAM_MAX, "characters", _instagram_hashtags),
        limits={"characters": INSTAGRAM_MAX, "hashtags": INSTAGRAM_HASHTAGS_MAX},
    ),
    CampaignChannel.LINKEDIN: ChannelSpec(
        key=CampaignChannel.LINKEDIN,
        variant_schema=_text_schema(f"At most {LINKEDIN_MAX} characters."),
        rules=f"A LinkedIn post: at most {LINKEDIN_MAX} characters.",
        tokens_per_variant=1100,
        check=_text_checker(len, LINKEDIN_MAX, "characters"),
        limits={"characters": LINKEDIN_MAX},
    ),
    CampaignChannel.X: ChannelSpec(
        key=CampaignChannel.X,
        variant_schema=_text_schema(f"At most {X_WEIGHTED_MAX} characters as X counts them."),
        rules=(
            f"A post on X: at most {X_WEIGHTED_MAX} as X counts (a link counts {X_URL_WEIGHT}; a Chinese, "
            "Japanese or Korean character or an emoji counts 2)."
        ),
        tokens_per_variant=200,
        check=_text_checker(x_weighted_length, X_WEIGHTED_MAX, "weighted characters"),
        limits={"weighted_characters": X_WEIGHTED_MAX},
    ),
    CampaignChannel.SMS: ChannelSpec(
        key=CampaignChannel.SMS,
        variant_schema=_text_schema(f"One SMS: at most {SMS_GSM7_SINGLE} GSM characters, or {SMS_UCS2_SINGLE}."),
        rules=(
            f"One SMS message: at most {SMS_GSM7_SINGLE} characters of the GSM alphabet (plain Latin letters, "
            f"digits, common punctuation; €, [, ], {{, }}, ~, ^, |, \\ count 2), or at most {SMS_UCS2_SINGLE} "
            "characters if any other character (an emoji, curly quotes, a non-Latin script) is used."
        ),
        tokens_per_variant=150,
        check=_text_checker(None, extra=_sms_segments),
        limits={
            "segments": SMS_SEGMENTS_MAX,
            "gsm7_characters": SMS_GSM7_SINGLE,
            "ucs2_characters": SMS_UCS2_SINGLE,
        },
    ),
    CampaignChannel.WHATSAPP: ChannelSpec(
        key=CampaignChannel.WHATSAPP,
        variant_schema=_text_schema(f"At most {WHATSAPP_MAX} characters."),
        rules=f"A WhatsApp message template body: at most {WHATSAPP_MAX} characters.",
        tokens_per_variant=500,
        check=_text_checker(len, WHATSAPP_MAX, "characters"),
        limits={"characters": WHATSAPP_MAX},
    ),
    LISTING_DESCRIPTION: ChannelSpec(
        key=LISTING_DESCRIPTION,
        variant_schema=_text_schema(f"At most {LISTING_DESCRIPTION_MAX} characters."),
        rules=(
            f"A property listing's description for a portal or brochure: at most {LISTING_DESCRIPTION_MAX} "
            "characters, plain text with paragraphs, only facts from the listing's data."
        ),
        tokens_per_variant=1700,
        check=_text_checker(len, LISTING_DESCRIPTION_MAX, "characters"),
        limits={"characters": LISTING_DESCRIPTION_MAX},
    ),
}
assert set(SPECS) == set(CHANNELS), "every channel needs its rules"


def content_check(channel: str, content: Any, path: str = "content") -> tuple[dict[str, Any], list[Problem]]:
    """One variant's content made clean (trimmed, HTML sanitised) and what breaks the channel's rules."""
    if not isinstance(content, dict):
        return {}, [Problem(path, "must be an object")]
    spec = SPECS[channel]
    unknown = sorted(set(content) - set(spec.variant_schema["properties"]))
    clean, problems = spec.check(content, path)
    problems += [Problem(f"{path}.{name}", "is not a field of this kind of copy") for name in unknown]
    return clean, problems


@dataclass(frozen=True)
class CheckedAnswer:
    # channel -> its variants' clean content, in the order the model gave them.
    variants: dict[str, list[dict[str, Any]]]
    problems: list[Problem]


def answer_check(answer: Any, channels: list[str], count: int) -> CheckedAnswer:
    """The model's whole answer against the request: every channel asked for, `count` variants each, every
    variant within its channel's rules, and no two variants of a channel alike."""
    if not isinstance(answer, dict):
        return CheckedAnswer({}, [Problem("answer", "must be a JSON object with one key per channel")])
    problems: list[Problem] = []
    variants: dict[str, list[dict[str, Any]]] = {}
    for channel in channels:
        given = answer.get(channel)
        if not isinstance(given, list):
            problems.append(Problem(channel, f"missing: a list of {count} variants is needed"))
            continue
        if len(given) != count:
            problems.append(Problem(channel, f"{len(given)} variants given, exactly {count} needed"))
        seen: dict[str, int] = {}
        checked = []
        for index, content in enumerate(given):
            clean, found = content_check(channel, content, f"{channel}.{index}")
            problems += found
            fingerprint = _normalised(repr(sorted(clean.items())))
            if fingerprint in seen:
                problems.append(Problem(f"{channel}.{index}", f"is the same copy as variant {seen[fingerprint]}"))
            seen.setdefault(fingerprint, index)
            checked.append(clean)
        variants[channel] = checked
    extra = sorted(set(answer) - set(channels))
    problems += [Problem(name, "was not asked for") for name in extra]
    return CheckedAnswer(variants, problems)


def measurements(channel: str, content: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer wants to see beside the copy: its sizes as the platform counts them."""
    if channel == CampaignChannel.GOOGLE_ADS:
        return {
            "headline_widths": [google_width(text) for text in content.get("headlines", [])],
            "description_widths": [google_width(text) for text in content.get("descriptions", [])],
        }
    if channel == CampaignChannel.EMAIL:
        return {
            "subject_characters": len(content.get("subject", "")),
            "preheader_characters": len(content.get("preheader", "")),
            "body_html_characters": len(content.get("body_html", "")),
        }
    text = content.get("text", "")
    if channel == CampaignChannel.X:
        return {"weighted_characters": x_weighted_length(text)}
    if channel == CampaignChannel.SMS:
        size = sms_size(text)
        return {"encoding": size.encoding, "units": size.units, "segments": size.segments}
    if channel == CampaignChannel.INSTAGRAM:
        return {"characters": len(text), "hashtags": len(hashtags(text))}
    return {"characters": len(text)}
