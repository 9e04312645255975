/**
 * Parses `timeStamps.csv` as the Miniscope DAQ software writes it:
 * `Frame Number,Time Stamp (ms),Buffer Index`, plus `DAQ Frame Number` from v2.0.0 on.
 * Tolerates a byte-order mark, CRLF or CR-only line ends, spaces around cells and trailing blank
 * lines; a last row cut while the file was being written is left out with a warning.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { csvLines, numberProblem } from "./csv_lines.ts";

/** The columns of a `timeStamps.csv` file, one entry per row. */
export interface TimestampsTable {
  /** `Frame Number`: the 0-based count of saved frames. */
  frameNumbers: Float64Array;
  /** `Time Stamp (ms)`: milliseconds since the session's recording start; may be negative. */
  timeStampsMs: Float64Array;
  /** `Buffer Index`: frames still queued when this one was saved, when the column exists. */
  bufferIndices: Float64Array | undefined;
  /** `DAQ Frame Number` (software v2.0.0 and later): the hardware frame counter. */
  daqFrameNumbers: Float64Array | undefined;
}

const KNOWN_COLUMNS = {
  "frame number": "frameNumbers",
  "time stamp (ms)": "timeStampsMs",
  "buffer index": "bufferIndices",
  "daq frame number": "daqFrameNumbers",
} as const;

type ColumnKey = (typeof KNOWN_COLUMNS)[keyof typeof KNOWN_COLUMNS];

/**
 * Parses the text of a `timeStamps.csv` file.
 *
 * A last row without a line end whose cells are missing or not numbers is a row cut while the
 * file was being written (a recording still running, or copied while running): it is left
 * out and `warn` is told. The same row with a line end, or any row before it, is an error.
 *
 * @param text The whole file as text.
 * @param warn Receives a warning when an incomplete last row is left out.
 * @returns The columns as typed arrays; `timeStampsMs` and `frameNumbers` always exist.
 * @throws {FormatError} When the file is empty, the header is not the Miniscope header, a row
 *   has the wrong number of cells, or a cell is not a finite number (naming line and column).
 */
export function parseTimestampsCsv(
  text: string,
  warn?: (message: string) => void,
): TimestampsTable {
  const { lines, lastLineEnded } = csvLines(text);
  let last = lines.length;
  if (last === 0) throw new FormatError("the file is empty");

  const header = lines[0]!.split(",").map((cell) => cell.trim());
  const keys: (ColumnKey | undefined)[] = header.map((name) =>
    KNOWN_COLUMNS[name.toLowerCase() as keyof typeof KNOWN_COLUMNS]
  );
  const missing = ["Frame Number", "Time Stamp (ms)"].filter((name) =>
    !header.some((cell) => cell.toLowerCase() === name.toLowerCase())
  );
  if (missing.length > 0) {
    throw new FormatError(
      `line 1 is not a Miniscope timestamps header: expected "Frame Number,Time Stamp (ms),` +
        `Buffer Index", found "${lines[0]!.slice(0, 80)}"`,
    );
  }

  if (last > 1 && !lastLineEnded) {
    const problem = rowProblem(lines[last - 1]!, header, keys, last);
    if (problem) {
      warn?.(
        `its last row is incomplete and has no line end (${problem}), as when the file is ` +
          `still being written; that row is left out`,
      );
      last--;
    }
  }
  const rows = last - 1;
  const columns = new Map<ColumnKey, Float64Array>();
  keys.forEach((key) => {
    if (key) columns.set(key, new Float64Array(rows));
  });
  const targets = keys.map((key) => (key ? columns.get(key) : undefined));
  for (let row = 0; row < rows; row++) {
    const lineNumber = row + 2;
    const line = lines[row + 1]!;
    const problem = rowProblem(line, header, keys, lineNumber);
    if (problem) throw new FormatError(problem);
    const cells = line.split(",");
    for (let col = 0; col < cells.length; col++) {
      const target = targets[col];
      if (target) target[row] = Number(cells[col]!.trim());
    }
  }
  return {
    frameNumbers: columns.get("frameNumbers")!,
    timeStampsMs: columns.get("timeStampsMs")!,
    bufferIndices: columns.get("bufferIndices"),
    daqFrameNumbers: columns.get("daqFrameNumbers"),
  };
}

/** What is wrong with a data row, naming its line, or undefined when it is good. */
function rowProblem(
  line: string,
  header: string[],
  keys: readonly (ColumnKey | undefined)[],
  lineNumber: number,
): string | undefined {
  const cells = line.split(",");
  if (cells.length !== header.length) {
    return `line ${lineNumber} has ${cells.length} cells, expected ${header.length} as in the header`;
  }
  for (let col = 0; col < cells.length; col++) {
    if (!keys[col]) continue;
    const cell = cells[col]!.trim();
    const problem = numberProblem(cell);
    if (problem) {
      return `line ${lineNumber}, column ${col + 1} ("${header[col]}") ${problem}: "${
        cell.slice(0, 40)
      }"`;
    }
  }
  return undefined;
}
