"""The product's URLs plus the P5 baseline: a bare DRF view on the same gunicorn."""

from django.urls import include, path

from bench.bare import BareCardsView

urlpatterns = [
    path("bench/bare/boards/<int:board_id>/cards/", BareCardsView.as_view()),
    path("", include("config.urls")),
]
