"""Each channel's rules, measured as the platforms measure them, and the whole-answer check."""

from __future__ import annotations

import pytest

from campaigns.ai.channels import (
    answer_check,
    content_check,
    email_html_clean,
    google_width,
    sms_size,
    x_weighted_length,
)


def _messages(problems) -> list[str]:
    return [str(problem) for problem in problems]


def test_google_ads_needs_3_to_15_headlines_of_30_and_2_to_4_descriptions_of_90_all_different():
    ad = {
        "headlines": ["Harbour Lofts", "harbour  lofts", "x" * 31],
        "descriptions": ["Bright flats by the water."],
    }

    _, problems = content_check("google_ads", ad)

    assert _messages(problems) == [
        "content.headlines.1: repeats an earlier one: 'harbour  lofts'",
        "content.headlines.2: 31 characters, at most 30: '" + "x" * 31 + "'",
        "content.descriptions: 1 given, 2 to 4 needed",
    ]


def test_google_ads_counts_double_width_characters_twice():
    assert google_width("海景公寓") == 8
    headline = "海" * 15  # 30 by Google's count
    _, problems = content_check(
        "google_ads", {"headlines": [headline, "B", "C"], "descriptions": ["One.", "Two."]}
    )
    assert problems == []
    _, problems = content_check(
        "google_ads", {"headlines": [headline + "海", "B", "C"], "descriptions": ["One.", "Two."]}
    )
    assert _messages(problems) == [f"content.headlines.0: 32 characters, at most 30: '{headline}海'"]


def test_google_ads_limits_the_number_of_headlines_and_descriptions():
    _, problems = content_check(
        "google_ads", {"headlines": [f"H{n}" for n in range(16)], "descriptions": [f"D{n}" for n in range(5)]}
    )
    assert _messages(problems) == [
        "content.headlines: 16 given, 3 to 15 needed",
        "content.descriptions: 5 given, 2 to 4 needed",
    ]


def test_x_counts_links_as_23_and_wide_characters_as_2():
    assert x_weighted_length("Hello") == 5
    assert x_weighted_length("Tour: https://example.test/a/very/long/path/that/goes/on") == 6 + 23
    assert x_weighted_length("海景") == 4
    assert x_weighted_length("é") == 1
    _, problems = content_check("x", {"text": "海" * 141})
    assert _messages(problems) == [f"content.text: 282 weighted characters, at most 280: '{'海' * 120}'"]
    assert content_check("x", {"text": "a" * 280})[1] == []


def test_sms_must_fit_one_message_in_its_alphabet():
    assert sms_size("a" * 160).segments == 1
    assert sms_size("a" * 161).segments == 2
    assert (sms_size("€" * 80).encoding, sms_size("€" * 80).units) == ("gsm7", 160)  # € takes two septets
    assert (sms_size("“a”").encoding, sms_size("a" * 70 + "😀").units) == ("ucs2", 72)  # an emoji is 2 units
    assert content_check("sms", {"text": "a" * 160})[1] == []
    _, problems = content_check("sms", {"text": "Viewings “this week”" + "a" * 60})
    assert _messages(problems) == [
        "content.text: needs 2 SMS messages: 80 units in UCS-2 (a character outside the GSM alphabet), "
        "one message holds 70"
    ]


@pytest.mark.parametrize(
    ("channel", "limit"),
    [("facebook", 63_206), ("linkedin", 3_000), ("whatsapp", 1_024), ("instagram", 2_200),
     ("listing_description", 5_000)],
)  # fmt: skip
def test_text_channels_keep_their_platforms_limit(channel, limit):
    assert content_check(channel, {"text": "a" * limit})[1] == []
    _, problems = content_check(channel, {"text": "a" * (limit + 1)})
    assert _messages(problems)[0].startswith(f"content.text: {limit + 1} characters, at most {limit}")


def test_instagram_allows_at_most_30_hashtags():
    assert content_check("instagram", {"text": " ".join(f"#tag{n}" for n in range(30))})[1] == []
    _, problems = content_check("instagram", {"text": " ".join(f"#tag{n}" for n in range(31))})
    assert _messages(problems) == ["content.text: 31 hashtags, at most 30"]


def test_email_has_a_subject_of_78_a_preheader_of_100_and_a_sanitised_body():
    clean, problems = content_check(
        "email",
        {"subject": "S" * 79, "preheader": "P" * 101, "body_html": "<p>Hi <b>there</b></p><script>x</script>"},
    )
    assert _messages(problems) == [
        f"content.subject: 79 characters, at most 78: '{'S' * 79}'",
        f"content.preheader: 101 characters, at most 100: '{'P' * 101}'",
    ]
    assert clean["body_html"] == "<p>Hi <b>there</b></p>"


def test_an_email_body_that_is_only_unsafe_html_is_refused():
    _, problems = content_check("email", {"subject": "S", "preheader": "P", "body_html": "<script>x</script>"})
    assert _messages(problems) == ["content.body_html: has no text left once unsafe HTML is removed"]
    _, problems = content_check("email", {"subject": "S", "preheader": "P", "body_html": " "})
    assert _messages(problems) == ["content.body_html: must not be empty"]
    _, problems = content_check("email", {"subject": "S", "preheader": "P", "body_html": "<img src=x>"})
    assert _messages(problems) == ["content.body_html: has no text left once unsafe HTML is removed"]


def test_email_html_keeps_formatting_and_safe_links_only():
    html = (
        '<h2 style="color:red">Open house</h2><p onclick="x()">Saturday <a href="https://a.test" '
        'target="_blank">details</a> <a href="javascript:alert(1)">bad</a></p><iframe src="https://e.test"></iframe>'
    )
    assert email_html_clean(html) == (
        '<h2>Open house</h2><p>Saturday <a href="https://a.test" rel="noopener noreferrer">details</a> '
        '<a rel="noopener noreferrer">bad</a></p>'
    )


def test_empty_missing_and_unknown_fields_are_problems():
    _, problems = content_check("x", {"text": "   ", "hashtags": ["#a"]})
    assert _messages(problems) == [
        "content.text: must not be empty",
        "content.hashtags: is not a field of this kind of copy",
    ]
    _, problems = content_check("x", "just text")
    assert _messages(problems) == ["content: must be an object"]


def test_the_whole_answer_needs_every_channel_the_count_and_different_variants():
    answer = {
        "x": [{"text": "Same post"}, {"text": "same   POST"}],
        "facebook": [{"text": "One"}],
        "sms": [{"text": "Not asked for"}],
    }

    checked = answer_check(answer, ["x", "facebook", "email"], 2)

    assert _messages(checked.problems) == [
        "x.1: is the same copy as variant 0",
        "facebook: 1 variants given, exactly 2 needed",
        "email: missing: a list of 2 variants is needed",
        "sms: was not asked for",
    ]
    assert answer_check([], ["x"], 1).problems[0].message == "must be a JSON object with one key per channel"


def test_a_good_answer_comes_back_trimmed():
    checked = answer_check({"x": [{"text": "  Viewings this week  "}]}, ["x"], 1)
    assert checked.problems == []
    assert checked.variants == {"x": [{"text": "Viewings this week"}]}
