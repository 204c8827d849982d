"""The live packager: which renditions a source gets, the ffmpeg argv, and the master playlist.

Latency lever: ffmpeg's HLS muxer has no partial segments, so segments are short (HLS_TIME, 1 s)
and every rendition has a keyframe exactly where a segment may start (closed GOPs): forced every
second when we encode the picture, or at the source's own keyframes (`-force_key_frames source`)
when the top rendition is the source's H.264 passed through. Passing it through costs no encoding
at all, which keeps a 2-core box able to run a live event beside the site (measured on this box:
x264 veryfast 720p + 360p runs ~2.8× real time on 2 cores; 1080p + 720p + 360p only 0.78×).

One ffmpeg per event writes every rendition: `%v/index.m3u8` media playlists with every segment
of the broadcast (hls_list_size 0; the server trims them to a live window, streaming.video.serving)
and `append_list`, so a restarted ffmpeg continues the same playlists and numbering after an
EXT-X-DISCONTINUITY; `omit_endlist` keeps a source that disconnects (an encoder reconnecting) from
ending the stream for the viewers — the replay's VOD playlist gets its ENDLIST when it is made.
The master playlist is ours (write_master): ffmpeg's has no CODECS and a
wrong BANDWIDTH for a copied stream. Sound is encoded once to AAC, as one audio group that every
video rendition uses and that is also the audio-only rendition (党课随身听 plays it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from streaming.video.ingest.units import SourceInfo

HLS_TIME = 1  # seconds per segment (target)
KEYFRAME_SECONDS = 1
AUDIO_KBPS = 128
AUDIO_CODECS = "mp4a.40.2"
X264_PRESET = "veryfast"
MAX_COPY_HEIGHT = 1080  # a 4K source is re-encoded rather than sent to phones as it is
AUDIO_RENDITION = "audio"


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int
    copy: bool = False
    codecs: str = ""  # the video part of CODECS

    @property
    def bandwidth(self) -> int:
        """Peak bits per second of this variant with its audio, as EXT-X-STREAM-INF wants it."""
        return int((self.video_kbps * 1.2 + AUDIO_KBPS) * 1000)


# (short side, kbps) of the renditions we encode; x264 makes High profile for yuv420p.
ENCODED_RUNGS = ((720, 2500), (360, 800))


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _scaled(width: int, height: int, short: int) -> tuple[int, int]:
    if width >= height:
        return _even(width * short / height), short
    return short, _even(height * short / width)


def h264_level(short_side: int) -> tuple[str, str]:
    """(level for x264, avc1 CODECS string) for an encoded rendition of this size at ≤ 30 fps."""
    if short_side <= 360:
        return "3.0", "avc1.64001e"
    if short_side <= 720:
        return "3.1", "avc1.64001f"
    return "4.0", "avc1.640028"


def choose_ladder(info: SourceInfo, *, passthrough: bool = True) -> list[Rendition]:
    """Video renditions for a source, best first: never upscaled, the top one copied if it can be."""
    width = info.width or 1280
    height = info.height or 720
    short = min(width, height)
    ladder: list[Rendition] = []
    if passthrough and info.container == "flv" and info.video_codec == "h264" and short <= MAX_COPY_HEIGHT:
        kbps = info.video_kbps or (4500 if short > 720 else 2800 if short > 480 else 1500)
        ladder.append(Rendition(f"{short}p", width, height, kbps, copy=True, codecs=info.codec_string or "avc1.64001f"))
    for rung_short, kbps in ENCODED_RUNGS:
        target = min(rung_short, short)  # never upscale
        if ladder and target >= min(ladder[-1].width, ladder[-1].height):
            continue
        w, h = _scaled(width, height, target)
        ladder.append(Rendition(f"{target}p", w, h, int(kbps * target / rung_short), codecs=h264_level(target)[1]))
    return ladder


def packager_argv(
    *,
    binary: str,
    info: SourceInfo,
    ladder: list[Rendition],
    out_dir: Path,
    hls_time: int = HLS_TIME,
    threads: int = 0,
    start_number: int = 0,
) -> list[str]:
    """ffmpeg reading the source container on stdin and writing every rendition's HLS into out_dir,
    numbering segments from `start_number` (a restarted packager continues after the last one).

    Built as an ffmpeg-python graph and compiled to argv. ffmpeg-python puts the -map of every stream
    first and the output options after them in name order; every per-rendition option carries its
    output stream index (-c:v:1 …), so the order does not matter. The global options come after the
    output, where ffmpeg applies them as well.
    """
    source = ffmpeg.input(
        "pipe:0",
        format="flv" if info.container == "flv" else "matroska",
        # Start as soon as the codec set-up has arrived: the front door sends it first.
        probesize=1_000_000,
        analyzeduration=1_000_000,
    )
    picture = source["v:0"]
    encoded = [r for r in ladder if not r.copy]
    branches = picture.split() if len(encoded) > 1 else None
    copy_present = any(r.copy for r in ladder)
    keyframes = "source" if copy_present else f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"
    streams: list = []
    options: dict[str, str | int] = {}
    stream_map = []
    encoded_index = 0
    for index, rendition in enumerate(ladder):
        if rendition.copy:
            streams.append(picture)
            options[f"c:v:{index}"] = "copy"
        else:
            branch = branches[encoded_index] if branches is not None else picture
            streams.append(branch.filter("scale", rendition.width, rendition.height).filter("format", "yuv420p"))
            options.update(
                {
                    f"c:v:{index}": "libx264",
                    f"preset:v:{index}": X264_PRESET,
                    f"tune:v:{index}": "zerolatency",
                    f"profile:v:{index}": "high",
                    f"level:v:{index}": h264_level(min(rendition.width, rendition.height))[0],
                    f"b:v:{index}": f"{rendition.video_kbps}k",
                    f"maxrate:v:{index}": f"{int(rendition.video_kbps * 1.2)}k",
                    f"bufsize:v:{index}": f"{rendition.video_kbps}k",
                    f"force_key_frames:v:{index}": keyframes,
                    f"sc_threshold:v:{index}": 0,
                }
            )
            encoded_index += 1
        group = ",agroup:aud" if info.has_audio else ""
        stream_map.append(f"v:{index}{group},name:{rendition.name}")
    if info.has_audio:
        streams.append(source["a:0"])
        options.update({"c:a": "aac", "b:a": f"{AUDIO_KBPS}k", "ac": 2, "ar": 48000})
        stream_map.append(f"a:0,agroup:aud,name:{AUDIO_RENDITION}")
    if threads:
        options["threads"] = threads
    output = ffmpeg.output(
        *streams,
        str(out_dir / "%v" / "index.m3u8"),
        format="hls",
        max_muxing_queue_size=4096,
        hls_time=hls_time,
        hls_list_size=0,
        hls_flags="independent_segments+append_list+temp_file+omit_endlist",
        hls_segment_type="mpegts",
        hls_segment_filename=str(out_dir / "%v" / "s%06d.ts"),
        start_number=start_number,
        var_stream_map=" ".join(stream_map),
        **options,
    )
    return output.global_args("-hide_banner", "-nostats", "-loglevel", "warning").compile(cmd=binary)


def master_playlist(ladder: list[Rendition], *, has_audio: bool) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio = ',AUDIO="aud"' if has_audio else ""
    if has_audio:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,'
            f'URI="{AUDIO_RENDITION}/index.m3u8"'
        )
    for rendition in ladder:
        codecs = f"{rendition.codecs},{AUDIO_CODECS}" if has_audio else rendition.codecs
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},RESOLUTION={rendition.width}x{rendition.height},"
            f'CODECS="{codecs}"{audio}'
        )
        lines.append(f"{rendition.name}/index.m3u8")
    if has_audio:  # the audio-only variant, last: players fall back to it on a very poor connection
        lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH={int(AUDIO_KBPS * 1.1 * 1000)},CODECS="{AUDIO_CODECS}"{audio}')
        lines.append(f"{AUDIO_RENDITION}/index.m3u8")
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
