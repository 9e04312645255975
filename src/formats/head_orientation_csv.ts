/**
 * Parses `headOrientation.csv`, written by the V4 scope with its IMU enabled:
 * `Time Stamp (ms),qw,qx,qy,qz`, one quaternion (scalar first) per row. Software before v0.141
 * wrote the header `qw,qx,qy,qz` over the same five-column rows, the time stamp first.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { NUMBER, numberRowProblem, readTable } from "./table.ts";

/** Head orientation samples. */
export interface HeadOrientation {
  /** Time stamps in milliseconds, as written (they equal the frames' time stamps). */
  timeStampsMs: Float64Array;
  /** Time stamps in seconds. */
  timestamps: Float64Array;
  /** Quaternions, row after row as `w, x, y, z`: `4 * rows` values. */
  quaternions: Float64Array;
}

/** The header, and the header of software before v0.141 (its rows are the same). */
const HEADERS = ["time stamp (ms),qw,qx,qy,qz", "qw,qx,qy,qz"];

/**
 * Parses the text of `headOrientation.csv`. Line ends may be LF, CRLF or CR alone. A last row
 * without a line end that is incomplete (cut while the file was being written) is left out,
 * and `warn` is told. The header `qw,qx,qy,qz` of software before v0.141 is read too: its
 * rows have five columns, the time stamp first, as the current ones.
 *
 * @example
 * ```ts
 * import { parseHeadOrientationCsv } from "./head_orientation_csv.ts";
 *
 * const old = parseHeadOrientationCsv("qw,qx,qy,qz\n33,1,0,0,0\n");
 * console.log(old.timeStampsMs, old.quaternions); // [33], [1, 0, 0, 0]
 * ```
 *
 * @param text The whole file.
 * @param warn Receives a warning when an incomplete last row is left out.
 * @returns Time stamps and quaternions.
 * @throws {FormatError} When the header is neither `Time Stamp (ms),qw,qx,qy,qz` nor
 *   `qw,qx,qy,qz`, a row has not five cells or a cell is not a finite number (naming line and
 *   column); a quaternion value written `nan` is kept as NaN, with a warning.
 */
export function parseHeadOrientationCsv(
  text: string,
  warn?: (message: string) => void,
): HeadOrientation {
  const { rows } = readTable(text, {
    checkHeader(header, line) {
      if (!HEADERS.includes(header.join(",").toLowerCase())) {
        throw new FormatError(
          `line 1 is not the head orientation header "Time Stamp (ms),qw,qx,qy,qz" (or ` +
            `"qw,qx,qy,qz" before v0.141): "${line.slice(0, 60)}"`,
        );
      }
    },
    rowProblem(cells, lineNumber) {
      const problem = numberRowProblem(cells, lineNumber, {
        count: 5,
        expected: "5 (the time stamp in ms, qw, qx, qy, qz)",
        numeric: (col) => col === 0,
      });
      if (problem) return problem;
      // A quaternion the IMU could not give is written "nan": kept as NaN, no orientation.
      for (let col = 1; col < 5; col++) {
        const cell = cells[col]!;
        if (!/^nan$/i.test(cell) && (!NUMBER.test(cell) || !Number.isFinite(Number(cell)))) {
          const what = NUMBER.test(cell) ? "is not a finite number" : "is not a number";
          return `line ${lineNumber}, column ${col + 1} ${what}: "${cell.slice(0, 40)}"`;
        }
      }
      return undefined;
    },
  }, warn);
  let unknown = 0;
  for (const cells of rows) {
    for (let col = 1; col < 5; col++) if (/^nan$/i.test(cells[col]!)) unknown++;
  }
  if (unknown > 0) {
    warn?.(
      `${unknown} quaternion value${unknown === 1 ? " is" : "s are"} "nan" (no orientation ` +
        "from the IMU): kept as NaN",
    );
  }
  const timeStampsMs = Float64Array.from(rows, (cells) => Number(cells[0]));
  const quaternions = new Float64Array(rows.length * 4);
  rows.forEach((cells, row) => {
    for (let q = 0; q < 4; q++) quaternions[row * 4 + q] = Number(cells[q + 1]);
  });
  return { timeStampsMs, timestamps: timeStampsMs.map((ms) => ms / 1000), quaternions };
}

/**
 * The orientation of each frame, joined on the time stamp (rows may be fewer than frames).
 *
 * @example
 * ```ts
 * import { orientationForFrames, parseHeadOrientationCsv } from "./head_orientation_csv.ts";
 *
 * const head = parseHeadOrientationCsv("Time Stamp (ms),qw,qx,qy,qz\n33,1,0,0,0\n");
 * const perFrame = orientationForFrames(head, [0, 0.033]);
 * console.log(perFrame); // [NaN, NaN, NaN, NaN, 1, 0, 0, 0]
 * ```
 *
 * @param head Parsed head orientation.
 * @param frameTimestamps Frame times in seconds (as from `getNativeTimestamps()`).
 * @returns `4 * frames` values, `w, x, y, z` per frame; `NaN` where no row has the frame's
 *   time stamp.
 */
export function orientationForFrames(
  head: HeadOrientation,
  frameTimestamps: ArrayLike<number>,
): Float64Array {
  const rowOf = new Map<number, number>();
  head.timeStampsMs.forEach((ms, row) => {
    if (!rowOf.has(Math.round(ms))) rowOf.set(Math.round(ms), row);
  });
  const out = new Float64Array(frameTimestamps.length * 4).fill(NaN);
  for (let frame = 0; frame < frameTimestamps.length; frame++) {
    const row = rowOf.get(Math.round(frameTimestamps[frame]! * 1000));
    if (row === undefined) continue;
    out.set(head.quaternions.subarray(row * 4, row * 4 + 4), frame * 4);
  }
  return out;
}
