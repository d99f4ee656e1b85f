#!/usr/bin/env python
"""Page benchmark of RS-portalen on a national-scale dataset.

    .venv/bin/python bench/run.py --scale 0.1     # quick: ~1 000 applications, about 2 minutes
    .venv/bin/python bench/run.py --scale 1.0     # national scale: ~10 000 applications

One command that
  1. drops and recreates the PostgreSQL database (`rsbench` by default), migrates and runs
     bench/generate.py at the given scale;
  2. collects the static files into a temporary directory and starts gunicorn (2 sync workers) on a
     free loopback port in production mode (RSPORTAL_DEBUG=false, whitenoise, a random secret key);
  3. signs the bench users in through the real login forms (requests.Session, CSRF token and cookie):
     the password, then the two-factor code computed from the user's authenticator key;
  4. per page: N sequential requests after a warm-up -> median and p95 latency, and the ratio to the
     baseline page (the home page) measured in the same run;
  5. per page: the number of SQL queries of one request, counted in this process with
     django.test.utils.CaptureQueriesContext and the Django test client against the same database
     (the server cannot report them);
  6. throughput: C concurrent clients (threads) on a mixed set of pages, bounded by a request count
     and a time limit -> requests/s and errors;
  7. writes bench/results/<date>-scale-<s>.json and regenerates bench/results/latest.md, which
     compares the query counts with the latest run at the other scale and flags any page whose
     count grows with the data.

The server runs as in production with two-factor login and login throttling on: every bench user
has an authenticator device (enrolled by generate.py through the portal's own enrolment). Pages
that answer 404 (not built yet) are skipped and noted in the results.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))  # the in-process query counts import rsportal
KEPT_INFO = BENCH / ".rsbench-info.json"  # the generator's facts of a database kept with --keep-db

# (key, label, path, user). {ranking_call} is filled from the generator's facts. "baseline" is the
# page every other page's latency is divided by. user None = anonymous.
PAGES = [
    ("home", "Home page `/`, signed in (floor for signed-in pages)", "/", "secretariat"),
    ("home_anon", "Home page `/`, anonymous (floor for public pages)", "/", None),
    ("api_rhf", "API `/api/v1/rhf`", "/api/v1/rhf", None),
    ("catalogue_search", "Catalogue search `/prosjekter/?q=digital`", "/prosjekter/?q=digital", None),
    ("catalogue", "Catalogue, no filter `/prosjekter/`", "/prosjekter/", None),
    ("my_applications", "Applicant's applications `/soknader/`", "/soknader/", "applicant"),
    ("ranking", "Committee ranking `/vurdering/utlysning/<id>/rangering/`", "/vurdering/utlysning/{ranking_call}/rangering/", "member"),
    ("call_overview", "Committee call overview `/vurdering/utlysning/<id>/`", "/vurdering/utlysning/{ranking_call}/", "member"),
    ("assessment_index", "Secretariat: calls to assess, all years `/vurdering/`", "/vurdering/", "secretariat"),
    ("call_overview_secretariat", "Secretariat: call overview `/vurdering/utlysning/<id>/`", "/vurdering/utlysning/{ranking_call}/", "secretariat"),
    ("conflicts", "Secretariat: a call's conflicts of interest `/vurdering/utlysning/<id>/habilitet/`", "/vurdering/utlysning/{ranking_call}/habilitet/", "secretariat"),
    ("statistics", "Statistics `/statistikk/`", "/statistikk/", None),
    # Built in this process with the public-page cache bypassed (see cache_miss()): what one build
    # of the statistics costs after any change to the data.
    ("statistics_miss", "Statistics `/statistikk/`, cache miss (in-process, test client)", "/statistikk/", None),
    ("helsefellesskap", "Helsefellesskap list `/helsefellesskap/`", "/helsefellesskap/", "secretariat"),
    ("money", "Money overview `/midler/`", "/midler/", "secretariat"),
    ("followup", "Follow-up overview `/oppfolging/`", "/oppfolging/", "secretariat"),
    ("followup_applicant", "Applicant's projects and reports due `/oppfolging/`", "/oppfolging/", "applicant"),
    ("followup_pot", "A pot's follow-up, reports due and overdue `/oppfolging/pott/<id>/`", "/oppfolging/pott/{bench_pot}/", "secretariat"),
    ("payments", "Payment requests, secretariat `/utbetaling/`", "/utbetaling/", "secretariat"),
    ("payment_overview", "Payment overview, RHF administrator `/utbetaling/oversikt/`", "/utbetaling/oversikt/", "rhf"),
    ("version", "Applicant: an older version of a revised application `/soknader/<id>/versjon/1/`", "/soknader/{version_application}/versjon/1/", "applicant"),
    ("draft", "Applicant: a draft with co-authors `/soknader/<id>/`", "/soknader/{draft_application}/", "applicant"),
    ("office_calls", "Back office: calls `/administrasjon/utlysninger/`", "/administrasjon/utlysninger/", "secretariat"),
    ("office_call", "Back office: one call `/administrasjon/utlysninger/<id>/`", "/administrasjon/utlysninger/{ranking_call}/", "secretariat"),
    ("backoffice", "Back office index `/administrasjon/`", "/administrasjon/", "secretariat"),
    ("conditional", "Conditional commitments, RHF administrator `/administrasjon/midler/betingede-tilsagn/`", "/administrasjon/midler/betingede-tilsagn/", "rhf"),
    ("notices", "Notifications, secretariat `/varsler/`", "/varsler/", "secretariat"),
]
# Measured in this process, not through the server (their row says so).
IN_PROCESS = {"statistics_miss"}
ROLES = ("secretariat", "member", "applicant", "rhf")
BASELINE = "home"
# Each page is compared with the front page as the same kind of visitor sees it: the signed-in
# front page for signed-in pages, the anonymous one for public pages.
FLOORS = {True: "home", False: "home_anon"}


def floor_of(key: str, user: str | None) -> str:
    return FLOORS[user is not None]

# The mixed set for the throughput run, requested round robin: the pages many people use. The two
# committee pages (ranking with the optimiser, call overview) are left out: a handful of members use
# them a few times a year, and their latency is measured above.
THROUGHPUT_PAGES = ["home", "home_anon", "api_rhf", "catalogue_search", "catalogue", "my_applications", "statistics", "helsefellesskap", "money", "followup"]


def log(message: str) -> None:
    # UTC: django.setup() (for the query counts) switches the process's local time zone.
    print(f"[bench {datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, **kwargs) -> float:
    started = time.monotonic()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)
    return round(time.monotonic() - started, 1)


def pg_args(url: str) -> list[str]:
    parsed = urlparse(url)
    args = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        args += ["-U", parsed.username]
    return args


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))  # ceil
    return ordered[rank - 1]


# --- the server --------------------------------------------------------------


class Server:
    def __init__(self, env: dict, port: int, workers: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(env["RSPORTAL_DATA_DIR"] + "/gunicorn.log", "w")
        self.process = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "rsportal.wsgi:application",
                "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                "--timeout", "180", "--graceful-timeout", "5", "--backlog", "256",
            ],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/api/v1/rhf", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still importing the project on a busy machine
            time.sleep(0.3)
        raise SystemExit("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # only the process we started (its workers follow the master)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def plain_cookies(session: requests.Session) -> None:
    """Production cookies are Secure; the bench talks plain HTTP on loopback, so drop the flag
    in the client's jar (the server still sets it, exactly as in production)."""
    for cookie in session.cookies:
        cookie.secure = False


def _csrf(page: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or not match:
        raise SystemExit(f"{page.url}: status {page.status_code}, no CSRF token")
    return match.group(1)


def login(base: str, username: str, password: str, totp_key: str | None) -> requests.Session:
    """The real two steps: the password form, then the code form with a code computed from the
    user's authenticator key as the app would (django-otp's own TOTP, 30-second steps)."""
    from django_otp.oath import TOTP

    session = requests.Session()
    page = session.get(base + "/logg-inn/", timeout=30)
    plain_cookies(session)
    response = session.post(
        base + "/logg-inn/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": _csrf(page)},
        headers={"Referer": base + "/logg-inn/"},
        allow_redirects=False,
        timeout=30,
    )
    plain_cookies(session)
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"login of {username} failed: status {response.status_code}")
    if totp_key is None:
        return session
    # The password alone must not open a page that needs the code (the portal's rule, checked).
    probe = session.get(base + "/varsler/", allow_redirects=False, timeout=30)
    plain_cookies(session)
    if probe.status_code != 302 or "/logg-inn/tofaktor/kode/" not in probe.headers.get("Location", ""):
        raise SystemExit(f"{username}: after the password alone /varsler/ answered {probe.status_code}, not the code step")
    verify = base + "/logg-inn/tofaktor/kode/"
    for _attempt in range(3):
        page = session.get(verify, params={"next": "/"}, timeout=30)
        plain_cookies(session)
        response = session.post(
            verify,
            data={"token": f"{TOTP(bytes.fromhex(totp_key)).token():06d}", "next": "/", "csrfmiddlewaretoken": _csrf(page)},
            headers={"Referer": verify},
            allow_redirects=False,
            timeout=30,
        )
        plain_cookies(session)
        if response.status_code == 302:
            return session
        if response.status_code != 400:
            break
        # django-otp takes a code once: the one the enrolment used, if the generator ran in this
        # 30-second step, is refused. Wait for the next step.
        time.sleep(31 - time.time() % 30)
    raise SystemExit(f"two-factor step of {username} failed: status {response.status_code}")


def copy_session(source: requests.Session | None) -> requests.Session:
    session = requests.Session()
    if source is not None:
        for cookie in source.cookies:
            session.cookies.set_cookie(cookie)
    return session


# --- measurements ------------------------------------------------------------


def latency(session: requests.Session, url: str, n: int, warmup: int) -> dict:
    for _ in range(warmup):
        session.get(url, timeout=180)
    times, sizes, statuses = [], [], set()
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, timeout=180, allow_redirects=False)
        body = response.content
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(body))
        statuses.add(response.status_code)
    return {
        "n": n,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "bytes": int(statistics.median(sizes)),
        "statuses": sorted(statuses),
    }


def latency_interleaved(targets: dict[str, tuple[requests.Session, str]], n: int, warmup: int) -> dict[str, dict]:
    """Every page once per round, in a rotating order, for `n` rounds after `warmup` rounds: a
    swing in the machine's load hits every page alike, so the ratios to the floors hold."""
    keys = list(targets)
    for _ in range(warmup):
        for key in keys:
            session, url = targets[key]
            session.get(url, timeout=180)
    times = {k: [] for k in keys}
    sizes = {k: [] for k in keys}
    statuses = {k: set() for k in keys}
    for round_ in range(n):
        shift = round_ % len(keys)
        for key in keys[shift:] + keys[:shift]:
            session, url = targets[key]
            started = time.perf_counter()
            response = session.get(url, timeout=180, allow_redirects=False)
            body = response.content
            times[key].append((time.perf_counter() - started) * 1000)
            sizes[key].append(len(body))
            statuses[key].add(response.status_code)
    return {
        key: {
            "n": n,
            "median_ms": round(statistics.median(times[key]), 1),
            "p95_ms": round(percentile(times[key], 95), 1),
            "min_ms": round(min(times[key]), 1),
            "max_ms": round(max(times[key]), 1),
            "bytes": int(statistics.median(sizes[key])),
            "statuses": sorted(statuses[key]),
        }
        for key in keys
    }


def throughput(base: str, sessions: dict, pages: list[tuple[str, str, str | None]], clients: int, total: int, seconds: float) -> dict:
    lock = threading.Lock()
    state = {"issued": 0, "done": 0, "errors": 0, "error_kinds": {}}
    per_page = {key: [] for key, _path, _user in pages}
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        own = {user: copy_session(sessions.get(user)) for user in {u for _k, _p, u in pages}}
        i = index
        while True:
            with lock:
                if state["issued"] >= total or time.monotonic() >= deadline:
                    return
                state["issued"] += 1
            key, path, user = pages[i % len(pages)]
            i += 1
            started = time.perf_counter()
            try:
                response = own[user].get(base + path, timeout=max(5.0, deadline - time.monotonic() + 30), allow_redirects=False)
                response.content
                ok = response.status_code == 200
                kind = None if ok else f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                ok, kind = False, type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                state["done"] += 1
                per_page[key].append(elapsed)
                if not ok:
                    state["errors"] += 1
                    state["error_kinds"][kind] = state["error_kinds"].get(kind, 0) + 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 200)
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "request_limit": total,
        "time_limit_s": seconds,
        "completed": state["done"],
        "errors": state["errors"],
        "error_kinds": state["error_kinds"],
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(state["done"] / elapsed, 1) if elapsed else None,
        "stopped_by": "time" if state["issued"] < total else "count",
        "pages": [key for key, _p, _u in pages],
        "median_ms_by_page": {k: round(statistics.median(v), 1) for k, v in per_page.items() if v},
    }


_CLIENTS: dict = {}


def _clients(usernames: dict) -> dict:
    """Test clients signed in as the bench users, each session verified with the user's own
    authenticator device (as after the code step), since two-factor login is on. Made once."""
    if _CLIENTS:
        return _CLIENTS
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from rsportal.security.testing import force_verified_login

    setup_test_environment()  # lets the test client capture templates/contexts like in tests
    User = get_user_model()
    clients = {None: Client()}
    for role, username in usernames.items():
        clients[role] = force_verified_login(Client(), User.objects.get(username=username))
    _CLIENTS.update(clients)
    return _CLIENTS


def _bypass(key: str):
    """The statistics on a cache miss: the public-page cache (rsportal.core.datacache) switched
    off for the request, so the page is built from the database as after any change to the data."""
    from contextlib import nullcontext

    from django.test.utils import override_settings

    return override_settings(RSPORTAL_PUBLIC_PAGE_CACHE=False) if key == "statistics_miss" else nullcontext()


def query_counts(pages: list[tuple[str, str, str | None]], usernames: dict) -> dict:
    """Queries per request, counted in this process with the test client on the same database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = _clients(usernames)
    counts = {}
    for key, path, user in pages:
        client = clients[user]
        with _bypass(key):
            client.get(path)  # first request warms per-process caches (content types, sites, ...)
        rows = [0]

        def count_rows(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            rows[0] += max(context["cursor"].rowcount, 0)
            return result

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(count_rows), _bypass(key):
            response = client.get(path)
        repeated = [q["sql"] for q in captured.captured_queries]
        counts[key] = {
            "queries": len(repeated),
            "rows": rows[0],
            "status": response.status_code,
            "top_repeated": _top_repeated(repeated),
        }
    return counts


def in_process_latency(key: str, path: str, user: str | None, floor_path: str, floor_user: str | None, usernames: dict, n: int, warmup: int) -> dict:
    """Median time of `n` requests to `path` with the test client in this process, alternating with
    its floor measured the same way, so the ratio compares like with like (no HTTP, no gunicorn)."""
    clients = _clients(usernames)
    times = {"page": [], "floor": []}
    for round_ in range(warmup + n):
        pair = [("page", clients[user], path, key), ("floor", clients[floor_user], floor_path, "")]
        for which, client, url, bypass in pair if round_ % 2 == 0 else reversed(pair):
            with _bypass(bypass):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{key}: test client got HTTP {response.status_code} for {url}")
            if round_ >= warmup:
                times[which].append(elapsed)
    page, floor = statistics.median(times["page"]), statistics.median(times["floor"])
    return {
        "n": n,
        "median_ms": round(page, 1),
        "p95_ms": round(percentile(times["page"], 95), 1),
        "min_ms": round(min(times["page"]), 1),
        "max_ms": round(max(times["page"]), 1),
        "floor_median_ms": round(floor, 1),
        "ratio": round(page / floor, 1),
        "in_process": True,
    }


def _top_repeated(sqls: list[str]) -> list[dict]:
    """The query shapes that run most often (numbers and quoted values masked)."""
    shapes: dict[str, int] = {}
    for sql in sqls:
        shape = re.sub(r"'[^']*'", "?", sql)
        shape = re.sub(r"\b\d+\b", "N", shape)
        shapes[shape] = shapes.get(shape, 0) + 1
    top = sorted(shapes.items(), key=lambda kv: -kv[1])[:3]
    return [{"count": count, "sql": shape[:300]} for shape, count in top if count > 1]


# --- reports -----------------------------------------------------------------


def machine() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import django

        info["django"] = django.get_version()
    except ImportError:
        pass
    try:
        info["gunicorn"] = subprocess.run([PYTHON, "-m", "gunicorn", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    try:
        info["postgresql"] = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def scale_label(scale: float) -> str:
    return f"{scale:g}" if scale != int(scale) else f"{scale:.1f}"


def latest_result(scale: float) -> dict | None:
    files = sorted(RESULTS.glob(f"*-scale-{scale_label(scale)}.json"))
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None


def latest_history(scale: float, history: int) -> dict | None:
    files = sorted(RESULTS.glob(f"*-scale-{scale_label(scale)}-history-{history}.json"))
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None


def write_markdown() -> Path:
    small, large = latest_result(0.1), latest_result(1.0)
    main = large or small
    if main is None:
        raise SystemExit("no results to summarise")
    main_label = scale_label(main["scale"])
    lines = [
        "# Page benchmark (latest)",
        "",
        "Generated by `bench/run.py` from " + ", ".join("`" + r["file"] + "`" for r in (small, large) if r) + ". "
        "How to run and read it: see `bench/README.md`.",
        "",
        f"**Machine:** {main['machine']['cpus']} cores; the database, gunicorn (2 sync workers) and the load "
        f"generator all share them, so absolute numbers are pessimistic; compare ratios and query counts. "
        f"{main['machine'].get('postgresql', '')}, Python {main['machine']['python']}, Django {main['machine'].get('django', '?')}, "
        f"{main['machine'].get('gunicorn', 'gunicorn')}.",
        "",
    ]
    for result in (small, large):
        if result and "load_average_before" in result["machine"]:
            lines.append(
                f"- scale {scale_label(result['scale'])}: load average (1, 5, 15 min) {result['machine']['load_average_before']} before "
                f"the measurements, {result['machine']['load_average_after']} after: anything above ~1 means other work shared the 2 cores."
            )
    for result in (small, large):
        if result:
            counts = result["dataset"]["counts"]
            lines.append(
                f"- scale {scale_label(result['scale'])} ({result['date']}): {counts['applications']} applications, "
                f"{counts['scores']} scores, {counts['grants']} grants, {counts['commitments']} commitments, "
                f"{counts['reports']} reports"
                + (
                    f" ({counts['report_deadlines']} report deadlines, {counts['reports_upcoming']} to come, {counts['reports_overdue']} overdue), "
                    f"{counts['payment_requests']} payment requests, {counts['payments']} payments, {counts['partner_records']} partner records, "
                    f"{counts['versions']} submitted versions, {counts['drafts']} drafts"
                    if "payment_requests" in counts
                    else ""
                )
                + f"; generated in {result['timings_s']['generate']} s; ranking call with "
                f"{result['dataset']['ranking_call_applications']} applications; applicant (Tromsø) in "
                f"{result['dataset']['applicant_applications']} applications."
            )
    history = latest_history(main["scale"], 3)
    if history:
        counts = history["dataset"]["counts"]
        lines.append(
            f"- history x3 at scale {main_label} ({history['date']}): {counts['applications']} applications, {counts['scores']} scores, "
            f"{counts['grants']} grants over {history['dataset'].get('years', ['?', '?'])[0]}-{history['dataset'].get('years', ['?', '?'])[1]}; "
            f"load average {history['machine']['load_average_before']} before, {history['machine']['load_average_after']} after."
        )
    interleaved = main["settings"].get("interleaved")
    lines += [
        "",
        f"Latency: {main['settings']['requests']} requests per page after {main['settings']['warmup']} warm-up requests, one client, at scale {main_label}"
        + (", the pages interleaved (every page once per round, rotating order), so load swings hit them alike." if interleaved else ", page after page.")
        + " Ratio = median / median of the page's floor in the same run: the signed-in home page for signed-in pages, the anonymous one for public pages."
        + (" Signed in through the password form and the two-factor code form, with login throttling on." if main["settings"].get("two_factor") else " Two-factor login off.")
        + " The row marked in-process is measured with the test client in the bench process (its ratio against the anonymous front page measured the same way)."
        + f" Server cache: {main['settings'].get('cache', 'per-process memory')}. Queries and rows: SQL statements of one request and the rows they returned"
        " (after one warm-up request, so a cached public page shows what a cache hit costs), counted in-process with the test client."
        + (" History x3: the same scale with 30 years of history instead of 10 (three times the applications, scores and grants); growth = median at x3 / median at x1." if history else ""),
        "",
        f"| page | median ms | p95 ms | ratio to floor | queries (0.1 → 1.0) | rows | growth with data | x3 history: median ms | x3 history: growth (raw / against the anonymous floor) | x3 history: queries, rows |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = [key for key, *_ in PAGES]
    for key in keys:
        row_main = main["pages"].get(key)
        row_small = small["pages"].get(key) if small else None
        row_large = large["pages"].get(key) if large else None
        row_history = history["pages"].get(key) if history else None
        label = (row_main or row_small or {}).get("label", key)
        if row_main and row_main.get("skipped"):
            lines.append(f"| {label} | – | – | – | – | – | skipped: {row_main['skipped']} | | | |")
            continue
        if not row_main:
            continue
        q_small = row_small.get("queries") if row_small and not row_small.get("skipped") else None
        q_large = row_large.get("queries") if row_large and not row_large.get("skipped") else None
        if q_small is None or q_large is None:
            growth = "n/a (one scale only)"
        elif q_large > q_small:
            growth = f"**GROWS** (+{q_large - q_small})"
        elif q_large < q_small:
            growth = f"shrinks ({q_large - q_small})"
        else:
            growth = "constant"
        lat = row_main["latency"]
        ratio = row_main.get("ratio_to_floor", row_main.get("ratio_to_baseline"))
        flagged = f"**{ratio}**" if ratio is not None and ratio > 3 else f"{ratio}"
        h_median = h_growth = h_queries = ""
        if row_history and "latency" in row_history:
            h_median = row_history["latency"]["median_ms"]
            # Raw, and against the anonymous front page of each run (its cost does not depend on the
            # data), which takes out most of the difference in the machine's load between the runs.
            anon_main, anon_history = main["pages"].get("home_anon"), history["pages"].get("home_anon")
            normalised = ""
            if anon_main and anon_history and "latency" in anon_main and "latency" in anon_history:
                normalised = f" / x{round((h_median / anon_history['latency']['median_ms']) / (lat['median_ms'] / anon_main['latency']['median_ms']), 2)}"
            h_growth = f"x{round(h_median / lat['median_ms'], 2)}{normalised}"
            h_queries = f"{row_history.get('queries', '')}, {row_history.get('rows', '')}"
        lines.append(
            f"| {label} | {lat['median_ms']} | {lat['p95_ms']} | {flagged} | "
            f"{'' if q_small is None else q_small} → {'' if q_large is None else q_large} | {row_main.get('rows', '')} | {growth} | {h_median} | {h_growth} | {h_queries} |"
        )
    lines.append("")
    for result in (small, large):
        if result:
            t = result["throughput"]
            kinds = ", ".join(f"{k}: {v}" for k, v in t["error_kinds"].items()) or "none"
            lines.append(
                f"**Throughput at scale {scale_label(result['scale'])}:** {t['requests_per_s']} requests/s "
                f"({t['completed']} requests by {t['clients']} concurrent clients in {t['elapsed_s']} s, stopped by {t['stopped_by']}; "
                f"errors: {t['errors']} ({kinds})). Mixed set, round robin: {', '.join(t['pages'])} (committee pages left out). "
                f"Time limit {t['time_limit_s']:g} s; requests in flight at the limit are completed and counted."
            )
            lines.append("")
    skipped = [r["pages"][k]["skipped"] for r in (small, large) if r for k in r["pages"] if r["pages"][k].get("skipped")]
    if skipped:
        lines += ["Skipped pages: " + "; ".join(sorted(set(skipped))), ""]
    optimiser = RESULTS / "optimiser.md"
    lines.append(
        "Optimiser solve times: see `bench/results/optimiser.md` (bench/optimiser.py)."
        if optimiser.exists()
        else "Optimiser solve times: bench/optimiser.py has not written bench/results/optimiser.md yet."
    )
    lines.append("")
    path = RESULTS / "latest.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- main --------------------------------------------------------------------


def _drop_cache_keys(url: str, prefix: str) -> None:
    """This run's keys only: the Redis server may be shared with other work."""
    try:
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    except Exception as exc:  # the measurements are written already; a leftover key is harmless
        log(f"could not drop the cache keys: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rsbench")
    parser.add_argument("--requests", type=int, default=30, help="sequential requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the throughput run")
    parser.add_argument("--throughput-requests", type=int, default=2000)
    parser.add_argument("--throughput-seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--reuse", action="store_true", help="keep the database as it is (no drop, migrate or generate)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--history", type=int, default=1, help="decades of history (generate.py --history): 3 = 30 years, three times the applications")
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/0",
        help="shared cache of the server, as in production (RSPORTAL_CACHE_URL); empty for per-process memory caches",
    )
    args = parser.parse_args()
    if urlparse(args.database_url).scheme not in ("postgres", "postgresql"):
        raise SystemExit("bench/run.py expects a PostgreSQL DATABASE_URL")

    RESULTS.mkdir(parents=True, exist_ok=True)
    data_dir = tempfile.mkdtemp(prefix="rsbench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rsportal.settings",
        "DATABASE_URL": args.database_url,
        "RSPORTAL_DEBUG": "false",
        "RSPORTAL_SECRET_KEY": secrets.token_urlsafe(50),
        "RSPORTAL_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "RSPORTAL_SSL_REDIRECT": "false",
        "RSPORTAL_HSTS_SECONDS": "0",
        # As in production: two-factor login for everyone with a seat or a role (and the bench
        # applicant, who has set up an app), and login throttling.
        "RSPORTAL_REQUIRE_2FA": "true",
        "RSPORTAL_LOGIN_THROTTLING": "true",
        "RSPORTAL_DATA_DIR": data_dir,
        "RSPORTAL_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "RSPORTAL_CACHE_URL": args.cache_url,
        # A prefix of this run's own: keys of an earlier run (another database) must never be read.
        "RSPORTAL_CACHE_KEY_PREFIX": f"rsbench-{secrets.token_hex(6)}",
    }
    os.environ.update(env)  # for the in-process query counts (django.setup() reads these)
    timings = {}
    server = None
    db_name = urlparse(args.database_url).path.lstrip("/")
    info_file = Path(data_dir) / "bench-info.json"
    try:
        if not args.reuse:
            log(f"recreating database {db_name}")
            subprocess.run(["dropdb", *pg_args(args.database_url), "--if-exists", db_name], check=True)
            subprocess.run(["createdb", *pg_args(args.database_url), db_name], check=True)
            timings["migrate"] = run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
            log(f"migrated in {timings['migrate']} s; generating at scale {args.scale}")
            timings["generate"] = run(
                [PYTHON, str(BENCH / "generate.py"), "--scale", str(args.scale), "--seed", str(args.seed), "--history", str(args.history), "--info", str(info_file)],
                env,
                stdout=subprocess.DEVNULL,
            )
            log(f"generated in {timings['generate']} s")
            dataset = json.loads(info_file.read_text(encoding="utf-8"))
            if args.keep_db:
                shutil.copy(info_file, KEPT_INFO)
        else:
            if not KEPT_INFO.exists():
                raise SystemExit("--reuse needs a database kept by an earlier run with --keep-db")
            dataset = json.loads(KEPT_INFO.read_text(encoding="utf-8"))
            timings["generate"] = dataset["seconds"]
        timings["collectstatic"] = run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)

        port = free_port()
        server = Server(env, port, args.workers)
        server.wait()
        log(f"gunicorn with {args.workers} workers on {server.url}")

        keys = dataset.get("totp_keys", {})
        sessions = {role: login(server.url, dataset["users"][role], dataset["password"], keys.get(role)) for role in ROLES}
        log(f"signed in with password and two-factor code: {', '.join(ROLES)}")
        facts = {k: dataset.get(k) for k in ("ranking_call", "version_application", "draft_application", "bench_pot")}
        pages = [(key, label, path.format(**facts), user) for key, label, path, user in PAGES]
        usernames = {r: dataset["users"][r] for r in ROLES}

        results = {}
        load_before = [round(x, 2) for x in os.getloadavg()]
        log(f"latency, pages interleaved (load average before: {load_before})")
        targets = {}
        for key, label, path, user in pages:
            if "None" in path:
                results[key] = {"label": label, "path": path, "user": user, "skipped": "the dataset has no such object"}
                log(f"  {key}: nothing to show, skipped")
                continue
            results[key] = {"label": label, "path": path, "user": user, "floor": floor_of(key, user)}
            if key in IN_PROCESS:
                continue
            session = sessions.get(user) or requests.Session()
            probe = session.get(server.url + path, timeout=180, allow_redirects=False)
            if probe.status_code == 404:
                results[key] = {"label": label, "path": path, "user": user, "skipped": f"{path} returned 404 (page not built yet)"}
                log(f"  {key}: 404, skipped")
                continue
            if probe.status_code != 200:
                raise SystemExit(f"{path} as {user}: HTTP {probe.status_code} (expected 200)")
            targets[key] = (session, server.url + path)
        for key, measured in latency_interleaved(targets, args.requests, args.warmup).items():
            results[key]["latency"] = measured
            log(f"  {key}: median {measured['median_ms']} ms, p95 {measured['p95_ms']} ms")
        base = results[BASELINE]["latency"]["median_ms"]
        for row in results.values():
            if "latency" in row:
                row["ratio_to_baseline"] = round(row["latency"]["median_ms"] / base, 1)
                row["ratio_to_floor"] = round(row["latency"]["median_ms"] / results[row["floor"]]["latency"]["median_ms"], 1)
        floor_paths = {k: (p, u) for k, _l, p, u in pages}
        for key, _label, path, user in pages:
            if key in IN_PROCESS and "skipped" not in results[key]:
                floor_path, floor_user = floor_paths[results[key]["floor"]]
                measured = in_process_latency(key, path, user, floor_path, floor_user, usernames, max(5, args.requests // 3), 1)
                results[key]["latency"] = measured
                results[key]["ratio_to_floor"] = measured["ratio"]
                log(f"  {key} (in-process): median {measured['median_ms']} ms, floor {measured['floor_median_ms']} ms, ratio {measured['ratio']}")

        log("query counts (in-process test client)")
        measured = [(k, p, u) for k, _l, p, u in pages if "latency" in results[k]]
        for key, counted in query_counts(measured, usernames).items():
            results[key].update(counted)
            if counted["status"] != 200:
                raise SystemExit(f"{key}: test client got HTTP {counted['status']}")
            log(f"  {key}: {counted['queries']} queries")

        mix = [(k, p, u) for k, _l, p, u in pages if k in THROUGHPUT_PAGES and "latency" in results[k]]
        log(f"throughput: {args.clients} clients, at most {args.throughput_requests} requests or {args.throughput_seconds:g} s")
        load = throughput(server.url, sessions, mix, args.clients, args.throughput_requests, args.throughput_seconds)
        log(f"  {load['requests_per_s']} requests/s, {load['errors']} errors")
        load_after = [round(x, 2) for x in os.getloadavg()]

        date = datetime.datetime.now().strftime("%Y-%m-%d")
        history = f"-history-{args.history}" if args.history != 1 else ""
        file = RESULTS / f"{date}-scale-{scale_label(args.scale)}{history}.json"
        result = {
            "file": file.name,
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "scale": args.scale,
            "history": args.history,
            "seed": args.seed,
            "machine": {**machine(), "load_average_before": load_before, "load_average_after": load_after},
            "settings": {
                "requests": args.requests,
                "warmup": args.warmup,
                "workers": args.workers,
                "server": "gunicorn sync workers, RSPORTAL_DEBUG=false, whitenoise, PostgreSQL on loopback",
                "baseline": BASELINE,
                "floors": "signed-in pages: the signed-in home page; public pages: the anonymous home page",
                "interleaved": True,
                "cache": "shared (Redis)" if args.cache_url else "per-process memory",
                "two_factor": True,
                "login_throttling": True,
            },
            "timings_s": timings,
            "dataset": dataset,
            "pages": results,
            "throughput": load,
            "optimiser_results": "bench/results/optimiser.json" if (RESULTS / "optimiser.json").exists() else None,
        }
        file.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {file.relative_to(ROOT)} and {write_markdown().relative_to(ROOT)}")
    finally:
        if server is not None:
            server.stop()
        if args.cache_url:
            _drop_cache_keys(args.cache_url, env["RSPORTAL_CACHE_KEY_PREFIX"])
        if not args.keep_db and not args.reuse:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", *pg_args(args.database_url), "--if-exists", db_name], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
