"""End-use monitoring URLs, included under ``monitoring/``."""

from django.urls import path

from nsatu.monitoring import views

urlpatterns = [
    path("", views.overview, name="monitoring"),
    path("items/", views.item_list, name="monitoring-items"),
    path("overdue/", views.overdue_list, name="monitoring-overdue"),
    path("items/<int:pk>/", views.item_detail, name="monitoring-item"),
    path("items/<int:pk>/<str:action>/", views.item_action, name="monitoring-item-action"),
    path("inventories/", views.inventory_list, name="monitoring-inventories"),
    path("inventories/new/", views.inventory_new, name="monitoring-inventory-new"),
    path("inventories/<str:code>/", views.inventory_detail, name="monitoring-inventory"),
    path("transfers/", views.transfer_list, name="monitoring-transfers"),
    path("transfers/<int:pk>/decide/", views.transfer_decide, name="monitoring-transfer-decide"),
    path("repairs/", views.repair_list, name="monitoring-repairs"),
    path("repairs/<str:code>/", views.repair_detail, name="monitoring-repair"),
    path("repairs/<str:code>/<str:step>/", views.repair_step, name="monitoring-repair-step"),
    path("cases/", views.case_list, name="monitoring-cases"),
    path("cases/<str:code>/", views.case_detail, name="monitoring-case"),
    path("cases/<str:code>/<str:action>/", views.case_action, name="monitoring-case-action"),
    path("evidence/add/<str:record>/<str:key>/", views.evidence_upload, name="evidence-upload"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence-file"),
]
