"""exams domain (skeleton: filled in by its issue)."""
