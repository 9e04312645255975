/**
 * The series of an NWB file that go with its imaging on the time axis: notes (every
 * `AnnotationSeries`) and head orientation (a `TimeSeries` of one unit quaternion per row, as
 * this module's export writes from `headOrientation.csv`).
 *
 * @module
 */

import type { File as H5File } from "h5wasm/node";
import type { Hdf5File } from "./file.ts";
import { attribute, datasetAt, groupAt, textOf } from "./series.ts";

/** One note of an NWB file: a row of an `AnnotationSeries`. */
export interface NwbNote {
  /** The path of its series. */
  series: string;
  /** Seconds, on the file's time axis. */
  time: number;
  /** The text. */
  text: string;
}

/** A head orientation series of an NWB file. */
export interface NwbHeadOrientation {
  /** Its path. */
  path: string;
  /** Its description. */
  description: string;
  /** Each row's time in seconds, on the file's time axis. */
  timestamps: Float64Array;
  /** `w, x, y, z` per row, scalar first. */
  quaternions: Float64Array;
}

/** The paths of the groups of the file holding a `data` of type `type`, sorted. */
function seriesOfType(file: Hdf5File, type: string): string[] {
  const candidates = file.names()
    .filter((name) => name.endsWith("/data") && !name.startsWith("specifications/"))
    .map((name) => `/${name.slice(0, -"/data".length)}`)
    .sort();
  return file.call("reading its series' types", (root) =>
    candidates.filter((path) => {
      const group = groupAt(root, path);
      return group !== null && textOf(attribute(group, "neurodata_type")) === type;
    }));
}

/**
 * The times of the `count` rows of the series at `path`: its time stamps, or its starting time
 * and rate; null when it has neither, or time stamps of another count.
 */
function timestampsOf(root: H5File, path: string, count: number): Float64Array | null {
  const stamps = datasetAt(root, `${path}/timestamps`);
  if (!stamps) {
    const start = datasetAt(root, `${path}/starting_time`);
    const startingTime = Number(start?.value);
    const rate = Number(start ? attribute(start, "rate") : NaN);
    if (!Number.isFinite(startingTime) || !(rate > 0)) return null;
    return Float64Array.from({ length: count }, (_, i) => startingTime + i / rate);
  }
  const value = stamps.value;
  if (!ArrayBuffer.isView(value)) return null;
  const times = Float64Array.from(value as unknown as ArrayLike<number>, Number);
  return times.length === count ? times : null;
}

/**
 * The notes of an NWB file: the rows of each of its `AnnotationSeries`, in time order. A series
 * whose texts and time stamps do not pair up is left out, with a warning.
 *
 * @param file The open file.
 * @param warn Receives a warning for each series left out.
 * @returns The notes.
 * @throws {MalformedRecordingError} When HDF5 cannot read the file's structure.
 */
export function findNotes(file: Hdf5File, warn: (message: string) => void): NwbNote[] {
  const notes: NwbNote[] = [];
  for (const path of seriesOfType(file, "AnnotationSeries")) {
    const found = file.call(`reading the notes of "${path}"`, (root) => {
      const data = datasetAt(root, `${path}/data`)?.value;
      const texts = Array.isArray(data) ? data : typeof data === "string" ? [data] : null;
      if (texts === null || !texts.every((t) => typeof t === "string")) return null;
      const times = timestampsOf(root, path, texts.length);
      return times && texts.map((text: string, i) => ({ series: path, time: times[i]!, text }));
    });
    if (found === null) {
      warn(
        `"${file.path}": the notes of "${path}" are left out: their texts and time stamps ` +
          "do not pair up",
      );
    } else notes.push(...found);
  }
  return notes.sort((a, b) => a.time - b.time);
}

/**
 * The head orientation series of an NWB file: each `TimeSeries` whose data is one row of four
 * numbers per time stamp and whose name or description says it is head orientation or a
 * quaternion.
 *
 * @param file The open file.
 * @returns The series, in the order of their paths.
 * @throws {MalformedRecordingError} When HDF5 cannot read the file's structure.
 */
export function findHeadOrientation(file: Hdf5File): NwbHeadOrientation[] {
  const found: NwbHeadOrientation[] = [];
  for (const path of seriesOfType(file, "TimeSeries")) {
    const series = file.call(`reading "${path}"`, (root) => {
      const group = groupAt(root, path)!;
      const description = textOf(attribute(group, "description")) ?? "";
      const name = path.split("/").at(-1)!;
      if (!/head.?orientation|quaternion/i.test(`${name} ${description}`)) return null;
      const data = datasetAt(root, `${path}/data`);
      const shape = data?.shape ?? [];
      if (!data || shape.length !== 2 || shape[1] !== 4) return null;
      const value = data.value;
      if (!ArrayBuffer.isView(value)) return null;
      const quaternions = Float64Array.from(value as unknown as ArrayLike<number>, Number);
      const timestamps = timestampsOf(root, path, shape[0]!);
      return timestamps && { path, description, timestamps, quaternions };
    });
    if (series) found.push(series);
  }
  return found;
}
