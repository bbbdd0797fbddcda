from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kitchen.pricing.providers import ProviderError, configured_provider
from kitchen.pricing.services import prices_refresh_blocking


class Command(BaseCommand):
    help = "Fetch ingredient prices from the configured provider and record them."

    def handle(self, *args, **options) -> None:
        provider = configured_provider()
        try:
            result, rejected = prices_refresh_blocking(provider=provider)
        except ProviderError as error:
            raise CommandError(f"{provider.name}: {error}; stored prices are unchanged") from None
        self.stdout.write(
            f"{provider.name}: {result.recorded} new observation(s), {len(result.changed)} price(s) changed, "
            f"{len(rejected)} rejected, {len(result.skipped)} skipped"
        )
        for line in [*rejected, *result.skipped]:
            self.stdout.write(f"  - {line}")
