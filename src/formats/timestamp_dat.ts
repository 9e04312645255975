/**
 * Parses `timestamp.dat` as the Miniscope software before 2020 writes it: a tab-separated
 * header `camNum frameNum sysClock buffer` over one row per saved frame of every camera, the
 * rows of the cameras interleaved in the order their frames arrived. Also tells the cameras
 * apart (which `camNum` is the Miniscope depends on the order the cameras were connected, so
 * only the row counts can tell) and replaces the first `sysClock` of a camera, which holds a
 * value unrelated to that camera's clock.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { numberRowProblem, readTable } from "./table.ts";

/** The columns of a `timestamp.dat` file, one entry per row, in file order. */
export interface TimestampDat {
  /** `camNum`: the camera the row belongs to (the video source number of the acquisition). */
  camNums: Float64Array;
  /** `frameNum`: the frame count of that camera, from 1. */
  frameNumbers: Float64Array;
  /** `sysClock`: milliseconds of the acquisition computer's clock. */
  sysClocksMs: Float64Array;
  /** `buffer`: frames still queued when this one was saved, when the column exists. */
  buffers: Float64Array | undefined;
}

const COLUMNS = ["camnum", "framenum", "sysclock", "buffer"] as const;

/**
 * Parses the text of a `timestamp.dat` file. A last row without a line end whose cells are
 * missing or not numbers is a row cut while the file was being written: it is left out and
 * `warn` is told.
 *
 * @param text The whole file.
 * @param warn Receives a warning when an incomplete last row is left out.
 * @returns The columns; `buffers` is undefined without a `buffer` column.
 * @throws {FormatError} When the file is empty, the header lacks `camNum`, `frameNum` or
 *   `sysClock`, or a row has the wrong number of cells or a cell that is not a finite number
 *   of at most 2^53 (naming line and column).
 */
export function parseTimestampDat(text: string, warn?: (message: string) => void): TimestampDat {
  const { header, rows } = readTable(text, {
    delimiter: "\t",
    checkHeader(header, line) {
      const names = header.map((cell) => cell.toLowerCase());
      const missing = ["camNum", "frameNum", "sysClock"].filter((name) =>
        !names.includes(name.toLowerCase())
      );
      if (missing.length > 0) {
        throw new FormatError(
          `line 1 is not the header of a timestamp.dat: expected "camNum frameNum sysClock ` +
            `buffer" separated by tabs, found "${line.slice(0, 80)}"`,
        );
      }
    },
    rowProblem(cells, lineNumber, header) {
      const problem = numberRowProblem(cells, lineNumber, {
        count: header.length,
        expected: `${header.length} as in the header`,
        numeric: (col) => (COLUMNS as readonly string[]).includes(header[col]!.toLowerCase()),
        name: (col) => header[col]!,
      });
      if (problem) return problem;
      // Past 2^53 a double no longer holds each whole number: counts and times would blur.
      for (let col = 0; col < cells.length; col++) {
        if (!(COLUMNS as readonly string[]).includes(header[col]!.toLowerCase())) continue;
        if (Math.abs(Number(cells[col])) > Number.MAX_SAFE_INTEGER) {
          return `line ${lineNumber}, column ${col + 1} ("${header[col]}") is beyond 2^53, ` +
            `where numbers are no longer exact: "${cells[col]!.slice(0, 40)}"`;
        }
      }
      return undefined;
    },
  }, warn);
  const column = (name: (typeof COLUMNS)[number]) => {
    const col = header.findIndex((cell) => cell.toLowerCase() === name);
    return col < 0 ? undefined : Float64Array.from(rows, (cells) => Number(cells[col]));
  };
  return {
    camNums: column("camnum")!,
    frameNumbers: column("framenum")!,
    sysClocksMs: column("sysclock")!,
    buffers: column("buffer"),
  };
}

/** The rows of one camera of a `timestamp.dat`, in file order. */
export interface CameraRows {
  /** The camera's `camNum`. */
  camNum: number;
  /** The index of each of its rows among all rows of the file (line = index + 2). */
  rows: Int32Array;
  /** Its `frameNum` values. */
  frameNumbers: Float64Array;
  /** Its `sysClock` values in milliseconds, as written. */
  sysClocksMs: Float64Array;
  /** Its `buffer` values, when the column exists. */
  buffers: Float64Array | undefined;
}

/**
 * Splits the rows of a `timestamp.dat` by camera.
 *
 * @param table The parsed file.
 * @returns One entry per `camNum`, in increasing `camNum` order.
 */
export function camerasOf(table: TimestampDat): CameraRows[] {
  const byCamera = new Map<number, number[]>();
  table.camNums.forEach((camNum, row) => {
    let rows = byCamera.get(camNum);
    if (!rows) byCamera.set(camNum, rows = []);
    rows.push(row);
  });
  return [...byCamera.keys()].sort((a, b) => a - b).map((camNum) => {
    const rows = Int32Array.from(byCamera.get(camNum)!);
    const pick = (values: Float64Array) => Float64Array.from(rows, (row) => values[row]!);
    return {
      camNum,
      rows,
      frameNumbers: pick(table.frameNumbers),
      sysClocksMs: pick(table.sysClocksMs),
      buffers: table.buffers && pick(table.buffers),
    };
  });
}

/** Which `camNum` is which camera; null for a camera without one. */
export interface CameraChoice {
  /** The Miniscope's (`msCam` files) `camNum`. */
  scope: number | null;
  /** The behaviour camera's (`behavCam` files) `camNum`. */
  behaviour: number | null;
}

/** What {@linkcode assignCameras} found. */
export type CameraAssignment =
  | (CameraChoice & {
    kind: "matched";
    /** Whether every camera's frame count equals its row count. */
    exact: boolean;
  })
  | {
    kind: "ambiguous";
    /** The choices that fit the counts equally well. */
    choices: CameraChoice[];
  };

/**
 * Tells the cameras of a `timestamp.dat` apart by their row counts: each camera with videos
 * gets the `camNum` whose rows number its frames, or, when no choice fits exactly, the choice
 * whose row counts are nearest to the frame counts (rows and frames can differ by frames still
 * queued when the recording stopped). A choice that leaves a camera without rows counts all its
 * frames as missing. When several choices fit equally well (both cameras hold as many frames,
 * say) the counts cannot tell, and all of them are returned.
 *
 * @param rowCounts Rows per `camNum`.
 * @param frames Frames of the Miniscope and of the behaviour camera, null for one without
 *   videos.
 * @returns The choice, or the choices that fit equally well.
 */
export function assignCameras(
  rowCounts: ReadonlyMap<number, number>,
  frames: { scope: number | null; behaviour: number | null },
): CameraAssignment {
  const cams = [...rowCounts.keys()].sort((a, b) => a - b);
  const options = (wanted: number | null) => (wanted === null ? [null] : [...cams, null]);
  const cost = (cam: number | null, wanted: number | null) =>
    wanted === null ? 0 : cam === null ? wanted : Math.abs(rowCounts.get(cam)! - wanted);
  let best = Infinity;
  let choices: CameraChoice[] = [];
  for (const scope of options(frames.scope)) {
    for (const behaviour of options(frames.behaviour)) {
      if (scope !== null && scope === behaviour) continue;
      const total = cost(scope, frames.scope) + cost(behaviour, frames.behaviour);
      if (total < best) {
        best = total;
        choices = [];
      }
      if (total === best) choices.push({ scope, behaviour });
    }
  }
  if (choices.length > 1) return { kind: "ambiguous", choices };
  return { kind: "matched", ...choices[0]!, exact: best === 0 };
}

/** How the first `sysClock` of a camera was replaced. */
export interface FirstStamp {
  /** The value written. */
  written: number;
  /** The value used instead. */
  replacement: number;
  /** The median interval of the camera's other rows, or null with fewer than three rows. */
  medianIntervalMs: number | null;
}

/**
 * Replaces the first time stamp of a camera, which the software before 2020 writes from
 * another clock than the rows after it: it is taken as one median frame interval (of the
 * camera's other rows) before the second row, which keeps the stamps increasing and the
 * sampling frequency and dropped frames meaningful. With fewer than three rows no interval is
 * known and the first frame is put at 0 ms, where the reference readers put it (or at the
 * second row's time, when that is earlier).
 *
 * @param stampsMs The camera's `sysClock` values as written.
 * @returns The stamps with the first replaced (a new array), and how.
 */
export function replaceFirstStamp(
  stampsMs: Float64Array,
): { stampsMs: Float64Array; first: FirstStamp | null } {
  const out = stampsMs.slice();
  if (out.length === 0) return { stampsMs: out, first: null };
  let medianIntervalMs: number | null = null;
  let replacement: number;
  if (out.length >= 3) {
    const intervals = new Float64Array(out.length - 2);
    for (let i = 2; i < out.length; i++) intervals[i - 2] = out[i]! - out[i - 1]!;
    intervals.sort();
    const middle = intervals.length >> 1;
    medianIntervalMs = intervals.length % 2
      ? intervals[middle]!
      : (intervals[middle - 1]! + intervals[middle]!) / 2;
    replacement = out[1]! - medianIntervalMs;
  } else {
    replacement = out.length === 2 ? Math.min(0, out[1]!) : 0;
  }
  const first = { written: out[0]!, replacement, medianIntervalMs };
  out[0] = replacement;
  return { stampsMs: out, first };
}
