"""Disputes are not in the admin. The admin is the console of the three administrators (三员), who keep the system
and do not read business data (docs/permissions.md); disputes move only through disputes.services (one gatekeeper,
audited) and are read, with their parties masked, on the scoped dispute pages."""
