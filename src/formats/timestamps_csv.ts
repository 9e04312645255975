/**
 * Parses `timeStamps.csv` as the Miniscope DAQ software writes it:
 * `Frame Number,Time Stamp (ms),Buffer Index`, plus `DAQ Frame Number` from v2.0.0 on.
 * Tolerates a byte-order mark, CRLF line endings, spaces around cells and trailing blank lines.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";

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

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses the text of a `timeStamps.csv` file.
 *
 * @param text The whole file as text.
 * @returns The columns as typed arrays; `timeStampsMs` and `frameNumbers` always exist.
 * @throws {FormatError} When the file is empty, the header is not the Miniscope header, a row
 *   has the wrong number of cells, or a cell is not a number (naming line and column).
 */
export function parseTimestampsCsv(text: string): TimestampsTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n");
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === "") last--;
  if (last === 0) throw new FormatError("the file is empty");

  const header = lines[0]!.replace(/\r$/, "").split(",").map((cell) => cell.trim());
  const keys: (ColumnKey | undefined)[] = header.map((name) =>
    KNOWN_COLUMNS[name.toLowerCase() as keyof typeof KNOWN_COLUMNS]
  );
  const missing = ["Frame Number", "Time Stamp (ms)"].filter((name) =>
    !header.some((cell) => cell.toLowerCase() === name.toLowerCase())
  );
  if (missing.length > 0) {
    throw new FormatError(
      `line 1 is not a Miniscope timestamps header: expected "Frame Number,Time Stamp (ms),` +
        `Buffer Index", found "${lines[0]!.replace(/\r$/, "").slice(0, 80)}"`,
    );
  }

  const rows = last - 1;
  const columns = new Map<ColumnKey, Float64Array>();
  keys.forEach((key) => {
    if (key) columns.set(key, new Float64Array(rows));
  });
  const targets = keys.map((key) => (key ? columns.get(key) : undefined));
  for (let row = 0; row < rows; row++) {
    const lineNumber = row + 2;
    const line = lines[row + 1]!.replace(/\r$/, "");
    const cells = line.split(",");
    if (cells.length !== header.length) {
      throw new FormatError(
        `line ${lineNumber} has ${cells.length} cells, expected ${header.length} as in the header`,
      );
    }
    for (let col = 0; col < cells.length; col++) {
      const target = targets[col];
      if (!target) continue;
      const cell = cells[col]!.trim();
      if (!NUMBER.test(cell)) {
        throw new FormatError(
          `line ${lineNumber}, column ${col + 1} ("${header[col]}") is not a number: ` +
            `"${cell.slice(0, 40)}"`,
        );
      }
      target[row] = Number(cell);
    }
  }
  return {
    frameNumbers: columns.get("frameNumbers")!,
    timeStampsMs: columns.get("timeStampsMs")!,
    bufferIndices: columns.get("bufferIndices"),
    daqFrameNumbers: columns.get("daqFrameNumbers"),
  };
}
