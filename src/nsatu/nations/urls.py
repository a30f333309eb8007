"""Agreement URLs, included under ``agreements/``."""

from django.urls import path

from nsatu.nations import views

urlpatterns = [
    path("", views.agreement_list, name="agreement-list"),
    path("iati.xml", views.agreements_iati, name="agreements-iati"),
    path("<str:code>/", views.agreement_detail, name="agreement-detail"),
]
