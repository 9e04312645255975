/**
 * The session start time with its UTC offset, as NWB wants it: from the calendar fields of
 * `recordingStartTime` (local time) and `msecSinceEpoch` (UTC), or from an IANA time zone.
 *
 * @module
 */

import type { RecordingStartTime } from "../../mod.ts";

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

/**
 * The session start time in ISO 8601 with its UTC offset, such as
 * `2022-09-19T09:18:41.007+02:00`. The offset is the difference between the calendar fields
 * (local time) and `msecSinceEpoch` (UTC); without `msecSinceEpoch`, the offset of `timeZone`
 * at that local time.
 *
 * @param start The recording start time from the session `metaData.json`.
 * @param timeZone An IANA time zone name, used when the file has no `msecSinceEpoch`.
 * @param where The file the start time comes from (for the software before 2020, the folder
 *   whose names give it), for messages.
 * @param warn Receives a warning when `timeZone` disagrees with `msecSinceEpoch`.
 * @returns The time with its offset.
 * @throws {Error} When neither `msecSinceEpoch` nor `timeZone` gives the offset, or the offset
 *   is not a real one (over 14 hours).
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
    offset = Math.round((wall - start.msecSinceEpoch) / 60000);
    if (Math.abs(offset) > 14 * 60) {
      throw new Error(
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
    const guess = wall - zoneOffsetMinutes(timeZone, wall) * 60000;
    offset = zoneOffsetMinutes(timeZone, guess);
  } else {
    throw new Error(
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
