"""Only a lost database connection answers 503 "unavailable"; a disk or permission error while
storing an upload is our fault: 500 with the request id, and the log has the traceback (frames
and the errno, never the message, which may quote personal data)."""

from __future__ import annotations

import io
import json
import logging

from PIL import Image

from core.auth.roles import Role
from core.logging_setup import JsonFormatter
from core.settings import get_settings
from roster.services import create_mediator_record
from tests.helpers import csrf_token, login, make_user


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (413, 531), (200, 210, 220)).save(out, format="PNG")
    return out.getvalue()


def test_a_disk_error_storing_an_upload_is_a_500_with_the_request_id_and_a_logged_traceback(client, run):
    mediator_id = run(create_mediator_record(name="林晓梅", region_code="350504"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    uploads = get_settings().var_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    aside = uploads.with_name("uploads-aside")
    uploads.rename(aside)  # earlier tests' files wait here
    uploads.write_text("not a directory")  # every write below it fails with an OSError
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("mediation").addHandler(handler)
    try:
        token = csrf_token(client, f"/admin/mediators/{mediator_id}")
        answer = client.post(f"/admin/mediators/{mediator_id}/photo", data={"_csrf_token": token},
                             files={"photo": ("photo.png", _png(), "image/png")}, follow_redirects=False)
    finally:
        logging.getLogger("mediation").removeHandler(handler)
        uploads.unlink()
        aside.rename(uploads)
    assert answer.status_code == 500
    assert "数据库" not in answer.text  # not "the database is not answering"
    request_id = answer.headers["x-request-id"]
    assert request_id in answer.text
    errors = [json.loads(line) for line in lines.getvalue().splitlines() if '"unhandled error"' in line]
    assert len(errors) == 1
    assert errors[0]["request_id"] == request_id
    assert errors[0]["error"] in {"NotADirectoryError", "FileExistsError"}
    assert errors[0]["errno"] in {"ENOTDIR", "EEXIST"}
    assert any("uploads.py" in frame for frame in errors[0]["traceback"])
    assert "林晓梅" not in lines.getvalue()
