"""Mexican identity rules, pure: no I/O, no database, no HTTP.

Owns the normalisation of names (``names``), dates (``dates``), telephone numbers (``phones``),
the CURP (format, check digit, decoding, derivation by RENAPO's rules and consistency with a
record: ``curp``, ``derivation``, ``states``, ``sex``) and the blocking / comparison keys that
matching builds on (``keys``), and each entidad's IANA time zone (``zones``).

Imports no other interop domain: only the standard library, python-stdnum and phonenumbers.
Every other domain may import it.
"""
