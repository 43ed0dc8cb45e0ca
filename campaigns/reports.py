"""The campaign report as a file: CSV rows (one figure a row, spreadsheet-safe) and a PDF for the client.

The PDF is drawn with fpdf2 (pure Python, from the package index alone) in its built-in Helvetica, which holds
Windows-1252 characters: text beyond them (other scripts, emoji) is shown as its closest Latin form or `?`.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from campaigns.models import Channel
from records.export import neutralised

PDF_ENCODING = "windows-1252"
PACING_WORDS = {"ahead": "Ahead of plan", "on_track": "On track", "behind": "Behind plan", None: "-"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return neutralised(str(value))


def report_rows(report: dict[str, Any]) -> list[list[str]]:
    """section, name, channel, value: the campaign, its budget per line, per channel and in total, assets, AI
    usage and sends, each figure a row of its own."""
    campaign, budget = report["campaign"], report["budget"]
    rows: list[list[Any]] = [["section", "name", "channel", "value"]]
    for name in ("name", "objective", "status", "starts_at", "ends_at", "timezone"):
        rows.append(["campaign", name, "", campaign[name]])
    rows.append(["campaign", "channels", "", ";".join(campaign["channels"])])
    rows.append(["budget", "currency", "", budget["currency"]])
    for name in ("today", "first_day", "last_day", "days", "days_elapsed"):
        rows.append(["budget", name, "", budget[name]])
    for line in budget["lines"]:
        for name in ("amount", "period", "planned", "planned_to_date"):
            rows.append(["budget_line", name, line["channel"], line[name]])
    figures = ("planned", "planned_to_date", "spent", "remaining", "percent_spent", "pacing")
    for channel in budget["channels"]:
        rows += [["channel", name, channel["channel"], channel[name]] for name in figures]
    rows += [["total", name, "", budget["total"][name]] for name in figures]
    assets = report["assets"]
    rows.append(["assets", "total", "", assets["total"]])
    rows += [["assets", f"state_{state}", "", n] for state, n in assets["by_state"].items()]
    rows += [["assets", f"kind_{kind}", "", n] for kind, n in assets["by_kind"].items()]
    usage = report["ai_usage"]
    if usage is None:
        rows.append(["ai_usage", "available", "", "no"])
    else:
        rows += [["ai_usage", str(name), "", value] for name, value in usage.items()]
    rows += _send_rows(report["sends"])
    rows.append(["report", "generated_at", "", report["generated_at"]])
    return [[_cell(value) for value in row] for row in rows]


SEND_FIGURES = ("recipients", "excluded", "sent", "failed", "unknown", "bounced", "complaints", "unique_opens",
                "machine_opens", "unique_clicks", "unsubscribes")  # fmt: skip


def _send_rows(sends: dict[str, Any] | None) -> list[list[Any]]:
    """The campaign's email sends: their total figures and rates, then each send's (the `channel` column holds
    the send's name)."""
    if sends is None:
        return [["sends", "available", "", "no"]]
    rows: list[list[Any]] = [["sends", "available", "", "yes"], ["sends", "count", "", sends["count"]]]
    totals = sends["totals"]
    rows += [["sends", name, "", totals[name]] for name in SEND_FIGURES]
    rows += [["sends", name, "", value] for name, value in totals["rates"].items()]
    for send in sends["sends"]:
        figures = send["figures"]
        rows += [["send", name, send["name"], figures[name]] for name in SEND_FIGURES]
        rows += [["send", name, send["name"], value] for name, value in figures["rates"].items()]
    return rows


def report_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(report_rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes spreadsheets read it as UTF-8


def _printable(text: Any) -> str:
    """Text the built-in font can draw: as is where it can, else its Latin letters, else `?`."""
    text = "" if text is None else str(text)
    try:
        text.encode(PDF_ENCODING)
        return text
    except UnicodeEncodeError:
        pass
    chars = []
    for char in text:
        try:
            char.encode(PDF_ENCODING)
            chars.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            chars.append(plain or "?")
    return "".join(chars)


def _money(value: Any, currency: str) -> str:
    return "-" if value is None else f"{currency} {Decimal(value):,.2f}"


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime.datetime):
        return value.strftime("%d %b %Y %H:%M")
    return str(value)


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(120)
        self.cell(0, 6, f"Keystone CRM campaign report - page {self.page_no()}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _printable(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)


def _channel(name: str) -> str:
    return str(Channel(name).label) if name in Channel.values else name


def _plain(value: Any) -> str:
    """A figure of the AI usage as words: a breakdown {"done": 3, "failed": 0} as "done 3, failed 0"."""
    if isinstance(value, dict):
        return ", ".join(f"{str(key).replace('_', ' ')} {_plain(item)}" for key, item in value.items()) or "-"
    return str(value)


def _table(pdf: FPDF, rows: list[list[str]], widths: tuple[int, ...], *, headings: bool = True) -> None:
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=6, first_row_as_headings=headings) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(_printable(value))


def report_pdf(report: dict[str, Any], *, org_name: str) -> bytes:
    campaign, budget = report["campaign"], report["budget"]
    currency = budget["currency"]
    pdf = _ReportPdf(format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_title(_printable(f"{campaign['name']} - campaign report"))
    pdf.set_author(_printable(org_name))
    pdf.set_creator("Keystone CRM")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _printable(campaign["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.set_text_color(90)
    pdf.cell(0, 6, _printable(f"Prepared by {org_name} on {_when(report['generated_at'])}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_text_color(0)

    _heading(pdf, "Campaign")
    _table(pdf, [
        ["Objective", campaign["objective"].replace("_", " ")],
        ["Status", campaign["status"]],
        ["Channels", ", ".join(_channel(name) for name in campaign["channels"]) or "-"],
        ["Runs", f"{_when(campaign['starts_at'])} to {_when(campaign['ends_at'])} ({campaign['timezone']})"],
    ], (40, 140), headings=False)  # fmt: skip

    _heading(pdf, f"Budget and pacing ({budget['days_elapsed']} of {budget['days']} days)")
    rows = [["Channel", "Planned", "Planned to date", "Spent", "Remaining", "Pacing"]]
    for channel in [*budget["channels"], {**budget["total"], "channel": "Total"}]:
        rows.append([
            _channel(channel["channel"]),
            *(_money(channel[name], currency) for name in ("planned", "planned_to_date", "spent", "remaining")),
            PACING_WORDS.get(channel["pacing"], str(channel["pacing"])),
        ])  # fmt: skip
    _table(pdf, rows, (28, 32, 32, 32, 32, 24))

    assets = report["assets"]
    _heading(pdf, "Creative assets")
    by_state = assets["by_state"]
    _table(pdf, [
        ["Total", str(assets["total"])],
        ["Approved", str(by_state.get("approved", 0))],
        ["Awaiting approval", str(by_state.get("draft", 0))],
        ["Rejected", str(by_state.get("rejected", 0))],
    ], (60, 120), headings=False)  # fmt: skip

    _heading(pdf, "AI copy")
    usage = report["ai_usage"]
    if usage is None:
        pdf.cell(0, 6, "Not in use for this campaign.", new_x="LMARGIN", new_y="NEXT")
    else:
        rows = [[str(name).replace("_", " ").capitalize(), _plain(value)] for name, value in usage.items()]
        _table(pdf, rows, (60, 120), headings=False)

    _heading(pdf, "Email sends")
    sends = report["sends"]
    if sends is None:
        pdf.cell(0, 6, "No email sends for this campaign.", new_x="LMARGIN", new_y="NEXT")
    else:
        rows = [["Send", "Recipients", "Sent", "Opens", "Clicks", "Unsubscribes", "Bounces"]]
        for send in [*sends["sends"], {"name": "Total", "figures": sends["totals"]}]:
            figures = send["figures"]
            rows.append([send["name"], *(str(figures[name]) for name in ("recipients", "sent", "unique_opens",
                         "unique_clicks", "unsubscribes", "bounced"))])  # fmt: skip
        _table(pdf, rows, (50, 22, 22, 22, 22, 22, 20))
        rates = sends["totals"]["rates"]
        pdf.ln(2)
        line = (f"Open rate {rates['open_rate'] or '-'}%, click rate {rates['click_rate'] or '-'}%, "
                f"bounce rate {rates['bounce_rate'] or '-'}%.")  # fmt: skip
        pdf.cell(0, 6, _printable(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
