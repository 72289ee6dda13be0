"""The link's fields as the API names them (docs/api.md, "the link object"), in the order the command shows them.
Standard library only: the parser (main.py) reads them before any library is imported."""

UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
LINK_FIELDS = (
    "code",
    "domain",
    "short_url",
    "url",
    "utm",
    "destination",
    "title",
    "tags",
    "redirect_type",
    "forward_query",
    "status",
    "owner",
    "version",
    "created_at",
    "updated_at",
    "expires_at",
    "clicks",
)
UTM_COLUMNS = tuple(f"utm_{name}" for name in UTM_FIELDS)  # how CSV files spell the utm object's fields
