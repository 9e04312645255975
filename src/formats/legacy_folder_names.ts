/**
 * The start time of a recording of the Miniscope software before 2020, read from the names of
 * its folders: the software writes each recording into `<date>/<time>/`, such as
 * `6_29_15/H15_M45_S12/` (month, day and two-digit year; hour, minute and second of the local
 * clock). Dates written `2015_06_29` (year first, as the later software does) are read too.
 *
 * @module
 */

import type { RecordingStartTime } from "./metadata_json.ts";

const TIME = /^H(\d{1,2})_M(\d{1,2})_S(\d{1,2})$/;
const MONTH_FIRST = /^(\d{1,2})_(\d{1,2})_(\d{2}|\d{4})$/;
const YEAR_FIRST = /^(\d{4})_(\d{1,2})_(\d{1,2})$/;

/**
 * The local time of day a recording folder's name gives, such as `H15_M45_S12`.
 *
 * @param name The folder name.
 * @returns Hour, minute and second, or null when the name is not of that form or out of range.
 */
export function parseLegacyTimeFolder(
  name: string,
): { hour: number; minute: number; second: number } | null {
  const match = TIME.exec(name);
  if (!match) return null;
  const [hour, minute, second] = match.slice(1).map(Number) as [number, number, number];
  return hour < 24 && minute < 60 && second < 60 ? { hour, minute, second } : null;
}

/**
 * The date a date folder's name gives: `6_29_15` or `6_29_2015` (month, day, year) or
 * `2015_06_29` (year, month, day). A two-digit year is of the 2000s.
 *
 * @param name The folder name.
 * @returns Year, month and day, or null when the name is not of those forms or not a real date.
 */
export function parseLegacyDateFolder(
  name: string,
): { year: number; month: number; day: number } | null {
  let year: number, month: number, day: number;
  const yearFirst = YEAR_FIRST.exec(name);
  const monthFirst = MONTH_FIRST.exec(name);
  if (yearFirst) {
    [year, month, day] = yearFirst.slice(1).map(Number) as [number, number, number];
  } else if (monthFirst) {
    [month, day, year] = monthFirst.slice(1).map(Number) as [number, number, number];
    if (monthFirst[3]!.length === 2) year += 2000;
  } else {
    return null;
  }
  if (month < 1 || month > 12 || day < 1) return null;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days ? { year, month, day } : null;
}

/**
 * The start time the folder names of a recording give: the date of the date folder and the
 * time of the recording folder, in the acquisition computer's local time, to the second (the
 * milliseconds are 0 and no UTC time is known).
 *
 * @param dateFolder The name of the folder holding the recording folder, such as `6_29_15`.
 * @param timeFolder The name of the recording folder, such as `H15_M45_S12`.
 * @returns The start time, or null when either name is not of the software's forms.
 */
export function legacyStartTime(
  dateFolder: string,
  timeFolder: string,
): RecordingStartTime | null {
  const date = parseLegacyDateFolder(dateFolder);
  const time = parseLegacyTimeFolder(timeFolder);
  if (!date || !time) return null;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return {
    ...date,
    ...time,
    msec: 0,
    msecSinceEpoch: null,
    local: `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}T${pad(time.hour)}:` +
      `${pad(time.minute)}:${pad(time.second)}.000`,
  };
}
