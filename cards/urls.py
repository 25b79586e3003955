"""Browser pages of boards, mounted at the site's root."""

from django.urls import path

from cards import views

app_name = "cards"

urlpatterns = [
    path("", views.boards_page, name="boards"),
    path("boards/<int:board_id>", views.board_page, name="board"),
]
