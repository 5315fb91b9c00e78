from core.audit import diff
from core.auth.passwords import hash_password, verify_password


def test_audit_diff_lists_only_changed_fields():
    changes = diff({"name": "甲", "status": "applicant"}, {"name": "甲", "status": "appointed"})
    assert changes == {"status": {"before": "applicant", "after": "appointed"}}


def test_audit_masks_personal_data():
    changes = diff({"phone": "13800000000"}, {"phone": "13900000000", "id_number": "350504199001011234"})
    assert changes["phone"] == {"before": "***", "after": "***"}
    assert changes["id_number"]["after"] == "***"
    assert "1380" not in str(changes)


def test_argon2_hash_verifies_only_the_right_password():
    hashed = hash_password("s3cret-pass")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "s3cret-pass")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")
