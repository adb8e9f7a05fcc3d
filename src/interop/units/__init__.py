"""The CLUES catalogue of health units (``unit``): lookup by either code (a unit that moved to
IMSS-Bienestar answers to its old SSA code too), nearest operating unit by level, locality centroids.
Loading through ``service.merge_staged`` called by ingest. Imports only db.
"""
