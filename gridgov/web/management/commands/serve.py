import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (static files collected first). --init also migrates and loads the demo "\
           "district into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("GRIDGOV_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GRIDGOV_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRIDGOV_THREADS", "4")))
        parser.add_argument("--init", action="store_true", help="Migrate, collect static, load the demo if empty")
        parser.add_argument("--demo-scale", default=os.environ.get("GRIDGOV_DEMO_SCALE", "small"))
        parser.add_argument("--no-worker", action="store_true",
                            default=os.environ.get("GRIDGOV_SERVE_WORKER", "1").strip().lower() in ("0", "false", "no"),
                            help="Do not start the background worker beside the web server (run `gridgov worker` "
                                 "yourself, e.g. on another machine)")

    def handle(self, *args, host, port, workers, threads, init, demo_scale, no_worker, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("compilemessages_py", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # hashed names must match this code
        if init:
            call_command("migrate", verbosity=0)
            self.init_database(demo_scale)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(
            f"\ngridgov is serving at {url}  — log in at {url}login/ with an account above; API docs: {url}api/v1/docs\n"))
        sys.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-",
                "--graceful-timeout", "10"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")}

        def start_worker():  # every background job (notices, callbacks, summaries, imports): the outbox worker
            worker = subprocess.Popen([sys.executable, "-m", "django", "worker"], env=env)
            self.stdout.write(f"Background worker started (pid {worker.pid}); `--no-worker` to run it elsewhere.")
            sys.stdout.flush()
            return worker

        server = subprocess.Popen(argv)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        sys.exit(supervise(server, None if no_worker else start_worker,
                           log=lambda text: self.stderr.write(text)))

    def init_database(self, demo_scale):
        """Load the demo district into an empty database; on one that holds a territory, keep it and print the
        demo accounts again (``make run`` a second time)."""
        from gridgov.regions.models import Region

        if Region.objects.exists():
            from gridgov.demo import demo_accounts
            from gridgov.web.management.commands.demo import print_accounts

            self.stdout.write("Existing database kept (delete var/gridgov.sqlite3 to start over).")
            print_accounts(self.stdout, demo_accounts())
        else:
            call_command("demo", scale=demo_scale)


def supervise(server: subprocess.Popen, start_worker: Callable[[], subprocess.Popen] | None, *, poll: float = 2.0,
              restart_gap: float = 5.0, log: Callable[[str], None] = print) -> int:
    """Wait for the web server to exit and return its exit code. Meanwhile keep one background worker running: web
    processes run no background work themselves, so a worker that died (OOM, kill -9) is started again (at most one
    start per ``restart_gap`` seconds); its jobs resume once their lease has run out. The worker is stopped (SIGTERM,
    then SIGKILL after 15 s) when the server exits."""
    worker = start_worker() if start_worker is not None else None
    started = time.monotonic()
    try:
        while True:
            try:
                return server.wait(timeout=poll)
            except subprocess.TimeoutExpired:
                pass
            if worker is not None and worker.poll() is not None and time.monotonic() - started >= restart_gap:
                log(f"Background worker (pid {worker.pid}) exited with {worker.returncode}; starting another.")
                worker = start_worker()
                started = time.monotonic()
    except KeyboardInterrupt:  # Ctrl-C reaches both children through the process group
        return server.wait()
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
