"""Server-rendered pages for people under ``/app`` (s18a owns this package; s18b adds the unit worklist and
the programme dashboard)."""
