/**
 * Every fact the program holds about a video codec, in one table: the FourCCs of the AVI stream
 * format that name it, the ffmpeg decoder, where a decode may start, how the headers tell gray
 * from colour, and, for the FourCCs the acquisition software offers, how the sample writer
 * encodes them. A codec is one row. A FourCC not in the table is left to ffmpeg, and decoded
 * from the start of its file.
 *
 * @module
 */

/**
 * Where a decode may start and still give exactly the frames of a decode of the whole file
 * (`formats/seek_points.ts` applies it):
 * - `"every-frame"`: every frame stands alone (intra-only codecs).
 * - `"keyframes"`: the keyframes the index flags, in a codec that never reorders frames;
 *   frame 0 only when the file has no index.
 * - `"keyframes-without-b-frames"`: MPEG-4 part 2: the flagged keyframes when the stream holds no
 *   B-frame; else frame 0 only, as an I-frame may be followed by B-frames that need the group
 *   before it (an open GOP).
 * - `"idr-pictures"`: H.264: the flagged keyframes that start an IDR picture, a clean group even
 *   when frames are reordered.
 * - `"first-frame"`: frame 0 only; nothing proves a keyframe of the codec a clean start.
 */
export type SeekRule =
  | "every-frame"
  | "keyframes"
  | "keyframes-without-b-frames"
  | "idr-pictures"
  | "first-frame";

/**
 * How the headers tell whether frames are 8-bit gray (`formats/avi/parse.ts` applies it):
 * - `"gray"`: always 8-bit gray.
 * - `"ffv1-parameters"`: from the FFV1 parameters, in the extradata or the first keyframe.
 * - `"bit-count"`: uncompressed: colour, unless 8 bits per pixel (then unknown: a palette may
 *   map them to colours).
 * - `"unknown"`: the headers do not tell.
 */
export type GrayRule = "gray" | "ffv1-parameters" | "bit-count" | "unknown";

/** How the sample writer encodes a codec, the way OpenCV's VideoWriter writes it. */
export interface Encoder {
  /** The FourCC written in the file, as the acquisition software spells it. */
  readonly tag: string;
  /** The ffmpeg encoder (`-c:v`). */
  readonly name: string;
  /** Its options. */
  readonly args: readonly string[];
  /** The ffmpeg pixel format of the encoded stream, where one is set. */
  readonly pixelFormat?: string;
}

/** What the program knows of one codec. */
export interface Codec {
  /** The name of the ffmpeg decoder, as `ffmpeg -decoders` lists it. */
  readonly decoder: string;
  /**
   * The FourCCs of the stream format that name it, upper case (`"RAW"` for uncompressed BI_RGB
   * frames).
   */
  readonly fourccs: readonly string[];
  /** Where a decode may start. */
  readonly seek: SeekRule;
  /** How the headers tell gray from colour. */
  readonly gray: GrayRule;
  /**
   * For uncompressed frames that may hold gray in three equal channels (the Miniscope files of
   * the software before 2020): the bit count of such files, and the ffmpeg pixel format that
   * gives their channels as stored.
   */
  readonly threeChannelGray?: { readonly bitCount: number; readonly pixelFormat: "bgr24" };
  /** How the sample writer encodes it, one encoder per FourCC the acquisition software offers. */
  readonly encoders?: readonly Encoder[];
}

const CODECS = [
  {
    decoder: "ffv1",
    fourccs: ["FFV1"],
    seek: "keyframes",
    gray: "ffv1-parameters",
    encoders: [{ tag: "FFV1", name: "ffv1", args: ["-g", "12"], pixelFormat: "gray" }],
  },
  {
    decoder: "rawvideo",
    fourccs: ["GREY", "Y800", "Y8  "],
    seek: "every-frame",
    gray: "gray",
    encoders: [{ tag: "GREY", name: "rawvideo", args: [], pixelFormat: "gray" }],
  },
  {
    decoder: "rawvideo",
    fourccs: ["RAW"],
    seek: "every-frame",
    gray: "bit-count",
    threeChannelGray: { bitCount: 24, pixelFormat: "bgr24" },
  },
  {
    decoder: "mjpeg",
    fourccs: ["MJPG"],
    seek: "every-frame",
    gray: "unknown",
    encoders: [{ tag: "MJPG", name: "mjpeg", args: ["-q:v", "3"], pixelFormat: "yuvj420p" }],
  },
  {
    decoder: "mpeg4",
    fourccs: ["XVID", "DIVX", "DX50", "FMP4", "MP4V", "M4S2"],
    seek: "keyframes-without-b-frames",
    gray: "unknown",
    encoders: [
      // With B-frames: stored in decode order, shown in another order.
      { tag: "XVID", name: "mpeg4", args: ["-q:v", "4", "-g", "12", "-bf", "2"] },
      { tag: "mp4v", name: "mpeg4", args: ["-q:v", "4", "-g", "12"] },
    ],
  },
  {
    decoder: "h264",
    fourccs: ["H264", "X264", "AVC1", "DAVC"],
    seek: "idr-pictures",
    gray: "unknown",
    encoders: [{
      // x264 with B-frames and a keyframe every 25 frames, as OpenCV's default H264 writer.
      tag: "H264",
      name: "libx264",
      args: ["-preset", "veryfast", "-g", "25", "-bf", "3"],
      pixelFormat: "yuv420p",
    }],
  },
  { decoder: "huffyuv", fourccs: ["HFYU"], seek: "every-frame", gray: "unknown" },
  { decoder: "ffvhuff", fourccs: ["FFVH"], seek: "every-frame", gray: "unknown" },
  { decoder: "png", fourccs: ["PNG ", "MPNG"], seek: "every-frame", gray: "unknown" },
  { decoder: "hevc", fourccs: ["HEVC", "H265", "HVC1"], seek: "first-frame", gray: "unknown" },
  { decoder: "mpeg2video", fourccs: ["MPG2"], seek: "first-frame", gray: "unknown" },
  { decoder: "vp8", fourccs: ["VP80"], seek: "first-frame", gray: "unknown" },
  { decoder: "vp9", fourccs: ["VP90"], seek: "first-frame", gray: "unknown" },
] as const satisfies readonly Codec[];

/** The codecs the sample writer encodes, by the FourCC written in the file. */
export type SampleCodec = Extract<
  (typeof CODECS)[number],
  { encoders: readonly Encoder[] }
>["encoders"][number]["tag"];

const BY_FOURCC: ReadonlyMap<string, Codec> = new Map(
  CODECS.flatMap((row) => row.fourccs.map((fourcc) => [fourcc, row])),
);

/**
 * Every codec the program knows, one row each.
 *
 * @returns The rows, in the table's order.
 */
export function knownCodecs(): readonly Codec[] {
  return CODECS;
}

/**
 * What the program knows of a codec.
 *
 * @example MPEG-4 part 2 under one of its FourCCs
 * ```ts
 * import assert from "node:assert/strict";
 * import { codecOf } from "./codecs.ts";
 *
 * assert.equal(codecOf("xvid")?.decoder, "mpeg4");
 * assert.equal(codecOf("DX50")?.seek, "keyframes-without-b-frames");
 * assert.equal(codecOf("WHAT"), undefined);
 * ```
 *
 * @param fourcc The codec FourCC of an AVI stream, in any case (`"raw"` for uncompressed DIB
 *   frames).
 * @returns Its row, or `undefined` for a codec not in the table.
 */
export function codecOf(fourcc: string): Codec | undefined {
  return BY_FOURCC.get(fourcc.toUpperCase());
}

/**
 * The codecs the sample writer encodes.
 *
 * @returns The FourCC each is written as, in the table's order.
 */
export function sampleCodecs(): SampleCodec[] {
  return CODECS.flatMap((row) => "encoders" in row ? row.encoders.map((e) => e.tag) : []);
}

/**
 * How the sample writer encodes a codec.
 *
 * @param codec The FourCC written in the file.
 * @returns The encoder.
 * @throws {TypeError} When the sample writer has no encoder for it.
 */
export function encoderOf(codec: SampleCodec): Encoder {
  const encoder = codecOf(codec)?.encoders?.find((each) => each.tag === codec);
  if (!encoder) throw new TypeError(`Cannot write a ${codec} video: no encoder is known for it`);
  return encoder;
}
