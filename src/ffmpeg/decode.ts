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

/** Reads from ffmpeg; once the signal is aborted, its reason is thrown whatever the read did. */
async function readOrAbort(
  process: FfmpegProcess,
  target: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<number> {
  try {
    const got = await process.readInto(target);
    signal?.throwIfAborted();
    return got;
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

function tooShort(video: VideoFile, decoded: number): MalformedRecordingError {
  return new MalformedRecordingError(
    video.displayPath,
    `it decodes to only ${decoded} frames but its container holds ${video.frameCount}`,
  );
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
  signal?.throwIfAborted();
  const { args, skip } = decodeArgs(video, range);
  const frameSize = video.width * video.height;
  const process = FfmpegProcess.spawn({
    ffmpegPath,
    args,
    description: `Cannot decode "${video.displayPath}"`,
  });
  const onAbort = () => void process.kill();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const scratch = skip > 0 ? new Uint8Array(frameSize) : undefined;
    for (let i = 0; i < skip + range.count; i++) {
      const frame = scratch && i < skip ? scratch : new Uint8Array(frameSize);
      const got = await readOrAbort(process, frame, signal);
      if (got < frameSize) {
        await process.finish();
        throw tooShort(video, range.start - skip + i);
      }
      if (i >= skip) yield frame;
    }
    await process.finish();
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await process.kill();
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
  signal?.throwIfAborted();
  const frameSize = video.width * video.height;
  const { args, skip } = decodeArgs(video, range);
  const process = FfmpegProcess.spawn({
    ffmpegPath,
    args,
    description: `Cannot decode "${video.displayPath}"`,
  });
  const onAbort = () => void process.kill();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (skip > 0) {
      const scratch = new Uint8Array(frameSize * Math.min(skip, 16));
      let left = skip * frameSize;
      while (left > 0) {
        const part = scratch.subarray(0, Math.min(left, scratch.length));
        const got = await readOrAbort(process, part, signal);
        if (got < part.length) {
          await process.finish();
          throw tooShort(video, Math.floor((skip * frameSize - left + got) / frameSize));
        }
        left -= got;
      }
    }
    const got = await readOrAbort(process, target, signal);
    if (got < target.length) {
      await process.finish();
      throw tooShort(video, range.start + Math.floor(got / frameSize));
    }
    await process.finish();
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await process.kill();
  }
}
