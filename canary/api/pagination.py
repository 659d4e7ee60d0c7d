from rest_framework.pagination import CursorPagination


class Pages(CursorPagination):
    """Cursor pages: ``{"next": url, "previous": url, "results": [...]}``; follow ``next`` (an
    opaque ``cursor``) to the end; ``?page_size=M`` asks for up to 500 rows a page.

    A cursor page is found through the index of the list's ordering, so the last page of a million
    decoys costs what the first does; a numbered page would make the database count every row and
    walk past all the rows before it. Each view names its ``ordering``: a field that never changes
    for a row, newest first where it is a time, the primary key breaking ties.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-id",)

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        return tuple(getattr(view, "ordering", self.ordering))
