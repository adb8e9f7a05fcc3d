"""Synthetic data for interop: a Mexican population written as the pension roll, clinic
registries, the CLUES catalogue and the truth that links them (``interop synth``).

Owns the name and place vocabularies, the population model, the error model (``profile``) and the
CSV writer. ``synth.kin`` is a second, independent generator of the same files (households,
relatives as look-alikes, its own error model) for reporting on data the matcher was not tuned on.
Imports only ``interop.identity`` (CURP rules), numpy, typer and rich; no database.
"""
