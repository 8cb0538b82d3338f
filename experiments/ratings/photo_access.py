"""The short-lived link that shows a rater the photo of their current item, and nothing else.

The token is signed (django.core.signing.TimestampSigner) over the rater's public code and the photo
id, and expires after `MAX_AGE_SECONDS`. The view also checks that this photo is the rater's current
item, so a token copied to another rater, kept for a later item or replayed after the rater moved on
opens nothing. The URL names no storage path; the image is streamed by the view, never cached.

>>> token = sign("rater-code", 7)
>>> read(token) == {"rater": "rater-code", "photo": 7}
True
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

MAX_AGE_SECONDS = 300
SALT = "experiments.ratings.photo_access"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def sign(rater_code: str, photo_id: int) -> str:
    return _signer().sign_object({"rater": rater_code, "photo": photo_id})


def read(token: str, *, max_age: int = MAX_AGE_SECONDS) -> dict:
    """The signed claim; raises signing.BadSignature (SignatureExpired once too old)."""
    return _signer().unsign_object(token, max_age=max_age)


def photo_url(rater_code: str, photo_id: int) -> str:
    return reverse("study_rating_photo", kwargs={"code": rater_code, "token": sign(rater_code, photo_id)})
