from tests.unit.certification.conftest import fresh_certification_state, records  # noqa: F401  (fixtures)
