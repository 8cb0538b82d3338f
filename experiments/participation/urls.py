"""Participant URLs. The public code in /p/<code>/ is the participant's own resumable link.

The step part of each URL is only where the participant asks to be; the server decides where they
are (`steps.current_position`) and redirects every other request there.
"""

from django.urls import path

from ..ratings import views as rating_views
from . import views

TRIAL = "p/<slug:code>/trial/<int:number>/"

urlpatterns = [
    path("s/<slug:slug>/", views.entry, name="study_entry"),
    path("p/<slug:code>/", views.resume, name="study_resume"),
    path("p/<slug:code>/consent/", views.consent, name="study_consent"),
    path("p/<slug:code>/declined/", views.declined, name="study_declined"),
    path("p/<slug:code>/camera/", views.camera, name="study_camera"),
    path(TRIAL + "feeling/", views.felt, name="study_felt"),
    path(TRIAL + "instruction/", views.instruction, name="study_instruction"),
    path(TRIAL + "photo/", views.capture, name="study_capture"),
    path(TRIAL + "check/", views.pose_check, name="study_pose_check"),
    path(TRIAL + "feedback/", views.feedback, name="study_feedback"),
    path(TRIAL + "rate/", views.rate, name="study_rate"),
    path("p/<slug:code>/image/<str:token>/", rating_views.rating_photo, name="study_rating_photo"),
    path("p/<slug:code>/debrief/", views.debrief, name="study_debrief"),
    path("p/<slug:code>/done/", views.done, name="study_done"),
    path("p/<slug:code>/withdrawn/", views.withdrawn, name="study_withdrawn"),
    path("p/<slug:code>/stop/", views.stop, name="study_stop"),
    path("withdraw/", views.withdraw, name="study_withdraw"),
]
