"""Database plumbing: declarative base, engines and sessions, the embedded server, migrations, bulk COPY.

Owns no domain tables. Engines are created by the app lifespan, the job worker or the CLI, never at import.
"""
