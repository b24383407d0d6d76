from django.urls import path

from shops.api import views

urlpatterns = [
    path("drives/", views.DriveList.as_view(), name="api-drives"),
    path("drives/<slug:slug>/", views.DriveDetail.as_view(), name="api-drive"),
    path("shops/", views.ShopList.as_view(), name="api-shops"),
    path("shops/<slug:slug>/", views.ShopDetail.as_view(), name="api-shop"),
]
