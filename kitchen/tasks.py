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
