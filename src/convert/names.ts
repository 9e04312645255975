/**
 * The names `dandi organize` gives an NWB file:
 * `sub-<subject>/sub-<subject>_ses-<session>_<modalities>.nwb`, with the subject label made of
 * letters, digits and hyphens, the session label the recording's local start time and the
 * modalities derived from the neurodata types in the file.
 *
 * @module
 */

import type { RecordingStartTime } from "../formats/metadata_json.ts";

/** A subject label and the animal name it was made from. */
export interface SubjectLabel {
  /** `animalName` as written in the session `metaData.json`. */
  animalName: string;
  /** The label: letters, digits and hyphens. */
  label: string;
}

/**
 * The subject label of an animal name. `dandi organize` turns `_`, `.`, white space and the
 * characters its path rule forbids (`* \ / < > : | " ' ? % @ ; ,`) into hyphens, one for one;
 * a DANDI label holds letters, digits and hyphens only, so every other character (`#`, `+`,
 * `é`, ...) becomes a hyphen too. A label already valid is kept as it is, so a file converted
 * here is named the same when `dandi organize` reads it back.
 *
 * @param animalName The animal name.
 * @returns The label, or null when the name has nothing to make one from (empty, or only
 *   characters that become hyphens).
 */
export function subjectLabel(animalName: string): string | null {
  const label = animalName.replace(/[^A-Za-z0-9-]/gu, "-");
  return /[A-Za-z0-9]/.test(label) ? label : null;
}

/**
 * The session label `dandi organize` derives from a session start time: the local calendar
 * date and time, `YYYYMMDDTHHMMSS` (milliseconds left out).
 *
 * @param start The recording start time.
 * @returns The label, such as `20220919T091841`.
 */
export function sessionLabel(start: RecordingStartTime): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(start.year, 4)}${pad(start.month)}${pad(start.day)}T${pad(start.hour)}` +
    `${pad(start.minute)}${pad(start.second)}`;
}

/**
 * The modality of each NWB neurodata type this module writes, as `dandi organize` assigns
 * them: the pynwb module that defines the type (`ophys` for `OnePhotonSeries`, `ImagingPlane`
 * and `OpticalChannel`, `image` for `ImageSeries`, `behavior` for `SpatialSeries`, `Position`,
 * `CompassDirection` and the like). Types of the generic modules (`base`: `TimeSeries`,
 * `ProcessingModule`; `device`; `file`: `Subject`; `misc`: `AnnotationSeries`) and types of
 * extensions (`Miniscope` of ndx-miniscope) give no modality.
 */
const MODALITY_OF_TYPE: Readonly<Record<string, string | null>> = {
  OnePhotonSeries: "ophys",
  TwoPhotonSeries: "ophys",
  ImagingPlane: "ophys",
  OpticalChannel: "ophys",
  ImageSegmentation: "ophys",
  Fluorescence: "ophys",
  RoiResponseSeries: "ophys",
  ImageSeries: "image",
  ImageMaskSeries: "image",
  OpticalSeries: "image",
  GrayscaleImage: "image",
  RGBImage: "image",
  SpatialSeries: "behavior",
  Position: "behavior",
  CompassDirection: "behavior",
  BehavioralTimeSeries: "behavior",
  BehavioralEvents: "behavior",
  PupilTracking: "behavior",
  EyeTracking: "behavior",
  TimeSeries: null,
  ProcessingModule: null,
  Device: null,
  Subject: null,
  AnnotationSeries: null,
  IntervalSeries: null,
  Miniscope: null,
};

/**
 * The modalities part of a file name: the modalities of the neurodata types in the file,
 * sorted and joined with `+`, as `dandi organize` builds it (`ophys`, `image+ophys`,
 * `behavior+ophys`).
 *
 * @param types The neurodata types in the file.
 * @returns The modalities, or an empty string when none gives one.
 * @throws {RangeError} For a type whose modality is not known here.
 */
export function modalities(types: Iterable<string>): string {
  const found = new Set<string>();
  for (const type of types) {
    if (!(type in MODALITY_OF_TYPE)) {
      throw new RangeError(`No modality is known for the neurodata type "${type}"`);
    }
    const modality = MODALITY_OF_TYPE[type];
    if (modality) found.add(modality);
  }
  return [...found].sort().join("+");
}

/** The neurodata types each kind of series brings into a file (with the objects it needs). */
const TYPES_OF_SERIES: Readonly<Record<string, readonly string[]>> = {
  OnePhotonSeries: ["OnePhotonSeries", "ImagingPlane", "OpticalChannel", "Device"],
  ImageSeries: ["ImageSeries", "Device"],
  TimeSeries: ["TimeSeries"],
  AnnotationSeries: ["AnnotationSeries"],
};

/**
 * The neurodata types of a file holding series of the given types: each series with the
 * objects it needs (a `OnePhotonSeries` its `ImagingPlane`, `OpticalChannel` and `Device`, an
 * `ImageSeries` of a camera its `Device`), and the `Subject`.
 *
 * @param seriesTypes The NWB type of each series.
 * @returns The neurodata types.
 * @throws {RangeError} For a series type not written here.
 */
export function typesOfSeries(seriesTypes: Iterable<string>): string[] {
  const types = new Set(["Subject"]);
  for (const type of seriesTypes) {
    const brought = TYPES_OF_SERIES[type];
    if (!brought) throw new RangeError(`No neurodata types are known for a series "${type}"`);
    for (const t of brought) types.add(t);
  }
  return [...types];
}

/**
 * The path of a session's file inside the output folder, `/`-separated:
 * `sub-<subject>/sub-<subject>_ses-<session>[_<modalities>].nwb`.
 *
 * @param subject The subject label.
 * @param session The session label.
 * @param modality The modalities part (may be empty).
 * @returns The relative path.
 */
export function dandiPath(subject: string, session: string, modality: string): string {
  const stem = `sub-${subject}_ses-${session}` + (modality ? `_${modality}` : "");
  return `sub-${subject}/${stem}.nwb`;
}
