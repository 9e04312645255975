/**
 * What each session's NWB file says of its subject and session, gathered once, and the
 * options of `writeNwb` built from it.
 *
 * @module
 */

import { checkOptions, type NwbOptions } from "../nwb/options.ts";

/** What a session's file says of its subject and session. */
export interface SessionMetadata {
  /** The subject label (`subject_id`). */
  subjectId: string;
  /** Species, a Latin binomial. */
  species: string | null;
  /** `M`, `F`, `U` or `O`. */
  sex: "M" | "F" | "U" | "O" | null;
  /** Age at the session, ISO 8601 duration; from the date of birth when only that is known. */
  age: string | null;
  /** Date of birth, ISO 8601. */
  dateOfBirth: string | null;
  /** Strain. */
  strain: string | null;
  /** Genotype. */
  genotype: string | null;
  /** A description of the subject. */
  subjectDescription: string | null;
  /** Weight with its unit. */
  weight: string | null;
  /** Who recorded: `researcherName` of the session. */
  experimenter: string[] | null;
  /** The session label, `YYYYMMDDTHHMMSS` (`session_id`). */
  sessionId: string;
}

/** NWB options of a conversion that apply to every file of the dataset. */
export interface DatasetNwbOptions {
  /** The calcium indicator, such as `GCaMP6f`. Default: `"unknown"`. */
  indicator?: string;
  /** The imaged brain area, such as `CA1`. Default: `"unknown"`. */
  location?: string;
  /** Excitation wavelength in nm. Default: unknown. */
  excitationLambda?: number;
  /** Emission wavelength in nm. Default: unknown. */
  emissionLambda?: number;
  /** IANA time zone of the acquisition computers, for sessions without `msecSinceEpoch`. */
  timezone?: string;
  /** `"gzip"` or `"none"`. Default: `"gzip"`. */
  compression?: "gzip" | "none";
  /** gzip level, 0 to 9. Default: 4. */
  level?: number;
  /** The institution where the data were recorded. */
  institution?: string;
  /** The lab. */
  lab?: string;
  /** Keywords of the dataset. */
  keywords?: string[];
  /** A description of the experiment. Default: `experimentName` of each session. */
  experimentDescription?: string;
}

/**
 * The options of `writeNwb` that hold no functions or signal: what a session's file is written
 * with, as plain JSON (for the manifest and the plan of a job array).
 */
export type PlainNwbOptions = Omit<NwbOptions, "signal" | "onProgress" | "onWarning">;

/**
 * Options whose fields `writeNwb` does not take yet. They are part of what a file is written
 * with (the manifest records them, so changing one converts the session again), and are
 * passed to `writeNwb` once it takes them.
 */
export interface PendingNwbOptions {
  /** `Subject.date_of_birth`, ISO 8601. */
  dateOfBirth?: string;
  /** `Subject.strain`. */
  strain?: string;
  /** `Subject.genotype`. */
  genotype?: string;
  /** `Subject.description`. */
  subjectDescription?: string;
  /** `Subject.weight`, with its unit. */
  weight?: string;
  /** `experimenter`: the session's `researcherName`. */
  experimenter?: string[];
  /** `session_id`: the session label, `YYYYMMDDTHHMMSS`. */
  sessionId?: string;
  /** `institution`. */
  institution?: string;
  /** `lab`. */
  lab?: string;
  /** `keywords`. */
  keywords?: string[];
  /** `experiment_description`. */
  experimentDescription?: string;
  /** `"copy"`: behaviour camera videos copied into `<stem>/` beside the file. */
  behaviorVideos?: "link" | "copy";
}

/** A session's options for `writeNwb`. */
export interface SessionNwbOptions {
  /** Passed to `writeNwb`. */
  options: PlainNwbOptions;
  /** Passed once `writeNwb` takes them. */
  pending: PendingNwbOptions;
}

/**
 * Checks the dataset's options: those of `writeNwb` by its own rule, the others as non-empty
 * text.
 *
 * @param options The options.
 * @throws {TypeError} For a value that is not a non-empty string (or list of them), naming it.
 * @throws {RangeError} For a value out of range, naming it.
 */
export function checkDatasetOptions(options: DatasetNwbOptions): void {
  const { institution, lab, keywords, experimentDescription, ...nwb } = options;
  checkOptions(
    Object.fromEntries(
      Object.entries(nwb).filter(([key]) =>
        [
          "indicator",
          "location",
          "excitationLambda",
          "emissionLambda",
          "timezone",
          "compression",
          "level",
        ].includes(key)
      ),
    ),
  );
  const texts = { institution, lab, experimentDescription };
  for (const [key, value] of Object.entries(texts)) {
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      throw new TypeError(`${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  if (
    keywords !== undefined &&
    !(Array.isArray(keywords) &&
      keywords.every((k) => typeof k === "string" && k.trim() !== ""))
  ) {
    throw new TypeError(`keywords must be non-empty strings, got ${JSON.stringify(keywords)}`);
  }
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

// ----------------------------------------------------------------------------------------------
// The options of writeNwb for one session. `options` holds what writeNwb takes today; the
// fields in `pending` are passed once writeNwb takes them (then they join `options`).
// ----------------------------------------------------------------------------------------------

/**
 * The options of `writeNwb` for one session: its subject and session fields and the dataset's
 * options. Optional fields without a value are left out, never written as empty strings.
 *
 * @param session What the session's file says of its subject and session.
 * @param dataset The options of every file.
 * @returns The options to pass, and those to pass once `writeNwb` takes them.
 */
export function sessionNwbOptions(
  session: SessionMetadata,
  dataset: DatasetNwbOptions,
): SessionNwbOptions {
  const options = assignDefined<PlainNwbOptions>({}, {
    subjectId: session.subjectId,
    species: session.species,
    sex: session.sex,
    age: session.age,
    indicator: dataset.indicator,
    location: dataset.location,
    excitationLambda: dataset.excitationLambda,
    emissionLambda: dataset.emissionLambda,
    timezone: dataset.timezone,
    compression: dataset.compression,
    level: dataset.level,
  });
  const pending = assignDefined<PendingNwbOptions>({}, {
    dateOfBirth: session.dateOfBirth,
    strain: session.strain,
    genotype: session.genotype,
    subjectDescription: session.subjectDescription,
    weight: session.weight,
    experimenter: session.experimenter,
    sessionId: session.sessionId,
    institution: dataset.institution,
    lab: dataset.lab,
    keywords: dataset.keywords,
    experimentDescription: dataset.experimentDescription,
    behaviorVideos: "copy",
  });
  return { options, pending };
}
