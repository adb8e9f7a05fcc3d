"""Placeholder docstring: filled by the package's owner."""
