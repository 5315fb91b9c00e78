"""Notifications: stored once per dedupe key, queued in the outbox for the mail/SMS gateway
(account and message, never an address), read on the person's own page, acknowledged by the
gateway with retries for failures."""

from dataclasses import fields

from core import notifications
from core.auth.roles import Role
from core.notifications import Message
from core.tables import Notification, OutboxMessage
from tests.helpers import api_token, login, make_user, post_form


def _message(user_id: int, key: str, subject: str = "证书将到期") -> Message:
    return Message(user_id=user_id, kind="certificate_expiry", subject=subject, body="请及时换证。", dedupe_key=key)


def test_the_same_reminder_is_stored_and_queued_once(run):
    user = run(make_user("holder", Role.MEDIATOR, "350504"))
    assert run(notifications.notify([_message(user, "k1"), _message(user, "k2")])) == 2
    assert run(notifications.notify([_message(user, "k1"), _message(user, "k3")])) == 1  # k1 already sent
    assert run(Notification.count()) == 3
    queued = run(notifications.pending_outbox(["350000"]))
    assert len(queued) == 3 and {q.user_id for q in queued} == {user}
    assert {q.region_code for q in queued} == {"350504"}  # the recipient's home region
    assert {f.name for f in fields(queued[0])} == {"id", "user_id", "region_code", "channel", "subject", "body", "created_at", "attempts"}


def test_a_person_reads_only_their_own_notifications_and_marks_them_read(client, run):
    me = run(make_user("holder", Role.MEDIATOR, "350504"))
    other = run(make_user("someone", Role.MEDIATOR, "350504"))
    run(notifications.notify([_message(me, "mine", "我的提醒"), _message(other, "theirs", "别人的提醒")]))
    login(client, "holder")
    page = client.get("/notifications/")
    assert page.status_code == 200 and "我的提醒" in page.text and "别人的提醒" not in page.text
    theirs = run(Notification.select(Notification.id).where(Notification.user_id == other).first())["id"]
    post_form(client, "/notifications/read", {"id": str(theirs)}, form_page="/notifications/")
    assert run(notifications.unread_count(other)) == 1  # someone else's id is ignored
    assert run(notifications.unread_count(me)) == 1
    post_form(client, "/notifications/read", {}, form_page="/notifications/")
    assert run(notifications.unread_count(me)) == 0


def test_notifications_page_needs_sign_in_and_its_form_needs_csrf(client, run):
    assert client.get("/notifications/", follow_redirects=False).status_code in (302, 303, 401)
    run(make_user("holder", Role.MEDIATOR, "350504"))
    login(client, "holder")
    assert client.post("/notifications/read", data={}).status_code == 403


def test_gateway_acknowledges_sent_and_failed_messages_failed_ones_back_off(client, run):
    user = run(make_user("holder", Role.MEDIATOR, "350504"))
    run(notifications.notify([_message(user, "a"), _message(user, "b")]))
    run(make_user("gateway", Role.GATEWAY, "350000"))
    headers = api_token(client, "gateway")
    items = client.get("/api/v1/outbox", headers=headers).json()["items"]
    first, second = (i["id"] for i in items)
    answer = client.post("/api/v1/outbox/ack", json={"sent": [first], "failed": {str(second): "SMS gateway timeout"}},
                         headers=headers)
    assert answer.status_code == 200 and answer.json() == {"sent": 1, "failed": 1}
    assert client.get("/api/v1/outbox", headers=headers).json()["items"] == []  # the failure waits its back-off
    failed = run(OutboxMessage.select().where(OutboxMessage.id == second).first())
    assert failed["attempts"] == 1 and failed["last_error"] == "SMS gateway timeout" and failed["sent_at"] is None
    again = client.post("/api/v1/outbox/ack", json={"sent": [first]}, headers=headers).json()
    assert again["sent"] == 0  # acknowledging twice changes nothing


def test_outbox_api_is_for_gateways_only_and_names_a_bad_field(client, run):
    run(make_user("court", Role.COURT, "350500"))
    assert client.get("/api/v1/outbox", headers=api_token(client, "court")).status_code == 403
    assert client.get("/api/v1/outbox").status_code == 401
    run(make_user("gateway", Role.GATEWAY, "350000"))
    bad = client.post("/api/v1/outbox/ack", json={"failed": {"x": "oops"}}, headers=api_token(client, "gateway"))
    assert bad.status_code == 400 and bad.json()["field"] == "failed"
