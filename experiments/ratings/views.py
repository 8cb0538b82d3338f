"""The rater's photo: streamed to the rater whose current item it is, through a signed, short-lived URL."""

from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from ..models import Participant, RatingItem
from ..participation import steps
from . import photo_access
from .services import photo_is_available


@require_GET
def rating_photo(request, code: str, token: str):
    """404 for anything but the current item's photo of this rater, with a valid, unexpired token."""
    try:
        claim = photo_access.read(token)
    except signing.BadSignature:  # includes SignatureExpired
        raise Http404 from None
    if claim.get("rater") != code:
        raise Http404
    rater = get_object_or_404(Participant.objects.select_related("experiment"), public_code=code)
    here = steps.current_position(rater)
    if here.step != steps.RATE:
        raise Http404
    item = (
        rater.rating_items.select_related("photo")
        .filter(index=here.index, kind=RatingItem.Kind.PHOTO, photo_id=claim.get("photo"))
        .first()
    )
    if item is None or not photo_is_available(item):
        raise Http404
    response = FileResponse(item.photo.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
