/**
 * Finding frames the acquisition lost, from the time stamps and, in files from software v2.0.0
 * on, the hardware frame counter.
 *
 * @module
 */

/** One place where frames are missing. */
export interface FrameGap {
  /** The sample after which frames are missing. */
  afterSample: number;
  /** How many frames are missing there. */
  missing: number;
  /** The interval in milliseconds (time stamp gaps only). */
  intervalMs?: number;
}

/** Dropped frames found in a recording. */
export interface DroppedFrames {
  /** Frames missing by the time stamps: the sum of `gaps[i].missing`. */
  count: number;
  /** The median interval between time stamps in milliseconds. */
  medianIntervalMs: number;
  /** Intervals over 1.5 times the median; each counts `round(interval / median) - 1` frames. */
  gaps: FrameGap[];
  /** Frames missing by the `DAQ Frame Number` column, or `null` without that column. */
  daqCount: number | null;
  /** Jumps of more than one in `DAQ Frame Number` (rows of -1, failed reads, are skipped). */
  daqJumps: FrameGap[];
}

function median(values: Float64Array): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Finds dropped frames: time stamp intervals over 1.5 times the median interval (each counting
 * `round(interval / median) - 1` frames), and jumps in the hardware frame counter.
 *
 * @example
 * ```ts
 * import { detectDroppedFrames } from "@miniscope/reader";
 *
 * const dropped = detectDroppedFrames([0, 33, 67, 133, 167], [1, 2, 3, 5, 6]);
 * console.log(dropped.count, dropped.gaps); // 1 [{ afterSample: 2, missing: 1, intervalMs: 66 }]
 * console.log(dropped.daqCount); // 1
 * ```
 *
 * @param timeStampsMs `Time Stamp (ms)` of each sample.
 * @param daqFrameNumbers `DAQ Frame Number` of each sample, when the file has the column.
 * @returns The gaps and counts.
 */
export function detectDroppedFrames(
  timeStampsMs: ArrayLike<number>,
  daqFrameNumbers?: ArrayLike<number> | null,
): DroppedFrames {
  const intervals = new Float64Array(Math.max(0, timeStampsMs.length - 1));
  for (let i = 1; i < timeStampsMs.length; i++) {
    intervals[i - 1] = timeStampsMs[i]! - timeStampsMs[i - 1]!;
  }
  const medianIntervalMs = median(intervals);
  const gaps: FrameGap[] = [];
  if (medianIntervalMs > 0) {
    intervals.forEach((interval, i) => {
      if (interval > 1.5 * medianIntervalMs) {
        const missing = Math.round(interval / medianIntervalMs) - 1;
        if (missing > 0) gaps.push({ afterSample: i, missing, intervalMs: interval });
      }
    });
  }
  const daqJumps: FrameGap[] = [];
  let daqCount: number | null = null;
  if (daqFrameNumbers) {
    daqCount = 0;
    let previous: { sample: number; value: number } | undefined;
    for (let i = 0; i < daqFrameNumbers.length; i++) {
      const value = daqFrameNumbers[i]!;
      if (value < 0) continue;
      if (previous && value - previous.value > 1) {
        const missing = value - previous.value - 1;
        daqJumps.push({ afterSample: previous.sample, missing });
        daqCount += missing;
      }
      previous = { sample: i, value };
    }
  }
  return {
    count: gaps.reduce((sum, gap) => sum + gap.missing, 0),
    medianIntervalMs,
    gaps,
    daqCount,
    daqJumps,
  };
}
