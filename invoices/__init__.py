"""Invoices, quotes and credit notes: gapless numbers per org, exact totals, payments, documents and reminders."""
