from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Stable cursor over the primary key: pages never shift while rows are added.

    A cursor the client mangled is bad input: 400 naming the ``cursor`` parameter (not DRF's
    404, and never a server error from a position that is not an id).
    """

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) \
                from None
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise ValidationError(
                    {self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return cursor
