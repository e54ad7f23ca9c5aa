"""Session timeouts: an idle timeout that slides with activity, and an absolute cap from login.

Refreshing the idle timer at most once a minute (instead of saving the session on every request) keeps API
calls from turning into database writes.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

REFRESH_SECONDS = 60
LAST_SEEN, STARTED = "_gridgov_last_seen", "_gridgov_started"


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(STARTED, now)
            if now - started > settings.GRIDGOV_SESSION_ABSOLUTE_SECONDS:
                logout(request)
            elif now - request.session.get(LAST_SEEN, 0) >= REFRESH_SECONDS:
                request.session[LAST_SEEN] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)
