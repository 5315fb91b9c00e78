import pytest


@pytest.fixture(autouse=True)
def _fresh_question_cache():
    """Question ids restart after each test's truncation; the autosave cache must not carry over."""
    from training.exams import taking

    taking._QUESTION_CACHE.clear()
    yield
    taking._QUESTION_CACHE.clear()
