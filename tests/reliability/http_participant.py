"""A participant over real HTTP (httpx), as a browser behind the proxy: its own client address in
X-Forwarded-For, cookies, the CSRF token in every form, the photo sent by fetch and answered in JSON.

Every answer is kept (`answers`) so a test can check that none was a 5xx without a readable message.
"""

from __future__ import annotations

import re

import httpx

FELT = {"felt": "happy", "intensity": "5", "valence": "6", "arousal": "4"}


def readable(response: httpx.Response) -> bool:
    """A 5xx the participant can act on: 503 with Retry-After and a message, as JSON for fetch or a page."""
    if response.status_code < 500:
        return True
    if response.status_code != 503 or not response.headers.get("retry-after"):
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        return bool(response.json().get("error"))
    return "<h1>" in response.text and "Please wait" in response.text


class HttpParticipant:
    def __init__(self, base_url: str, slug: str, address: str, *, timeout: float = 10):
        self.slug = slug
        self.client = httpx.Client(base_url=base_url, timeout=timeout, headers={"X-Forwarded-For": address})
        self.answers: list[httpx.Response] = []
        self.here = ""

    def close(self):
        self.client.close()

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        self.answers.append(response)
        if response.status_code in (301, 302):
            self.here = response.headers["location"]
        return response

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def post(self, data: dict | None = None, **kwargs) -> httpx.Response:
        """Show the current page (which sets the CSRF cookie), then send its form."""
        self.request("GET", self.here)
        return self.request("POST", self.here, data={"csrfmiddlewaretoken": self.csrf(), **(data or {})}, **kwargs)

    def enters(self) -> httpx.Response:
        return self.request("GET", f"/s/{self.slug}/")

    def walks_to_capture(self) -> HttpParticipant:
        """Enter, consent, pass the camera check, report a feeling and get ready: on the first photo step."""
        assert self.enters().status_code == 302, self.answers[-1].text[:300]
        for data in ({"photos_for_research": "on", "agree": "1"}, {}, FELT, {}):
            response = self.post(data)
            assert response.status_code == 302, (response.status_code, response.text[:300])
        assert self.here.endswith("/photo/"), self.here
        return self

    def sends_photo(self, data: bytes) -> httpx.Response:
        """The capture page's fetch; on success the participant is on the step the server names."""
        response = self.request(
            "POST", self.here, data={"source": "webcam", "captured_ms": "1700000003100"},
            files={"photo": ("snapshot.jpg", data, "image/jpeg")},
            headers={"Accept": "application/json", "X-CSRFToken": self.csrf()},
        )
        if response.status_code == 200 and response.json().get("ok"):
            self.here = response.json()["next"]
        return response

    def finishes_trial(self) -> None:
        """After the photo: the pose check (posed trials), then the next trial's feeling and instruction."""
        while re.search(r"/(check|feedback)/$", self.here):
            self.post({"pose_rating": "5"})
        if self.here.endswith("/feeling/"):
            self.post(FELT)
            self.post({})
