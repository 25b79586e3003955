"""P5's baseline: a DRF view with no authentication, throttle or serializer, same data."""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.models import CardWidget

# The fields the product's cards list answers with (cards.api.serializers.CardSerializer).
FIELDS = ("id", "board_id", "provider", "external_id", "url", "title", "description",
          "assignee_name", "assignee_email", "status", "priority", "synced_at", "sync_error",
          "created_at")


class BareCardsView(APIView):
    """The first 50 cards of a board as a `values()` dump: what a list costs with nothing else."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def get(self, request: Request, board_id: int) -> Response:
        rows = CardWidget.objects.filter(board_id=board_id).order_by("id").values(*FIELDS)[:50]
        return Response({"data": list(rows)})
