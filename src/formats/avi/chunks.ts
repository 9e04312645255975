/**
 * The frame chunks of an AVI file as a decoder is fed them: the file's headers, then the
 * chunks of the frames wanted, each as stored (its 8-byte header, the data and the pad byte of
 * an odd size). Each chunk header is checked against the index on the way, and the bytes
 * between two frames fed one after the other are checked for a frame the index does not list,
 * so that a damaged file is refused instead of decoded into other pixels.
 *
 * @module
 */

import { MalformedRecordingError } from "../../errors.ts";
import type { ByteSource, DecodePlan, FrameIndex, VideoFile } from "../../model.ts";
import { fourcc, view } from "./riff.ts";

/** Chunks walked between two frames of the index before the gap is taken as sound. */
const MAX_GAP_CHUNKS = 16;

/** The most bytes of the file read at once when feeding a long range. */
const FEED_BLOCK_BYTES = 4 << 20;

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
function chunkProblem(
  chunk: Uint8Array,
  k: number,
  at: number,
  index: Pick<FrameIndex, "frameSizes" | "chunkIds">,
): string | undefined {
  const id = chunk.length >= 8 ? fourcc(chunk, 0) : "";
  const size = chunk.length >= 8 ? view(chunk).getUint32(4, true) : -1;
  if (index.chunkIds.includes(id) && size === index.frameSizes[k]) return undefined;
  return `frame ${k} is damaged: its chunk header at byte ${at} says ${JSON.stringify(id)} of ` +
    `${size} bytes, but the index says ${JSON.stringify(index.chunkIds[0])} of ` +
    `${index.frameSizes[k]} bytes`;
}

/** Throws the problem of `video` a check found, if any. */
function refuse(video: VideoFile, problem: string | undefined): void {
  if (problem) throw new MalformedRecordingError(video.path, problem);
}

/**
 * Looks between frame `k - 1` and frame `k` for a frame chunk the index does not list (a
 * damaged or shortened index): a decoder would otherwise get frame `k` right after frame
 * `k - 1` and, in codecs whose frames depend on the previous ones, decode other pixels.
 */
async function unindexedFrame(
  source: ByteSource,
  video: VideoFile,
  k: number,
): Promise<string | undefined> {
  const { frameOffsets, frameSizes, chunkIds } = video.index;
  const size = frameSizes[k - 1]!;
  let at = frameOffsets[k - 1]! + size + (size & 1);
  const target = frameOffsets[k]! - 8;
  for (let step = 0; at < target && step < MAX_GAP_CHUNKS; step++) {
    const header = await source.read(at, 12);
    if (header.length < 8) return undefined;
    const id = fourcc(header, 0);
    if (chunkIds.includes(id)) {
      return `its index skips a frame: a frame chunk at byte ${at}, between frames ${k - 1} ` +
        `and ${k}, is not in the index`;
    }
    const length = view(header).getUint32(4, true);
    // A list's contents are chunks too: step into it.
    at += id === "LIST" || id === "RIFF" ? 12 : 8 + length + (length & 1);
  }
  return undefined;
}

/**
 * Reads the headers of `video`: the bytes a decoder is given before any frame chunk.
 *
 * @param source The file.
 * @param video What its headers and index said.
 * @returns The bytes before its first frame chunk.
 * @throws {MalformedRecordingError} When the file is shorter than its headers.
 */
export async function readHeaders(source: ByteSource, video: VideoFile): Promise<Uint8Array> {
  const header = await source.read(0, video.headerSize);
  if (header.length < video.headerSize) {
    throw new MalformedRecordingError(video.path, "the file is shorter than its headers");
  }
  return header;
}

/**
 * Reads the chunk of frame `k` as stored, checked against the index. With `afterPrevious`, the
 * chunk follows frame `k - 1` in the decode, and the bytes between the two are checked for a
 * frame the index does not list.
 *
 * @param source The file.
 * @param video What its headers and index said.
 * @param k The frame.
 * @param afterPrevious Whether the chunk is fed right after that of frame `k - 1`.
 * @returns The chunk, with its pad byte.
 * @throws {MalformedRecordingError} When the chunk or the gap before it is damaged.
 */
export async function readChunk(
  source: ByteSource,
  video: VideoFile,
  k: number,
  afterPrevious: boolean,
): Promise<Uint8Array> {
  if (afterPrevious && k > 0) refuse(video, await unindexedFrame(source, video, k));
  const { frameOffsets, frameSizes } = video.index;
  const size = frameSizes[k]!;
  const chunk = await source.read(frameOffsets[k]! - 8, 8 + size + (size & 1));
  refuse(video, chunkProblem(chunk, k, frameOffsets[k]! - 8, video.index));
  if (chunk.length === 8 + size && (size & 1) === 1) {
    // The last chunk of a file cut after its data has no pad byte; the stream needs it.
    const padded = new Uint8Array(8 + size + 1);
    padded.set(chunk);
    return padded;
  }
  return chunk;
}

/** Chunks `[first, end)` of a file, read from it in one piece. */
interface Block {
  first: number;
  end: number;
  /** File offset of `bytes[0]`. */
  at: number;
  bytes: Uint8Array;
}

/**
 * Reads the chunks from `first` on that lie in order within {@linkcode FEED_BLOCK_BYTES} of the
 * first one's header (at least that chunk), with the bytes between them, in one read.
 */
async function readBlock(
  source: ByteSource,
  video: VideoFile,
  first: number,
  end: number,
): Promise<Block> {
  const { frameOffsets, frameSizes } = video.index;
  const at = frameOffsets[first]! - 8;
  let last = at;
  let k = first;
  while (k < end) {
    const start = frameOffsets[k]! - 8;
    const stop = frameOffsets[k]! + frameSizes[k]! + (frameSizes[k]! & 1);
    if (k > first && (start < last || stop - at > FEED_BLOCK_BYTES)) break;
    last = stop;
    k++;
  }
  return { first, end: k, at, bytes: await source.read(at, last - at) };
}

/**
 * Writes the headers of `video`, then the chunks of each plan as they are in the index, each
 * checked as {@linkcode readChunk} does. The file is read in large blocks, the next one while
 * the last is written, and chunks that follow each other in the file are written together.
 *
 * @param source The file.
 * @param video What its headers and index said.
 * @param plans The chunks to feed, `[first, end)` of each, in order.
 * @param write Takes the bytes; the next write waits for it.
 * @throws {MalformedRecordingError} When the headers, a chunk or a gap are damaged.
 */
export async function feedChunks(
  source: ByteSource,
  video: VideoFile,
  plans: readonly DecodePlan[],
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  await write(await readHeaders(source, video));
  for (const { first, end } of plans) await feedRange(source, video, first, end, write);
}

/** Writes chunks `[first, end)` of `video` (see {@linkcode feedChunks}). */
async function feedRange(
  source: ByteSource,
  video: VideoFile,
  first: number,
  end: number,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const { frameOffsets, frameSizes } = video.index;
  let next: Promise<Block> | undefined = readBlock(source, video, first, end);
  while (next) {
    const block: Block = await next;
    next = block.end < end ? readBlock(source, video, block.end, end) : undefined;
    // Keep the read ahead from being reported unhandled when a write fails first.
    next?.catch(() => {});
    let runStart = -1;
    let runEnd = -1;
    for (let k = block.first; k < block.end; k++) {
      const start = frameOffsets[k]! - 8 - block.at;
      const size = frameSizes[k]!;
      const stop = start + 8 + size + (size & 1);
      if (stop > block.bytes.length) {
        // The file ends inside this chunk: the careful path has the message (or the pad).
        if (runStart >= 0) await write(block.bytes.subarray(runStart, runEnd));
        runStart = runEnd = -1;
        await write(await readChunk(source, video, k, k > first));
        continue;
      }
      if (k > first && start !== runEnd) refuse(video, await unindexedFrame(source, video, k));
      const chunk = block.bytes.subarray(start, stop);
      refuse(video, chunkProblem(chunk, k, block.at + start, video.index));
      if (runStart >= 0 && start === runEnd) {
        runEnd = stop;
      } else {
        if (runStart >= 0) await write(block.bytes.subarray(runStart, runEnd));
        runStart = start;
        runEnd = stop;
      }
    }
    if (runStart >= 0) await write(block.bytes.subarray(runStart, runEnd));
  }
}
