from django.contrib import admin
from django.urls import include, path

from experiments.accounts import password_reset
from experiments.admin import view_on_site
from experiments.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before admin's own: its redirect would name any object to any staff member.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site),
         name="admin_view_on_site"),
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("experiments.api.urls")),
    path("", include("experiments.urls")),
]

# JSON errors for the capture page's fetch (a body Django cannot parse, a database outage).
handler400 = "experiments.errors.bad_request"
handler500 = "experiments.errors.server_error"
