"""Visits are not in the admin. The admin is the console of the three administrators (三员), who keep the system and
do not read business data (docs/permissions.md); visits are recorded through the app (services.visit_record,
audited) and read on the scoped visit pages."""
