/**
 * Reads what a reader needs from an AVI file without decoding it: frame size, codec, stream
 * time base and the position of every video frame, from the RIFF headers and the index
 * (`idx1`, or the OpenDML `indx` super index for files over 1 GiB). A file whose index is
 * missing, as after a crashed recording, is scanned chunk by chunk instead.
 *
 * The parser works on a {@linkcode ByteSource}, so it needs no file system and no process.
 *
 * @module
 */

import { codecOf } from "../../codecs.ts";
import type { ByteSource } from "../../model.ts";
import { isGray8, readFfv1Layout } from "../ffv1.ts";
import { FormatError } from "../format_error.ts";
import { parseHeaderList, streamIds, type VideoStream } from "./headers.ts";
import { type FrameTable, readIdx1, readOdmlIndex, scanMovi } from "./index.ts";
import { type Chunk, ChunkReader, nextChunk } from "./riff.ts";

/** Where the frame positions of an {@linkcode AviInfo} came from. */
export type AviIndexSource = "idx1" | "odml" | "scan";

/** What the headers and index of an AVI file say about its first video stream. */
export interface AviInfo {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** The codec FourCC from the stream format (`"FFV1"`, `"GREY"`, ...), or `"raw"` for BI_RGB. */
  codec: string;
  /** Bits per pixel declared in the stream format. */
  bitCount: number;
  /**
   * Whether frames are 8-bit single-plane gray: `true` or `false` when the codec headers tell,
   * `undefined` when they do not.
   */
  gray: boolean | undefined;
  /**
   * Bytes before the first frame chunk: the RIFF header, the header list and everything up to
   * and including the list type of the first `movi` list. A decoder reading the file as a
   * stream needs these before any frame.
   */
  headerSize: number;
  /** Frames whose data is complete in the file: the count a reader can decode. */
  frameCount: number;
  /** The frame count the headers claim (OpenDML total, else stream length, else main header). */
  declaredFrameCount: number;
  /** Stream time base numerator: a frame lasts `scale / rate` seconds of container time. */
  scale: number;
  /** Stream time base denominator. */
  rate: number;
  /** Which structure the frame positions were read from. */
  indexSource: AviIndexSource;
  /** Byte offset of each frame's data. */
  frameOffsets: Float64Array;
  /** Byte size of each frame's data. */
  frameSizes: Uint32Array;
  /**
   * Whether the index flags each frame a keyframe (1) or not (0); all 1 when there is no index.
   * Where a decode may start also depends on the codec: see `formats/seek_points.ts`.
   */
  keyframeFlags: Uint8Array;
  /** The chunk ids of the video stream's frames, such as `00dc` and `00db`. */
  chunkIds: string[];
  /** Problems that still left the frames readable, such as a missing index. */
  warnings: string[];
}

/** A header list larger than this is taken as a corrupt size. */
const MAX_HEADER_LIST = 4 * 1024 * 1024;
/** Larger frames than this (per side) are taken as a corrupt header. */
const MAX_SIDE = 32_768;

/**
 * Reads the headers and frame index of an AVI file.
 *
 * @param source The bytes of the file.
 * @returns Frame size, codec, time base and the position of each complete video frame.
 * @throws {FormatError} When the file is empty, is not a RIFF AVI, or has no video stream.
 */
export async function readAviInfo(source: ByteSource): Promise<AviInfo> {
  if (source.size === 0) throw new FormatError("the file is empty (0 bytes)");
  const reader = new ChunkReader(source);
  const first = await reader.chunk(0);
  if (!first || first.id !== "RIFF" || first.listType !== "AVI ") {
    throw new FormatError("it is not an AVI file (no RIFF AVI header)");
  }
  const warnings: string[] = [];

  let headerList: Chunk | undefined;
  let moviList: Chunk | undefined;
  let idx1: Chunk | undefined;
  let at = 12;
  const riffEnd = Math.min(nextChunk(first), reader.size);
  while (at + 8 <= riffEnd) {
    const chunk = await reader.chunk(at);
    if (!chunk) break;
    if (chunk.id === "LIST" && chunk.listType === "hdrl") headerList ??= chunk;
    else if (chunk.id === "LIST" && chunk.listType === "movi") moviList ??= chunk;
    else if (chunk.id === "idx1") idx1 ??= chunk;
    at = nextChunk(chunk);
  }
  if (!headerList) throw new FormatError("it has no header list (hdrl)");
  if (headerList.size < 4 || headerList.size > MAX_HEADER_LIST) {
    throw new FormatError(`its header list has an implausible size (${headerList.size} bytes)`);
  }
  const list = await reader.read(headerList.offset + 12, headerList.size - 4);
  const { stream, totalFrames, odmlTotalFrames } = parseHeaderList(list);
  if (
    !(stream.width > 0 && stream.height > 0 && stream.width <= MAX_SIDE &&
      stream.height <= MAX_SIDE)
  ) {
    throw new FormatError(`its frame size ${stream.width}x${stream.height} is invalid`);
  }
  if (!(stream.scale > 0 && stream.rate > 0)) {
    throw new FormatError(`its stream time base ${stream.scale}/${stream.rate} is invalid`);
  }
  if (!moviList) throw new FormatError("it has no frame data (no movi list)");

  const ids = streamIds(stream);
  let table: FrameTable | undefined;
  let indexSource: AviIndexSource = "scan";
  if (stream.superIndex.length > 0) {
    table = await readOdmlIndex(reader, stream.superIndex, ids);
    if (table) indexSource = "odml";
  }
  if (!table && idx1) {
    table = await readIdx1(reader, idx1, moviList, ids);
    if (table) indexSource = "idx1";
  }
  if (table) {
    // An index may point past the end of a file that was cut short: keep what is there.
    let complete = 0;
    while (
      complete < table.length &&
      table.offsets[complete]! + table.sizes[complete]! <= reader.size
    ) complete++;
    if (complete < table.length) {
      warnings.push(
        `its index lists ${table.length} frames but only ${complete} are complete in the file`,
      );
      table.truncate(complete);
    }
  } else {
    table = await scanMovi(reader, ids);
    warnings.push(
      `it has no usable index (as after a crashed recording); ${table.length} ` +
        `complete frames were found by scanning`,
    );
  }

  const declaredFrameCount = odmlTotalFrames ?? (stream.length || totalFrames);
  if (indexSource !== "scan" && declaredFrameCount > table.length) {
    warnings.push(
      `its header claims ${declaredFrameCount} frames but only ${table.length} are present`,
    );
  }

  const gray = await detectGray(reader, stream, table);
  return {
    width: stream.width,
    height: stream.height,
    codec: stream.compression,
    bitCount: stream.bitCount,
    gray,
    headerSize: moviList.offset + 12,
    frameCount: table.length,
    declaredFrameCount,
    scale: stream.scale,
    rate: stream.rate,
    indexSource,
    frameOffsets: Float64Array.from(table.offsets),
    frameSizes: Uint32Array.from(table.sizes),
    keyframeFlags: Uint8Array.from(table.keys),
    chunkIds: [...ids],
    warnings,
  };
}

/** Whether frames are 8-bit gray, by the codec's gray rule (see `codecs.ts`). */
async function detectGray(
  reader: ChunkReader,
  stream: VideoStream,
  table: FrameTable,
): Promise<boolean | undefined> {
  const rule = codecOf(stream.compression)?.gray ?? "unknown";
  if (rule === "gray") return true;
  if (rule === "bit-count") return stream.bitCount === 8 ? undefined : false;
  if (rule === "unknown") return undefined;
  // The first non-empty frame of an FFV1 stream is a keyframe carrying its parameters.
  const firstFrame = table.sizes.findIndex((size) => size > 0);
  const head = firstFrame < 0
    ? new Uint8Array()
    : await reader.read(table.offsets[firstFrame]!, Math.min(64, table.sizes[firstFrame]!));
  try {
    const layout = readFfv1Layout(stream.extradata, head);
    return layout ? isGray8(layout) : undefined;
  } catch {
    return undefined;
  }
}
