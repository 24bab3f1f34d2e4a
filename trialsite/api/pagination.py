from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Stable cursor over the primary key: pages never shift while rows are added."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 1000
