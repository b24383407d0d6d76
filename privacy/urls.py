from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.privacy_notice, name="privacy"),
    path("accounts/my-data/", views.my_data, name="my_data"),
    path("accounts/my-data/download/", views.my_data_download, name="my_data_download"),
    path("accounts/my-data/erase/", views.my_data_erase, name="my_data_erase"),
    path("orders/<str:token>/my-data/", views.order_data, name="order_data"),
    path("my-data/<str:signed>/", views.data_link, name="data_link"),
    path("my-data/<str:signed>/download/", views.data_link_download, name="data_link_download"),
    path("my-data/<str:signed>/erase/", views.data_link_erase, name="data_link_erase"),
]
