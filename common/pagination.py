"""Page-number pagination with a total count and a hard cap on the page size."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    # A larger ask is capped, not refused.
    max_page_size = 100
