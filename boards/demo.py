"""Demo boards: a listing launch from its template, a team board with cards linked to demo records, and a deal
board view by stage."""

from __future__ import annotations

from boards import services
from boards.models import Card, Column
from demo.context import DemoContext

LINKED = [
    ("leads.lead", "Qualify the inquiry"),
    ("deals.deal", "Send the offer pack"),
    ("properties.property", "Refresh the listing photos"),
    ("cases.case", "Close the support request"),
    ("contacts.contact", "Call the buyer back"),
    ("campaigns.campaign", "Review the campaign copy"),
]


def seed(ctx: DemoContext) -> dict[str, int]:
    owner = ctx.members[0]
    services.board_from_template(org=ctx.org, actor=owner, data={"template": "listing-launch"})
    team = services.board_create(
        org=ctx.org, actor=owner, data={"name": "Team this week", "columns": ["To do", "Doing", "Review", "Done"]}
    )
    columns = list(Column.objects.for_org(ctx.org).filter(board=team).order_by("position"))
    cards = 0
    for index, (label, title) in enumerate(LINKED * ctx.scale):
        linked = ctx.some(label)
        if not linked:
            continue
        Card(org=ctx.org, board=team, column=columns[index % len(columns)], title=title, created_by=owner,
             assignees=[ctx.member().pk], link_type=label, link_id=linked[0],
             position=(index + 1) * 65536.0).save()  # fmt: skip
        cards += 1
    services.board_create(org=ctx.org, actor=owner, data={"name": "Deals by stage", "source": "deals"})
    return {"boards.board": 3, "boards.card": cards}
