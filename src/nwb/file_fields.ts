/**
 * The file-level fields of an export (`/general` and its `Subject`) from the options and the
 * session's `metaData.json`: what the options give wins, the session fills in experimenter,
 * experiment description and subject id, and what neither knows is left out rather than
 * written empty, as DANDI asks.
 *
 * @module
 */

import type { FileFields, SubjectFields } from "./content.ts";
import type { NwbOptions } from "./options.ts";
import type { ExportPlan } from "./plan.ts";

/** A name from `metaData.json`, or null when it is missing or blank. */
function known(value: string | null): string | null {
  return value !== null && value.trim() !== "" ? value : null;
}

/** `YYYYMMDDTHHMMSS` of the local time of an ISO 8601 time such as `2022-09-19T09:18:41.007+02:00`. */
export function sessionIdOf(startTime: string): string {
  return startTime.slice(0, 19).replace(/[-:]/g, "");
}

const DATE_TIME = /^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d)(:\d\d(?:\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?$/;

/**
 * A checked date of birth as the date-time with seconds and offset that NWB's `isodatetime`
 * wants: a date is its midnight, and a date or time without an offset is taken in the
 * session start's offset (the lab's), so that every reader sees the same day.
 */
export function dateOfBirthAt(dateOfBirth: string, sessionStartTime: string): string {
  const [, date, minutes, seconds, zone] = DATE_TIME.exec(dateOfBirth)!;
  const time = minutes === undefined ? "00:00:00" : minutes + (seconds ?? ":00");
  const offset = zone === undefined ? sessionStartTime.slice(-6) : zone.replace("Z", "+00:00");
  return `${date}T${time}${offset}`;
}

/**
 * The file-level fields.
 *
 * @param plan What the export holds.
 * @param options The checked options.
 * @param times The identifier, session start and file creation time.
 * @returns The fields to write.
 * @throws {RangeError} When the date of birth is after the session start.
 */
export function fileFields(
  plan: ExportPlan,
  options: NwbOptions,
  times: { identifier: string; sessionStartTime: string; fileCreateDate: string },
): FileFields {
  const subject: SubjectFields = {
    subjectId: options.subjectId ?? known(plan.animalName),
    species: options.species ?? null,
    sex: options.sex ?? null,
    age: options.age ?? null,
    dateOfBirth: options.dateOfBirth === undefined
      ? null
      : dateOfBirthAt(options.dateOfBirth, times.sessionStartTime),
    strain: options.strain ?? null,
    genotype: options.genotype ?? null,
    description: options.subjectDescription ?? null,
    weight: options.weight ?? null,
  };
  if (
    subject.dateOfBirth !== null &&
    Date.parse(subject.dateOfBirth) > Date.parse(times.sessionStartTime)
  ) {
    throw new RangeError(
      `dateOfBirth ${subject.dateOfBirth} is after the session start ${times.sessionStartTime}`,
    );
  }
  const scopeNames = plan.scopes.map((s) => `"${s.device}"`).join(", ");
  const researcher = known(plan.researcherName);
  return {
    identifier: times.identifier,
    sessionDescription: options.sessionDescription ??
      `Miniscope recording (${scopeNames || "behaviour cameras only"})` +
        (known(plan.experimentName) ? ` of experiment "${plan.experimentName}"` : "") +
        (known(plan.animalName) ? `, animal "${plan.animalName}"` : ""),
    sessionStartTime: times.sessionStartTime,
    fileCreateDate: times.fileCreateDate,
    experimenter: options.experimenter ?? (researcher === null ? [] : [researcher]),
    experimentDescription: options.experimentDescription ?? known(plan.experimentName),
    sessionId: options.sessionId ?? sessionIdOf(times.sessionStartTime),
    institution: options.institution ?? null,
    lab: options.lab ?? null,
    keywords: options.keywords ?? [],
    subject: Object.values(subject).some((value) => value !== null) ? subject : null,
  };
}
