from django.urls import path

from nsatu.needs import views

urlpatterns = [
    path("", views.requirement_list, name="requirement-list"),
    path("<str:code>/row/", views.requirement_row, name="requirement-row"),
]
