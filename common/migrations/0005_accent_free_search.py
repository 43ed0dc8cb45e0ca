from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

# unaccent() is STABLE (its dictionary could be changed), so no index may use it; this wrapper names the
# dictionary and is IMMUTABLE, which is what an index needs (common.search).
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION public.keystone_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""


class Migration(migrations.Migration):
    """unaccent and the indexable wrapper live in the public schema, which every org's search_path includes."""

    dependencies = [("common", "0004_user_email_opt_outs")]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(CREATE_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS public.keystone_unaccent(text)"),
    ]
