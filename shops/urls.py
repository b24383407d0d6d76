from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("apply/drives/", views.apply_drives, name="apply_drives"),
    path("apply/thanks/", views.apply_done, name="apply_done"),
]
