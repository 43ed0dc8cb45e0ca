"""Demo companies and contacts (bulk inserts, so `--scale` stays fast)."""

from __future__ import annotations

from contacts.models import Company, Contact
from demo.context import COMPANY_KINDS, COMPANY_WORDS, FIRST_NAMES, LAST_NAMES, DemoContext

INDUSTRIES = [
    "Commercial real estate",
    "Residential",
    "Property management",
    "Construction",
    "Hospitality",
    "Retail",
]
NOTES = [
    "Prefers email; copy their assistant on anything contractual.",
    "Looking to expand into a second site next year.",
    "Introduced by a past client, keep them in the loop on new listings.",
    "Quarterly check-in booked.",
]
CITIES = [
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Dublin", "IE"),
    ("New York", "US"),
    ("Austin", "US"),
    ("Berlin", "DE"),
]


def seed(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng
    companies = []
    # Numbering goes on from what the org already has, so seeding an already seeded org again (a bigger demo)
    # never repeats a company domain or a contact email, both unique in an org.
    first_company, first_contact = Company.objects.count(), Contact.objects.count()
    for i in range(first_company, first_company + 12 * ctx.scale):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}" + (f" {i}" if ctx.scale > 1 else "")
        city, country = rng.choice(CITIES)
        owner = ctx.member()
        companies.append(
            Company(
                org=ctx.org, name=name, domain=f"{name.split()[0].lower()}{i}.example",
                industry=rng.choice(INDUSTRIES),
                city=city, country=country, created_by=owner, updated_by=owner, assigned_to=[owner.pk],
                tags=rng.sample(["prospect", "tenant", "landlord", "investor", "vip"], 2),
            )
        )  # fmt: skip
    Company.objects.bulk_create(companies, batch_size=1000)
    contacts = []
    for i in range(first_contact, first_contact + 40 * ctx.scale):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        owner = ctx.member()
        contacts.append(
            Contact(
                org=ctx.org, first_name=first, last_name=last, email=f"{first}.{last}.{i}@example.com".lower(),
                phone=f"+44 20 7946 {i % 10000:04d}",
                title=rng.choice(["Director", "Leasing manager", "Founder", "CFO"]),
                company=rng.choice(companies), source=rng.choice(["referral", "website", "event", "cold call"]),
                created_by=owner, updated_by=owner, assigned_to=[owner.pk],
            )
        )  # fmt: skip
    Contact.objects.bulk_create(contacts, batch_size=1000)
    for record in [*ctx.storied(companies), *ctx.storied(contacts)]:
        when = ctx.started()
        ctx.timeline.created(record, record.created_by, when)
        if rng.random() < 0.5:
            ctx.timeline.comment(record, record.created_by, rng.choice(NOTES), ctx.later(when))
    ctx.made["contacts.company"] = [c.pk for c in companies]
    ctx.made["contacts.contact"] = [c.pk for c in contacts]
    return {"companies": len(companies), "contacts": len(contacts)}
