/**
 * Decodes ranges of frames of one AVI file to raw 8-bit pixels with ffmpeg: one range per
 * process, or, for codecs that never reorder frames, several ranges fed one after the other.
 *
 * ffmpeg does not read the file itself: it reads an AVI stream on stdin made of the file's
 * headers followed by the frame chunks this module picks from the index. A range that does not
 * start at frame 0 is reached by feeding the chunks from the keyframe at or before its first
 * frame, in the file's (decode) order, and dropping the frames before it. This is exact for
 * every codec, B-frames included: it does not depend on ffmpeg's time-based seeking, which
 * guesses presentation times that AVI does not store. Each chunk header is checked against the
 * index on the way, so a damaged file is refused instead of decoded into other pixels.
 *
 * @module
 */

import { MalformedRecordingError } from "../errors.ts";
import { chunkProblem } from "../formats/avi.ts";
import {
  type ByteSource,
  channelsOf,
  type DecodePlan,
  type FrameRange,
  type PixelFormat,
  type VideoFile,
} from "../model.ts";
import { withByteSource } from "../files.ts";
import { FfmpegProcess } from "./process.ts";
import { verifyFfmpeg } from "./verify.ts";
import { type DecodedFormat, decodedFormat, decodedFrameSize, readKeepingOne } from "./channels.ts";

/** The last frame at or before `frame` that a decode may start at. */
export function seekPointAtOrBefore(video: VideoFile, frame: number): number {
  let first = frame;
  while (first > 0 && !video.keyframes[first]) first--;
  return first;
}

/**
 * Picks the chunks that decode `range` exactly: from the seek point at or before its start, to
 * its end or, when the codec reorders frames (B-frames), to the next seek point, so that every
 * chunk of the groups of pictures involved is there.
 *
 * @param video The file.
 * @param range The frames wanted.
 * @returns The chunks to feed and the frames to drop.
 */
export function planDecode(video: VideoFile, range: FrameRange): DecodePlan {
  const first = seekPointAtOrBefore(video, range.start);
  let end = range.start + range.count;
  while (video.reorders && end < video.frameCount && !video.keyframes[end]) end++;
  return { first, end, skip: range.start - first };
}

/**
 * The ffmpeg arguments that read an AVI stream on stdin and write `frames` frames to stdout.
 *
 * @param frames How many frames to write, or `null` for a decoder kept alive, fed chunk by
 *   chunk, that writes a frame for each chunk until its stdin closes.
 * @param format The pixel format of the output, or `"bgr24"` for the three channels of a
 *   24-bit DIB as stored.
 * @param source The file the stream comes from: named in the arguments, so that a process
 *   list shows which file each ffmpeg decodes.
 * @returns The arguments.
 */
export function decodeArgs(
  frames: number | null,
  format: DecodedFormat,
  source: string,
): string[] {
  return [
    "-nostdin",
    "-hide_banner",
    "-nostats",
    "-loglevel",
    "error",
    // Stop at the first decode error. Otherwise ffmpeg drops the broken frame and goes on,
    // and every later frame would arrive one place early.
    "-xerror",
    // A decoder kept alive answers frame by frame: one thread, so no frame waits in a
    // frame-threading queue, and no probing of the stream, which would hold back the first
    // chunks until several had arrived.
    ...(frames === null ? ["-threads", "1", "-nofind_stream_info"] : []),
    "-f",
    "avi",
    "-i",
    "pipe:0",
    "-map",
    "0:v:0",
    // With more than one thread (by default, one per core) the rawvideo encoder holds each
    // frame back until the next: a decoder kept alive would answer only after decoding one more.
    ...(frames === null ? ["-threads", "1"] : ["-frames:v", String(frames)]),
    "-vsync",
    "passthrough",
    "-f",
    "rawvideo",
    "-pix_fmt",
    format === "gray8" ? "gray" : format,
    "-metadata",
    `source=${source}`,
    "pipe:1",
  ];
}

/** Chunks walked between two frames of the index before the gap is taken as sound. */
const MAX_GAP_CHUNKS = 16;

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
    const id = new TextDecoder("latin1").decode(header.subarray(0, 4));
    if (chunkIds.includes(id)) {
      return `its index skips a frame: a frame chunk at byte ${at}, between frames ${k - 1} ` +
        `and ${k}, is not in the index`;
    }
    const length = new DataView(header.buffer, header.byteOffset).getUint32(4, true);
    // A list's contents are chunks too: step into it.
    at += id === "LIST" || id === "RIFF" ? 12 : 8 + length + (length & 1);
  }
  return undefined;
}

/**
 * Reads the headers of `video`: the bytes a decoder is given before any frame chunk.
 *
 * @throws {MalformedRecordingError} When the file is shorter than its headers.
 */
export async function readHeaders(source: ByteSource, video: VideoFile): Promise<Uint8Array> {
  const header = await source.read(0, video.headerSize);
  if (header.length < video.headerSize) {
    throw new MalformedRecordingError(video.displayPath, "the file is shorter than its headers");
  }
  return header;
}

/**
 * Reads the chunk of frame `k` as stored (its 8-byte header, the data and the pad byte of an
 * odd size), checked against the index. With `afterPrevious`, the chunk follows frame `k - 1`
 * in the decode, and the bytes between the two are checked for a frame the index does not list.
 *
 * @throws {MalformedRecordingError} When the chunk or the gap before it is damaged.
 */
export async function readChunk(
  source: ByteSource,
  video: VideoFile,
  k: number,
  afterPrevious: boolean,
): Promise<Uint8Array> {
  if (afterPrevious && k > 0) {
    const problem = await unindexedFrame(source, video, k);
    if (problem) throw new MalformedRecordingError(video.displayPath, problem);
  }
  const { frameOffsets, frameSizes } = video.index;
  const size = frameSizes[k]!;
  const chunk = await source.read(frameOffsets[k]! - 8, 8 + size + (size & 1));
  const problem = chunkProblem(chunk, k, frameOffsets[k]! - 8, video.index);
  if (problem) throw new MalformedRecordingError(video.displayPath, problem);
  if (chunk.length === 8 + size && (size & 1) === 1) {
    // The last chunk of a file cut after its data has no pad byte; the stream needs it.
    const padded = new Uint8Array(8 + size + 1);
    padded.set(chunk);
    return padded;
  }
  return chunk;
}

/** The most bytes of the file read at once when feeding a long range. */
const FEED_BLOCK_BYTES = 4 << 20;

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
 */
function feedChunks(video: VideoFile, plans: readonly DecodePlan[]) {
  return (write: (bytes: Uint8Array) => Promise<void>) =>
    withByteSource(video.path, async (source) => {
      await write(await readHeaders(source, video));
      for (const { first, end } of plans) await feedRange(source, video, first, end, write);
    }, video);
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
      if (k > first && start !== runEnd) {
        const problem = await unindexedFrame(source, video, k);
        if (problem) throw new MalformedRecordingError(video.displayPath, problem);
      }
      const chunk = block.bytes.subarray(start, stop);
      const problem = chunkProblem(chunk, k, block.at + start, video.index);
      if (problem) throw new MalformedRecordingError(video.displayPath, problem);
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

/** Options shared by the decode functions. */
export interface DecodeOptions {
  /** The ffmpeg executable. */
  ffmpegPath: string;
  /** The pixel format of the frames. */
  pixelFormat: PixelFormat;
  /** Aborts the decode; ffmpeg is killed at once. */
  signal?: AbortSignal | undefined;
  /** How long to wait for ffmpeg's output before taking it as stalled. */
  stallTimeoutMs?: number | undefined;
}

/**
 * Waits for `promise`, or rejects with the abort reason as soon as `signal` aborts.
 *
 * @param promise What to wait for.
 * @param signal Ends the wait.
 * @returns What `promise` gives.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() =>
    signal.removeEventListener("abort", onAbort)
  );
}

/**
 * One ffmpeg decode of frame ranges of a file, read in exact amounts. Several ranges are fed
 * one after the other to the same process, each from its seek point: only for codecs that
 * never reorder frames, where a seek point starts a clean decode whatever came before.
 */
class Decoder {
  readonly #process: FfmpegProcess;
  readonly #video: VideoFile;
  readonly #signal: AbortSignal | undefined;
  readonly #verified: Promise<unknown>;
  /** Ends this decode's wait for the check that the program is ffmpeg. */
  readonly #verifyWait = new AbortController();
  readonly #onAbort = () => {
    this.#verifyWait.abort(this.#signal?.reason);
    void this.#process.kill();
  };
  readonly plans: DecodePlan[];
  readonly frameSize: number;
  /** Bytes ffmpeg writes per frame: more than `frameSize` when one channel of three is kept. */
  readonly #decodedSize: number;

  constructor(video: VideoFile, ranges: readonly FrameRange[], options: DecodeOptions) {
    const { signal } = options;
    signal?.throwIfAborted();
    if (ranges.length > 1 && video.reorders) {
      throw new Error(`Cannot decode several ranges of "${video.displayPath}" in one process`);
    }
    this.plans = ranges.map((range) => planDecode(video, range));
    this.#video = video;
    this.#signal = signal;
    this.frameSize = video.width * video.height * channelsOf(options.pixelFormat);
    this.#decodedSize = decodedFrameSize(video, options.pixelFormat);
    // The check that the program is ffmpeg runs beside the decode; no byte is used before it
    // has passed.
    const wait = this.#verifyWait.signal;
    this.#verified = verifyFfmpeg(options.ffmpegPath, video.codec, video.displayPath, wait);
    this.#verified.catch(() => {});
    const frames = ranges.reduce((sum, range, i) => sum + this.plans[i]!.skip + range.count, 0);
    this.#process = FfmpegProcess.spawn({
      ffmpegPath: options.ffmpegPath,
      args: decodeArgs(frames, decodedFormat(video, options.pixelFormat), video.path),
      description: `Cannot decode "${video.displayPath}"`,
      feed: feedChunks(video, this.plans),
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    });
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * Fills `target` with whole frames, the first of which is frame `firstFrame` of the file.
   * Throws the abort reason once aborted, the feed's or ffmpeg's error if either failed, and
   * otherwise a too-short error when ffmpeg ended early.
   */
  async read(target: Uint8Array, firstFrame: number): Promise<void> {
    let got: number;
    try {
      got = this.#decodedSize === this.frameSize
        ? await this.#process.readInto(target)
        // Bytes from a program that is not ffmpeg are no frame to find fault with.
        : await readKeepingOne(this.#process, target, { video: this.#video, firstFrame })
          .catch((error) =>
            untilAborted(this.#verified, this.#signal).then(() => Promise.reject(error))
          );
      await untilAborted(this.#verified, this.#signal);
    } catch (error) {
      this.#signal?.throwIfAborted();
      throw error;
    }
    this.#signal?.throwIfAborted();
    if (got < target.length) {
      await this.#process.finish();
      this.#signal?.throwIfAborted();
      throw new MalformedRecordingError(
        this.#video.displayPath,
        `it decodes to only ${firstFrame + Math.floor(got / this.frameSize)} frames but its ` +
          `container holds ${this.#video.frameCount}`,
      );
    }
  }

  /** Drops the frames decoded before range `i`. */
  async skipLeading(i: number): Promise<void> {
    const { first, skip } = this.plans[i]!;
    const scratch = new Uint8Array(this.frameSize);
    for (let k = 0; k < skip; k++) await this.read(scratch, first + k);
  }

  /** Waits for ffmpeg to exit after the last read; throws its error if it failed. */
  async finish(): Promise<void> {
    try {
      await this.#process.finish();
    } catch (error) {
      this.#signal?.throwIfAborted();
      throw error;
    }
    this.#signal?.throwIfAborted();
  }

  /** Kills ffmpeg if it still runs and reaps it; ends the check too if nothing else waits. */
  async close(): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#verifyWait.abort(new Error("The decode was closed"));
    await Promise.all([this.#process.kill(), this.#verified.catch(() => {})]);
  }
}

/**
 * Decodes frames one at a time. Stopping the iteration early (a `break`, a thrown error, or the
 * signal) kills and reaps ffmpeg before the generator returns.
 *
 * @param video The file.
 * @param ranges The frames wanted: one range, or several in the order given, decoded by one
 *   process (only for a codec that never reorders frames: `video.reorders` false).
 * @param options ffmpeg, pixel format, signal.
 * @returns An async generator of frames, each a fresh `Uint8Array`.
 */
export async function* decodeFrames(
  video: VideoFile,
  ranges: FrameRange | readonly FrameRange[],
  options: DecodeOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const list = "start" in ranges ? [ranges] : ranges;
  const decoder = new Decoder(video, list, options);
  try {
    for (const [i, range] of list.entries()) {
      await decoder.skipLeading(i);
      for (let k = 0; k < range.count; k++) {
        const frame = new Uint8Array(decoder.frameSize);
        await decoder.read(frame, range.start + k);
        yield frame;
      }
    }
    await decoder.finish();
  } finally {
    await decoder.close();
  }
}

/**
 * Decodes frames `[range.start, range.start + range.count)` of `video` into `target`, which
 * must hold exactly `range.count` frames.
 *
 * @param video The file.
 * @param range The frames wanted.
 * @param target Where the frames go, back to back.
 * @param options ffmpeg, pixel format, signal.
 * @throws {MalformedRecordingError} When the file is damaged or decodes to fewer frames than
 *   it holds.
 * @throws {FfmpegError} When ffmpeg fails.
 */
export async function decodeInto(
  video: VideoFile,
  range: FrameRange,
  target: Uint8Array,
  options: DecodeOptions,
): Promise<void> {
  const decoder = new Decoder(video, [range], options);
  try {
    await decoder.skipLeading(0);
    await decoder.read(target, range.start);
    await decoder.finish();
  } finally {
    await decoder.close();
  }
}
