"""``{% load gridgov_forms %}``: ``form|error_lines`` — every problem of a form as "label：message" lines (see
``gridgov.common.forms.error_lines``); ``web/_form_errors.html`` shows them above a form."""

from django import template

from gridgov.common.forms import error_lines as _error_lines

register = template.Library()


@register.filter
def error_lines(form) -> list[str]:
    return _error_lines(form) if getattr(form, "is_bound", False) else []
