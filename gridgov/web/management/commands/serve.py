import os
import signal
import subprocess
import sys

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
            from gridgov.regions.models import Region

            if Region.objects.exists():
                from gridgov.demo import demo_personas
                from gridgov.regions.management.commands.demo import print_accounts

                self.stdout.write("Existing database kept (delete var/gridgov.sqlite3 to start over).")
                print_accounts(self.stdout, demo_personas())
            else:
                call_command("demo", scale=demo_scale)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(
            f"\ngridgov is serving at {url}  — log in at {url}login/ with an account above; API docs: {url}api/v1/docs\n"))
        sys.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-",
                "--graceful-timeout", "10"]
        worker = None
        if not no_worker:  # notices, 12345 callbacks, patrol summaries, left-over imports: the outbox worker
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")}
            worker = subprocess.Popen([sys.executable, "-m", "django", "worker"], env=env)
            self.stdout.write(f"Background worker started (pid {worker.pid}); `--no-worker` to run it elsewhere.")
            sys.stdout.flush()
        server = subprocess.Popen(argv)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            code = server.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches both children through the process group
            code = server.wait()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
        sys.exit(code)
