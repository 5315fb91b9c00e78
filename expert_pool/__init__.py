"""expert_pool domain (skeleton: filled in by its issue)."""
