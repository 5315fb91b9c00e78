"""Personal-data scan of the demo: crawl every public page reachable from the home page
(and the public JSON API's list endpoints) and look for ID numbers and mobile numbers.
None may appear. Runs against the live demo server."""

import re
from urllib.parse import urljoin, urlparse

import httpx
import pytest

pytestmark = pytest.mark.e2e

ID_NUMBER = re.compile(r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LINK = re.compile(r'href="([^"#]+)"')
MAX_PAGES = 250


def _public_api_lists(base_url: str) -> list[str]:
    schema = httpx.get(f"{base_url}/schema/openapi.json").json()
    paths = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get and "{" not in path and path.startswith("/api/") and not get.get("security"):
            paths.append(path)
    return paths


def _leaks(text: str) -> list[str]:
    return ID_NUMBER.findall(text) + MOBILE.findall(text)


def test_no_id_number_or_phone_on_any_public_page_or_api_answer(live_server):
    base_url = live_server["base_url"]
    seen, queue, leaks = set(), ["/"], {}
    with httpx.Client(base_url=base_url, timeout=20) as http:
        while queue and len(seen) < MAX_PAGES:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            answer = http.get(path)
            if "text/html" not in answer.headers.get("content-type", ""):
                continue
            if found := _leaks(answer.text):
                leaks[path] = found
            for href in LINK.findall(answer.text):
                target = urlparse(urljoin(base_url + path, href))
                if target.netloc == urlparse(base_url).netloc and not target.path.startswith(("/static", "/schema", "/lang")):
                    link = target.path + (f"?{target.query}" if target.query else "")
                    if link not in seen and "export" not in link:
                        queue.append(link)
        for path in _public_api_lists(base_url):
            answer = http.get(path)
            if answer.status_code == 200 and (found := _leaks(answer.text)):
                leaks[path] = found
    assert len(seen) > 1
    assert leaks == {}
