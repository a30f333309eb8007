from django.urls import path

from nsatu.stress import views

urlpatterns = [
    path("", views.stress_index, name="stress-index"),
    path("<int:run_id>/", views.stress_run, name="stress-run"),
    path("<int:run_id>/progress/", views.stress_run_progress, name="stress-run-progress"),
]
