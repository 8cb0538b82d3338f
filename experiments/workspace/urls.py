from django.urls import path

from . import views

app_name = "workspace"

urlpatterns = [
    path("", views.experiment_list, name="experiment_list"),
    path("new/", views.experiment_create, name="experiment_create"),
    path("<slug:slug>/", views.experiment_detail, name="experiment_detail"),
    path("<slug:slug>/edit/", views.experiment_edit, name="experiment_edit"),
    path("<slug:slug>/launch/", views.experiment_launch, name="experiment_launch"),
    path("<slug:slug>/close/", views.experiment_close, name="experiment_close"),
    path("<slug:slug>/preview/", views.experiment_preview, name="experiment_preview"),
    path("<slug:slug>/live/", views.live, name="live"),
    path("<slug:slug>/live.json", views.live_json, name="live_json"),
    path("<slug:slug>/report/", views.report, name="report"),
    path("<slug:slug>/report/<slug:name>.svg", views.report_plot, name="report_plot"),
    path("<slug:slug>/report.html", views.report_download, name="report_download"),
    path("<slug:slug>/photos/", views.photo_list, name="photo_list"),
    path("<slug:slug>/photos/<int:photo_id>.jpg", views.photo, name="photo"),
    path("<slug:slug>/export/<str:name>", views.export, name="export"),
    path("<slug:slug>/jobs/<str:name>/start/", views.export_job_start, name="export_job_start"),
    path("<slug:slug>/jobs/<slug:job_id>/", views.export_job, name="export_job"),
    path("<slug:slug>/jobs/<slug:job_id>/status.json", views.export_job_status, name="export_job_status"),
    path("<slug:slug>/jobs/<slug:job_id>/download/", views.export_job_download, name="export_job_download"),
]
