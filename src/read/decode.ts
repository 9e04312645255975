/**
 * The one step every read ends in: frames of one file from a decoder kept alive when one can
 * serve them, else from an ffmpeg process of their own.
 *
 * @module
 */

import { decodeFrames, decodeInto, type DecodeOptions } from "../ffmpeg/decode.ts";
import { MalformedRecordingError } from "../errors.ts";
import { channelsOf, type Recording, type VideoFile } from "../model.ts";
import type { ReadSource } from "./live_decoders.ts";

/**
 * Reads spanning at most this many frames of a file use a decoder kept alive; longer ones are
 * split across fresh processes, which decode in parallel.
 */
export const LIVE_SPAN = 96;

/** Bytes of one decoded frame of `recording`. */
export function frameSizeOf(recording: Recording): number {
  return recording.rows * recording.cols * channelsOf(recording.pixelFormat);
}

/** The options of a decode of `recording` stopped by `signal`. */
export function decodeOptionsOf(recording: Recording, signal: AbortSignal): DecodeOptions {
  const { ffmpegPath, pixelFormat, stallTimeoutMs } = recording;
  return { ffmpegPath, pixelFormat, signal, stallTimeoutMs };
}

/** Where the frames of {@linkcode decodeWanted} go, and how it may decode them. */
export interface DecodeWay {
  /** Receives each frame wanted (not called for frames decoded into `target`). */
  place: (frame: number, data: Uint8Array) => void;
  /** Stops the decode. */
  signal: AbortSignal;
  /** Whether a decoder kept alive may serve the frames. */
  live: boolean;
  /** For consecutive frames: where they go, back to back, decoded straight into it. */
  target?: Uint8Array;
}

/**
 * Decodes frames `frames` (ascending, within one file) of `video`, handing each to
 * `way.place`: from the live decoders when `way.live` and they can serve the file, else with a
 * process of their own decoding from the first frame wanted to the last.
 *
 * @param source The recording the file belongs to and its live decoders.
 * @param video The file.
 * @param frames The frames wanted, 0-based within the file.
 * @param way Where the frames go, the signal that stops the decode, and whether a live
 *   decoder may serve.
 */
export async function decodeWanted(
  source: ReadSource,
  video: VideoFile,
  frames: readonly number[],
  way: DecodeWay,
): Promise<void> {
  try {
    await decodeOnce(source, video, frames, way);
  } catch (error) {
    // A file changed, gone or damaged: none of its frames kept from earlier reads is served.
    if (error instanceof MalformedRecordingError || error instanceof Deno.errors.NotFound) {
      await source.live.forget(video);
    }
    throw error;
  }
}

async function decodeOnce(
  { recording, live }: ReadSource,
  video: VideoFile,
  frames: readonly number[],
  { place, signal, ...way }: DecodeWay,
): Promise<void> {
  if (way.live && await live.read(video, frames, place, signal)) return;
  const start = frames[0]!;
  const range = { start, count: frames.at(-1)! + 1 - start };
  const options = decodeOptionsOf(recording, signal);
  if (way.target) {
    await decodeInto(video, range, way.target, options);
    return;
  }
  let frame = start;
  let next = 0;
  for await (const data of decodeFrames(video, range, options)) {
    if (frame === frames[next]) {
      place(frame, data);
      next++;
    }
    frame++;
  }
}
