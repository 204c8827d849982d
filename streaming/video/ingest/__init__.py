"""Ingest: the RTMP front door (rtmp, amf), the containers a source arrives in (flv, webm), H.264 facts
(avc), the unit a stream is cut into (units), and the browser relay from Daphne to the supervisor (relay)."""
