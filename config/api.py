"""The read-only JSON API for the mobile client, with its OpenAPI schema at /api/openapi.json.

Each app contributes a router (`<app>/api.py`) added here; session authentication is shared
with the site, so the same access layer decides what each caller sees.
"""

from ninja import NinjaAPI

from cms.api import router as cms_router
from core.api import router as core_router
from forum.api import router as forum_router
from learning.api import router as learning_router
from streaming.api import router as streaming_router

api = NinjaAPI(
    title="智慧党建平台 API",
    version="1.0",
    description="Read-only API for the mobile client. Texts are Simplified Chinese unless the request asks otherwise.",
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/", core_router)
api.add_router("/", cms_router)
api.add_router("/learning/", learning_router)
api.add_router("/forum/", forum_router)
api.add_router("/live/", streaming_router)
