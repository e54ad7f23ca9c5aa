from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridgov.common.audit import audit_record
from gridgov.open311.models import Open311Client


class Command(BaseCommand):
    help = "Open311 clients: add one (prints its api_key once), list them, give one a new key, revoke one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("addclient", help="Create a client and print its new api_key (shown only this once)")
        add.add_argument("name")
        sub.add_parser("clients", help="List the clients")
        newkey = sub.add_parser("newkey", help="Replace a client's api_key (the old one stops working) and print it")
        newkey.add_argument("name")
        revoke = sub.add_parser("revoke", help="Deactivate a client: its api_key stops working")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _addclient(self, name, **_):
        name = name.strip()
        if not name:
            raise CommandError("the client needs a name")
        if Open311Client.objects.filter(name=name).exists():
            raise CommandError(f"a client named {name!r} already exists")
        with transaction.atomic():
            client, key = Open311Client.issue(name)
            audit_record(actor=None, action="open311.client_add", obj=client, detail={"name": name})
        self.stderr.write(f"Open311 client {name!r} created. Its api_key (stored only as a hash, shown once):")
        self.stdout.write(key)

    def _clients(self, **_):
        for client in Open311Client.objects.all():
            state = "active" if client.is_active else "revoked"
            self.stdout.write(f"{client.name}\t{state}\t{client.created:%Y-%m-%d %H:%M}")

    def _newkey(self, name, **_):
        client = Open311Client.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"no client named {name!r}")
        with transaction.atomic():
            key = client.new_key()
            client.save(update_fields=["key_hash"])
            audit_record(actor=None, action="open311.client_newkey", obj=client, detail={"name": name})
        self.stderr.write(f"New api_key for {name!r} (the old one no longer works; shown once):")
        self.stdout.write(key)

    def _revoke(self, name, **_):
        client = Open311Client.objects.filter(name=name, is_active=True).first()
        if client is None:
            raise CommandError(f"no active client named {name!r}")
        with transaction.atomic():
            client.is_active = False
            client.save(update_fields=["is_active"])
            audit_record(actor=None, action="open311.client_revoke", obj=client, detail={"name": name})
        self.stdout.write(f"revoked {name!r}")
