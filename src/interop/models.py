"""Every domain's tables in one metadata, for migrations and the schema-equality test.

Imported only by the migration environment and tests; the app imports domains directly.
"""

from __future__ import annotations

import importlib

from interop.db.base import Base

DOMAIN_MODEL_MODULES = (
    "interop.job.models",
    "interop.audit.models",
    "interop.auth.models",
    "interop.accounts.models",
    "interop.units.models",
    "interop.ingest.models",
    "interop.roll.models",
    "interop.registry.models",
    "interop.matching.models",
    "interop.referral.models",
)

for _name in DOMAIN_MODEL_MODULES:
    importlib.import_module(_name)

metadata = Base.metadata
