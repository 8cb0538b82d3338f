from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from .views import ExperimentViewSet

app_name = "api"

router = DefaultRouter()
router.register("experiments", ExperimentViewSet, basename="experiment")

urlpatterns = [
    # The schema is for researchers' scripts too: same authentication as the rest of the API.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("", include(router.urls)),
]
