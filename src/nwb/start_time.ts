/**
 * The session start time with its UTC offset, as NWB wants it: from the calendar fields of
 * `recordingStartTime` (local time) and `msecSinceEpoch` (UTC), or from an IANA time zone.
 *
 * @module
 */

import type { RecordingStartTime } from "../../mod.ts";
import { StartTimeUnknownError } from "../errors.ts";

/** The offset from UTC of time zone `timeZone` at the instant `utcMs`, in minutes. */
export function zoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** Checks an IANA time zone name, such as `Europe/Berlin`. */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new RangeError(
      `Unknown time zone "${timeZone}": pass an IANA name such as "Europe/Berlin" or "UTC"`,
    );
  }
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
    String(abs % 60).padStart(2, "0")
  }`;
}

/** The start time's calendar fields read as if they were UTC, in ms. */
function wallMs(start: RecordingStartTime): number {
  return Date.UTC(
    start.year,
    start.month - 1,
    start.day,
    start.hour,
    start.minute,
    start.second,
    start.msec,
  );
}

const DAY_MS = 86_400_000;

/** The local time at `utcMs` in a zone `offset` minutes ahead of UTC, ISO 8601 without zone. */
function localAt(utcMs: number, offset: number): string {
  return new Date(utcMs + offset * 60000).toISOString().replace(/Z$/, "");
}

/**
 * The UTC offset of `timeZone` at the local time of `start`. A local time the clocks skipped
 * (they went forward) or passed twice (they went back) has no single answer: it is taken as
 * JavaScript's `Temporal` and Python's `zoneinfo` (fold 0) take it, with the offset from before
 * the change (for a time passed twice, its first occurrence), and a warning says so.
 */
function localOffset(
  start: RecordingStartTime,
  timeZone: string,
  where: string,
  warn: (message: string) => void,
): number {
  const wall = wallMs(start);
  const before = zoneOffsetMinutes(timeZone, wall - DAY_MS);
  const after = zoneOffsetMinutes(timeZone, wall + DAY_MS);
  const candidates = [...new Set([before, zoneOffsetMinutes(timeZone, wall), after])];
  // An offset fits when the zone has it at the instant it makes of the local time.
  const fits = candidates.filter((o) => zoneOffsetMinutes(timeZone, wall - o * 60000) === o)
    .sort((a, b) => b - a);
  if (fits.length === 1) return fits[0]!;
  const tell = `pass sessionStartTime (--session-start-time) to set it`;
  if (fits.length === 0) {
    const instant = wall - before * 60000;
    warn(
      `the session start ${start.local} in "${where}" does not exist in time zone ` +
        `"${timeZone}": the clocks went forward from ${formatOffset(before)} to ` +
        `${formatOffset(after)} over it; taken with the offset from before, as ` +
        `${start.local}${formatOffset(before)} (${localAt(instant, after)}` +
        `${formatOffset(after)}); ${tell}`,
    );
    return before;
  }
  const [first, second] = fits as [number, number];
  warn(
    `the session start ${start.local} in "${where}" happened twice in time zone ` +
      `"${timeZone}": the clocks went back from ${formatOffset(first)} to ` +
      `${formatOffset(second)} over it; taken as the first, ${start.local}` +
      `${formatOffset(first)}, not ${start.local}${formatOffset(second)} ${first - second} ` +
      `minutes later; ${tell}`,
  );
  return first;
}

/**
 * The session start time in ISO 8601 with its UTC offset, such as
 * `2022-09-19T09:18:41.007+02:00`. The offset is the difference between the calendar fields
 * (local time) and `msecSinceEpoch` (UTC); without `msecSinceEpoch`, the offset of `timeZone`
 * at that local time (with a warning when the clocks skipped that local time or passed it
 * twice, saying which offset is taken).
 *
 * @param start The recording start time from the session `metaData.json`.
 * @param timeZone An IANA time zone name, used when the file has no `msecSinceEpoch`.
 * @param where The file the start time comes from (for the software before 2020, the folder
 *   whose names give it), for messages.
 * @param warn Receives a warning when `timeZone` disagrees with `msecSinceEpoch`, or when the
 *   local time does not exist in it or exists twice.
 * @returns The time with its offset.
 * @throws {StartTimeUnknownError} When neither `msecSinceEpoch` nor `timeZone` gives the
 *   offset, or the offset is not a real one (over 14 hours).
 */
export function startTimeWithOffset(
  start: RecordingStartTime,
  timeZone: string | undefined,
  where: string,
  warn: (message: string) => void,
): string {
  const wall = wallMs(start);
  let offset: number;
  if (start.msecSinceEpoch !== null) {
    // Time zones are whole quarter hours from UTC; fields and msecSinceEpoch of one instant
    // differ by one, to the millisecond.
    const apart = wall - start.msecSinceEpoch;
    offset = Math.round(apart / 900_000) * 15;
    const off = apart - offset * 60_000;
    if (Math.abs(off) >= 1000 && Math.abs(offset) <= 14 * 60) {
      warn(
        `the calendar fields of "${where}" (${start.local}, local time) and its msecSinceEpoch ` +
          `${start.msecSinceEpoch} (UTC) are not one instant in any time zone: they are ` +
          `${(off / 1000).toFixed(3)} s off ${formatOffset(offset)}, the nearest offset, ` +
          `which is used with the local time`,
      );
    }
    if (Math.abs(offset) > 14 * 60) {
      throw new StartTimeUnknownError(
        `Cannot tell the session start time from "${where}": its calendar fields ` +
          `(${start.local}, local time) and msecSinceEpoch ${start.msecSinceEpoch} (UTC) are ` +
          `${(offset / 60).toFixed(1)} hours apart, more than any time zone`,
      );
    }
    if (timeZone !== undefined) {
      const zone = zoneOffsetMinutes(timeZone, start.msecSinceEpoch);
      if (zone !== offset) {
        warn(
          `time zone "${timeZone}" is ${formatOffset(zone)} at the session start but ` +
            `"${where}" says ${formatOffset(offset)} (msecSinceEpoch); using ${
              formatOffset(offset)
            }`,
        );
      }
    }
  } else if (timeZone !== undefined) {
    offset = localOffset(start, timeZone, where, warn);
  } else {
    throw new StartTimeUnknownError(
      `Cannot tell the UTC offset of the session start ${start.local}: "${where}" gives ` +
        `the local time only (no msecSinceEpoch); pass the time zone of the acquisition ` +
        `computer (--timezone or the ` +
        `timezone option), an IANA name such as "Europe/Berlin"`,
    );
  }
  return `${start.local}${formatOffset(offset)}`;
}

const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$/;

/**
 * Checks a start time given as ISO 8601 text with an offset; `Z` becomes `+00:00`.
 *
 * @throws {RangeError} When it is not such a time.
 */
export function checkIsoWithOffset(text: string): string {
  if (!ISO_WITH_OFFSET.test(text) || Number.isNaN(Date.parse(text))) {
    throw new RangeError(
      `sessionStartTime "${text}" is not an ISO 8601 time with a UTC offset, such as ` +
        `"2022-09-19T09:18:41.007+02:00"`,
    );
  }
  return text.replace(/Z$/, "+00:00");
}

/** The current time in UTC as pynwb writes `file_create_date`: `...+00:00`. */
export function nowUtc(): string {
  return new Date().toISOString().replace(/Z$/, "+00:00");
}
