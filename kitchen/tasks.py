"""Background work for the kitchen, run by Celery workers."""

from __future__ import annotations

import logging

from celery import shared_task

from kitchen.pricing.providers import ProviderError, configured_provider
from kitchen.pricing.services import prices_refresh_blocking

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refresh_prices() -> None:
    """Beat's scheduled refresh: the same path as `manage.py refresh_prices` and the admin action.

    Safe to run twice (a redelivery after a lost worker, two overlapping runs): each observation
    is recorded once (a unique constraint on ingredient, source and time), and current prices
    only move forward. Open dashboards hear of changed prices when the recording commits. A
    provider that is down or answers garbage leaves the stored prices as they are.
    """
    provider = configured_provider()
    try:
        result, rejected = prices_refresh_blocking(provider=provider)
    except ProviderError as error:
        logger.warning("scheduled price refresh from %s failed, stored prices kept: %s", provider.name, error)
        return
    logger.info(
        "scheduled price refresh from %s: %d new observation(s), %d price(s) changed, %d rejected, %d skipped",
        provider.name, result.recorded, len(result.changed), len(rejected), len(result.skipped),
    )  # fmt: skip


@shared_task(ignore_result=True)
def write_back_documents() -> None:
    """Beat's sweep: documents edited but not yet written back to their rows (the process that
    held them died, or lost its database, before its debounced write-back ran) are written back,
    and long logs are folded into their snapshot. Safe to run twice: a write-back of what is
    already written does nothing, and compaction keeps the newest snapshot."""
    from kitchen.collab import store

    for recipe_id in store.documents_behind():
        try:
            store.document_write_back(recipe_id=recipe_id)
            store.version_save_if_due(recipe_id=recipe_id)
            store.document_compact_if_due(recipe_id=recipe_id)
        except Exception:
            logger.exception("write-back of recipe %s's document failed; the next sweep retries", recipe_id)
