"""Audit every login, logout and failed login (who, when, from where, outcome)."""

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from gridgov.common.audit import audit_record, client_ip
from gridgov.common.models import AuditLog


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", obj=user, ip=client_ip(request))


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(actor=None, action="auth.login_failed", outcome=AuditLog.Outcome.FAILED, ip=client_ip(request),
                 detail={"username": str(credentials.get("username", ""))[:150]})
