"""review domain (skeleton: filled in by its issue)."""
