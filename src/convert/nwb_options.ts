/**
 * What each session's NWB file says of its subject and session, gathered once, and the
 * options of `writeNwb` built from it.
 *
 * @module
 */

import type { SubjectFields } from "../nwb/content.ts";
import { checkOptions, type NwbOptions } from "../nwb/options.ts";

/** What a session's file says of its subject and session. */
export interface SessionMetadata extends SubjectFields {
  /** The subject label (`subject_id`). */
  subjectId: string;
  /** Age at the session; from the date of birth when only that is known. */
  age: string | null;
  /** Who recorded: `researcherName` of the session. */
  experimenter: string[] | null;
  /** The session label, `YYYYMMDDTHHMMSS` (`session_id`). */
  sessionId: string;
}

/** NWB options of a conversion that apply to every file of the dataset, as `writeNwb` takes them. */
export type DatasetNwbOptions = Pick<
  NwbOptions,
  | "indicator"
  | "location"
  | "excitationLambda"
  | "emissionLambda"
  | "timezone"
  | "compression"
  | "level"
  | "institution"
  | "lab"
  | "keywords"
  | "experimentDescription"
>;

/**
 * The options of `writeNwb` that hold no functions or signal: what a session's file is written
 * with, as plain JSON (for the manifest and the plan of a job array).
 */
export type PlainNwbOptions = Omit<NwbOptions, "signal" | "onProgress" | "onWarning">;

/** The fields of {@linkcode DatasetNwbOptions}. */
export const DATASET_KEYS = [
  "indicator",
  "location",
  "excitationLambda",
  "emissionLambda",
  "timezone",
  "compression",
  "level",
  "institution",
  "lab",
  "keywords",
  "experimentDescription",
] as const satisfies readonly (keyof DatasetNwbOptions)[];

/**
 * Checks the dataset's options by the rules of `writeNwb`.
 *
 * @param options The options.
 * @throws {TypeError} For a value that is not a non-empty string (or list of them), naming it.
 * @throws {RangeError} For a value out of range, naming it.
 */
export function checkDatasetOptions(options: DatasetNwbOptions): void {
  // Only the dataset's fields: a PlanOptions carries others (root, out, ...) that are no option
  // of writeNwb.
  checkOptions(
    Object.fromEntries(
      DATASET_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
    ),
  );
}

/** Copies the defined, non-empty values of `from` into `to`. */
function assignDefined<T extends object>(
  to: T,
  from: { [K in keyof T]?: T[K] | null | undefined },
): T {
  for (const [key, value] of Object.entries(from)) {
    if (value === null || value === undefined) continue;
    if (typeof value === "number" && Number.isNaN(value)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    (to as Record<string, unknown>)[key] = value;
  }
  return to;
}

/**
 * The options of `writeNwb` for one session: its subject and session fields and the dataset's
 * options, with its behaviour camera videos copied into `<stem>/` beside the file so that the
 * output folder holds all a DANDI upload needs. Optional fields without a value are left out,
 * never written as empty strings.
 *
 * @param session What the session's file says of its subject and session.
 * @param dataset The options of every file.
 * @returns The options to pass.
 */
export function sessionNwbOptions(
  session: SessionMetadata,
  dataset: DatasetNwbOptions,
): PlainNwbOptions {
  return assignDefined<PlainNwbOptions>({}, {
    subjectId: session.subjectId,
    species: session.species,
    sex: session.sex,
    age: session.age,
    dateOfBirth: session.dateOfBirth,
    strain: session.strain,
    genotype: session.genotype,
    subjectDescription: session.description,
    weight: session.weight,
    experimenter: session.experimenter,
    sessionId: session.sessionId,
    institution: dataset.institution,
    lab: dataset.lab,
    keywords: dataset.keywords,
    experimentDescription: dataset.experimentDescription,
    indicator: dataset.indicator,
    location: dataset.location,
    excitationLambda: dataset.excitationLambda,
    emissionLambda: dataset.emissionLambda,
    timezone: dataset.timezone,
    compression: dataset.compression,
    level: dataset.level,
    behaviorVideos: "copy",
  });
}
