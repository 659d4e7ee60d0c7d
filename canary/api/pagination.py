from urllib.parse import urlencode

from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from canary.keyset import AFTER, BEFORE, KeysetPage, keyset_page


class Pages(BasePagination):
    """Cursor pages: ``{"next": url, "previous": url, "results": [...]}``; follow ``next`` to the
    end (``null`` there); ``?page_size=M`` asks for up to 500 rows a page.

    A page is found through the index of the list's ordering, from the row at its edge (the
    ``after`` / ``before`` cursor in the links): the last page of a million decoys costs what the
    first does, where a numbered page would make the database count every row and walk past all
    those before it. Each view names its ``ordering``: all ascending or all descending, ending with
    a unique field, so that equal times never make a row appear twice or not at all.
    """

    page_size = 50
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        size = self._size(request)
        self.page: KeysetPage = keyset_page(queryset, view.ordering, request.query_params, size)
        return list(self.page)

    def _size(self, request) -> int:
        try:
            wanted = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            return self.page_size
        return max(1, min(wanted, self.max_page_size))

    def _link(self, parameter: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, BEFORE if parameter == AFTER else AFTER)
        return replace_query_param(url, parameter, cursor)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self._link(AFTER, self.page.next_cursor),
                "previous": self._link(BEFORE, self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        example = "http://api.example.org/accounts/?" + urlencode({AFTER: "WzEyM10"})
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {**link, "example": example}, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        # Schema text is English, as every other description of the API.
        def parameter(name: str, description: str, kind: str = "string") -> dict:
            return {"name": name, "required": False, "in": "query", "description": description,
                    "schema": {"type": kind}}  # fmt: skip

        return [
            parameter(AFTER, "The rows after this cursor (from a next link)."),
            parameter(BEFORE, "The rows before this cursor (from a previous link)."),
            parameter("page_size", "Rows per page, at most 500.", "integer"),
        ]
