"""The access log for personal data: every photo view and export is recorded with who and when."""

from .models import AccessLog, Experiment
from .ratelimits import client_ip


def log_access(request, action: str, *, experiment: Experiment | None = None, detail: str = "") -> None:
    user = request.user if request.user.is_authenticated else None
    AccessLog.objects.create(user=user, action=action, experiment=experiment, detail=str(detail)[:200],
                             ip_address=client_ip(request) or None)
