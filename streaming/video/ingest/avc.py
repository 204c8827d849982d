"""H.264 facts an ingest needs without decoding: the codec string and picture size of a stream.

Both come from the AVCDecoderConfigurationRecord an encoder sends first (RTMP/FLV "sequence
header"): its first bytes give profile/compatibility/level for the HLS CODECS attribute, and its
sequence parameter set gives the coded size minus the cropping (ISO/IEC 14496-10 §7.3.2.1.1).
"""

from __future__ import annotations

import struct

HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


class AvcError(ValueError):
    pass


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise AvcError("SPS truncated")
            value = (value << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise AvcError("bad Exp-Golomb code in SPS")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _rbsp(nal: bytes) -> bytes:
    """The NAL payload without emulation-prevention bytes (00 00 03 → 00 00)."""
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last, following = 8, 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last


def sps_dimensions(nal: bytes) -> tuple[int, int]:
    """(width, height) of the pictures a sequence parameter set NAL unit describes."""
    bits = _Bits(_rbsp(nal)[1:])  # after the one-byte NAL header
    profile = bits.u(8)
    bits.u(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma_format = 1
    if profile in HIGH_PROFILES:
        chroma_format = bits.ue()
        if chroma_format == 3:
            bits.u(1)
        bits.ue()
        bits.ue()
        bits.u(1)
        if bits.u(1):
            for i in range(12 if chroma_format == 3 else 8):
                if bits.u(1):
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)
    width_mbs = bits.ue() + 1
    height_map_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)
    bits.u(1)
    width = width_mbs * 16
    height = (2 - frame_mbs_only) * height_map_units * 16
    if bits.u(1):  # frame cropping
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        unit_x = 1 if chroma_format in (0, 3) else 2
        unit_y = (2 - frame_mbs_only) * (2 if chroma_format == 1 else 1)
        width -= (left + right) * unit_x
        height -= (top + bottom) * unit_y
    if width <= 0 or height <= 0:
        raise AvcError("SPS describes an empty picture")
    return width, height


def parse_decoder_config(record: bytes) -> tuple[str, tuple[int, int] | None]:
    """("avc1.PPCCLL", (width, height) or None) from an AVCDecoderConfigurationRecord."""
    if len(record) < 7 or record[0] != 1:
        raise AvcError("not an AVCDecoderConfigurationRecord")
    codec = f"avc1.{record[1]:02x}{record[2]:02x}{record[3]:02x}"
    count = record[5] & 0x1F
    if not count or len(record) < 8:
        return codec, None
    (length,) = struct.unpack(">H", record[6:8])
    sps = record[8 : 8 + length]
    if len(sps) != length:
        raise AvcError("SPS truncated")
    try:
        return codec, sps_dimensions(sps)
    except AvcError:
        return codec, None
