"""HTTP plumbing: router composition, error rendering, request ids and traces, health, dependencies."""
