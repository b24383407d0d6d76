from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("apply/drives/", views.apply_drives, name="apply_drives"),
    path("apply/thanks/", views.apply_done, name="apply_done"),
    path("apply/again/<str:signed>/", views.resubmit, name="resubmit"),
]

# Public pages, outside the "shops" namespace: /drives/… (a bookshop's page, with its
# stock, is the catalogue's: catalog/urls.py)
public_urlpatterns = [
    path("drives/", views.drive_list, name="drives"),
    path("drives/<slug:slug>/", views.drive_detail, name="drive"),
    path("drives/<slug:slug>/choose/", views.drive_choose, name="drive_choose"),
]
