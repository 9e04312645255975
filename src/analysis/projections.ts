/**
 * The mean and max projections of a recording: every pixel of every channel over all frames,
 * computed by streaming each frame once. The viewer and `preview` both show these.
 *
 * @module
 */

import type { MiniscopeImagingExtractor } from "../extractor.ts";
import type { TraceInput } from "./traces.ts";

/** The projections of a recording, row-major like its frames. */
export interface RecordingProjections {
  /** Frames projected. */
  frames: number;
  /** Bytes per pixel: 1 for gray, 3 for RGB (a behaviour camera opened as `rgb24`). */
  channels: 1 | 3;
  /** The mean of each pixel and channel (0 without frames). */
  mean: Float64Array;
  /** The max of each pixel and channel. */
  max: Uint8Array;
  /** The sum of every value of every frame. */
  total: number;
  /** Values at 255 over all frames. */
  saturated: number;
}

/** What a projection reads of a recording. */
export type ProjectedRecording = Pick<
  MiniscopeImagingExtractor,
  "getImageShape" | "getPixelFormat" | "stream"
>;

/** Options of {@linkcode projectRecording}. */
export interface ProjectOptions {
  /** Stops the computation; ffmpeg is killed. */
  signal?: AbortSignal | undefined;
  /** Called after each frame. */
  onFrame?: (() => void) | undefined;
}

/**
 * Streams every frame of a recording once and projects it: gray for a Miniscope, each channel
 * for a colour camera, as the recording was opened.
 *
 * @param extractor The recording.
 * @param options A signal and a progress callback.
 * @returns The projections.
 * @throws The reader's errors when a frame cannot be decoded; the signal's reason on abort.
 */
export async function projectRecording(
  extractor: ProjectedRecording,
  options: ProjectOptions = {},
): Promise<RecordingProjections> {
  const [rows, cols] = extractor.getImageShape();
  const channels = extractor.getPixelFormat() === "rgb24" ? 3 : 1;
  const size = rows * cols * channels;
  const sum = new Float64Array(size);
  const max = new Uint8Array(size);
  let saturated = 0;
  let frames = 0;
  const signal = options.signal;
  for await (const frame of extractor.stream(signal ? { signal } : {})) {
    const data = frame.data;
    for (let i = 0; i < size; i++) {
      const v = data[i]!;
      sum[i]! += v;
      if (v > max[i]!) max[i] = v;
      if (v === 255) saturated++;
    }
    frames++;
    options.onFrame?.();
  }
  let total = 0;
  for (let i = 0; i < size; i++) total += sum[i]!;
  const mean = sum.map((v) => v / Math.max(1, frames));
  return { frames, channels, mean, max, total, saturated };
}

/**
 * The mean and max of each value over every frame of a recording of any numbers (the stored
 * values of an NWB series): a NaN counts as no value of its pixel (the mean and max of the
 * others; NaN where every frame has NaN).
 *
 * @param input The frames: shape, channels and each frame in order.
 * @param options A signal and a callback after each frame.
 * @returns The mean and the max of each value, row-major.
 * @throws The reader's errors; the signal's reason on abort.
 */
export async function projectValues(
  input: TraceInput,
  options: ProjectOptions = {},
): Promise<{ mean: Float64Array; max: Float64Array }> {
  const [rows, cols] = input.getImageShape();
  const size = rows * cols * (input.getPixelFormat() === "rgb24" ? 3 : 1);
  const sum = new Float64Array(size);
  const count = new Float64Array(size);
  const max = new Float64Array(size).fill(-Infinity);
  const signal = options.signal;
  for await (const frame of input.stream(signal ? { signal } : {})) {
    const data = frame.data;
    for (let i = 0; i < size; i++) {
      const v = Number(data[i]!);
      if (Number.isNaN(v)) continue;
      sum[i]! += v;
      count[i]!++;
      if (v > max[i]!) max[i] = v;
    }
    options.onFrame?.();
  }
  const mean = sum.map((v, i) => count[i]! > 0 ? v / count[i]! : NaN);
  for (let i = 0; i < size; i++) if (count[i] === 0) max[i] = NaN;
  return { mean, max };
}
