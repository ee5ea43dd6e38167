"""`firstline nudges`: send the nudges due today (thresholds crossed, behind pace). Run it daily."""

from django.core.management.base import BaseCommand

from firstline.kpis.nudges import nudges_check


class Command(BaseCommand):
    help = "Send the nudges that are due: targets crossing 50/90/100 % and targets behind pace."

    def handle(self, *args, **options):
        sent = nudges_check()
        self.stdout.write(f"Sent {sent} nudges.")
