/**
 * Reading a range of frames into one buffer.
 *
 * @module
 */

import type { FrameRange } from "../model.ts";
import { decodeWanted, frameSizeOf, LIVE_SPAN } from "./decode.ts";
import type { ReadSource } from "./live_decoders.ts";
import { balance, piecesOf } from "./plan.ts";
import { runPool } from "../async.ts";

/**
 * Decodes frames `range` of the whole recording into one buffer. Up to `concurrency` processes
 * decode at once, each writing straight into its place; a long range is split at keyframes so
 * the work is shared evenly even within one file. A short one is read from the live decoders.
 *
 * @param source The recording and its live decoders.
 * @param range The frames, counted over the whole recording.
 * @param signal Stops the read.
 * @returns The frames back to back.
 */
export async function readSeries(
  source: ReadSource,
  range: FrameRange,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const recording = source.recording;
  const frameSize = frameSizeOf(recording);
  const data = new Uint8Array(range.count * frameSize);
  const live = range.count <= LIVE_SPAN;
  const pieces = live
    ? piecesOf(recording, range)
    : balance(piecesOf(recording, range), recording.concurrency);
  const jobs = pieces.map(({ video, start, count, at }) => (jobSignal: AbortSignal) => {
    const target = data.subarray(at * frameSize, (at + count) * frameSize);
    const frames = Array.from({ length: count }, (_, i) => start + i);
    const place = (frame: number, bytes: Uint8Array) =>
      target.set(bytes, (frame - start) * frameSize);
    return decodeWanted(source, video, frames, { place, signal: jobSignal, live, target });
  });
  await runPool(jobs, recording.concurrency, signal);
  return data;
}
