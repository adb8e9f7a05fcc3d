"""Tables of this domain (filled by its owner)."""
