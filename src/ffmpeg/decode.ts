/**
 * Decodes ranges of frames of one AVI file to raw 8-bit pixels with ffmpeg: one range per
 * process, or, for codecs that never reorder frames, several ranges fed one after the other.
 *
 * ffmpeg does not read the file itself: it reads an AVI stream on stdin made of the file's
 * headers followed by the frame chunks picked from the index (`formats/avi/chunks.ts`). A range
 * that does not start at frame 0 is reached by feeding the chunks from the seek point at or
 * before its first frame (`formats/seek_points.ts`), in the file's (decode) order, and dropping
 * the frames before it. This is exact for every codec, B-frames included: it does not depend on
 * ffmpeg's time-based seeking, which guesses presentation times that AVI does not store.
 *
 * @module
 */

import { MalformedRecordingError } from "../errors.ts";
import { feedChunks } from "../formats/avi/mod.ts";
import { planDecode } from "../formats/seek_points.ts";
import {
  channelsOf,
  type DecodePlan,
  type FrameRange,
  type PixelFormat,
  type VideoFile,
} from "../model.ts";
import { withByteSource } from "../files.ts";
import { untilAborted } from "../async.ts";
import { FfmpegProcess } from "./process.ts";
import { verifyFfmpeg } from "./verify.ts";
import { type DecodedFormat, decodedFormat, decodedFrameSize, readKeepingOne } from "./channels.ts";

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
      throw new Error(`Cannot decode several ranges of "${video.path}" in one process`);
    }
    this.plans = ranges.map((range) => planDecode(video, range));
    this.#video = video;
    this.#signal = signal;
    this.frameSize = video.width * video.height * channelsOf(options.pixelFormat);
    this.#decodedSize = decodedFrameSize(video, options.pixelFormat);
    const frames = ranges.reduce((sum, range, i) => sum + this.plans[i]!.skip + range.count, 0);
    this.#process = FfmpegProcess.spawn({
      ffmpegPath: options.ffmpegPath,
      args: decodeArgs(frames, decodedFormat(video, options.pixelFormat), video.path),
      description: `Cannot decode "${video.path}"`,
      feed: (write) =>
        withByteSource(video.path, (source) => feedChunks(source, video, this.plans, write), video),
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    });
    // The check that the program is ffmpeg runs beside the decode; no byte is used before it
    // has passed. It is joined only once the decode runs: a decode that could not start would
    // never end its wait, and the check would outlive every read that needs it.
    const wait = this.#verifyWait.signal;
    this.#verified = verifyFfmpeg(options.ffmpegPath, video.codec, video.path, wait);
    this.#verified.catch(() => {});
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
        this.#video.path,
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
