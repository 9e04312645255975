/**
 * Parses `headOrientation.csv`, written by the V4 scope with its IMU enabled:
 * `Time Stamp (ms),qw,qx,qy,qz`, one quaternion (scalar first) per row.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { csvLines, numberProblem } from "./csv_lines.ts";

/** Head orientation samples. */
export interface HeadOrientation {
  /** Time stamps in milliseconds, as written (they equal the frames' time stamps). */
  timeStampsMs: Float64Array;
  /** Time stamps in seconds. */
  timestamps: Float64Array;
  /** Quaternions, row after row as `w, x, y, z`: `4 * rows` values. */
  quaternions: Float64Array;
}

/**
 * Parses the text of `headOrientation.csv`. Line ends may be LF, CRLF or CR alone. A last row
 * without a line end that is incomplete (cut while the file was being written) is left out,
 * and `warn` is told.
 *
 * @param text The whole file.
 * @param warn Receives a warning when an incomplete last row is left out.
 * @returns Time stamps and quaternions.
 * @throws {FormatError} When the header is not `Time Stamp (ms),qw,qx,qy,qz` or a cell is not
 *   a finite number (naming line and column).
 */
export function parseHeadOrientationCsv(
  text: string,
  warn?: (message: string) => void,
): HeadOrientation {
  const { lines, lastLineEnded } = csvLines(text);
  if (lines.length === 0) throw new FormatError("the file is empty");
  const header = lines[0]!.split(",").map((cell) => cell.trim().toLowerCase());
  if (header.join(",") !== "time stamp (ms),qw,qx,qy,qz") {
    throw new FormatError(
      `line 1 is not the head orientation header "Time Stamp (ms),qw,qx,qy,qz": "${
        lines[0]!.slice(0, 60)
      }"`,
    );
  }
  if (lines.length > 1 && !lastLineEnded) {
    const problem = rowProblem(lines.at(-1)!, lines.length);
    if (problem) {
      warn?.(
        `its last row is incomplete and has no line end (${problem}), as when the file is ` +
          `still being written; that row is left out`,
      );
      lines.pop();
    }
  }
  const rows = lines.length - 1;
  const timeStampsMs = new Float64Array(rows);
  const quaternions = new Float64Array(rows * 4);
  for (let row = 0; row < rows; row++) {
    const problem = rowProblem(lines[row + 1]!, row + 2);
    if (problem) throw new FormatError(problem);
    const cells = lines[row + 1]!.split(",").map((cell) => cell.trim());
    timeStampsMs[row] = Number(cells[0]);
    for (let q = 0; q < 4; q++) quaternions[row * 4 + q] = Number(cells[q + 1]);
  }
  return { timeStampsMs, timestamps: timeStampsMs.map((ms) => ms / 1000), quaternions };
}

/** What is wrong with a data row, naming its line, or undefined when it is good. */
function rowProblem(line: string, lineNumber: number): string | undefined {
  const cells = line.split(",").map((cell) => cell.trim());
  if (cells.length !== 5) return `line ${lineNumber} has ${cells.length} cells, expected 5`;
  for (let col = 0; col < 5; col++) {
    const problem = numberProblem(cells[col]!);
    if (problem) {
      return `line ${lineNumber}, column ${col + 1} ${problem}: "${cells[col]!.slice(0, 40)}"`;
    }
  }
  return undefined;
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
