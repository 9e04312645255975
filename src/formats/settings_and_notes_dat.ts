/**
 * Parses `settings_and_notes.dat` as the Miniscope software before 2020 writes it: a
 * tab-separated header (`animal excitation msCamExposure recordLength`) and one row of values,
 * a blank line, then the notes typed during the recording under the header `elapsedTime Note`,
 * one `milliseconds<TAB>text` row each.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { csvLines, NUMBER } from "./table.ts";

/** The settings row of `settings_and_notes.dat`. */
export interface LegacySettings {
  /** `animal`: the animal's name as typed, or null when empty or missing. */
  animal: string | null;
  /** `excitation`: the excitation LED setting, or null when missing or not a number. */
  excitation: number | null;
  /** `msCamExposure`: the Miniscope's exposure setting (up to 255), or null. */
  msCamExposure: number | null;
  /** `recordLength`: the recording length setting, or null. */
  recordLength: number | null;
  /** Every column of the row, header to value, as written (in file order). */
  values: Record<string, string>;
}

/** A note typed during a recording of the software before 2020. */
export interface LegacyNote {
  /** `elapsedTime`: milliseconds since the recording started. */
  elapsedTimeMs: number;
  /** The note as typed. */
  text: string;
}

/** What `settings_and_notes.dat` holds. */
export interface SettingsAndNotes {
  /** The settings row. */
  settings: LegacySettings;
  /** The notes in file order; empty when there are none. */
  notes: LegacyNote[];
}

const NOTES_HEADER = /^elapsedTime\tNote$/i;

/**
 * Parses the text of a `settings_and_notes.dat` file; line ends may be LF, CRLF or CR alone.
 * The blank line and the notes header may be missing; a settings row shorter than the header
 * leaves the last settings empty.
 *
 * @param text The whole file.
 * @returns The settings and the notes.
 * @throws {FormatError} When the file is empty, has no settings row, a settings row longer
 *   than its header, or a note row that does not start with a time in milliseconds (naming the
 *   line).
 */
export function parseSettingsAndNotes(text: string): SettingsAndNotes {
  const { lines } = csvLines(text);
  if (lines.length === 0 || lines[0]!.trim() === "") throw new FormatError("the file is empty");
  const header = lines[0]!.split("\t").map((cell) => cell.trim());
  if (lines.length < 2 || lines[1]!.trim() === "") {
    throw new FormatError(
      `line 2 should hold the settings under the header "${lines[0]!.slice(0, 80)}", but the ` +
        `file has no settings row`,
    );
  }
  const cells = lines[1]!.split("\t").map((cell) => cell.trim());
  if (cells.length > header.length) {
    throw new FormatError(
      `line 2 has ${cells.length} settings but the header on line 1 names ${header.length}`,
    );
  }
  const values: Record<string, string> = {};
  header.forEach((name, i) => (values[name] = cells[i] ?? ""));
  const number = (name: string) => {
    const value = values[name];
    return value !== undefined && NUMBER.test(value) && Number.isFinite(Number(value))
      ? Number(value)
      : null;
  };
  const settings: LegacySettings = {
    animal: values.animal ? values.animal : null,
    excitation: number("excitation"),
    msCamExposure: number("msCamExposure"),
    recordLength: number("recordLength"),
    values,
  };
  const notes: LegacyNote[] = [];
  let headerSeen = false;
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    if (!headerSeen && notes.length === 0 && NOTES_HEADER.test(line.trim())) {
      headerSeen = true;
      continue;
    }
    const tab = line.indexOf("\t");
    const time = (tab < 0 ? line : line.slice(0, tab)).trim();
    if (!NUMBER.test(time) || !Number.isFinite(Number(time))) {
      throw new FormatError(
        `line ${i + 1} is not a note: expected the elapsed time in ms, a tab and the note, ` +
          `found "${line.slice(0, 60)}"`,
      );
    }
    notes.push({ elapsedTimeMs: Number(time), text: tab < 0 ? "" : line.slice(tab + 1).trim() });
  }
  return { settings, notes };
}
