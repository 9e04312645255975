/**
 * Parses a session's `notes.csv`: rows of `ms,text` (text unescaped, so it may hold commas),
 * with a `Time Stamp (ms), Note` header from software v1.11 on and none before; v1.11 also
 * logs setting changes as `ms,device,property,value`.
 *
 * @module
 */

import { FormatError } from "./format_error.ts";
import { csvLines } from "./table.ts";

/** A note typed during the recording. */
export interface TextNote {
  /** Tells a note from a setting change. */
  kind: "note";
  /** Milliseconds since the recording start. */
  timeStampMs: number;
  /** The note as typed. */
  text: string;
}

/** A setting changed during the recording (software v1.11). */
export interface SettingChange {
  /** Tells a setting change from a note. */
  kind: "setting";
  /** Milliseconds since the recording start. */
  timeStampMs: number;
  /** The device whose setting changed. */
  device: string;
  /** The setting, such as `led0` or `gain`. */
  property: string;
  /** The new value, as written. */
  value: string;
}

/** One row of `notes.csv`. */
export type Note = TextNote | SettingChange;

/**
 * Parses the text of `notes.csv`; line ends may be LF, CRLF or CR alone.
 *
 * @param text The whole file.
 * @param deviceNames The session's devices. When given, a four-field row is a setting change
 *   only if its second field names one of them; otherwise every four-field row is.
 * @returns The rows in file order.
 * @throws {FormatError} When a row's time stamp is not a finite number, naming the line.
 */
export function parseNotesCsv(text: string, deviceNames?: readonly string[]): Note[] {
  const notes: Note[] = [];
  csvLines(text).lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (i === 0 && /^\s*time stamp \(ms\)\s*,/i.test(line)) return;
    const comma = line.indexOf(",");
    const stamp = (comma < 0 ? line : line.slice(0, comma)).trim();
    if (!/^[+-]?\d+(\.\d+)?$/.test(stamp)) {
      throw new FormatError(
        `line ${i + 1} does not start with a time stamp in ms: "${line.slice(0, 60)}"`,
      );
    }
    const timeStampMs = Number(stamp);
    if (!Number.isFinite(timeStampMs)) {
      throw new FormatError(`line ${i + 1}: the time stamp ${stamp.slice(0, 40)} is not finite`);
    }
    const rest = comma < 0 ? "" : line.slice(comma + 1);
    const fields = rest.split(",");
    const isSetting = fields.length === 3 &&
      (deviceNames === undefined || deviceNames.includes(fields[0]!.trim()));
    if (isSetting) {
      const [device, property, value] = fields.map((f) => f.trim()) as [string, string, string];
      notes.push({ kind: "setting", timeStampMs, device, property, value });
    } else {
      notes.push({ kind: "note", timeStampMs, text: rest.trim() });
    }
  });
  return notes;
}
