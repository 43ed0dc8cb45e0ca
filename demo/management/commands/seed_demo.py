"""`manage.py seed_demo [--org SLUG] [--scale N]`: fill an org with realistic records in every module."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seeding import org_has_records, seed_org
from tenants.models import Org


class Command(BaseCommand):
    help = "Fill an org (the demo agency by default) with realistic demo records in every module."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="harbor-realty", help="The org's slug.")
        parser.add_argument(
            "--scale",
            type=int,
            default=50,
            help="How many leads; every other module grows in proportion (bulk inserts).",
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for the same data every time.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the org already has records.")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Org.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No org with slug {options['org']!r}.")
        if options["scale"] < 1:
            raise CommandError("--scale must be at least 1.")
        if options["if_empty"] and org_has_records(org):
            self.stdout.write(f"{org.slug} already has records; not seeding again.")
            return
        counts = seed_org(org=org, leads=options["scale"], seed=options["seed"])
        self.stdout.write(", ".join(f"{count} {name}" for name, count in counts.items()) + f" in {org.slug}")
