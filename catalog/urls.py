from django.urls import path

from catalog import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("books/<str:ean>/", views.book_detail, name="book"),
]
