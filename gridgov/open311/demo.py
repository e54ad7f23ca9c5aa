"""Demo Open311 client: a citizens' app (宝安通) that files requests through the GeoReport v2 interface. The case
history of the demo (``gridgov/events/demo.py``) calls ``open311_demo_intake()``'s function for its Open311 cases
at their moments, so they go through the same service as a real client's POST."""

from collections.abc import Callable

from gridgov.events.choices import Channel
from gridgov.events.models import Event
from gridgov.events.services import Report
from gridgov.open311.models import Open311Client
from gridgov.open311.services import open311_request_create

CLIENT_NAME = "宝安通（演示）"


def open311_demo_intake() -> Callable[[Report], Event]:
    """The demo client (created once; its key is random and never shown: it only files the demo's requests) and a
    function that files a report as its request."""
    client = Open311Client.objects.filter(name=CLIENT_NAME).first()
    if client is None:
        client, _key = Open311Client.issue(CLIENT_NAME)

    def intake(report: Report) -> Event:
        report.channel = Channel.OPEN311
        return open311_request_create(client=client, report=report)

    return intake
