"""The JSON API under /api/: one router per app, shared auth, errors and pagination (core.api)."""

from __future__ import annotations

from ninja import NinjaAPI

from core.api import SessionAuth, ThreadDecodedParser, TokenAuth, install_error_handlers
from expenses.api import router as expenses_router
from imports.api import router as imports_router
from jobs.api import router as jobs_router
from kitchen.api import router as kitchen_router

api = NinjaAPI(
    title="Brigade API",
    version="1",
    description="Recipes, chefs, ingredients, prices, your background jobs and your expenses. "
    "Authenticate with the browser session (send the CSRF token on writes) or a personal token: "
    "`Authorization: Bearer brg_…`.",
    auth=[SessionAuth(), TokenAuth()],
    urls_namespace="api",
    parser=ThreadDecodedParser(),
)
install_error_handlers(api)
api.add_router("/", kitchen_router)
api.add_router("/", jobs_router)
api.add_router("/", imports_router)
api.add_router("/", expenses_router)
