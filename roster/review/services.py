"""The review's services for other domains and its pages (see docs/architecture.md)."""

from roster.review.appeals import appeal  # noqa: F401 - the domain's public surface
from roster.review.appraisal import (  # noqa: F401
    confirm_appraisal,
    confirmed_grades,
    grade,
    latest_confirmed_grade,
    run_appraisal,
)
from roster.review.exits import decide, evaluate_exit_grounds, mark_lapsed_appeal_windows  # noqa: F401
from roster.review.records import import_cases, record_case, record_complaint, record_finding  # noqa: F401
