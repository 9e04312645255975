/**
 * Splitting the text of the recording's CSV files into lines, whatever the line ends.
 *
 * @module
 */

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

/** `NUMBER.test(cell)` for a decimal number as the acquisition software writes them. */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * What is wrong with a numeric cell, or undefined when it is a finite number.
 *
 * @param cell The trimmed cell.
 * @returns `"is not a number"`, `"is not a finite number"` or undefined.
 */
export function numberProblem(cell: string): string | undefined {
  if (!NUMBER.test(cell)) return "is not a number";
  if (!Number.isFinite(Number(cell))) return "is not a finite number";
  return undefined;
}
