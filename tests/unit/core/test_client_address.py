"""The client address that limits and throttles key on: the socket's peer, unless the peer is a
listed proxy (then the address that proxy saw)."""

from core.clientaddr import resolve_client


def _scope(peer: str, *forwarded: str) -> dict:
    return {"client": (peer, 51000), "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}


def test_a_forwarded_header_from_an_unlisted_client_is_ignored():
    assert resolve_client(_scope("198.51.100.7", "1.2.3.4"), ()) == "198.51.100.7"
    assert resolve_client(_scope("198.51.100.7", "1.2.3.4"), ("10.0.0.0/8",)) == "198.51.100.7"


def test_a_listed_proxy_passes_on_the_address_it_saw():
    assert resolve_client(_scope("10.0.0.5", "203.0.113.9"), ("10.0.0.0/8",)) == "203.0.113.9"


def test_only_the_hops_added_by_our_own_proxies_are_believed():
    # The client wrote "1.1.1.1" itself; our proxy 10.0.0.5 appended the address it saw.
    assert resolve_client(_scope("10.0.0.5", "1.1.1.1, 203.0.113.9"), ("10.0.0.0/8",)) == "203.0.113.9"
    # Two proxies of ours in a row: the first address not ours is the client.
    assert resolve_client(_scope("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7"), ("10.0.0.0/8",)) == "203.0.113.9"
    # Several headers are one list, in order.
    assert resolve_client(_scope("10.0.0.5", "1.1.1.1", "203.0.113.9"), ("10.0.0.0/8",)) == "203.0.113.9"


def test_a_malformed_chain_falls_back_to_the_proxy_itself():
    assert resolve_client(_scope("10.0.0.5", "not-an-address"), ("10.0.0.5",)) == "10.0.0.5"
    assert resolve_client(_scope("10.0.0.5"), ("10.0.0.5",)) == "10.0.0.5"


def test_ipv6_proxies_and_clients():
    assert resolve_client(_scope("fd00::1", "2001:db8::42"), ("fd00::/8",)) == "2001:db8::42"
