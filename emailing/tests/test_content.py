"""Email content: the merge grammar reaches whitelisted values only, the text part comes from the HTML, links are
numbered for click tracking, and what a person writes is checked."""

from __future__ import annotations

import pytest

from emailing.content import content_errors, html_to_text, prepare
from emailing.merge import MergeError, compile_template


def test_a_merge_field_prints_its_value_and_default_fills_a_blank() -> None:
    template = compile_template('Hi {{ contact.first_name | default: "there" }}!')

    assert template.render({"contact.first_name": "Ada"}) == "Hi Ada!"
    assert template.render({"contact.first_name": "  "}) == "Hi there!"
    assert template.render({}) == "Hi there!"


def test_filters_chain_and_html_escapes_values_only() -> None:
    template = compile_template("<b>{{ contact.last_name | trim | upper }}</b>")

    assert template.render({"contact.last_name": " <script>x "}, escape=True) == "<b>&lt;SCRIPT&gt;X</b>"
    assert template.render({"contact.last_name": " o'hara "}) == "<b>O'HARA</b>"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ settings.SECRET_KEY }}", "`settings.SECRET_KEY` is not a merge field"),
        ("{{ contact.__class__ }}", "`contact.__class__` is not a merge field"),
        ("{{ contact.first_name.__class__ }}", "expected `| filter` after the field"),
        ("{{ _open }}", "`_open` is not a merge field"),
        ("{{ contact.email | attr: 'x' }}", "`attr` is not a filter"),
        ("{% for c in contacts %}{{ c.email }}{% endfor %}", "tags are not supported"),
        ("{{ contact.first_name }", "no matching"),
        ("{{ contact.first_name | default }}", "needs a quoted text"),
        ("{{ range(10) }}", "`range` is not a merge field"),
    ],
)
def test_anything_outside_the_whitelist_is_refused(source: str, says: str) -> None:
    with pytest.raises(MergeError) as refused:
        compile_template(source)

    assert says in str(refused.value)


def test_the_text_part_is_derived_from_the_html() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body><h1>Open house</h1>"
        "<p>Dear {{ contact.first_name }},<br>come &amp; see.</p><ul><li>Garden</li><li>Garage</li></ul>"
        '<p><a href="https://example.com/a">The listing</a> <img src="x.png" alt="Front"></p></body></html>'
    )

    assert html_to_text(html) == (
        "Open house\n\nDear {{ contact.first_name }},\ncome & see.\n\n- Garden\n- Garage\n\n"
        "The listing (https://example.com/a) [Front]\n"
    )


def test_links_are_numbered_once_per_address_and_tracked_in_both_parts() -> None:
    html = (
        '<p><a href="https://example.com/a">A</a> <a href="https://example.com/b?x=1&amp;y=2">B</a> '
        '<a href="https://example.com/a">A again</a> <a href="mailto:me@example.com">Mail</a> '
        '<a href="{{ property.url }}">Listing</a></p>'
    )
    shared = {"org.name": "Alpha", "org.postal_address": "", "property.url": "https://alpha.test/l/1"}

    prepared = prepare(subject="S", preheader="", html_source=html, text="", shared=shared, open_pixel=True)
    values = {f"_click_{i}": f"[{i}]" for i in range(3)} | {"_open": "PIXEL", "unsubscribe_url": "U", **shared}
    rendered = prepared.html.render(values, escape=True)

    assert prepared.links == ("https://example.com/a", "https://example.com/b?x=1&y=2", "https://alpha.test/l/1")
    assert '<a href="[0]">A</a> <a href="[1]">B</a> <a href="[0]">A again</a>' in rendered
    assert '<a href="mailto:me@example.com">' in rendered and '<a href="[2]">Listing</a>' in rendered
    assert '<img src="PIXEL"' in rendered and '<a href="U"' in rendered
    assert (
        prepared.text.render(values)
        == "A ([0]) B ([1]) A again ([0]) Mail Listing ([2])\n\nAlpha\nUnsubscribe (U)\n"
    )


def test_a_given_text_part_gets_tracked_links_and_the_unsubscribe_footer() -> None:
    html = '<p><a href="https://example.com/a">A</a></p>'
    prepared = prepare(
        subject="S",
        preheader="Soon",
        html_source=html,
        text="See https://example.com/a now",
        shared={"org.name": "Alpha", "org.postal_address": "1 Quay"},
        open_pixel=False,
    )
    values = {"_click_0": "[0]", "unsubscribe_url": "U", "org.name": "Alpha", "org.postal_address": "1 Quay"}

    assert prepared.text.render(values) == "See [0] now\n\n--\nAlpha\n1 Quay\nUnsubscribe: U\n"
    html_out = prepared.html.render(values, escape=True)
    assert ">Soon</div>" in html_out and "_open" not in html_out and "<img" not in html_out


def test_content_errors_name_each_field() -> None:
    errors = content_errors(
        subject="Hi {{ contact.password }}",
        preheader="",
        html_source='<p><a href="https://example.com/{{ contact.email }}">x</a><script>alert(1)</script></p>',
        text="{{ org.name",
    )

    assert sorted(errors) == ["html", "subject", "text"]
    assert [error["code"] for error in errors["html"]] == ["unsafe_html", "link_personalised"]
    assert errors["subject"][0]["code"] == "merge_field_invalid"
