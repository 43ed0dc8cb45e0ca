"""Board templates: a ready board (columns, labels, cards and their checklists) made in one step."""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, dict[str, Any]] = {
    "listing-launch": {
        "name": "Listing launch",
        "columns": ["Prepare", "Marketing", "Showings", "Offers", "Closed"],
        "labels": [("Urgent", "#d93f0b"), ("Vendor", "#0e8a16"), ("Photos", "#1d76db")],
        "cards": [
            ("Prepare", "Launch checklist", ["Sign the listing agreement", "Book the photographer",
                                              "Write the description", "Set the asking price",
                                              "Publish the listing"]),
            ("Prepare", "Order floor plans", []),
            ("Marketing", "Schedule the open house", ["Pick a date", "Announce it to the mailing list"]),
        ],
    },
    "sales-follow-up": {
        "name": "Sales follow-up",
        "columns": ["New", "Contacted", "Meeting set", "Proposal", "Done"],
        "labels": [("Hot", "#d93f0b"), ("Cold", "#1d76db")],
        "cards": [("New", "Call back this week's inquiries", ["Check the inbox", "Log each call"])],
    },
}  # fmt: skip
