"""Training URLs, included under ``training/``."""

from django.urls import path

from nsatu.training import views

urlpatterns = [
    path("", views.cohorts, name="training-cohorts"),
    path("cohorts/<str:code>/", views.cohort_detail, name="training-cohort"),
    path("cohorts/<str:code>/graduate/", views.cohort_graduate, name="training-cohort-graduate"),
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/<str:code>/", views.readiness_family, name="readiness-family"),
]
