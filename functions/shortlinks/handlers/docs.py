"""The API's documentation, public: ``GET /v1/openapi.json`` (the OpenAPI 3.1 document), ``GET /docs`` (Swagger UI)
and ``GET /docs/assets/{version}/{name}`` (the page's scripts, style and icons, from the docs layer).

No table, no key: this function has no DynamoDB permission at all, and no route of it runs the authorizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.observability import logger
from shortlinks.web.docs_site import DocsSite

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = Settings.from_env()
site = DocsSite.load(settings.swagger_ui_dir)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return site.answer(event)
