"""Identity matching: the Splink model for Mexican records, batch runs, the person index, the review
queue and online matching (``Patient/$match`` and the visit path).

Modules: ``features`` (comparison form of a record), ``spec`` (comparisons and blocking rules as SQL and
as Python, domain priors), ``distances`` (edit distances counted as the batch engine counts),
``conflict`` (hard conflicts, settled CURPs, relatives' look-alikes),
``layout`` (the fields a dataset holds and the model that fits them), ``linkage`` (the only Splink
user: training, bulk scoring), ``scoring`` (pure-Python scoring of a trained model, equal to
Splink's), ``batch`` (DuckDB side of a run), ``clustering`` (assignment at batch scale), ``reviews``,
``assign`` (person assignment: stable ids, manual decisions, conflict-constrained clustering),
``runs`` (a run end to end), ``online`` (candidates by indexed blocking keys), ``evaluation`` (pairwise
P/R/F1), ``models_store`` (versioned models), ``calibration`` (the raw score mapped to a probability that
holds, pure) and ``calibration_fit`` (its labels, fit, storage and application), ``service`` /
``router`` / ``cli`` / ``tasks``.

May import: identity, audit (service), job (service, worker), db, config, context, errors. Reads the
imports' ``identity_record`` view. Other domains use it through ``service``.
"""
