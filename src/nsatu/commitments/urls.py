from django.urls import path

from nsatu.commitments import views

urlpatterns = [
    path("", views.commitment_index, name="commitment-index"),
    path("offer/<str:code>/", views.take_back, name="commitment-take-back"),
    path("political-shift/", views.political_shift, name="political-shift"),
    path("<int:decommitment_id>/", views.decommitment_detail, name="decommitment"),
    path("<int:decommitment_id>/backfill/", views.backfill_start, name="backfill-start"),
    path("<int:decommitment_id>/backfill/approve/", views.backfill_approve, name="backfill-approve"),
    path("<int:decommitment_id>/<str:how>/", views.decommitment_end, name="decommitment-end"),
]
