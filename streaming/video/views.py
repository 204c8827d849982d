"""The host's broadcast page: encoder settings, publishing from the browser, and the output preview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from core.access import AuthenticatedHttpRequest
from streaming.video.access import access_event_for_publishing
from streaming.video.selectors import ingest_status, playback_url, rtmp_server_url


@login_required
def studio(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = access_event_for_publishing(request.user, event_id)
    return render(
        request,
        "streaming_video/studio.html",
        {
            "event": event,
            "status": ingest_status(event),
            "playback_url": playback_url(event),
            "rtmp_url": rtmp_server_url(request.get_host()),
        },
    )
