"""Run the live video supervisor: RTMP ingest, browser relay and every ffmpeg of every live event."""

from __future__ import annotations

import asyncio
import logging

from django.core.management.base import BaseCommand

from core.ffmpeg import ffmpeg_binary, ffmpeg_version
from streaming.video.supervision.supervisor import default_config, run_supervisor


class Command(BaseCommand):
    help = "Follow live events and run their video: RTMP ingest on :1935, browser publishing, HLS packaging."

    def add_arguments(self, parser):
        parser.add_argument("--rtmp-host", help="Address for encoders (default LIVE_RTMP_HOST, 0.0.0.0).")
        parser.add_argument("--rtmp-port", type=int, help="Port for encoders (default LIVE_RTMP_PORT, 1935).")
        parser.add_argument("--poll", type=float, help="Seconds between reads of the events' states (default 1).")
        parser.add_argument(
            "--stall-seconds", type=float, help="Restart a packager whose playlist stops advancing this long (8)."
        )

    def handle(self, *args, rtmp_host=None, rtmp_port=None, poll=None, stall_seconds=None, **options):
        logging.getLogger("streaming.video").setLevel(logging.INFO)
        binary = ffmpeg_binary()
        if not binary:
            self.stderr.write("live supervisor: no ffmpeg found (set FFMPEG_BINARY); live video is unavailable.")
        else:
            self.stdout.write(f"live supervisor: ffmpeg {ffmpeg_version()} at {binary}")
        config = default_config(
            rtmp_host=rtmp_host, rtmp_port=rtmp_port, poll_interval=poll, stall_seconds=stall_seconds
        )
        asyncio.run(run_supervisor(config))
