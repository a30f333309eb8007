from django.urls import path

from nsatu.planning import study_views, views

urlpatterns = [
    path("", views.plan_index, name="plan-index"),
    path("compare/", views.plan_compare, name="plan-compare"),
    path("import/", views.scenario_import, name="scenario-import"),
    path("template.xlsx", views.scenario_template, name="scenario-template"),
    path("<int:run_id>/", views.plan_run, name="plan-run"),
    path("<int:run_id>/progress/", views.plan_run_progress, name="plan-run-progress"),
    path("<int:run_id>/approve/", views.plan_run_approve, name="plan-run-approve"),
    path("<int:run_id>/studies/", study_views.plan_study_start, name="plan-study-start"),
    path("studies/<int:study_id>/progress/", study_views.plan_study_progress, name="plan-study-progress"),
]
