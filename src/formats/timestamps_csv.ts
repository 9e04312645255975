/**
 * Parses `timeStamps.csv` as the Miniscope DAQ software writes it:
 * `Frame Number,Time Stamp (ms),Buffer Index`, plus `DAQ Frame Number` from v2.0.0 on.
 * Tolerates a byte-order mark, CRLF or CR-only line ends, spaces around cells and trailing blank
 * lines; a last row cut while the file was being written is left out with a warning.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { numberRowProblem, readTable } from "./table.ts";

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

/** The column a header cell names, if it names one of the known columns. */
function columnKey(name: string): ColumnKey | undefined {
  return KNOWN_COLUMNS[name.toLowerCase() as keyof typeof KNOWN_COLUMNS];
}

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
  const { header, rows } = readTable(text, {
    checkHeader(header, line) {
      const missing = ["Frame Number", "Time Stamp (ms)"].filter((name) =>
        !header.some((cell) => cell.toLowerCase() === name.toLowerCase())
      );
      if (missing.length > 0) {
        throw new FormatError(
          `line 1 is not a Miniscope timestamps header: expected "Frame Number,Time Stamp (ms),` +
            `Buffer Index", found "${line.slice(0, 80)}"`,
        );
      }
    },
    rowProblem: (cells, lineNumber, header) =>
      numberRowProblem(cells, lineNumber, {
        count: header.length,
        expected: `${header.length} as in the header`,
        numeric: (col) => columnKey(header[col]!) !== undefined,
        name: (col) => header[col]!,
      }),
  }, warn);
  const columns = new Map<ColumnKey, Float64Array>();
  header.forEach((name, col) => {
    const key = columnKey(name);
    if (key) columns.set(key, Float64Array.from(rows, (cells) => Number(cells[col])));
  });
  return {
    frameNumbers: columns.get("frameNumbers")!,
    timeStampsMs: columns.get("timeStampsMs")!,
    bufferIndices: columns.get("bufferIndices"),
    daqFrameNumbers: columns.get("daqFrameNumbers"),
  };
}
