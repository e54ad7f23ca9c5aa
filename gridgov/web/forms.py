"""Filters of the pages that belong to no one app."""

from django import forms

from gridgov.common.forms import FilterForm, SearchField
from gridgov.regions.choices import Level


class RegionFilter(FilterForm):
    q = SearchField()
    level = forms.ChoiceField(choices=[("", "")] + list(Level.choices), required=False, initial="")


class ValidationFilter(FilterForm):
    root = forms.CharField(max_length=32, required=False, initial="")
