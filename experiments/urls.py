from django.urls import include, path

urlpatterns = [
    path("", include("experiments.participation.urls")),
    path("workspace/", include("experiments.workspace.urls")),
]
