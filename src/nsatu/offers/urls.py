from django.urls import path

from nsatu.offers import views

urlpatterns = [
    path("", views.offer_list, name="offer-list"),
    path("mine/", views.my_offers, name="my-offers"),
    path("new/", views.offer_create, name="offer-create"),
    path("upload/", views.offer_upload, name="offer-upload"),
    path("<str:code>/edit/", views.offer_edit, name="offer-edit"),
    path("<str:code>/withdraw/", views.offer_withdraw, name="offer-withdraw"),
]
