import time

from django.core.management.base import BaseCommand

from firstline.deals.services import risk_refresh, stage_statistics_refresh


class Command(BaseCommand):
    help = (
        "refresh: relearn stage calibration, stall thresholds and timing from the stage history, then "
        "recompute every open deal's risk signals (run it nightly)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["refresh"])

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        statistics = stage_statistics_refresh()
        signals = risk_refresh()
        self.stdout.write(
            f"Learned {statistics} stage statistics and stored {signals} risk signals "
            f"in {time.monotonic() - started:.1f} s."
        )
