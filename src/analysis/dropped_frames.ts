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

/** A time stamp smaller than the one before it: the clock stepped back. */
export interface ClockStep {
  /** The sample after which the time stamps step back. */
  afterSample: number;
  /** The interval in milliseconds, negative. */
  intervalMs: number;
}

/**
 * Frames the acquisition recorded (they have rows in `timeStamps.csv`) that are missing from a
 * video file cut short: not dropped by the acquisition, lost from the file afterwards.
 */
export interface LostFrames {
  /** The sample after which the frames are missing (the last frame of the cut file). */
  afterSample: number;
  /** How many frames are missing there. */
  missing: number;
  /** The file cut short. */
  file: string;
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
  /** Where the time stamps go back in time (a clock that stepped back); none is normal. */
  stepsBack: ClockStep[];
  /**
   * Frames with a row in `timeStamps.csv` that are missing from a video file cut short (not
   * counted in `count`: the acquisition did not drop them); empty when no file is cut.
   */
  lostInFiles: LostFrames[];
}

function median(values: Float64Array): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Where time stamps step back: each interval below zero.
 *
 * @param timeStampsMs Time stamps in milliseconds.
 * @returns One entry per negative interval, `afterSample` the stamp before it.
 */
export function stepsBack(timeStampsMs: ArrayLike<number>): ClockStep[] {
  const steps: ClockStep[] = [];
  for (let i = 1; i < timeStampsMs.length; i++) {
    const interval = timeStampsMs[i]! - timeStampsMs[i - 1]!;
    if (interval < 0) steps.push({ afterSample: i - 1, intervalMs: interval });
  }
  return steps;
}

/**
 * Finds dropped frames: time stamp intervals over 1.5 times the median interval (each counting
 * `round(interval / median) - 1` frames), jumps in the hardware frame counter, and time stamps
 * that step back.
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
  const rows = Int32Array.from({ length: timeStampsMs.length }, (_, i) => i);
  return detectDroppedFramesInRows([{
    timeStampsMs,
    daqFrameNumbers: daqFrameNumbers ?? null,
    rows,
    firstSample: 0,
    files: [],
    fileFirstRows: [],
  }]);
}

/** Samples whose time stamps are rows of one timestamps file. */
export interface RowSegment {
  /** `Time Stamp (ms)` of every row of the file. */
  timeStampsMs: ArrayLike<number>;
  /** `DAQ Frame Number` of every row, or null. */
  daqFrameNumbers: ArrayLike<number> | null;
  /** The row of each sample, increasing; a step of more than one is frames lost from a file. */
  rows: Int32Array;
  /** The index of the segment's first sample in the result. */
  firstSample: number;
  /** The video files of the segment, to name a file cut short. */
  files: readonly string[];
  /** The row of each file's first frame. */
  fileFirstRows: readonly number[];
}

/**
 * Finds dropped frames over the rows of one or more timestamps files (one per recording): the
 * intervals are those between consecutive rows within a file, so the time between recordings
 * is no drop, and rows without a sample (frames lost from a cut file) are reported apart, in
 * `lostInFiles`.
 *
 * @param segments The samples of each file, in sample order.
 * @returns The drops, in sample indices of the result.
 */
export function detectDroppedFramesInRows(segments: readonly RowSegment[]): DroppedFrames {
  const all: number[] = [];
  for (const { timeStampsMs, rows } of segments) {
    if (rows.length === 0) continue;
    for (let r = rows[0]!; r < rows[rows.length - 1]!; r++) {
      all.push(timeStampsMs[r + 1]! - timeStampsMs[r]!);
    }
  }
  const medianIntervalMs = median(Float64Array.from(all));
  const gaps: FrameGap[] = [];
  const steps: ClockStep[] = [];
  const daqJumps: FrameGap[] = [];
  const lostInFiles: LostFrames[] = [];
  let hasDaq = false;
  for (
    const { timeStampsMs, daqFrameNumbers, rows, firstSample, files, fileFirstRows } of segments
  ) {
    if (rows.length === 0) continue;
    // The sample at or before each row: `at` walks the samples as `r` walks the rows.
    let at = 0;
    const sampleAt = (r: number) => {
      while (at + 1 < rows.length && rows[at + 1]! <= r) at++;
      return firstSample + at;
    };
    const last = rows[rows.length - 1]!;
    for (let r = rows[0]!; r < last; r++) {
      const interval = timeStampsMs[r + 1]! - timeStampsMs[r]!;
      if (interval < 0) steps.push({ afterSample: sampleAt(r), intervalMs: interval });
      if (medianIntervalMs > 0 && interval > 1.5 * medianIntervalMs) {
        const missing = Math.round(interval / medianIntervalMs) - 1;
        if (missing > 0) gaps.push({ afterSample: sampleAt(r), missing, intervalMs: interval });
      }
    }
    for (let i = 0; i + 1 < rows.length; i++) {
      const skipped = rows[i + 1]! - rows[i]! - 1;
      if (skipped > 0) {
        // The lost rows belong to the last file that starts at or before the first of them.
        const lostRow = rows[i]! + 1;
        let file = 0;
        while (file + 1 < fileFirstRows.length && fileFirstRows[file + 1]! <= lostRow) file++;
        lostInFiles.push({ afterSample: firstSample + i, missing: skipped, file: files[file]! });
      }
    }
    if (daqFrameNumbers) {
      hasDaq = true;
      at = 0;
      let previous: { row: number; value: number } | undefined;
      for (let r = rows[0]!; r <= last; r++) {
        const value = daqFrameNumbers[r]!;
        if (value < 0) continue;
        if (previous && value - previous.value > 1) {
          daqJumps.push({
            afterSample: sampleAt(previous.row),
            missing: value - previous.value - 1,
          });
        }
        previous = { row: r, value };
      }
    }
  }
  return {
    count: gaps.reduce((sum, gap) => sum + gap.missing, 0),
    medianIntervalMs,
    gaps,
    daqCount: hasDaq ? daqJumps.reduce((sum, jump) => sum + jump.missing, 0) : null,
    daqJumps,
    stepsBack: steps,
    lostInFiles,
  };
}
