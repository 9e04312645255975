/**
 * A view of an opened recording: the samples an extractor or one of its slices shows, and the
 * rules every range asked of it follows. The slices of an extractor share its recording and
 * its live decoders.
 *
 * @module
 */

import {
  detectDroppedFramesInRows,
  type DroppedFrames,
  segmentsWithin,
} from "../analysis/dropped_frames.ts";
import type { OpenedRecording } from "../open/recording.ts";
import type { FilePart, FrameSeries, RecordingPart } from "../options.ts";
import { type ReadSource, readSourceOf } from "./live_decoders.ts";

/** What one view of an opened recording holds. */
export interface SampleView {
  /** The recording and the decoders kept alive for it, shared by all its views. */
  source: ReadSource;
  /** First sample of the view in the recording. */
  offset: number;
  /** Samples in the view. */
  length: number;
  /** Times set on the view, or null. */
  times: Float64Array | null;
  /** The recordings joined into the series, with ranges in the whole series; null for one. */
  parts: readonly RecordingPart[] | null;
}

/**
 * All samples of an opened recording, with decoders of their own.
 *
 * @param opened The recording, its samples and the settings it was opened with.
 * @param parts The recordings joined into it, or null for one.
 * @returns The view.
 */
export function wholeView(
  { recording, samples, settings }: OpenedRecording,
  parts: readonly RecordingPart[] | null,
): SampleView {
  const source = readSourceOf(recording, settings);
  return { source, offset: 0, length: samples, times: null, parts };
}

/**
 * The range `[startSample, endSample)` of a view, checked; the bounds default to the view's.
 *
 * @throws {RangeError} When a bound is not a whole number within the view, or the end is
 *   before the start.
 */
export function checkRange(
  view: SampleView,
  startSample: number | undefined,
  endSample: number | undefined,
): [number, number] {
  const start = startSample ?? 0;
  const end = endSample ?? view.length;
  for (const [name, value] of [["startSample", start], ["endSample", end]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > view.length) {
      throw new RangeError(
        `${name} ${value} is out of range: the extractor has ${view.length} samples`,
      );
    }
  }
  if (end < start) throw new RangeError(`endSample ${end} is before startSample ${start}`);
  return [start, end];
}

/**
 * The frames of the recording at sample indices of a view, checked.
 *
 * @throws {RangeError} When an index is not a whole number in `[0, length)`.
 */
export function framesAt(view: SampleView, sampleIndices: ArrayLike<number>): number[] {
  return Array.from({ length: sampleIndices.length }, (_, i) => {
    const index = sampleIndices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= view.length) {
      throw new RangeError(
        `Sample index ${index} is out of range: the extractor has ${view.length} samples`,
      );
    }
    return view.offset + index;
  });
}

/** The view of samples `[start, end)` of a view (checked), with the times set on it. */
export function sliceView(view: SampleView, startSample: number, endSample: number): SampleView {
  const [start, end] = checkRange(view, startSample, endSample);
  const times = view.times ? view.times.slice(start, end) : null;
  return { ...view, offset: view.offset + start, length: end - start, times };
}

/**
 * Parts of the whole series (files, recordings) as parts of a view: those that overlap it,
 * clipped to it, with their first samples counted from its start.
 */
export function partsWithin<T extends { firstSample: number; samples: number }>(
  view: SampleView,
  parts: readonly T[],
): T[] {
  return parts.flatMap((part) => {
    const first = Math.max(part.firstSample, view.offset);
    const end = Math.min(part.firstSample + part.samples, view.offset + view.length);
    if (end <= first) return [];
    return [{ ...part, firstSample: first - view.offset, samples: end - first }];
  });
}

/** The video files of a view: their samples, as {@linkcode partsWithin}. */
export function filesWithin(view: SampleView): FilePart[] {
  const { videos, firstFrames } = view.source.recording;
  const files = videos.map((video, i) => ({
    path: video.path,
    firstSample: firstFrames[i]!,
    samples: video.frameCount,
  }));
  return partsWithin(view, files);
}

/** The frames lost within a view, or null without time stamps. */
export function droppedWithin(view: SampleView): DroppedFrames | null {
  const segments = view.source.recording.segments;
  if (segments.length === 0) return null;
  const { offset, length } = view;
  return detectDroppedFramesInRows(segmentsWithin(segments, offset, offset + length));
}

/** The time of samples `[start, end)` of a view: set, else native, else `index / fs`. */
export function timesOf(view: SampleView, start: number, end: number): Float64Array {
  if (view.times) return view.times.slice(start, end);
  const { nativeTimestamps, samplingFrequency } = view.source.recording;
  if (nativeTimestamps) return nativeTimestamps.slice(view.offset + start, view.offset + end);
  return Float64Array.from({ length: end - start }, (_, i) => (start + i) / samplingFrequency);
}

/**
 * Times to set on a view, checked and copied.
 *
 * @throws {RangeError} When there is not one per sample or one is not finite.
 */
export function checkTimes(view: SampleView, times: ArrayLike<number>): Float64Array {
  if (times.length !== view.length) {
    throw new RangeError(
      `Cannot set ${times.length} times: the extractor has ${view.length} samples`,
    );
  }
  const copy = Float64Array.from(times);
  const bad = copy.findIndex((t) => !Number.isFinite(t));
  if (bad >= 0) throw new RangeError(`Cannot set times: time ${bad} is ${copy[bad]}`);
  return copy;
}

/** The shape of `frames` decoded frames of a view. */
export function shapeOf(view: SampleView, frames: number): FrameSeries["shape"] {
  const { rows, cols, pixelFormat } = view.source.recording;
  return pixelFormat === "rgb24" ? [frames, rows, cols, 3] : [frames, rows, cols];
}
