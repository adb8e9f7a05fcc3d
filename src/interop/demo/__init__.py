"""``interop demo``: a small synthetic state end to end on a fresh data folder, then a running service.

Composes the domains from above, like the CLI: it synthesises a population (``synth``), starts the real
service (``serving``), and drives it over real HTTP as its users would (imports, a match run, visits,
a clinic working one referral, an auditor tracing it). What it prints is read back from the database
and the API afterwards, never assumed from what it sent, so the summary stays true as the rules for
visits change. Imports no domain's tables for writing; reads them for the summary only.
"""
