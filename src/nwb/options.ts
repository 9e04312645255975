/**
 * Options of {@linkcode writeNwb} and their checks.
 *
 * @module
 */

import { checkTimeZone } from "./start_time.ts";

/** Options of `writeNwb`. Each has a command-line counterpart, named in its description. */
export interface NwbOptions {
  /** What the session was (`--session-description`). Default: from the device and experiment names. */
  sessionDescription?: string;
  /** A unique identifier of the file (`--identifier`). Default: a new random UUID. */
  identifier?: string;
  /** The animal's identifier (`--subject-id`). Default: `animalName` from the session `metaData.json`. */
  subjectId?: string;
  /** Species, as a Latin binomial such as `Mus musculus` (`--species`). Default: not written. */
  species?: string;
  /** Sex: `M`, `F`, `U` (unknown) or `O` (other) (`--sex`). Default: not written. */
  sex?: "M" | "F" | "U" | "O";
  /** Age as an ISO 8601 duration, such as `P90D` (`--age`). Default: not written. */
  age?: string;
  /**
   * Date of birth as an ISO 8601 date or date-time, such as `2022-06-21` or
   * `2022-06-21T08:00:00+02:00` (`--date-of-birth`); DANDI takes it in place of `age`. It is
   * written as a date-time (a date as its midnight), in the session start's UTC offset when it
   * has none, and must not be after the session start. Default: not written.
   */
  dateOfBirth?: string;
  /** Strain, such as `C57BL/6J` (`--strain`). Default: not written. */
  strain?: string;
  /** Genotype, such as `Camk2a-Cre` (`--genotype`). Default: not written. */
  genotype?: string;
  /** A description of the animal (`--subject-description`). Default: not written. */
  subjectDescription?: string;
  /** Weight with its unit, such as `0.025 kg` (`--weight`). Default: not written. */
  weight?: string;
  /**
   * The people who did the experiment, DANDI prefers `Last, First` (`--experimenter`,
   * repeatable). Default: `researcherName` from the session `metaData.json`, when it has one;
   * `[]` writes none.
   */
  experimenter?: string[];
  /**
   * The session's identifier in the lab (`--session-id`). Default: the local start time of the
   * session as `YYYYMMDDTHHMMSS`, such as `20220919T091841`.
   */
  sessionId?: string;
  /** The institution (`--institution`). Default: not written. */
  institution?: string;
  /** The lab (`--lab`). Default: not written. */
  lab?: string;
  /** Search terms, such as `["hippocampus", "place cells"]` (`--keyword`, repeatable). Default: none. */
  keywords?: string[];
  /**
   * What the experiment was about (`--experiment-description`). Default: `experimentName` from
   * the session `metaData.json`, when it has one.
   */
  experimentDescription?: string;
  /** The calcium indicator, such as `GCaMP6f` (`--indicator`). Default: `"unknown"`. */
  indicator?: string;
  /** The imaged brain area, such as `CA1` (`--location`). Default: `"unknown"`. */
  location?: string;
  /** Excitation wavelength in nm (`--excitation-lambda`). Default: NaN (unknown). */
  excitationLambda?: number;
  /** Emission wavelength in nm (`--emission-lambda`). Default: NaN (unknown). */
  emissionLambda?: number;
  /**
   * IANA time zone of the acquisition computer, such as `Europe/Berlin` (`--timezone`): gives
   * the UTC offset of the session start when `metaData.json` has no `msecSinceEpoch`.
   */
  timezone?: string;
  /**
   * The session start time as ISO 8601 with a UTC offset, such as
   * `2022-09-19T09:18:41.007+02:00`, for a recording without a session `metaData.json` beside
   * its device folder. Default: from the session `metaData.json`.
   */
  sessionStartTime?: string;
  /** `"gzip"` or `"none"` (`--compression`). Default: `"gzip"`. */
  compression?: "gzip" | "none";
  /** gzip level, 0 to 9 (`--level`). Default: 4. */
  level?: number;
  /** First sample of every Miniscope series (`--start`). Default: 0. */
  start?: number;
  /** End sample of every Miniscope series, exclusive (`--end`). Default: all samples. */
  end?: number;
  /**
   * How the `ImageSeries` of a behaviour camera refers to its videos (`--behavior-videos`).
   * `"link"`: its `external_file` paths point at the recording's own videos, relative to the
   * NWB file's folder. `"copy"`: the videos are copied (hard-linked where the file system and
   * the permissions allow: a hard link needs write permission on the recording) into `<stem>/`
   * beside the NWB file as `<stem>/<object_id>_external_file_<n>.avi`, the layout `dandi
   * organize` gives, so that the folder is self-contained. Default: `"link"`. With
   * `overwrite`, the copies an earlier export left in `<stem>/` (files named by that pattern
   * that this export did not write) are removed, in either mode.
   */
  behaviorVideos?: "link" | "copy";
  /** Replace an existing file (`--overwrite`). Default: false, an existing file is an error. */
  overwrite?: boolean;
  /** Stops the export; the partial file is removed. */
  signal?: AbortSignal;
  /** Called after each frame is written, with the frames written and the frames in all. */
  onProgress?: (done: number, total: number) => void;
  /** Receives warnings. Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/** One series written by `writeNwb`. */
export interface NwbSeries {
  /** Its path in the file, such as `/acquisition/OnePhotonSeries`. */
  path: string;
  /** Its NWB type: `OnePhotonSeries`, `TimeSeries`, `AnnotationSeries` or `ImageSeries`. */
  type: string;
  /** Its device folder name, or null for session-level series (notes). */
  device: string | null;
  /** Samples in it. */
  samples: number;
}

/** What `writeNwb` wrote. */
export interface NwbResult {
  /** The file. */
  path: string;
  /** `identifier` of the file. */
  identifier: string;
  /** `session_start_time` of the file, with its UTC offset. */
  sessionStartTime: string;
  /** The series in the file. */
  series: NwbSeries[];
  /**
   * Absolute paths of every file written besides the NWB file (the video copies of
   * `behaviorVideos: "copy"`); empty when none.
   */
  externalFiles: string[];
  /**
   * How the Miniscope devices were written: `Miniscope` (the type of the ndx-miniscope
   * extension, whose specification the file carries), or `Device` (core NWB) when the file
   * has no Miniscope, only behaviour cameras.
   */
  device: { type: string };
}

const SEXES = ["M", "F", "U", "O"];
const DATE_OF_BIRTH = /^(\d{4})-(\d\d)-(\d\d)(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?([+-]\d\d:\d\d|Z)?)?$/;
const WEIGHT = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*[A-Za-z\u00b5\u03bc]+$/;

function checkDateOfBirth(text: string): void {
  const match = DATE_OF_BIRTH.exec(text);
  const [year, month, day] = [1, 2, 3].map((i) => Number(match?.[i]));
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  if (
    !match || date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day! ||
    Number.isNaN(Date.parse(text))
  ) {
    throw new RangeError(
      `dateOfBirth must be an ISO 8601 date or date-time such as "2022-06-21" or ` +
        `"2022-06-21T08:00:00+02:00", got "${text}"`,
    );
  }
}

function checkTexts(key: "experimenter" | "keywords", value: unknown): void {
  if (
    !Array.isArray(value) || !value.every((v) => typeof v === "string" && v.trim() !== "")
  ) {
    throw new TypeError(
      `${key} must be an array of non-empty strings, got ${JSON.stringify(value)}`,
    );
  }
}
const DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

/**
 * Checks the options that can be checked without the recording.
 *
 * @throws {TypeError} For a value of the wrong kind.
 * @throws {RangeError} For a value out of range.
 */
export function checkOptions(options: NwbOptions): void {
  for (
    const key of [
      "sessionDescription",
      "identifier",
      "subjectId",
      "species",
      "age",
      "indicator",
      "location",
      "timezone",
      "sessionStartTime",
      "dateOfBirth",
      "strain",
      "genotype",
      "subjectDescription",
      "weight",
      "sessionId",
      "institution",
      "lab",
      "experimentDescription",
    ] as const
  ) {
    const value = options[key];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      throw new TypeError(`${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  if (options.sex !== undefined && !SEXES.includes(options.sex)) {
    throw new RangeError(`sex must be one of M, F, U, O, got "${options.sex}"`);
  }
  if (options.age !== undefined && !options.age.split("/").every((part) => DURATION.test(part))) {
    throw new RangeError(
      `age must be an ISO 8601 duration such as "P90D" or "P12W", got "${options.age}"`,
    );
  }
  if (options.dateOfBirth !== undefined) checkDateOfBirth(options.dateOfBirth);
  if (options.weight !== undefined && !WEIGHT.test(options.weight.trim())) {
    throw new RangeError(
      `weight must be a number with its unit, such as "0.025 kg", got "${options.weight}"`,
    );
  }
  if (options.experimenter !== undefined) checkTexts("experimenter", options.experimenter);
  if (options.keywords !== undefined) checkTexts("keywords", options.keywords);
  if (options.behaviorVideos !== undefined && !["link", "copy"].includes(options.behaviorVideos)) {
    throw new RangeError(
      `behaviorVideos must be "link" or "copy", got "${options.behaviorVideos}"`,
    );
  }
  for (const key of ["excitationLambda", "emissionLambda"] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === "number" && (value > 0 || Number.isNaN(value)))) {
      throw new RangeError(`${key} must be a positive wavelength in nm, got ${value}`);
    }
  }
  if (options.compression !== undefined && !["gzip", "none"].includes(options.compression)) {
    throw new RangeError(`compression must be "gzip" or "none", got "${options.compression}"`);
  }
  if (
    options.level !== undefined &&
    !(Number.isInteger(options.level) && options.level >= 0 && options.level <= 9)
  ) {
    throw new RangeError(`level must be a whole number from 0 to 9, got ${options.level}`);
  }
  if (options.level !== undefined && options.compression === "none") {
    throw new TypeError(`level ${options.level} was given with compression "none"`);
  }
  for (const key of ["start", "end"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RangeError(`${key} must be a whole number >= 0, got ${value}`);
    }
  }
  if (options.start !== undefined && options.end !== undefined && options.end < options.start) {
    throw new RangeError(`end ${options.end} is before start ${options.start}`);
  }
  if (options.timezone !== undefined) checkTimeZone(options.timezone);
}
