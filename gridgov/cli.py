"""`gridgov`: one console command wrapping the management commands.

    gridgov serve [--init] [--host H] [--port P] [--workers N]   start the web server (gunicorn)
    gridgov demo --scale small|district                          build the demo district into an empty database
    gridgov grids import FILE.geojson | export | validate        territory data
    gridgov <any manage.py command>                              e.g. gridgov migrate, gridgov createsuperuser
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    argv = list(sys.argv[1:] if argv is None else argv)
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        if not argv:
            return
    execute_from_command_line(["gridgov", *argv])


if __name__ == "__main__":
    main()
