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

import { isGray8, readFfv1Layout } from "./ffv1.ts";
import { FormatError } from "./format_error.ts";
import type { ByteSource } from "../model.ts";

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

const HEAD_BYTES = 64 * 1024;
const MAX_HEADER_LIST = 4 * 1024 * 1024;
/** LIST chunks nested deeper than this are skipped: real files nest two or three levels. */
const MAX_DEPTH = 8;
/** Larger frames than this (per side) are taken as a corrupt header. */
const MAX_SIDE = 32_768;
const AVIIF_KEYFRAME = 0x10;

const latin1 = new TextDecoder("latin1");

function fourcc(bytes: Uint8Array, at: number): string {
  return latin1.decode(bytes.subarray(at, at + 4));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface Chunk {
  id: string;
  /** Offset of the chunk header. */
  offset: number;
  /** Size of the chunk data as declared. */
  size: number;
  /** For RIFF and LIST chunks, the list type. */
  listType?: string;
}

class Reader {
  #source: ByteSource;
  #head: Uint8Array | undefined;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  get size(): number {
    return this.#source.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.#head ??= await this.#source.read(0, Math.min(HEAD_BYTES, this.#source.size));
    if (offset + length <= this.#head.length) return this.#head.subarray(offset, offset + length);
    return await this.#source.read(offset, length);
  }

  /** Reads the chunk header at `offset`, or returns undefined when the file ends first. */
  async chunk(offset: number): Promise<Chunk | undefined> {
    if (offset + 8 > this.size) return undefined;
    const bytes = await this.read(offset, 12);
    if (bytes.length < 8) return undefined;
    const id = fourcc(bytes, 0);
    const size = view(bytes).getUint32(4, true);
    if ((id === "RIFF" || id === "LIST") && bytes.length >= 12) {
      return { id, offset, size, listType: fourcc(bytes, 8) };
    }
    return { id, offset, size };
  }
}

function next(chunk: Chunk): number {
  return chunk.offset + 8 + chunk.size + (chunk.size & 1);
}

interface VideoStream {
  number: number;
  scale: number;
  rate: number;
  length: number;
  handler: string;
  width: number;
  height: number;
  bitCount: number;
  compression: string;
  extradata: Uint8Array;
  superIndex: { offset: number; size: number }[];
}

interface Headers {
  stream: VideoStream;
  totalFrames: number;
  odmlTotalFrames: number | undefined;
}

function parseHeaderList(list: Uint8Array): Headers {
  let stream: VideoStream | undefined;
  let totalFrames = 0;
  let odmlTotalFrames: number | undefined;
  let streamNumber = 0;

  const walk = (
    start: number,
    end: number,
    inStrl: boolean,
    current: Partial<VideoStream>,
    depth = 0,
  ) => {
    if (depth > MAX_DEPTH) return;
    let at = start;
    while (at + 8 <= end) {
      const id = fourcc(list, at);
      const size = view(list).getUint32(at + 4, true);
      const dataAt = at + 8;
      const dataEnd = Math.min(dataAt + size, end);
      const data = list.subarray(dataAt, dataEnd);
      if (id === "LIST" && data.length >= 4) {
        const type = fourcc(data, 0);
        if (type === "strl") {
          const found: Partial<VideoStream> = { number: streamNumber, superIndex: [] };
          walk(dataAt + 4, dataEnd, true, found, depth + 1);
          if (!stream && found.width !== undefined && found.handler !== undefined) {
            stream = found as VideoStream;
          }
          streamNumber++;
        } else {
          walk(dataAt + 4, dataEnd, inStrl, current, depth + 1);
        }
      } else if (id === "avih" && data.length >= 40) {
        totalFrames = view(data).getUint32(16, true);
      } else if (id === "dmlh" && data.length >= 4) {
        odmlTotalFrames = view(data).getUint32(0, true);
      } else if (inStrl && id === "strh" && data.length >= 36) {
        if (fourcc(data, 0) === "vids") {
          const v = view(data);
          current.handler = fourcc(data, 4);
          current.scale = v.getUint32(20, true);
          current.rate = v.getUint32(24, true);
          current.length = v.getUint32(32, true);
        }
      } else if (inStrl && id === "strf" && data.length >= 40 && current.handler !== undefined) {
        const v = view(data);
        current.width = v.getInt32(4, true);
        current.height = Math.abs(v.getInt32(8, true));
        current.bitCount = v.getUint16(14, true);
        const compression = v.getUint32(16, true);
        current.compression = compression === 0 ? "raw" : fourcc(data, 16);
        current.extradata = data.slice(40);
      } else if (inStrl && id === "indx" && data.length >= 24) {
        const v = view(data);
        const longsPerEntry = v.getUint16(0, true);
        const indexType = v.getUint8(3);
        const entries = v.getUint32(4, true);
        if (indexType === 0 && longsPerEntry === 4) {
          for (let i = 0; i < entries && 24 + 16 * i + 16 <= data.length; i++) {
            const e = 24 + 16 * i;
            const offset = v.getUint32(e, true) + v.getUint32(e + 4, true) * 2 ** 32;
            const size = v.getUint32(e + 8, true);
            current.superIndex!.push({ offset, size });
          }
        }
      }
      at = dataAt + size + (size & 1);
    }
  };
  walk(0, list.length, false, {});
  if (!stream) throw new FormatError("it has no video stream");
  return { stream, totalFrames, odmlTotalFrames };
}

class FrameTable {
  offsets: number[] = [];
  sizes: number[] = [];
  keys: number[] = [];

  add(offset: number, size: number, key: boolean): void {
    this.offsets.push(offset);
    this.sizes.push(size);
    this.keys.push(key ? 1 : 0);
  }

  get length(): number {
    return this.offsets.length;
  }
}

function streamIds(stream: VideoStream): Set<string> {
  const n = String(stream.number).padStart(2, "0");
  return new Set([`${n}dc`, `${n}db`]);
}

async function readIdx1(
  reader: Reader,
  idx1: Chunk,
  moviList: Chunk,
  ids: Set<string>,
): Promise<FrameTable | undefined> {
  if (idx1.offset + 8 + idx1.size > reader.size) return undefined;
  const bytes = await reader.read(idx1.offset + 8, idx1.size);
  const v = view(bytes);
  const entries = Math.floor(bytes.length / 16);
  const table = new FrameTable();
  let base: number | undefined;
  for (let i = 0; i < entries; i++) {
    const e = i * 16;
    const id = fourcc(bytes, e);
    if (!ids.has(id)) continue;
    const flags = v.getUint32(e + 4, true);
    const offset = v.getUint32(e + 8, true);
    const size = v.getUint32(e + 12, true);
    if (base === undefined) {
      // Offsets are relative to the "movi" FourCC in most files, absolute in a few.
      const relative = moviList.offset + 8 + offset;
      const header = await reader.read(relative, 4);
      base = header.length === 4 && fourcc(header, 0) === id ? moviList.offset + 8 : 0;
    }
    table.add(base + offset + 8, size, (flags & AVIIF_KEYFRAME) !== 0);
  }
  return table;
}

async function readOdmlIndex(
  reader: Reader,
  superIndex: { offset: number; size: number }[],
  ids: Set<string>,
): Promise<FrameTable | undefined> {
  const table = new FrameTable();
  for (const part of superIndex) {
    // Writers differ on whether the entry's size counts the chunk header: use the chunk's own.
    const chunk = await reader.chunk(part.offset);
    if (!chunk || chunk.size < 24 || part.offset + 8 + chunk.size > reader.size) return undefined;
    const bytes = await reader.read(part.offset, 8 + chunk.size);
    const v = view(bytes);
    const longsPerEntry = v.getUint16(8, true);
    const indexType = v.getUint8(11);
    const entries = v.getUint32(12, true);
    const base = v.getUint32(20, true) + v.getUint32(24, true) * 2 ** 32;
    if (indexType !== 1 || longsPerEntry !== 2 || !ids.has(fourcc(bytes, 16))) return undefined;
    for (let i = 0; i < entries && 32 + 8 * i + 8 <= bytes.length; i++) {
      const e = 32 + 8 * i;
      const raw = v.getUint32(e + 4, true);
      table.add(base + v.getUint32(e, true), raw & 0x7fffffff, (raw & 0x80000000) === 0);
    }
  }
  return table;
}

/** Walks the chunks of every movi list, for files whose index is missing or unusable. */
async function scanMovi(reader: Reader, ids: Set<string>): Promise<FrameTable> {
  const table = new FrameTable();
  const scanList = async (start: number, end: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let at = start;
    while (at + 8 <= end) {
      const chunk = await reader.chunk(at);
      if (!chunk || !/^[\x20-\x7e]{4}$/.test(chunk.id)) return;
      if (chunk.id === "LIST" || chunk.id === "RIFF") {
        await scanList(chunk.offset + 12, Math.min(next(chunk), end), depth + 1);
      } else if (ids.has(chunk.id)) {
        if (chunk.offset + 8 + chunk.size > reader.size) return;
        table.add(chunk.offset + 8, chunk.size, true);
      }
      at = next(chunk);
    }
  };
  let at = 0;
  while (at + 12 <= reader.size) {
    const riff = await reader.chunk(at);
    if (!riff || riff.id !== "RIFF") break;
    let inner = at + 12;
    const end = Math.min(next(riff), reader.size);
    while (inner + 8 <= end) {
      const chunk = await reader.chunk(inner);
      if (!chunk) break;
      if (chunk.id === "LIST" && chunk.listType === "movi") {
        await scanList(chunk.offset + 12, Math.min(next(chunk), reader.size), 0);
      }
      inner = next(chunk);
    }
    at = next(riff);
  }
  return table;
}

/**
 * Reads the headers and frame index of an AVI file.
 *
 * @param source The bytes of the file.
 * @returns Frame size, codec, time base and the position of each complete video frame.
 * @throws {FormatError} When the file is empty, is not a RIFF AVI, or has no video stream.
 */
export async function readAviInfo(source: ByteSource): Promise<AviInfo> {
  if (source.size === 0) throw new FormatError("the file is empty (0 bytes)");
  const reader = new Reader(source);
  const first = await reader.chunk(0);
  if (!first || first.id !== "RIFF" || first.listType !== "AVI ") {
    throw new FormatError("it is not an AVI file (no RIFF AVI header)");
  }
  const warnings: string[] = [];

  let headerList: Chunk | undefined;
  let moviList: Chunk | undefined;
  let idx1: Chunk | undefined;
  let at = 12;
  const riffEnd = Math.min(next(first), reader.size);
  while (at + 8 <= riffEnd) {
    const chunk = await reader.chunk(at);
    if (!chunk) break;
    if (chunk.id === "LIST" && chunk.listType === "hdrl") headerList ??= chunk;
    else if (chunk.id === "LIST" && chunk.listType === "movi") moviList ??= chunk;
    else if (chunk.id === "idx1") idx1 ??= chunk;
    at = next(chunk);
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
      table.offsets.length = table.sizes.length = table.keys.length = complete;
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

async function detectGray(
  reader: Reader,
  stream: VideoStream,
  table: FrameTable,
): Promise<boolean | undefined> {
  const codec = stream.compression.toUpperCase();
  if (codec === "GREY" || codec === "Y800" || codec === "Y8  ") return true;
  if (codec === "RAW") return stream.bitCount === 8 ? undefined : false;
  if (codec !== "FFV1") return undefined;
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

/**
 * Tells whether the bytes read at a frame's chunk position start with the header the index
 * promises: the stream's chunk id and the frame's size. ffmpeg takes frames by their chunk
 * headers; a damaged header would hand the decoder a cut or foreign packet, which some codecs
 * (FFV1) decode to other pixels without any error.
 *
 * @param chunk The bytes at the chunk header's offset (at least its 8 header bytes).
 * @param k The frame.
 * @param at The chunk header's offset, for the message.
 * @param index The frame sizes and chunk ids of the index.
 * @returns A description of the disagreement, or `undefined` when the header agrees.
 */
export function chunkProblem(
  chunk: Uint8Array,
  k: number,
  at: number,
  index: Pick<AviInfo, "frameSizes" | "chunkIds">,
): string | undefined {
  const id = chunk.length >= 8 ? fourcc(chunk, 0) : "";
  const size = chunk.length >= 8 ? view(chunk).getUint32(4, true) : -1;
  if (index.chunkIds.includes(id) && size === index.frameSizes[k]) return undefined;
  return `frame ${k} is damaged: its chunk header at byte ${at} says ${JSON.stringify(id)} of ` +
    `${size} bytes, but the index says ${JSON.stringify(index.chunkIds[0])} of ` +
    `${index.frameSizes[k]} bytes`;
}
