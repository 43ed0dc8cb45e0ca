"""An email's content: checking what a person wrote, the text part derived from the HTML, and the send's
templates prepared once (links numbered for click tracking, the preheader, the footer and the open pixel)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from common.errors import ApiError, FieldErrors
from emailing.merge import SHARED_PREFIXES, MergeError, Template, compile_template

UNSUBSCRIBE_TAG = "{{ unsubscribe_url }}"
OPEN_FIELD = "_open"
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_DANGEROUS = re.compile(r"<\s*script\b|\bjavascript\s*:|<\s*iframe\b|<\s*object\b|<\s*embed\b", re.I)


def click_field(position: int) -> str:
    return f"_click_{position}"


# --- Links -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Href:
    start: int  # offsets of the attribute's value in the source
    end: int
    value: str  # as written (entities not decoded)


class _HrefFinder(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.hrefs: list[Href] = []
        self._line_starts = [0]
        for line in source.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        raw = self.get_starttag_text() or ""
        line, column = self.getpos()
        offset = self._line_starts[line - 1] + column
        match = _HREF.search(raw)
        if match is None:
            return
        group = next(index for index in (1, 2, 3) if match.group(index) is not None)
        self.hrefs.append(Href(offset + match.start(group), offset + match.end(group), match.group(group)))


def hrefs_of(source: str) -> list[Href]:
    finder = _HrefFinder(source)
    finder.feed(source)
    finder.close()
    return finder.hrefs


def is_trackable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- Checking what a person wrote --------------------------------------------------------------------------


def _error(fields: FieldErrors, name: str, code: str, detail: str) -> None:
    fields.setdefault(name, []).append({"code": code, "detail": detail})


def _check_template(fields: FieldErrors, name: str, source: str) -> Template | None:
    try:
        return compile_template(source)
    except MergeError as error:
        _error(fields, name, "merge_field_invalid", str(error))
        return None


def content_errors(*, subject: str, preheader: str, html_source: str, text: str) -> FieldErrors:
    """Field errors of an email's content: merge fields outside the grammar, scripts, and links whose address
    depends on the contact (a click may only lead to an address that was in the email)."""
    fields: FieldErrors = {}
    for name, source in (("subject", subject), ("preheader", preheader), ("text", text)):
        _check_template(fields, name, source)
    if "\n" in subject or "\r" in subject:
        _error(fields, "subject", "invalid", "The subject is one line.")
    if _check_template(fields, "html", html_source) is None:
        return fields
    if _DANGEROUS.search(html_source):
        _error(fields, "html", "unsafe_html", "Scripts, frames, plugins and javascript: links are not allowed.")
    for href in hrefs_of(html_source):
        value = href.value.strip()
        if value == UNSUBSCRIBE_TAG.replace(" ", "") or value == UNSUBSCRIBE_TAG:
            continue
        try:
            template = compile_template(value)
        except MergeError:
            continue  # already reported on the whole HTML
        personal = [name for name in template.fields if not name.startswith(SHARED_PREFIXES)]
        if personal and personal != ["unsubscribe_url"]:
            _error(
                fields,
                "html",
                "link_personalised",
                f"The link `{value}` holds `{personal[0]}`: a link's address may only use org and property "
                "fields, so every recipient's link leads to the same place.",
            )
    return fields


def content_check(*, subject: str, preheader: str, html_source: str, text: str) -> None:
    fields = content_errors(subject=subject, preheader=preheader, html_source=html_source, text=text)
    if fields:
        raise ApiError("The email's content has mistakes.", code="content_invalid", fields=fields)


# --- The text part from the HTML -----------------------------------------------------------------------------

_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "table",
        "tr",
        "ul",
        "ol",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "center",
        "main",
        "aside",
        "nav",
        "pre",
        "address",
        "figure",
        "dl",
        "dt",
        "dd",
    }
)
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._links: list[tuple[str, int]] = []  # (href, where its text starts in parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "hr":
            self.parts.append("\n\n----------\n\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIPPED:
            self._skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            label = " ".join("".join(self.parts[start:]).split())
            if href and not href.startswith(("#", "mailto:", "tel:")) and href != label:
                self.parts.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """Readable plain text of an email's HTML: paragraphs kept, links written out as `label (address)`."""
    maker = _TextMaker()
    maker.feed(source)
    maker.close()
    text = "".join(maker.parts)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


# --- The send's templates, prepared once ------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedEmail:
    subject: Template
    html: Template
    text: Template
    links: tuple[str, ...]  # position -> address; a click on `_click_<position>` leads there


_FOOTER_HTML = (
    '<div style="margin-top:32px;font-size:12px;line-height:18px;color:#6b7280;text-align:center">'
    "{{ org.name }}<br>{postal}"
    '<a href="{{ unsubscribe_url }}" style="color:#6b7280">Unsubscribe</a></div>'
)
_FOOTER_TEXT = "\n\n--\n{{ org.name }}\n{{ org.postal_address }}\nUnsubscribe: {{ unsubscribe_url }}\n"
_PREHEADER = (
    '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all" aria-hidden="true">{preheader}</div>'
)
_PIXEL = '<img src="{{ _open }}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'


def _insert_after_body_open(source: str, fragment: str) -> str:
    match = re.search(r"<body\b[^>]*>", source, re.I)
    if match is None:
        return fragment + source
    return source[: match.end()] + fragment + source[match.end() :]


def _insert_before_body_close(source: str, fragment: str) -> str:
    index = source.lower().rfind("</body>")
    if index < 0:
        return source + fragment
    return source[:index] + fragment + source[index:]


def _number_links(source: str, shared: dict[str, str]) -> tuple[str, list[str]]:
    """Each http(s) link of the HTML replaced by its numbered click field; the same address keeps one number."""
    links: list[str] = []
    pieces: list[str] = []
    position = 0
    for href in hrefs_of(source):
        address = html.unescape(compile_template(href.value).render(shared)).strip()
        if not is_trackable(address):
            continue
        if address not in links:
            links.append(address)
        pieces += [source[position : href.start], "{{ " + click_field(links.index(address)) + " }}"]
        position = href.end
    pieces.append(source[position:])
    return "".join(pieces), links


def _text_with_links(text: str, links: list[str]) -> str:
    for index, address in sorted(enumerate(links), key=lambda item: -len(item[1])):
        text = text.replace(address, "{{ " + click_field(index) + " }}")
    return text


def prepare(
    *, subject: str, preheader: str, html_source: str, text: str, shared: dict[str, str], open_pixel: bool
) -> PreparedEmail:
    """The templates every message of a send is rendered from. Links are numbered (their addresses rendered
    with the shared org and property fields); without tracking the click fields render the addresses as they
    are. The footer (with the unsubscribe link) is added unless the email already has the link."""
    body, links = _number_links(html_source, shared)
    has_unsubscribe = "unsubscribe_url" in compile_template(html_source).fields
    if not has_unsubscribe:
        postal = "{{ org.postal_address }}<br>" if shared.get("org.postal_address") else ""
        body = _insert_before_body_close(body, _FOOTER_HTML.replace("{postal}", postal))
    if preheader.strip():
        body = _insert_after_body_open(body, _PREHEADER.format(preheader=html.escape(preheader)))
    if open_pixel:
        body = _insert_before_body_close(body, _PIXEL)
    if text.strip():
        text_source = _text_with_links(text, links)
        if "unsubscribe_url" not in compile_template(text).fields:
            text_source = text_source.rstrip("\n") + _FOOTER_TEXT
    else:
        text_source = html_to_text(body.replace(_PIXEL, ""))
    return PreparedEmail(
        subject=compile_template(subject),
        html=compile_template(body, private=True),
        text=compile_template(text_source, private=True),
        links=tuple(links),
    )
