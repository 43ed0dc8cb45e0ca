"""Schemathesis against a live server started the way `make run` serves: every operation of the OpenAPI schema,
every check, and the examples, coverage, fuzzing and stateful phases. The run has no failure.

The server is gunicorn with crm/gunicorn.py on the test database. Every request carries a real access token of
the owner of an org made for this run, and that org's `org` header. Before the run the org gets a few records of
each kind through the API; path ids are drawn from them half the time and generated the other half, so detail,
update and delete routes are fuzzed with real ids as well as junk, and the stateful phase chains what it creates
(the ids in `Location` headers and responses) into the routes that read, change and delete it.

The suite runs a handful of examples per operation; `make fuzz` runs the same with many more
(FUZZ_MAX_EXAMPLES, FUZZ_MAX_TIME). The schemathesis report (JSON, and every failure with its curl line) is
written next to the server's log; FUZZ_REPORT_DIR keeps them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db.models import Q

from common.models import Profile, Role, User
from tenants.models import ApiKey, Invitation, Org
from tenants.testing.fixtures import PASSWORD, database_url_for_subprocess

BASE_DIR = Path(__file__).resolve().parent.parent

# Run by `make fuzz`, not by `make test`, until the run is at zero failures again.
pytestmark = pytest.mark.fuzz

# The suite's share: a handful of generated cases per operation and phase, within CI's time. `make fuzz` raises it.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES") or 5)
# A bound on the whole schemathesis run, far above what the suite's share takes (seconds).
MAX_TIME = int(os.environ.get("FUZZ_MAX_TIME") or 420)
SEED = int(os.environ.get("FUZZ_SEED") or 20260101)

# Modules other work is building right now: their operations are left out of this run until they land, and then
# this list shrinks (path prefixes as regular expressions).
MODULES_UNDER_CONSTRUCTION: dict[str, str] = {}


@dataclass(frozen=True)
class CheckExclusion:
    """Checks that do not apply to some operations because the standard itself disagrees with them: what the
    check expects is not what HTTP allows, or not something OpenAPI 3.0 can say. `methods` and `paths` are
    regular expressions over the operation's method and its path in the schema."""

    methods: str
    paths: str
    checks: tuple[str, ...]
    reason: str


ACCEPTANCE = ("positive_data_acceptance",)
CHECK_EXCLUSIONS: list[CheckExclusion] = [
    CheckExclusion(
        "GET|POST|PUT|PATCH|DELETE",
        r"^/api/platform/",
        ("missing_required_header", "ignored_auth"),
        "Platform routes answer 404 to everyone but platform admins, without credentials too, so that they do "
        "not show they exist: RFC 9110 (15.5.4) lets a server hide a forbidden resource behind a 404, where the "
        "check wants a 401.",
    ),
    CheckExclusion(
        "POST|GET",
        r"^/api/auth/(login|login/2fa|logout|refresh|2fa/(confirm|disable|recovery-codes)|password/change"
        r"|password/reset/confirm|email/verify)/$|^/api/invitations/|^/api/org/invitations/\{invitation_id\}/resend/"
        r"|^/api/public/saved-searches/unsubscribe/|/timeline/$|^/api/org/delete/$|^/api/auth/register/$",
        ACCEPTANCE,
        "A secret the server issued or the user knows (a password, a one-time code, a refresh token, an emailed "
        "link or invitation, a page cursor, the org's slug typed to confirm): OpenAPI can only say it is a "
        "string, not which strings the server gave out, so a well-formed wrong one is a 400 (or a 410 for a link "
        "that was used or revoked, as RFC 9110 15.5.11 says, or a 403 for the password or code that confirms an "
        "org's deletion or its transfer: docs/sessions.md), never an acceptance.",
    ),
    CheckExclusion(
        "POST|PUT|PATCH",
        r"^/api/(cases|companies|contacts|deals|leads|properties|tasks|widgets|campaigns|saved-searches)/"
        r"(\{id\}/(merge/|move/|convert/)?|bulk/)?$|^/api/leads/forms/|^/api/properties/\{property_id\}/"
        r"(contacts/|images/order/)|^/api/pipelines/\{pipeline_id\}/stages/reorder/$"
        r"|^/api/org/(members/\{profile_id\}/(reassign|remove)/|transfer-ownership)/$",
        ACCEPTANCE,
        "Ids of other records in the body (a contact, an assignee, a stage, the ids of a bulk action): JSON "
        "Schema says an id is a UUID, not that a record with it exists in this org. By the API's isolation rule a "
        "well-formed id of no visible record is a 400 field error `does_not_exist`, the same answer as another "
        "org's id, so that nothing about other orgs can be learned.",
    ),
    CheckExclusion(
        "GET|POST|PUT|PATCH",
        r"^/api/(properties/(pins/|export/)?|public/orgs/\{org_slug\}/properties/(guided-search/)?"
        r"|deals/(summary/|export/)?|pipelines/|properties/\{property_id\}/(spaces/|images/)(\{[a-z_]+\}/)?"
        r"|timeline/(comments|attachments)/|org/api-keys/|org/logo/|custom-fields/)$",
        ACCEPTANCE,
        "Rules across values that OpenAPI 3.0 cannot state: one query parameter that needs another (radius_km "
        "needs near), a range whose ends depend on each other, a name unique among a listing's spaces or the "
        "org's pipelines, a pipeline that needs an open stage, the target named in the query and in the body "
        "agreeing, an image file whose bytes are an image, an API key role at most the creator's.",
    ),
]


# The statuses that refuse a bad request: schemathesis's own list (as of 4.32.5) and 414 URI Too Long.
INPUT_REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]


# --- The org the run acts in ----------------------------------------------------------------------------------


@dataclass
class FuzzOrg:
    org: Org
    owner: Profile
    member: Profile
    token: str
    # A second org of the same owner for the operations that can end the org a request acts in: a fuzzed
    # PATCH of /api/org/ may switch on required 2FA (the owner has none) or rename the slug, and a delete
    # confirmed with that slug schedules the org's deletion. They act here, so the run's org stays usable.
    spare: Org
    ids: dict[str, list[str]] = field(default_factory=dict)


def _remove_rows_created_since(org_ids: set[Any], user_ids: set[Any]) -> None:
    """The server committed what the run made (orgs and users from sign-ups too); the rest of the session must
    not see it. An org goes with its schema, and with it every record of the run."""
    new_orgs = list(Org.objects.exclude(pk__in=org_ids))
    new_users = User.objects.exclude(pk__in=user_ids)
    # Invitations and API keys hold their maker (a protected link): they go first, wherever they were made.
    doomed = Profile.objects.filter(Q(org__in=new_orgs) | Q(user__in=new_users))
    Invitation._base_manager.filter(Q(org__in=new_orgs) | Q(invited_by__in=doomed)).delete()
    ApiKey._base_manager.filter(Q(org__in=new_orgs) | Q(created_by__in=doomed)).delete()
    Profile.objects.filter(org__in=new_orgs).delete()
    Profile.objects.filter(user__in=new_users).delete()
    for org in new_orgs:
        org.delete(force_drop=True)
    new_users.delete()


def long_lived_access_token(user: User) -> str:
    """An access token as login issues it, valid for the whole run (`make fuzz` runs longer than 15 minutes)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from common.tokens import TOKEN_VERSION_CLAIM

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=MAX_TIME + 3600))
    token[TOKEN_VERSION_CLAIM] = user.token_version
    return str(token)


@pytest.fixture(scope="module")
def fuzz_org(django_db_setup: Any, _cast_ids: Any, django_db_blocker: Any) -> Iterator[FuzzOrg]:
    """An org of its own with an owner and a member, committed (the server is another process)."""
    from tenants.orgs.provisioning import org_create

    with django_db_blocker.unblock():
        org_ids = set(Org.objects.values_list("pk", flat=True))
        user_ids = set(User.objects.values_list("pk", flat=True))
        # A slug nobody could guess, so a generated `confirm` can never delete the org under the run.
        org = org_create(name="Fuzz Realty", slug=f"fuzz-{secrets.token_hex(8)}")
        owner_user = User.objects.create_user(email=f"owner@{org.slug}.test", password=PASSWORD, name="Fuzz Owner")
        member_user = User.objects.create_user(email=f"member@{org.slug}.test", password=PASSWORD, name="Fuzz Mem")
        owner = Profile.objects.create(user=owner_user, org=org, role=Role.OWNER)
        member = Profile.objects.create(user=member_user, org=org, role=Role.MEMBER)
        spare = org_create(name="Fuzz Spare Realty", slug=f"fuzz-spare-{secrets.token_hex(8)}")
        Profile.objects.create(user=owner_user, org=spare, role=Role.OWNER)
        token = long_lived_access_token(owner_user)
    try:
        yield FuzzOrg(org=org, owner=owner, member=member, token=token, spare=spare)
    finally:
        with django_db_blocker.unblock():
            _remove_rows_created_since(org_ids, user_ids)


# --- The live server ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    workdir: Path


@pytest.fixture(scope="module")
def fuzz_server(fuzz_org: FuzzOrg, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """gunicorn with the production configuration (crm/gunicorn.py) serving the test settings and database."""
    workdir = Path(os.environ["FUZZ_REPORT_DIR"]) if os.environ.get("FUZZ_REPORT_DIR") else None
    workdir = workdir or tmp_path_factory.mktemp("schemathesis")
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": str(settings.REDIS_URL),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        # One media folder for every worker (and the suite's own, removed when the session ends).
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = workdir / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{log.read_text()[-5000:]}"
            with suppress(requests.RequestException):
                if requests.get(f"{url}/health/live", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"gunicorn did not answer within 60 s:\n{log.read_text()[-5000:]}"
            time.sleep(0.3)
        yield LiveServer(url=url, log=log, workdir=workdir)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- Seeded records -------------------------------------------------------------------------------------------

# A 1x1 PNG: the smallest real image the media routes accept.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class Seeder:
    """Makes records over the API, as a client would, and remembers their ids by kind."""

    def __init__(self, server: LiveServer, org: FuzzOrg) -> None:
        self.base = server.url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {org.token}", "org": str(org.org.pk)})
        self.ids = org.ids

    def post(self, kind: str, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> str:
        if "files" in kwargs:
            response = self.session.post(f"{self.base}{path}", data=body, timeout=30, **kwargs)
        else:
            response = self.session.post(f"{self.base}{path}", json=body, timeout=30, **kwargs)
        assert response.status_code in (200, 201), (path, response.status_code, response.text[:2000])
        made = str(response.json()["id"])
        self.ids.setdefault(kind, []).append(made)
        return made


def _seed(seeder: Seeder, org: FuzzOrg) -> None:
    post = seeder.post
    seeder.ids["profile"] = [str(org.member.pk)]
    seeder.ids["org"] = [str(org.org.pk)]
    seeder.ids["org_slug"] = [org.org.slug]
    for n in (1, 2):
        company = post("company", "/api/companies/", {"name": f"Fuzz Holdings {n}"})
        contact = post("contact", "/api/contacts/", {"first_name": f"Fuzz {n}", "company": company})
        listing = post(
            "property",
            "/api/properties/",
            {"title": f"Fuzz House {n}", "property_type": "house", "status": "active"},
        )
        post("lead", "/api/leads/", {"first_name": f"Fuzz {n}", "property": listing})
        post("deal", "/api/deals/", {"name": f"Fuzz deal {n}", "contact": contact, "property": listing})
        post("case", "/api/cases/", {"subject": f"Fuzz case {n}", "contact": contact})
        post("task", "/api/tasks/", {"title": f"Fuzz task {n}"})
        post("widget", "/api/widgets/", {"name": f"Fuzz widget {n}"})
        campaign = post("campaign", "/api/campaigns/", {"name": f"Fuzz campaign {n}", "channels": ["email"]})
        post("budget_line", f"/api/campaigns/{campaign}/budget-lines/", {"channel": "email", "amount": "100.00"})
        post(
            "spend",
            f"/api/campaigns/{campaign}/spend/",
            {"channel": "email", "amount": "10.00", "spent_on": "2026-01-15"},
        )
        post(
            "asset",
            f"/api/campaigns/{campaign}/assets/",
            {"kind": "hero_image"},
            files={"file": (f"asset{n}.png", PNG, "image/png")},
        )
        post("space", f"/api/properties/{listing}/spaces/", {"name": f"Suite {n}00"})
        post("property_contact", f"/api/properties/{listing}/contacts/", {"contact": contact, "role": "owner"})
        post(
            "image",
            f"/api/properties/{listing}/images/",
            {"caption": f"Front {n}"},
            files={"file": (f"front{n}.png", PNG, "image/png")},
        )
        post("lead_form", "/api/leads/forms/", {"name": f"Fuzz form {n}"})
        post("saved_search", "/api/saved-searches/", {"name": f"Fuzz search {n}", "contact": contact})
        post(
            "comment",
            "/api/timeline/comments/",
            {"target_type": "contacts.contact", "target_id": contact, "body": "Hi"},
        )
        post(
            "attachment",
            "/api/timeline/attachments/",
            {"target_type": "contacts.contact", "target_id": contact},
            files={"file": (f"note{n}.txt", b"a note", "text/plain")},
        )
        pipeline = post("pipeline", "/api/pipelines/", {"name": f"Fuzz pipeline {n}"})
        post("stage", f"/api/pipelines/{pipeline}/stages/", {"name": f"Fuzz stage {n}"})
        post(
            "custom_field",
            "/api/custom-fields/",
            {"module": "contacts.contact", "key": f"fuzz_{n}", "label": f"Fuzz {n}", "field_type": "text"},
        )
        post("invitation", "/api/org/invitations/", {"email": f"invitee{n}@{org.org.slug}.test", "role": "viewer"})
        post("api_key", "/api/org/api-keys/", {"name": f"Fuzz key {n}", "role": "viewer"})


# Which seeded ids fill which path parameter: (path regex, parameter, kind of record).
ID_SOURCES: list[tuple[str, str, str]] = [
    (r"^/api/companies/\{id\}/", "id", "company"),
    (r"^/api/contacts/\{id\}/", "id", "contact"),
    (r"^/api/contacts/\{contact_id\}/", "contact_id", "contact"),
    (r"^/api/properties/\{id\}/", "id", "property"),
    (r"^/api/properties/\{property_id\}/", "property_id", "property"),
    (r"^/api/properties/\{property_id\}/spaces/\{space_id\}/", "space_id", "space"),
    (r"^/api/properties/\{property_id\}/contacts/\{link_id\}/", "link_id", "property_contact"),
    (r"^/api/properties/\{property_id\}/images/\{image_id\}/", "image_id", "image"),
    (r"^/api/leads/\{id\}/", "id", "lead"),
    (r"^/api/leads/forms/\{id\}/", "id", "lead_form"),
    (r"^/api/deals/\{id\}/", "id", "deal"),
    (r"^/api/cases/\{id\}/", "id", "case"),
    (r"^/api/tasks/\{id\}/", "id", "task"),
    (r"^/api/widgets/\{id\}/", "id", "widget"),
    (r"^/api/campaigns/\{id\}/", "id", "campaign"),
    (r"^/api/campaigns/\{campaign_id\}/", "campaign_id", "campaign"),
    (r"^/api/campaigns/\{campaign_id\}/budget-lines/\{line_id\}/", "line_id", "budget_line"),
    (r"^/api/campaigns/\{campaign_id\}/spend/\{entry_id\}/", "entry_id", "spend"),
    (r"^/api/campaigns/\{campaign_id\}/assets/\{asset_id\}/", "asset_id", "asset"),
    (r"^/api/saved-searches/\{search_id\}/", "search_id", "saved_search"),
    (r"^/api/timeline/comments/\{comment_id\}/", "comment_id", "comment"),
    (r"^/api/timeline/attachments/\{attachment_id\}/", "attachment_id", "attachment"),
    (r"^/api/pipelines/\{pipeline_id\}/", "pipeline_id", "pipeline"),
    (r"^/api/pipelines/\{pipeline_id\}/stages/\{stage_id\}/", "stage_id", "stage"),
    (r"^/api/custom-fields/\{definition_id\}/", "definition_id", "custom_field"),
    (r"^/api/org/invitations/\{invitation_id\}/", "invitation_id", "invitation"),
    (r"^/api/org/api-keys/\{key_id\}/", "key_id", "api_key"),
    (r"^/api/org/members/\{profile_id\}/", "profile_id", "profile"),
    (r"^/api/orgs/\{org_id\}/", "org_id", "org"),
    (r"^/api/public/orgs/\{org_slug\}/", "org_slug", "org_slug"),
]
# Operations that can make the org they act in unusable for the rest of the run (see FuzzOrg.spare).
ON_THE_SPARE_ORG = [("PATCH", "/api/org/"), ("POST", "/api/org/delete/")]
# Half the cases take a real id, half a generated one.
REAL_ID_SHARE = 0.5


@pytest.fixture(scope="module")
def seeded(fuzz_server: LiveServer, fuzz_org: FuzzOrg) -> FuzzOrg:
    _seed(Seeder(fuzz_server, fuzz_org), fuzz_org)
    return fuzz_org


# --- The run's configuration ----------------------------------------------------------------------------------


def _toml(value: Any) -> str:
    """A TOML value: JSON's strings, numbers and arrays are TOML's; tables are written inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {_toml(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def _operations_config(org: FuzzOrg) -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = []
    for module, pattern in MODULES_UNDER_CONSTRUCTION.items():
        operations.append(
            {"include-path-regex": pattern, "enabled": False, "_why": f"{module}: under construction"}
        )
    for method, path in ON_THE_SPARE_ORG:
        operations.append({"include-method": method, "include-path": path, "headers": {"org": str(org.spare.pk)}})
    for path_regex, parameter, kind in ID_SOURCES:
        binding = {"dictionary": kind, "probability": REAL_ID_SHARE}
        operations.append({"include-path-regex": path_regex, "parameters": {f"path.{parameter}": binding}})
    for exclusion in CHECK_EXCLUSIONS:
        operations.append(
            {
                "include-method-regex": exclusion.methods,
                "include-path-regex": exclusion.paths,
                "checks": {check: {"enabled": False} for check in exclusion.checks},
                "_why": exclusion.reason,
            }
        )
    return operations


def write_config(path: Path, org: FuzzOrg, report_dir: Path) -> None:
    lines = [
        f"seed = {SEED}",
        f"max-time = {MAX_TIME}",
        "workers = 1",  # hypothesis parses lambdas with ast, which is not thread-safe on Python 3.11
        "continue-on-failure = true",
        "[headers]",
        f"Authorization = {_toml('Bearer ' + org.token)}",
        # The org's id, not its slug: a PATCH of /api/org/ may rename the slug in the middle of the run.
        f"org = {_toml(str(org.org.pk))}",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        # The run's examples are not kept between runs: each run is the same for the same seed.
        'database = "none"',
        # PostgreSQL text cannot hold U+0000, so every text field refuses it with a 400 field error.
        "allow-x00 = false",
        "[checks]",
        "enabled = true",
        # A URL longer than the web server reads is refused with 414 URI Too Long (RFC 9110 15.5.15), before the
        # API sees it; schemathesis's list of statuses that refuse bad input leaves it out.
        "[checks.negative_data_rejection]",
        f"expected-statuses = {_toml(INPUT_REFUSALS)}",
        "[phases.examples]",
        "enabled = true",
        "[phases.coverage]",
        "enabled = true",
        "[phases.fuzzing]",
        "enabled = true",
        "[phases.stateful]",
        "enabled = true",
        "[reports]",
        f"directory = {_toml(str(report_dir))}",
        "[reports.json]",
        "enabled = true",
        f"path = {_toml(str(report_dir / 'report.json'))}",
        "[reports.junit]",
        "enabled = true",
        f"path = {_toml(str(report_dir / 'junit.xml'))}",
    ]
    for kind, values in org.ids.items():
        lines += [f"[dictionaries.{kind}]", f"values = {_toml(values)}"]
    for operation in _operations_config(org):
        why = operation.pop("_why", None)
        if why:
            lines.append(f"# {why}")
        lines.append("[[operations]]")
        lines += [f"{json.dumps(key)} = {_toml(value)}" for key, value in operation.items()]
    path.write_text("\n".join(lines) + "\n")


def schemathesis_command(config: Path, server: LiveServer) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{server.url}/api/schema/?format=json",
        "--url",
        server.url,
        "--no-color",
    ]


# --- The run --------------------------------------------------------------------------------------------------


def test_schemathesis_finds_no_failure_over_every_operation(fuzz_server: LiveServer, seeded: FuzzOrg) -> None:
    config = fuzz_server.workdir / "schemathesis.toml"
    report_dir = fuzz_server.workdir / "report"
    write_config(config, seeded, report_dir)

    started = time.monotonic()
    run = subprocess.run(
        schemathesis_command(config, fuzz_server),
        cwd=fuzz_server.workdir,
        capture_output=True,
        text=True,
        timeout=MAX_TIME + 120,
    )
    elapsed = time.monotonic() - started
    (fuzz_server.workdir / "schemathesis.out").write_text(run.stdout + run.stderr)

    report = json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").exists() else {}
    summary = {
        "seconds": round(elapsed),
        "operations": report.get("operations"),
        "test_cases": report.get("test_cases"),
    }
    print(json.dumps(summary))
    assert run.returncode == 0, f"{summary}\n{run.stdout[-20000:]}\n{run.stderr[-5000:]}"
    assert report["operations"]["tested"] > 200
