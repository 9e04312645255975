/**
 * Finding frames the acquisition lost, from the time stamps and, in files from software v2.0.0
 * on, the hardware frame counter.
 *
 * @module
 */

import { lastAtOrBefore } from "./sampling_frequency.ts";

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
  /**
   * Where `DAQ Frame Number` counts more frames than there are rows: between two good reads,
   * the counter's step minus the rows between them (a row of -1, a failed read of the counter,
   * is a saved frame all the same).
   */
  daqJumps: FrameGap[];
  /**
   * The samples after which the DAQ frame counter starts again (the acquisition reconnected, or
   * the counter went back otherwise): frames lost across are not known from the counter and
   * not counted in `daqCount`. Empty without the column.
   */
  daqRestarts: number[];
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
 * The counter (`DAQ Frame Number`) counts the frames lost between two good reads as its step
 * minus the rows between them: a row of -1 (a failed read of the counter) is a saved frame. It
 * starts again after a reconnect (listed in `daqRestarts`, not counted), wraps after 65535,
 * and a single read out of line with both neighbours is passed over.
 *
 * @example
 * ```ts
 * import { detectDroppedFrames } from "@miniscope/reader";
 *
 * // The counter read failed at the second frame (-1): a frame all the same, no drop.
 * const dropped = detectDroppedFrames([0, 33, 67, 133, 167], [1, -1, 3, 5, 6]);
 * console.log(dropped.count, dropped.gaps); // 1 [{ afterSample: 2, missing: 1, intervalMs: 66 }]
 * console.log(dropped.daqCount, dropped.daqJumps); // 1 [{ afterSample: 2, missing: 1 }]
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
 * The segments of the samples `[from, to)`, with their first samples counted from `from`:
 * those of a slice of the series.
 *
 * @param segments The segments of the whole series.
 * @param from First sample of the slice.
 * @param to End sample of the slice, exclusive.
 * @returns The parts of the segments within the slice.
 */
export function segmentsWithin(
  segments: readonly RowSegment[],
  from: number,
  to: number,
): RowSegment[] {
  return segments.flatMap((segment) => {
    const first = Math.max(from, segment.firstSample);
    const end = Math.min(to, segment.firstSample + segment.rows.length);
    if (end <= first) return [];
    const rows = segment.rows.subarray(first - segment.firstSample, end - segment.firstSample);
    return [{ ...segment, rows, firstSample: first - from }];
  });
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
  const daqRestarts: number[] = [];
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
      const { lost, restarts } = daqEvents(daqFrameNumbers, timeStampsMs, medianIntervalMs);
      const sampleOf = (row: number) => firstSample + lastAtOrBefore(rows, row);
      // Only what happened between two rows of these samples: a slice sees its own.
      const within = (row: number) => row >= rows[0]! && row < last;
      for (const { row, missing } of lost) {
        if (within(row)) daqJumps.push({ afterSample: sampleOf(row), missing });
      }
      for (const row of restarts) if (within(row)) daqRestarts.push(sampleOf(row));
    }
  }
  return {
    count: gaps.reduce((sum, gap) => sum + gap.missing, 0),
    medianIntervalMs,
    gaps,
    daqCount: hasDaq ? daqJumps.reduce((sum, jump) => sum + jump.missing, 0) : null,
    daqJumps,
    daqRestarts,
    stepsBack: steps,
    lostInFiles,
  };
}

/** `DAQ Frame Number` is a 16-bit hardware counter: it wraps to 0 after 65535. */
const DAQ_COUNTER_PERIOD = 65536;

/**
 * What the `DAQ Frame Number` column says of one timestamps file, over all its rows: frames
 * lost (`row`: the gap is after that row) and where the counter starts again.
 *
 * Between two good reads p < q (rows of -1 are failed reads of saved frames), the counter
 * should step by q - p; more is frames lost. The acquisition software writes the first read
 * of each connection as the raw hardware value and counts 2, 3, ... from the next one, so the
 * first read of a run counts as its frame 1 when the next read says so. A step back is the
 * counter wrapping (when the time between the reads fits the frames that makes), a read out
 * of line with both neighbours (skipped), or a restart: a reconnect, or a counter that went
 * back otherwise, across which nothing is counted.
 */
function daqEvents(
  daq: ArrayLike<number>,
  stampsMs: ArrayLike<number>,
  medianMs: number,
): { lost: { row: number; missing: number }[]; restarts: number[] } {
  const good: number[] = [];
  for (let r = 0; r < daq.length; r++) if (daq[r] !== -1 && Number.isFinite(daq[r])) good.push(r);
  const lost: ({ row: number; missing: number } | null)[] = [];
  const restarts: number[] = [];
  // Where between rows p and q the frames went: after the longest interval.
  const gapRow = (p: number, q: number) => {
    let row = p;
    for (let r = p + 1; r < q; r++) {
      if (stampsMs[r + 1]! - stampsMs[r]! > stampsMs[row + 1]! - stampsMs[row]!) row = r;
    }
    return row;
  };
  const add = (p: number, q: number, missing: number) => {
    if (missing <= 0) return -1;
    lost.push({ row: gapRow(p, q), missing });
    return lost.length - 1;
  };
  const fitsTime = (p: number, q: number, frames: number) => {
    if (!(medianMs > 0)) return false;
    const intervals = (stampsMs[q]! - stampsMs[p]!) / medianMs;
    return Math.abs(intervals - frames) <= 0.5 + 0.25 * frames;
  };
  const v = (row: number) => daq[row]!;
  // The good reads taken as in line, the first read of the current run, and the last read
  // that came with a counted jump (undone if the counter comes straight back down).
  const kept: number[] = [];
  let runStart = -1;
  let jump: { row: number; entry: number } | undefined;
  for (let k = 0; k < good.length; k++) {
    const q = good[k]!;
    const p = kept.at(-1);
    if (p === undefined) {
      kept.push(q);
      runStart = q;
      continue;
    }
    const steps = q - p;
    const step = v(q) - v(p) - steps;
    if (p === runStart && (step < 0 || v(p) < 1) && v(q) - steps >= 1) {
      add(p, q, v(q) - steps - 1);
      kept.push(q);
      continue;
    }
    if (step === 0) {
      kept.push(q);
      continue;
    }
    if (step > 0) {
      jump = { row: q, entry: add(p, q, step) };
      kept.push(q);
      continue;
    }
    if (fitsTime(p, q, steps + step + DAQ_COUNTER_PERIOD)) {
      add(p, q, step + DAQ_COUNTER_PERIOD);
      kept.push(q);
      continue;
    }
    if (jump?.row === p && kept.length >= 2) {
      // Up at p and straight back down at q: p is a bad read, or a connection's first read.
      if (jump.entry >= 0) lost[jump.entry] = null;
      const o = kept.at(-2)!;
      const asBadRead = v(q) - v(o) - (q - o);
      const asFirstRead = v(q) - steps - 1;
      if (asBadRead >= 0 && (asFirstRead < 0 || asBadRead <= asFirstRead)) {
        kept.pop();
        add(o, q, asBadRead);
        kept.push(q);
        continue;
      }
      restarts.push(gapRow(o, p));
      runStart = p;
      if (asFirstRead >= 0) {
        add(p, q, asFirstRead);
        kept.push(q);
        continue;
      }
    } else {
      // Down at q and back in line with p at the read after: q is a bad read.
      const s = good[k + 1];
      if (s !== undefined && v(s) - v(p) - (s - p) >= 0 && v(s) - v(q) - (s - q) !== 0) continue;
    }
    restarts.push(gapRow(p, q));
    runStart = q;
    kept.push(q);
  }
  return { lost: lost.filter((entry) => entry !== null), restarts };
}
