"""The pension roll (``roll_record``, one row per version) and the ``identity_record`` view it shares with
the registry. Reads for matching and referral go through ``service``; loading happens through
``service.merge_staged`` called by ingest. Imports only db (the shared identity-record columns,
staging table and binary COPY live in ``interop.db``).
"""
