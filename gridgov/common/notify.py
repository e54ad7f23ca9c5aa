"""Sending short notices to staff (SMS, 企业微信 WeCom …) through one pluggable sender.

A sender is any class with ``send(*, to: str, text: str) -> None`` that raises when the message was not accepted
(the outbox then retries it). ``GRIDGOV_NOTIFY_SENDER`` names the class by dotted path; the default,
``LoggingSender``, only writes a log line with the recipient masked and the text's length, never the text or the
number (QUALITY: no personal data in logs). Senders are called from outbox handlers, never inside a request.
"""

import json
import logging
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gridgov.common.masking import mask_phone

log = logging.getLogger("gridgov.notify")


class Sender(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class LoggingSender:
    """The default: logs that a notice would have gone out. For development and for sites without a gateway."""

    def send(self, *, to: str, text: str) -> None:
        log.info("notice to %s (%d characters)", mask_phone(to), len(text))


class WeComWebhookSender:
    """A WeCom (企业微信) group robot: posts the text to ``GRIDGOV_WECOM_WEBHOOK_URL`` and @-mentions the recipient by
    mobile number. The webhook URL holds the robot's key: keep it in ``GRIDGOV_WECOM_WEBHOOK_URL_FILE``."""

    timeout = 10

    def send(self, *, to: str, text: str) -> None:
        url = settings.GRIDGOV_WECOM_WEBHOOK_URL
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("GRIDGOV_WECOM_WEBHOOK_URL must be an http(s) URL")
        body = json.dumps({"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": [to]}},
                          ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked above
            answer = json.loads(response.read() or b"{}")
        if answer.get("errcode", 0) != 0:  # WeCom answers 200 with an error code
            raise RuntimeError(f"WeCom refused the message: errcode {answer.get('errcode')}")


def get_sender() -> Sender:
    path = settings.GRIDGOV_NOTIFY_SENDER
    try:
        return import_string(path)()
    except ImportError as exc:
        raise ImproperlyConfigured(f"GRIDGOV_NOTIFY_SENDER={path!r} cannot be imported: {exc}") from exc


def notify(*, to: str, text: str) -> None:
    """Send one notice with the configured sender; raises if it was not accepted."""
    get_sender().send(to=to, text=text)
