/**
 * Reading the recording's small CSV tables: splitting the text into lines whatever the line
 * ends, the header, the rows, a last row cut while the file was being written, and the
 * numbers as the acquisition software writes them.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";

/** The lines of a CSV file. */
export interface CsvLines {
  /** The lines without their line ends; trailing blank lines removed. */
  lines: string[];
  /**
   * Whether the last line ends with a line end. The acquisition software ends every row with
   * one, so a last row without it may have been cut while the file was being written.
   */
  lastLineEnded: boolean;
}

/**
 * Splits CSV text into lines at LF, CRLF or a lone CR (old Mac and some Excel output), after a
 * byte-order mark.
 *
 * @param text The whole file.
 * @returns The lines, trailing blank lines removed.
 */
export function csvLines(text: string): CsvLines {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === "") last--;
  // Splitting leaves an empty string after a final line end.
  const lastLineEnded = last < lines.length;
  return { lines: lines.slice(0, last), lastLineEnded };
}

/** A table of a header line and data rows, each split at its delimiter into trimmed cells. */
export interface Table {
  /** The header's cells. */
  header: string[];
  /** The data rows' cells, each row checked by the format. */
  rows: string[][];
}

/** What a format checks in its table. */
export interface TableFormat {
  /**
   * Checks the header.
   *
   * @param header The header's cells.
   * @param line The header line as written.
   * @throws {FormatError} When it is not the format's header.
   */
  checkHeader(header: string[], line: string): void;
  /**
   * What is wrong with a data row, naming its line, or undefined when it is good.
   *
   * @param cells The row's cells.
   * @param lineNumber The row's line, counted from 1 (the header is line 1).
   * @param header The header's cells.
   */
  rowProblem(cells: string[], lineNumber: number, header: string[]): string | undefined;
  /** What separates the cells: `","` (the default) or a tab (the software before 2020). */
  delimiter?: "," | "\t";
}

/**
 * Reads a table with a header line. A last row without a line end that the format finds
 * wrong is a row cut while the file was being written (a recording still running, or copied
 * while running): it is left out and `warn` is told. The same row with a line end, or any row
 * before it, is an error.
 *
 * @param text The whole file.
 * @param format The format's header and row checks.
 * @param warn Receives a warning when an incomplete last row is left out.
 * @returns The header and the rows.
 * @throws {FormatError} When the file is empty, the header is not the format's or a row is
 *   wrong.
 */
export function readTable(
  text: string,
  format: TableFormat,
  warn?: (message: string) => void,
): Table {
  const { lines, lastLineEnded } = csvLines(text);
  if (lines.length === 0) throw new FormatError("the file is empty");
  const delimiter = format.delimiter ?? ",";
  const split = (line: string) => line.split(delimiter).map((cell) => cell.trim());
  const header = split(lines[0]!);
  format.checkHeader(header, lines[0]!);
  const rows = lines.slice(1).map(split);
  if (rows.length > 0 && !lastLineEnded) {
    const problem = format.rowProblem(rows.at(-1)!, lines.length, header);
    if (problem) {
      warn?.(
        `its last row is incomplete and has no line end (${problem}), as when the file is ` +
          `still being written; that row is left out`,
      );
      rows.pop();
    }
  }
  rows.forEach((cells, row) => {
    const problem = format.rowProblem(cells, row + 2, header);
    if (problem) throw new FormatError(problem);
  });
  return { header, rows };
}

/** `NUMBER.test(cell)` for a decimal number as the acquisition software writes them. */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The columns of a row of numbers, for `numberRowProblem`. */
export interface NumberColumns {
  /** How many cells a row has. */
  count: number;
  /** How a message gives the expected count: `"5"`, `"3 as in the header"`. */
  expected: string;
  /** Whether a column holds numbers; all do when left out. */
  numeric?: (column: number) => boolean;
  /** The name a message gives a column, when it gives one. */
  name?: (column: number) => string;
}

/**
 * What is wrong with a row of numbers, naming its line (and column), or undefined when it is
 * good: the wrong number of cells, or a cell that is not a finite number.
 *
 * @param cells The row's trimmed cells.
 * @param lineNumber The row's line, counted from 1.
 * @param columns The columns the row should have.
 * @returns The problem, or undefined.
 */
export function numberRowProblem(
  cells: readonly string[],
  lineNumber: number,
  columns: NumberColumns,
): string | undefined {
  if (cells.length !== columns.count) {
    return `line ${lineNumber} has ${cells.length} cells, expected ${columns.expected}`;
  }
  for (let col = 0; col < cells.length; col++) {
    if (columns.numeric && !columns.numeric(col)) continue;
    const cell = cells[col]!;
    const problem = !NUMBER.test(cell)
      ? "is not a number"
      : !Number.isFinite(Number(cell))
      ? "is not a finite number"
      : undefined;
    if (problem) {
      const name = columns.name ? ` ("${columns.name(col)}")` : "";
      return `line ${lineNumber}, column ${col + 1}${name} ${problem}: "${cell.slice(0, 40)}"`;
    }
  }
  return undefined;
}
