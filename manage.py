#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that never touch the database or Redis skip the connectivity check.
OFFLINE_COMMANDS = {"makemigrations", "compilemessages", "makemessages", "collectstatic", "help", "version", "check"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from config import startup

    startup.setup()
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command not in OFFLINE_COMMANDS and not command.startswith("-"):
        startup.verify_services()

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
