from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm lives in the public schema, which every org's search_path includes."""

    dependencies = [("common", "0002_profile_removed_at_user_email_verified_at_and_more")]

    operations = [TrigramExtension()]
