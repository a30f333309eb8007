"""Shipment URLs, included under ``shipments/``."""

from django.urls import path

from nsatu.shipments import views

urlpatterns = [
    path("", views.shipment_list, name="shipment-list"),
    path("slipped/", views.shipment_slipped, name="shipment-slipped"),
    path("receipts/", views.receipts, name="shipment-receipts"),
    path("inventory-overdue/", views.inventory_overdue, name="inventory-overdue"),
    path("from-plan/", views.create_for_run, name="shipment-create-for-run"),
    path("<str:code>/", views.shipment_detail, name="shipment-detail"),
    path("<str:code>/label.png", views.shipment_label, name="shipment-label"),
    path("<str:code>/receive/", views.shipment_receive, name="shipment-receive"),
    path("<str:code>/<str:step>/", views.shipment_step, name="shipment-step"),
]
