from django.core.management.base import BaseCommand

from ops.worker import run


class Command(BaseCommand):
    help = "Runs the task worker (django-q2 cluster); SIGTERM or SIGINT, to this process or its group, stops it cleanly."

    def handle(self, *args, **options):
        run()
