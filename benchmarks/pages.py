"""Benchmark: every main page and the heavy admin pages, under load, on the national data set.

Run from the project folder, after `benchmarks/scale_data.py` filled the database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/np_scale \\
        .venv/bin/python benchmarks/pages.py [--duration 10] [--connections 8] [--only PAGE]

It gathers the static files into a temporary folder, signs in the roles the pages need (the
member, the coordinator of the big municipality and the staff account, whose session passes
the second factor as allauth records it), counts each page's SQL queries with Django's test
client in this process, then for each page in turn starts a fresh gunicorn (4 sync workers,
DEBUG off, plain HTTP on 127.0.0.1) and runs `wrk` against it. It prints a markdown table:
requests a second, median and 99th percentile latency, the median as a multiple of /healthz's
median in the same run, the response size and the SQL queries per request. A page that does
not answer 2xx is reported as a failure and not timed. It writes nothing but the sessions it
signs in with, and deletes them at the end.
"""

import argparse
import concurrent.futures
import datetime as dt
import http.client
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks import scale_data  # noqa: E402

WORKERS = 4
WRK_THREADS = 2
MAX_DURATION = 120  # seconds: the longest a slow page's run is stretched to
SECOND = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass
class Page:
    key: str
    label: str
    role: str | None  # None: not signed in
    path: str = ""


PAGES = [
    Page("healthz", "`/healthz`", None),
    # References, not targets: what Django and the middleware cost before a page does anything
    # of its own, signed in (a session, a user) and in the admin (its index).
    Page("floor-signed-in", "reference: privacy page, signed in", "member"),
    Page("floor-admin", "reference: admin index", "staff"),
    Page("home", "`/`", None),
    Page("meetings", "`/meetings/`", None),
    Page("meeting-anonymous", "meeting page (anonymous)", None),
    Page("meeting-member", "meeting page (member)", "member"),
    Page("meeting-coordinator", "meeting page (coordinator)", "coordinator"),
    Page("registration-form", "registration form (coordinator)", "coordinator"),
    Page("meeting-ics", "meeting .ics", None),
    Page("network-feed", "`/calendar/network.ics`", None),
    Page("personal-feed", "personal feed, all meetings", None),
    Page("profile", "`/profile/`", "member"),
    Page("my-meetings", "`/my-meetings/`", "member"),
    Page("overview", "participation overview", "staff"),
    Page("projects", "`/projects/`", "member"),
    Page("idea", "idea page", "member"),
    Page("municipality", "municipality page (big municipality)", "member"),
    Page("admin-meetings", "admin meeting changelist", "staff"),
    Page("admin-registrations", "admin registration changelist", "staff"),
    Page("admin-meeting", "admin meeting change page (big meeting)", "staff"),
    Page("admin-municipality", "admin municipality change page (big municipality)", "staff"),
    Page("admin-mailings", "admin mailing changelist", "staff"),
]


@dataclass
class Result:
    page: Page
    status: int | None = None
    size: int | None = None
    queries: int | None = None
    requests: int | None = None
    rps: float | None = None
    p50: float | None = None  # seconds
    p99: float | None = None
    duration: int | None = None  # seconds of load
    failure: str = ""


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument(
        "--connections", type=int, default=8, help="open connections (wrk -c), default 8"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="PAGE",
        choices=[page.key for page in PAGES],
        help="measure only this page (repeatable); /healthz is always measured. "
        f"Pages: {', '.join(page.key for page in PAGES)}",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or scale_data.DEFAULT_DATABASE_URL,
        help=f"default: $DATABASE_URL, else {scale_data.DEFAULT_DATABASE_URL}",
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not WRK_THREADS <= args.connections <= 1000:
        parser.error(f"--connections must be between {WRK_THREADS} and 1000")
    return args


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, static_root: Path) -> dict[str, str]:
    """Production settings (DEBUG off, the manifest static files storage) except what plain
    HTTP on 127.0.0.1 needs: no redirect to HTTPS, no HSTS, cookies without `Secure`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "network_portal.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-not-a-secret",
        # testserver: the test client that counts the queries in this process.
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    import django

    django.setup()


def resolve_paths(pages: list[Page]) -> None:
    """Fill in the addresses that depend on the generated data."""
    from django.db.models import Count
    from django.urls import reverse

    from meetings.models import Meeting
    from members.models import ContactPerson
    from projects.models import ProjectIdea

    meeting = Meeting.objects.get(slug=scale_data.BIG_MEETING_SLUG)
    coordinator = ContactPerson.objects.select_related("municipality").get(
        email=f"coordinator@k{scale_data.BIG_MUNICIPALITY_NUMBER}{scale_data.DOMAIN_SUFFIX}"
    )
    member = ContactPerson.objects.get(
        email=f"member@k{scale_data.BIG_MUNICIPALITY_NUMBER}{scale_data.DOMAIN_SUFFIX}"
    )
    municipality = coordinator.municipality
    # The big municipality's idea with the most interest shown.
    idea = (
        ProjectIdea.objects.filter(lead_municipality=municipality)
        .annotate(interest_count=Count("interests"))
        .order_by("-interest_count", "pk")
        .first()
    ) or ProjectIdea.objects.order_by("pk").first()
    paths = {
        "healthz": reverse("healthz"),
        "floor-signed-in": reverse("privacy"),
        "floor-admin": reverse("admin:index"),
        "home": reverse("home"),
        "meetings": reverse("meetings:list"),
        "meeting-anonymous": meeting.get_absolute_url(),
        "meeting-member": meeting.get_absolute_url(),
        "meeting-coordinator": meeting.get_absolute_url(),
        "registration-form": reverse("meetings:register", kwargs={"slug": meeting.slug}),
        "meeting-ics": reverse("meetings:calendar", kwargs={"slug": meeting.slug}),
        "network-feed": reverse("network_feed"),
        "personal-feed": reverse("personal_feed", kwargs={"token": member.calendar_token}),
        "profile": reverse("profile"),
        "my-meetings": reverse("my_meetings"),
        "overview": reverse("meetings:overview"),
        "projects": reverse("projects:list"),
        "idea": idea.get_absolute_url(),
        "municipality": reverse("projects:municipality", kwargs={"number": municipality.number}),
        "admin-meetings": reverse("admin:meetings_meeting_changelist"),
        "admin-registrations": reverse("admin:meetings_registration_changelist"),
        "admin-meeting": reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        "admin-municipality": reverse("admin:members_municipality_change", args=[municipality.pk]),
        "admin-mailings": reverse("admin:meetings_mailing_changelist"),
    }
    for page in pages:
        page.path = paths[page.key]


def sign_in_roles() -> dict[str, str]:
    """Session keys for each role. The member and the coordinator sign in with a password
    (Django's `force_login`, as the login view does after checking it); the staff session also
    records the second factor the way allauth's authenticator app step does, so the admin
    opens. The sessions are stored in the database like any other."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.base.internal.flows import post_authentication
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, RequestFactory

    User = get_user_model()
    domain = f"k{scale_data.BIG_MUNICIPALITY_NUMBER}{scale_data.DOMAIN_SUFFIX}"
    emails = {
        "member": f"member@{domain}",
        "coordinator": f"coordinator@{domain}",
        "staff": scale_data.STAFF_EMAIL,
    }
    keys = {}
    for role, email in emails.items():
        user = User.objects.get(email=email)
        client = Client()
        client.force_login(user)
        if role == "staff":
            authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
            request = RequestFactory().get("/")
            request.user = user
            request.session = client.session
            record_authentication(request, user, method="password", email=user.email)
            post_authentication(request, authenticator)
            request.session.save()
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def delete_sessions(keys: dict[str, str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=keys.values()).delete()


def count_queries(pages: list[Page], cookies: dict[str | None, str], results: dict) -> None:
    """Each page once in this process to warm up, then once more with the queries counted."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        client = Client()
        if page.role:
            client.cookies.load(cookies[page.role])
        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        if 200 <= response.status_code < 300:
            results[page.key].queries = len(captured.captured_queries)


def cookie_header(session_key: str) -> str:
    from django.conf import settings

    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


def start_gunicorn(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "network_portal.wsgi",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        # Workers fork from a master that has loaded Django: the server restarts in a second
        # for each page (see measure).
        "--preload",
        # The slowest admin pages take seconds under load; the default 30 s would kill them.
        "--timeout",
        "300",
        "--error-logfile",
        str(log),
    ]
    server = subprocess.Popen(command, cwd=PROJECT, env=environment)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start; see its log:\n{log.read_text()}")
        try:
            status, _, _ = fetch(port, "/healthz", None)
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer /healthz within a minute; log:\n{log.read_text()}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    # SIGINT is gunicorn's quick shutdown: requests still queued are dropped, not served.
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fetch(port: int, path: str, cookie: str | None) -> tuple[int, int, str]:
    """One GET, redirects not followed: (status, body size in bytes, Location)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body), response.getheader("Location") or ""
    finally:
        connection.close()


def seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match[1]) * SECOND[match[2]]


def run_wrk(port: int, page: Page, cookie: str | None, duration: int, args, result: Result):
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        # Requests slower than wrk's default 2 s would be dropped from the statistics.
        "--timeout",
        "300s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{page.path}")
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, timeout=duration + 600
    )
    text = output.stdout
    if output.returncode != 0:
        result.failure = f"wrk failed: {output.stderr.strip() or text.strip()}"
        return
    distribution = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", text, re.MULTILINE))
    requests = re.search(r"^\s+(\d+) requests in", text, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not (requests and rps and "50" in distribution):
        result.failure = f"could not read wrk's output:\n{text}"
        return
    result.requests = int(requests[1])
    if result.requests == 0:
        result.failure = f"no response within the {duration} s run"
        return
    result.rps = float(rps[1])
    result.p50 = seconds(distribution["50"])
    result.p99 = seconds(distribution["99"])
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    problems = []
    if bad:
        problems.append(f"{bad[1]} responses not 2xx/3xx")
    if errors and any(int(n) for n in errors.groups()):
        problems.append(f"socket errors: {errors[0].split(': ', 1)[1]}")
    if problems:
        result.failure = "; ".join(problems)


def measure(environment, port: int, log: Path, pages: list[Page], cookies, args, results):
    """Each page on a fresh server: wrk stops with up to one request per connection still
    queued in gunicorn, and a slow page's leftovers would otherwise be timed with the next."""
    for page in pages:
        server = start_gunicorn(environment, port, log)
        try:
            measure_page(port, page, cookies.get(page.role), args, results[page.key])
        finally:
            stop_gunicorn(server)


def measure_page(port: int, page: Page, cookie: str | None, args, result: Result) -> None:
    # One request per worker first: it checks the answer and warms each worker's caches
    # (compiled templates, translations), as a server that has run for a while has them.
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        answers = list(pool.map(lambda _: fetch(port, page.path, cookie), range(WORKERS)))
    status, size, location = answers[0]
    result.status, result.size = status, size
    failed = [answer for answer in answers if not 200 <= answer[0] < 300]
    if failed:
        status, _, location = failed[0]
        result.failure = f"HTTP {status}" + (f" to {location}" if location else "")
        print(f"  {page.key:<22} FAILED: {result.failure}", flush=True)
        return
    # A page whose requests take seconds needs a longer run for more than a handful of them:
    # about three rounds of every connection's request, from one warm request's time.
    started = time.perf_counter()
    fetch(port, page.path, cookie)
    alone = time.perf_counter() - started
    parallel = min(WORKERS, os.cpu_count() or 1)
    result.duration = max(
        args.duration, min(MAX_DURATION, math.ceil(3 * alone * args.connections / parallel))
    )
    run_wrk(port, page, cookie, result.duration, args, result)
    if result.p50 is not None:
        print(
            f"  {page.key:<22} {result.rps:8.1f} req/s  p50 {result.p50 * 1000:9.1f} ms  "
            f"{kilobytes(result.size):>8} kB" + (f"  ({result.failure})" if result.failure else ""),
            flush=True,
        )
    else:
        print(f"  {page.key:<22} FAILED: {result.failure}", flush=True)


def rate(per_second: float) -> str:
    # wrk gives two decimals: a page of several seconds is not "0.0 a second".
    return f"{per_second:,.1f}" if per_second >= 1 else f"{per_second:.2f}"


def kilobytes(size: int) -> str:
    return f"{size / 1024:,.1f}" if size >= 1024 else f"{size / 1024:.2f}"


def table(results: list[Result], duration: int) -> str:
    healthz = next((r for r in results if r.page.key == "healthz"), None)
    floor = healthz.p50 if healthz and healthz.p50 else None
    lines = [
        "| page | req/s | p50 (ms) | p99 (ms) | p50 ÷ healthz | size (kB) | SQL queries "
        "| requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        queries = "" if r.queries is None else str(r.queries)
        size = "" if r.size is None else kilobytes(r.size)
        if r.p50 is None:
            failure = r.failure.splitlines()[0] if r.failure else "not measured"
            lines.append(f"| {r.page.label} | FAILED: {failure} | | | | {size} | {queries} | |")
            continue
        ratio = f"{r.p50 / floor:,.1f}" if floor else ""
        requests = f"{r.requests:,}"
        if r.duration != duration:
            requests += f" in {r.duration} s"
        label = r.page.label + (f" (FAILED: {r.failure})" if r.failure else "")
        lines.append(
            f"| {label} | {rate(r.rps)} | {r.p50 * 1000:,.1f} | {r.p99 * 1000:,.1f} | {ratio} "
            f"| {size} | {queries} | {requests} |"
        )
    return "\n".join(lines)


def describe_machine(args) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 1")
        database = str(cursor.fetchone()[0]).split(" on ")[0]
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu}); "
        f"{database}; gunicorn {WORKERS} sync workers; "
        f"wrk -t{WRK_THREADS} -c{args.connections} -d{args.duration}s; "
        f"DATABASE_CONN_MAX_AGE={os.environ.get('DATABASE_CONN_MAX_AGE') or '0'}; "
        f"load average before the run {load_average()}"
    )


def load_average() -> str:
    # The machine may be shared: a busy one slows every page, /healthz included.
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    args = arguments()
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk "
            "(see benchmarks/README.md).",
            file=sys.stderr,
        )
        return 2
    wanted = set(args.only or [page.key for page in PAGES]) | {"healthz"}
    pages = [page for page in PAGES if page.key in wanted]
    results = {page.key: Result(page) for page in pages}

    with tempfile.TemporaryDirectory(prefix="pages-benchmark-") as folder:
        environment = server_environment(args.database_url, Path(folder) / "static")
        setup_django(environment)
        from django.core.management import call_command
        from django.db import connections

        from meetings.models import Meeting

        if not Meeting.objects.filter(slug=scale_data.BIG_MEETING_SLUG).exists():
            print(
                "No generated data in this database: run benchmarks/scale_data.py first.",
                file=sys.stderr,
            )
            return 2
        print("Gathering static files ...", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        resolve_paths(pages)
        keys = sign_in_roles()
        cookies = {role: cookie_header(key) for role, key in keys.items()}
        try:
            print("Counting SQL queries in-process ...", flush=True)
            count_queries(pages, cookies, results)
            machine = describe_machine(args)
            connections.close_all()
            port = args.port or free_port()
            print(f"Load: {machine}", flush=True)
            measure(environment, port, Path(folder) / "gunicorn.log", pages, cookies, args, results)
        finally:
            delete_sessions(keys)
            connections.close_all()

    print()
    print(machine)
    print(f"Load average after the run: {load_average()}")
    print()
    print(table(list(results.values()), args.duration))
    return 1 if any(r.failure for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
