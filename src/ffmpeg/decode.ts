/**
 * Decodes a range of frames of one AVI file to 8-bit gray bytes with ffmpeg.
 *
 * A range that does not start at frame 0 is reached by seeking: the container time of frame k
 * is `k * scale / rate` (a fake 60 fps in Miniscope files). ffmpeg rounds the seek time to the
 * stream time base, so any time within half a frame of frame k selects it; the seek aims at
 * the centre of that window, and ffmpeg decodes forward from the keyframe before it to exactly
 * frame k. (Aiming half a frame early sits on the rounding edge and returns the keyframe
 * before when k follows it.)
 *
 * @module
 */

import { MalformedRecordingError } from "../errors.ts";
import { FfmpegProcess } from "./process.ts";

/** What the decoder needs to know about one video file. */
export interface VideoFile {
  /** Absolute path of the file. */
  path: string;
  /** The name used in messages. */
  displayPath: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Frames that can be decoded. */
  frameCount: number;
  /** Stream time base numerator. */
  scale: number;
  /** Stream time base denominator. */
  rate: number;
  /** Whether ffmpeg can seek in the file (it has an index). */
  seekable: boolean;
  /** Whether each frame is a keyframe (1) or not (0), when known. */
  keyframes?: Uint8Array;
  /** The frame index, to check frames against before they are decoded. */
  index?: FrameIndex;
}

/** Where each frame of a file is, and which frames were found intact. */
export interface FrameIndex {
  /** Byte offset of each frame's data. */
  frameOffsets: Float64Array;
  /** Byte size of each frame's data. */
  frameSizes: Uint32Array;
  /** The stream's chunk ids. */
  chunkIds: string[];
  /** 1 for each frame whose chunk header was checked against the index. */
  checked: Uint8Array;
}

/** A range of frames of one file. */
export interface FrameRange {
  /** First frame, 0-based within the file. */
  start: number;
  /** Number of frames. */
  count: number;
}

/**
 * Builds the ffmpeg arguments that write frames `[start, start + count)` of `video` (or, for a
 * file that cannot seek, frames `[0, start + count)`) to stdout as raw gray bytes.
 *
 * @param video The file.
 * @param range The frames wanted.
 * @returns The arguments, and how many leading frames the caller must discard.
 */
export function decodeArgs(video: VideoFile, range: FrameRange): { args: string[]; skip: number } {
  const seek = range.start > 0 && video.seekable;
  const skip = seek ? 0 : range.start;
  // -xerror: stop at the first decode error. Otherwise ffmpeg drops the broken frame and
  // goes on, and every later frame would arrive one place early.
  const args = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-xerror"];
  if (seek) {
    const seconds = (range.start * video.scale) / video.rate;
    args.push("-ss", seconds.toFixed(6));
  }
  args.push(
    // The demuxer is fixed and the "file:" protocol explicit, so ffmpeg reads this one local
    // file and never takes its name for an option, a protocol or another format.
    "-f",
    "avi",
    "-i",
    `file:${video.path}`,
    "-map",
    "0:v:0",
    "-frames:v",
    String(skip + range.count),
    "-vsync",
    "passthrough",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "gray",
    "pipe:1",
  );
  return { args, skip };
}

/** One ffmpeg decode of a frame range, read in exact amounts. */
class Decoder {
  readonly #process: FfmpegProcess;
  readonly #video: VideoFile;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => void this.#process.kill();
  /** Leading frames to read and drop (for a file that cannot seek). */
  readonly skip: number;

  constructor(ffmpegPath: string, video: VideoFile, range: FrameRange, signal?: AbortSignal) {
    signal?.throwIfAborted();
    const { args, skip } = decodeArgs(video, range);
    this.skip = skip;
    this.#video = video;
    this.#signal = signal;
    this.#process = FfmpegProcess.spawn({
      ffmpegPath,
      args,
      description: `Cannot decode "${video.displayPath}"`,
    });
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * Fills `target` with whole frames, the first of which is frame `firstFrame` of the file.
   * Throws the abort reason once aborted, ffmpeg's error if it failed, and otherwise a
   * too-short error when ffmpeg ended early.
   */
  async read(target: Uint8Array, firstFrame: number): Promise<void> {
    let got: number;
    try {
      got = await this.#process.readInto(target);
    } catch (error) {
      this.#signal?.throwIfAborted();
      throw error;
    }
    this.#signal?.throwIfAborted();
    if (got < target.length) {
      await this.#process.finish();
      const frameSize = this.#video.width * this.#video.height;
      throw new MalformedRecordingError(
        this.#video.displayPath,
        `it decodes to only ${firstFrame + Math.floor(got / frameSize)} frames but its ` +
          `container holds ${this.#video.frameCount}`,
      );
    }
  }

  /** Waits for ffmpeg to exit after the last read; throws its error if it failed. */
  finish(): Promise<void> {
    return this.#process.finish();
  }

  /** Kills ffmpeg if it still runs and reaps it. */
  async close(): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    await this.#process.kill();
  }
}

/**
 * Decodes frames one at a time. Stopping the iteration early (a `break`, a thrown error, or the
 * signal) kills and reaps ffmpeg before the generator returns.
 *
 * @param ffmpegPath The ffmpeg executable.
 * @param video The file.
 * @param range The frames wanted.
 * @param signal Aborts the decode.
 * @returns An async generator of frames, each a fresh `Uint8Array` of `width * height` bytes.
 */
export async function* decodeFrames(
  ffmpegPath: string,
  video: VideoFile,
  range: FrameRange,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  const decoder = new Decoder(ffmpegPath, video, range, signal);
  const frameSize = video.width * video.height;
  try {
    const scratch = new Uint8Array(decoder.skip > 0 ? frameSize : 0);
    for (let i = 0; i < decoder.skip; i++) await decoder.read(scratch, i);
    for (let i = 0; i < range.count; i++) {
      const frame = new Uint8Array(frameSize);
      await decoder.read(frame, range.start + i);
      yield frame;
    }
    await decoder.finish();
  } finally {
    await decoder.close();
  }
}

/**
 * Decodes frames `[range.start, range.start + range.count)` of `video` into `target`, which
 * must hold exactly `range.count * width * height` bytes.
 *
 * @param ffmpegPath The ffmpeg executable.
 * @param video The file.
 * @param range The frames wanted.
 * @param target Where the frames go, back to back.
 * @param signal Aborts the decode.
 * @throws {MalformedRecordingError} When the file decodes to fewer frames than it holds.
 * @throws {FfmpegError} When ffmpeg fails.
 */
export async function decodeInto(
  ffmpegPath: string,
  video: VideoFile,
  range: FrameRange,
  target: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  const decoder = new Decoder(ffmpegPath, video, range, signal);
  try {
    const scratch = new Uint8Array(decoder.skip > 0 ? video.width * video.height : 0);
    for (let i = 0; i < decoder.skip; i++) await decoder.read(scratch, i);
    await decoder.read(target, range.start);
    await decoder.finish();
  } finally {
    await decoder.close();
  }
}
