/**
 * The sampling frequency of a recording from its hardware time stamps.
 *
 * @module
 */

/** How many leading time stamps the estimate uses, as the reference implementation does. */
export const SAMPLING_FREQUENCY_ROWS = 10_000;

/**
 * Estimates the sampling frequency from time stamps in milliseconds, the way roiextractors
 * does: over the first 10,000 stamps, take the intervals, keep those strictly within three
 * standard deviations of their mean, and return one over the mean kept interval (in seconds).
 *
 * Where the reference fails, this does not: when every interval is equal (standard deviation
 * zero, which includes exactly two stamps) all intervals are kept.
 *
 * @example Perfectly regular 20 Hz stamps
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplingFrequencyFromTimestamps } from "./sampling_frequency.ts";
 *
 * assert.equal(samplingFrequencyFromTimestamps(new Float64Array([0, 50, 100, 150])), 20);
 * ```
 *
 * @param timeStampsMs Time stamps in milliseconds, in frame order.
 * @returns Frequency in Hz.
 * @throws {RangeError} With fewer than two stamps, or when the kept intervals do not have a
 *   positive finite mean (stamps that do not increase).
 */
export function samplingFrequencyFromTimestamps(timeStampsMs: ArrayLike<number>): number {
  const count = Math.min(timeStampsMs.length, SAMPLING_FREQUENCY_ROWS);
  if (count < 2) {
    throw new RangeError(
      `at least 2 time stamps are needed to compute a sampling frequency, found ${count}`,
    );
  }
  return samplingFrequencyFromIntervals(leadingIntervals(timeStampsMs));
}

/**
 * The intervals in seconds between the first 10,000 time stamps, as the reference takes them
 * (each stamp divided by 1000 first).
 *
 * @param timeStampsMs Time stamps in milliseconds.
 * @returns One interval fewer than the stamps used.
 */
export function leadingIntervals(timeStampsMs: ArrayLike<number>): Float64Array {
  const count = Math.min(timeStampsMs.length, SAMPLING_FREQUENCY_ROWS);
  const intervals = new Float64Array(Math.max(0, count - 1));
  for (let i = 1; i < count; i++) {
    intervals[i - 1] = timeStampsMs[i]! / 1000 - timeStampsMs[i - 1]! / 1000;
  }
  return intervals;
}

/**
 * The reference estimate from intervals already taken: keep those strictly within three
 * standard deviations of their mean (all of them when they are equal) and return one over the
 * mean kept interval. Lets several recordings pool their within-recording intervals.
 *
 * @param intervals Intervals between consecutive frames in seconds; at least one.
 * @returns Frequency in Hz.
 * @throws {RangeError} Without intervals, or when the kept mean is not positive and finite.
 */
export function samplingFrequencyFromIntervals(intervals: Float64Array): number {
  if (intervals.length === 0) {
    throw new RangeError("at least one interval is needed to compute a sampling frequency");
  }
  let sum = 0;
  for (const interval of intervals) sum += interval;
  const mean = sum / intervals.length;
  let squares = 0;
  for (const interval of intervals) squares += (interval - mean) ** 2;
  const limit = 3 * Math.sqrt(squares / intervals.length);
  let keptSum = 0;
  let kept = 0;
  for (const interval of intervals) {
    if (limit === 0 || Math.abs(interval - mean) < limit) {
      keptSum += interval;
      kept++;
    }
  }
  const keptMean = keptSum / kept;
  if (!(keptMean > 0) || !Number.isFinite(keptMean)) {
    throw new RangeError(
      `the time stamps do not increase (mean interval ${keptMean} s), so no sampling ` +
        `frequency can be computed`,
    );
  }
  return 1 / keptMean;
}

/**
 * The index of the last of `stamps` (in increasing order) at or before `time`, or -1 when
 * `time` is before the first.
 *
 * @param stamps Times in increasing order.
 * @param time The time looked for.
 * @returns The index.
 */
export function lastAtOrBefore(stamps: ArrayLike<number>, time: number): number {
  let low = 0;
  let high = stamps.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (stamps[mid]! <= time) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/**
 * For each time, the index of the last of `stamps` at or before it (-1 before the first), also
 * where the stamps step back: the search runs over the least stamp from each index on, which
 * rises with the index.
 *
 * @param stamps Times of the samples, in sample order; overwritten with that running least.
 * @param times The times looked for.
 * @returns One index per time.
 * @throws {RangeError} When a time is NaN (or not a number).
 */
export function lastSamplesAtOrBefore(stamps: Float64Array, times: ArrayLike<number>): Int32Array {
  let least = Infinity;
  for (let i = stamps.length - 1; i >= 0; i--) stamps[i] = least = Math.min(least, stamps[i]!);
  const result = new Int32Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const time = times[i];
    if (typeof time !== "number" || Number.isNaN(time)) {
      throw new RangeError(
        `Cannot find the sample at time ${String(time)} (times[${i}]): it is not a number`,
      );
    }
    result[i] = lastAtOrBefore(stamps, time);
  }
  return result;
}
