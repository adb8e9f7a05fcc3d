"""A second, independent synthetic population (``interop synth --generator kin``).

Built to test matching on data it was not tuned on: people live in households, so the look-alikes
are relatives (siblings sharing one given name, spouses at one address, a parent and a child with
the same full name), and the clerks' errors differ from the first generator's (a relative's CURP,
a second CURP that differs in the homoclave, a record typed from another household member's
document, year-only birth dates, nicknames, married names, keyboard slips). Its own name tables,
its own error model (``model.KinModel``), pure Python with one ``random.Random`` per stage.

Writes the same files and columns as ``interop.synth.generate``; reuses only the geography and the
CLUES catalogue of ``interop.synth`` (places, not people). Imports ``interop.identity`` for CURPs.
"""
