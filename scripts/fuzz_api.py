"""``make fuzz``: schemathesis against /api/v1/openapi.json, per session, on a server of its own.

    .venv/bin/python scripts/fuzz_api.py [--seconds 60] [--max-examples 100] [--sessions dispatcher,worker_a,anonymous]
                                         [--database-url postgres://postgres@127.0.0.1:5432/fuzz_NAME] [--seed N]
                                         [--keep]

What it does, with nothing to prepare:

1. a fresh database — a new SQLite file in a temporary folder, or with ``--database-url`` (``FUZZ_DATABASE_URL``) a
   new PostgreSQL database of that name, created here (refused if it exists) and dropped at the end — is migrated and
   gets the small demo district (``gridgov migrate`` + ``gridgov demo``);
2. ``gridgov serve`` (gunicorn, production settings: DEBUG off) starts on a free port of 127.0.0.1;
3. for each session — a persona logged in through the login page with the demo password, or ``anonymous`` (no
   session) — schemathesis runs every operation of the OpenAPI document (all its phases: explicit examples, coverage,
   fuzzing, stateful), with the session cookie and the CSRF header, for ``--seconds`` (``FUZZ_SECONDS``) at most;
   the document gets real ids of the demo (regions, departments, people, households …) as explicit examples so that
   some cases reach existing records rather than 404s;
4. every request schemathesis made (its HAR report) is checked here against the document: no 5xx; the status is
   documented for the operation; a JSON body validates against the schema documented for that status (so every
   refusal is an ``ErrorOut``); a method the address does not take answers 405 and an unknown address 404, both
   with an ``ErrorOut`` body.

It prints per session: operations tested, cases (requests made), 5xx answers, schema violations (answers that do
not match the document) and schemathesis's own failures, then the server's tracebacks grouped by exception. The exit
status is 1 when any of those is not 0 (or schemathesis could not run), else 0.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "gridgov-demo-2026"
SESSIONS = ["dispatcher", "worker_a", "anonymous"]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
API_PREFIX = "/api/v1/"

# Real records of the demo, offered to schemathesis as explicit examples of these parameters (path and query).
ID_QUERIES = {
    "region_id": "SELECT id FROM regions_region ORDER BY level DESC, id LIMIT 3",
    "parent": "SELECT id FROM regions_region WHERE level IN ('street', 'community') ORDER BY id LIMIT 2",
    "dept_id": "SELECT id FROM accounts_department ORDER BY id LIMIT 3",
    "person_id": "SELECT id FROM registry_person ORDER BY id LIMIT 3",
    "person": "SELECT id FROM registry_person ORDER BY id LIMIT 2",
    "household_id": "SELECT id FROM registry_household ORDER BY id LIMIT 3",
    "household": "SELECT id FROM registry_household ORDER BY id LIMIT 2",
    "house_id": "SELECT id FROM registry_house ORDER BY id LIMIT 3",
    "unit_id": "SELECT id FROM registry_unit ORDER BY id LIMIT 3",
    "organisation_id": "SELECT id FROM registry_organisation ORDER BY id LIMIT 3",
    "event_id": "SELECT id FROM events_event ORDER BY id LIMIT 3",
    "dispute_id": "SELECT id FROM disputes_dispute ORDER BY id LIMIT 3",
    "visit_id": "SELECT id FROM visits_visit ORDER BY id LIMIT 3",
    "worker": "SELECT u.id FROM accounts_user u WHERE u.username IN ('worker_a', 'worker_b') ORDER BY u.id",
    "grid": "SELECT id FROM regions_region WHERE level = 'grid' ORDER BY id LIMIT 2",
    "code": "SELECT code FROM regions_layer ORDER BY id LIMIT 2",
    "grid_code": "SELECT code FROM regions_region WHERE level = 'grid' ORDER BY id LIMIT 2",
}


# -- the server -------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gridgov(env: dict, *args: str, log: Path) -> None:
    with log.open("a") as out:
        subprocess.run([sys.executable, "-m", "gridgov.cli", *args], cwd=ROOT, env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)


def demo_ids(env: dict) -> dict[str, list]:
    """The ids of ID_QUERIES in the freshly built demo (an empty list where a table has no rows yet)."""
    code = ("import json, django; django.setup()\n"
            "from django.db import connection\n"
            f"queries = {ID_QUERIES!r}\n"
            "out = {}\n"
            "with connection.cursor() as cur:\n"
            "    for name, sql in queries.items():\n"
            "        try:\n"
            "            cur.execute(sql)\n"
            "            out[name] = [row[0] for row in cur.fetchall()]\n"
            "        except Exception:\n"
            "            out[name] = []\n"
            "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    out = log.open("a")
    server = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                               "--port", str(port), "--workers", "2", "--threads", "2"],
                              cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}); see {log}")
        try:
            if requests.get(base + "/login/", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit(f"the server did not answer within 120 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # its own process group: gunicorn's master and workers
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def login(base: str, persona: str) -> dict[str, str]:
    """The headers of a logged-in session (Cookie + X-CSRFToken), through the real login page; {} for anonymous."""
    import requests

    if persona == "anonymous":
        return {}
    session = requests.Session()
    session.get(base + "/login/", timeout=10)
    answer = session.post(base + "/login/", timeout=10, allow_redirects=False, headers={"Referer": base + "/login/"},
                          data={"username": persona, "password": DEMO_PASSWORD,
                                "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"could not log in as {persona} (HTTP {answer.status_code})")
    cookies = session.cookies.get_dict()
    return {"Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}",
            "X-CSRFToken": cookies["csrftoken"]}


def fetch_schema(base: str, headers: dict, ids: dict[str, list]) -> dict:
    """/api/v1/openapi.json (it needs a session), with the demo's real ids as explicit examples."""
    import requests

    answer = requests.get(base + API_PREFIX + "openapi.json", headers=headers, timeout=30)
    answer.raise_for_status()
    schema = answer.json()
    for item in schema["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                values = ids.get(param["name"])
                if values and param["in"] in ("path", "query"):
                    param["examples"] = {f"demo{i}": {"value": v} for i, v in enumerate(values)}
    return schema


# -- checking every answer against the document ----------------------------------------------------------------------
class Contract:
    """What /api/v1/openapi.json promises for a method and an address."""

    def __init__(self, schema: dict):
        import jsonschema

        self.schema = schema
        self.routes = []  # (number of parameters, compiled pattern, template, {method: operation})
        for template, item in schema["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((template.count("{"), re.compile(pattern), template,
                                {m.upper(): op for m, op in item.items()}))
        self.routes.sort(key=lambda r: r[0])  # /events/queues before /events/{event_id}
        self._validators = {}
        self._jsonschema = jsonschema
        self.error_validator = self._validator({"$ref": "#/components/schemas/ErrorOut"})

    def _validator(self, schema: dict):
        schema = {**schema, "components": self.schema["components"]}
        return self._jsonschema.Draft202012Validator(schema)

    def validator(self, key, schema):
        if key not in self._validators:
            self._validators[key] = self._validator(schema)
        return self._validators[key]

    def route(self, method: str, path: str):
        """(template, operation) for the address; operation None when the address exists but not for the method;
        (None, None) for an unknown address."""
        for _n, pattern, template, ops in self.routes:  # the most specific address first, as the server routes
            if pattern.match(path):
                return template, ops.get(method)
        return None, None

    def problem(self, method: str, path: str, status: int, content_type: str, text: str) -> str | None:
        """Why this answer breaks the document (a short reason), or None."""
        template, op = self.route(method, path)
        if op is None:  # not an operation of the document: a refusal with the error body
            expected = 405 if template else 404
            if status != expected:
                return f"{status} for {'a method the address does not take' if template else 'an unknown address'}"
            return self._error_body_problem(content_type, text)
        answer = op["responses"].get(str(status))
        if answer is None:
            return f"{status} is not documented"
        content = answer.get("content") or {}
        if not content:
            return "a body where none is documented" if text.strip() and status == 204 else None
        media = content_type.split(";")[0].strip()
        if media not in content:
            return f"{media or 'no content type'} where {', '.join(content)} is documented"
        if media != "application/json":
            return None
        try:
            body = json.loads(text)
        except ValueError:
            return "a body that is not JSON"
        errors = sorted(self.validator((template, method, status), content[media]["schema"]).iter_errors(body),
                        key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "body"
            return f"{status} body does not match the schema at {where}: {errors[0].message[:80]}"
        return None

    def _error_body_problem(self, content_type: str, text: str) -> str | None:
        if not content_type.startswith("application/json"):
            return f"a {content_type.split(';')[0] or 'body without content type'} error body, not ErrorOut"
        try:
            body = json.loads(text)
        except ValueError:
            return "an error body that is not JSON"
        error = next(iter(self.error_validator.iter_errors(body)), None)
        return f"the error body is not ErrorOut: {error.message[:80]}" if error else None


def analyse(contract: Contract, har: Path) -> dict:
    """Counts over every request of a HAR report: cases, 5xx, violations, and examples of each kind."""
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = collections.Counter()
    server_errors, violations = collections.Counter(), collections.Counter()
    examples = {}
    for entry in entries:
        request, response = entry["request"], entry["response"]
        url = urllib.parse.urlsplit(request["url"])
        method, status = request["method"].upper(), int(response["status"])
        statuses[status // 100 * 100] += 1
        content = response.get("content") or {}
        content_type = next((h["value"] for h in response.get("headers", []) if h["name"].lower() == "content-type"),
                            content.get("mimeType") or "")
        template = contract.route(method, url.path)[0] or url.path
        if status >= 500:
            key = (f"{method} {template}", f"{status}")
            server_errors[key] += 1
        else:
            reason = contract.problem(method, url.path, status, content_type, content.get("text") or "")
            if reason is None:
                continue
            key = (f"{method} {template}", reason)
            violations[key] += 1
        examples.setdefault(key, f"{method} {request['url'][:200]}"
                                 + (f"  body: {(request.get('postData') or {}).get('text', '')[:200]!r}"
                                    if request.get("postData") else ""))
    return {"cases": len(entries), "statuses": {f"{k // 100}xx": v for k, v in sorted(statuses.items())},
            "server_errors": sum(server_errors.values()), "violations": sum(violations.values()),
            "server_error_kinds": [[*k, n, examples[k]] for k, n in server_errors.most_common()],
            "violation_kinds": [[*k, n, examples[k]] for k, n in violations.most_common()]}


# -- one session ------------------------------------------------------------------------------------------------------
def schemathesis_command(schema_file: Path, base: str, headers: dict, report_dir: Path, args) -> list[str]:
    binary = Path(sys.executable).parent / "schemathesis"
    command = [str(binary) if binary.exists() else "schemathesis", "--no-color", "run", str(schema_file),
               "--url", base, "--checks", CHECKS, "--max-time", str(args.seconds),
               "--max-examples", str(args.max_examples), "--workers", "1", "--continue-on-failure",
               "--generation-allow-x00", "true", "--generation-database", "none", "--request-timeout", "60",
               "--suppress-health-check", "all", "--report", "har,json", "--report-dir", str(report_dir)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return command


def run_session(persona: str, base: str, schema_file: Path, contract: Contract, work: Path, args) -> dict:
    report_dir = work / f"report-{persona}"
    command = schemathesis_command(schema_file, base, login(base, persona), report_dir, args)
    shown = " ".join(c if not c.startswith(("Cookie:", "X-CSRFToken:")) else "'…'" for c in command)
    print(f"\n== {persona}: {shown}", flush=True)
    started = time.monotonic()
    log = work / f"schemathesis-{persona}.txt"
    with log.open("w") as out:
        done = subprocess.run(command, cwd=work, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    har = next(iter(sorted(report_dir.glob("har-*.json"))), None)
    report = next(iter(sorted(report_dir.glob("json-*.json"))), None)
    if har is None or report is None:
        print(log.read_text()[-3000:])
        return {"session": persona, "error": f"schemathesis wrote no report (exit {done.returncode}); see {log}"}
    run = json.loads(report.read_text())
    result = {"session": persona, "seconds": round(seconds, 1), "schemathesis_exit": done.returncode,
              "operations": run["operations"]["tested"], "operations_selected": run["operations"]["selected"],
              "generated": run["test_cases"]["generated"], "seed": run.get("seed"),
              "schemathesis_failures": [f"{f.get('label', '')}: {f.get('title', '')}".strip(": ")
                                        for f in run.get("failures", [])],
              "schemathesis_errors": [str(e.get("message") or e.get("title") or e)[:200] for e in run.get("errors", [])],
              **analyse(contract, har)}
    if not args.keep:
        har.unlink()  # tens of MB per session
    return result


def print_results(results: list[dict]) -> None:
    headers = ["session", "operations", "cases (requests)", "2xx", "4xx", "5xx", "schema violations",
               "schemathesis failures", "seconds"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["session"], "-", "-", "-", "-", "-", "-", r["error"], "-"])
            continue
        rows.append([r["session"], f"{r['operations']}/{r['operations_selected']}", f"{r['cases']:,}",
                     f"{r['statuses'].get('2xx', 0):,}", f"{r['statuses'].get('4xx', 0):,}",
                     str(r["server_errors"]), str(r["violations"]),
                     str(len(r["schemathesis_failures"]) + len(r["schemathesis_errors"])), str(r["seconds"])])
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print("\n" + line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    for r in results:
        for kind, title in (("server_error_kinds", "5xx"), ("violation_kinds", "schema violations")):
            by_reason = {}  # reason -> [count, operations, an example]
            for operation, reason, n, example in r.get(kind, []):
                entry = by_reason.setdefault(reason, [0, [], example])
                entry[0] += n
                entry[1].append(operation)
            for reason, (n, operations, example) in sorted(by_reason.items(), key=lambda kv: -kv[1][0])[:30]:
                more = f" and {len(operations) - 3} more" if len(operations) > 3 else ""
                print(f"  {r['session']} {title}: {n} × {reason} — in {', '.join(operations[:3])}{more}\n"
                      f"      e.g. {example[:300]}")
        for failure in r.get("schemathesis_failures", [])[:30] + r.get("schemathesis_errors", [])[:30]:
            print(f"  {r['session']} schemathesis: {failure}")


def server_tracebacks(log: Path) -> list[tuple[str, int]]:
    """The last line of each traceback in the server's log (the exception), counted."""
    found = collections.Counter()
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or lines[j] == ""):
                j += 1
            if j < len(lines):
                found[lines[j][:160]] += 1
    return found.most_common(20)


# -- the databases ----------------------------------------------------------------------------------------------------
def pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "",
                                     ""))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


def pg_name(url: str) -> str:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) or name in ("postgres", "test", "template0", "template1"):
        raise SystemExit(f"--database-url: pick a database name of your own (a-z, 0-9, _), not {name!r}")
    return name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/fuzz_api.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")),
                        help="time budget of schemathesis per session (FUZZ_SECONDS, default 60)")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "100")),
                        help="cases per operation and phase (FUZZ_MAX_EXAMPLES, default 100)")
    parser.add_argument("--sessions", default=os.environ.get("FUZZ_SESSIONS", ",".join(SESSIONS)),
                        help="comma-separated demo personas, 'anonymous' for no session (FUZZ_SESSIONS)")
    parser.add_argument("--database-url", default=os.environ.get("FUZZ_DATABASE_URL", ""),
                        help="a PostgreSQL database to create, fuzz and drop (FUZZ_DATABASE_URL); default: SQLite")
    parser.add_argument("--seed", type=int, default=int(os.environ["FUZZ_SEED"]) if os.environ.get("FUZZ_SEED")
                        else None, help="schemathesis's seed (FUZZ_SEED), to repeat a run")
    parser.add_argument("--include-path-regex", default=os.environ.get("FUZZ_PATHS", ""),
                        help="only the operations whose path matches (FUZZ_PATHS)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, HAR reports)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.max_examples < 1:
        parser.error("--seconds and --max-examples must be at least 1")
    sessions = [s.strip() for s in args.sessions.split(",") if s.strip()]

    work = Path(tempfile.mkdtemp(prefix="gridgov-fuzz-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_DEBUG", "GRIDGOV_PRODUCTION")}
    env.update(GRIDGOV_VAR_DIR=str(work / "var"), GRIDGOV_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="config.settings")
    pg = args.database_url
    if pg:
        name = pg_name(pg)
        pg_admin(pg, f'CREATE DATABASE "{name}"')  # fails if it exists: never fuzz a database we did not make
        env["DATABASE_URL"] = pg
    else:
        env["DATABASE_URL"] = f"sqlite:///{work / 'fuzz.sqlite3'}"
    log = work / "server.log"
    server = None
    started = time.monotonic()
    try:
        print(f"== database: {'PostgreSQL ' + pg if pg else env['DATABASE_URL']}; building the small demo …",
              flush=True)
        gridgov(env, "migrate", "--verbosity", "0", log=log)
        gridgov(env, "demo", "--scale", "small", "--verbosity", "0", log=log)
        ids = demo_ids(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, log)
        print(f"== server: {base} (gunicorn, DEBUG off); log {log}", flush=True)
        schema = fetch_schema(base, login(base, sessions[0] if sessions[0] != "anonymous" else "dispatcher"), ids)
        if args.include_path_regex:
            schema["paths"] = {p: item for p, item in schema["paths"].items()
                               if re.search(args.include_path_regex, p)}
        schema_file = work / "openapi.json"
        schema_file.write_text(json.dumps(schema, ensure_ascii=False))
        contract = Contract(schema)
        results = [run_session(persona, base, schema_file, contract, work, args) for persona in sessions]
    finally:
        if server is not None:
            stop_server(server)
        if pg:
            pg_admin(pg, f'DROP DATABASE IF EXISTS "{pg_name(pg)}" WITH (FORCE)')
    from importlib.metadata import version

    print(f"\n== schemathesis {version('schemathesis')}, {len(sessions)} sessions, {args.seconds} s each at most, "
          f"database {'PostgreSQL' if pg else 'SQLite'}, total {time.monotonic() - started:.0f} s")
    print_results(results)
    tracebacks = server_tracebacks(log)
    for line, n in tracebacks:
        print(f"  server traceback: {n} × {line}")
    summary = {"schemathesis": version("schemathesis"), "database": "postgresql" if pg else "sqlite",
               "seconds_per_session": args.seconds, "max_examples": args.max_examples, "sessions": results,
               "server_tracebacks": tracebacks, "total_seconds": round(time.monotonic() - started)}
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.keep:
        print(f"\n(kept {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    bad = any("error" in r or r["server_errors"] or r["violations"] or r["schemathesis_failures"]
              or r["schemathesis_errors"] for r in results)
    print("\nFUZZ FAILED: see above." if bad else "\nFUZZ OK: no 5xx, no schema violation.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
