/**
 * The NWB 2.6.0 objects the export writes, laid out as pynwb writes them: the file's
 * required groups and fields, `Subject`, `Device` (or ndx-miniscope's `Miniscope`),
 * `ImagingPlane` with its `OpticalChannel`, `OnePhotonSeries`, `TimeSeries`,
 * `AnnotationSeries` and `ImageSeries` of external files, and the extension's schema under
 * `/specifications`. Links to the imaging plane and the device are soft links, as pynwb makes
 * them.
 *
 * @module
 */

import type { Dataset, File as H5wasmFile, Group } from "h5wasm/node";
import {
  chunkedUint8,
  emptyUint8,
  float64,
  type Parent,
  scalar,
  setAttributes,
  strings,
  type Value,
} from "./hdf5.ts";
import {
  MINISCOPE_NAMESPACE,
  MINISCOPE_NAMESPACE_NAME,
  MINISCOPE_TYPE,
  type MiniscopeFields,
} from "./miniscope_device.ts";
import { writeSpecifications } from "./specifications.ts";
import type { NwbOptions } from "./options.ts";

/** The NWB version written. */
export const NWB_VERSION = "2.6.0";

/** The attributes every NWB object carries. */
function typed(
  type: string,
  namespace = "core",
  objectId: string = crypto.randomUUID(),
): Record<string, Value> {
  return {
    namespace: { text: namespace },
    neurodata_type: { text: type },
    object_id: { text: objectId },
  };
}

function group(parent: Parent, name: string, attributes: Record<string, Value> = {}): Group {
  const created = parent.create_group(name);
  setAttributes(created, attributes);
  return created;
}

/** The file-level fields. */
export interface FileFields {
  identifier: string;
  sessionDescription: string;
  sessionStartTime: string;
  fileCreateDate: string;
  /** Not written when empty, as `keywords`. */
  experimenter: string[];
  experimentDescription: string | null;
  sessionId: string | null;
  institution: string | null;
  lab: string | null;
  keywords: string[];
  subject: SubjectFields | null;
}

/** The `Subject` fields; null ones are not written. */
export interface SubjectFields {
  /** `subject_id`. */
  subjectId: string | null;
  /** Species, a Latin binomial such as `Mus musculus` or an NCBI taxonomy link. */
  species: string | null;
  /** `M`, `F`, `U` (unknown) or `O` (other). */
  sex: NonNullable<NwbOptions["sex"]> | null;
  /** Age at the session as an ISO 8601 duration, such as `P90D`. */
  age: string | null;
  /** Date of birth, ISO 8601 (`2022-06-21`, or a date-time with an offset). */
  dateOfBirth: string | null;
  /** Strain, such as `C57BL/6J`. */
  strain: string | null;
  /** Genotype. */
  genotype: string | null;
  /** A description of the animal. */
  description: string | null;
  /** Weight with its unit, such as `0.025 kg`. */
  weight: string | null;
}

/** Writes the root attributes, the required groups and the file-level fields. */
export function writeFileFields(file: H5wasmFile, fields: FileFields): void {
  setAttributes(file, { ...typed("NWBFile"), nwb_version: { text: NWB_VERSION } });
  for (const name of ["acquisition", "analysis", "processing", "stimulus", "general"]) {
    file.create_group(name);
  }
  const stimulus = file.get("stimulus") as Group;
  stimulus.create_group("presentation");
  stimulus.create_group("templates");
  strings(file, "file_create_date", [fields.fileCreateDate], "ascii");
  scalar(file, "identifier", { text: fields.identifier });
  scalar(file, "session_description", { text: fields.sessionDescription });
  scalar(file, "session_start_time", { ascii: fields.sessionStartTime });
  scalar(file, "timestamps_reference_time", { ascii: fields.sessionStartTime });
  const general = file.get("general") as Group;
  if (fields.experimenter.length > 0) strings(general, "experimenter", fields.experimenter);
  const text = (parent: Group, name: string, value: string | null) => {
    if (value !== null) scalar(parent, name, { text: value });
  };
  text(general, "experiment_description", fields.experimentDescription);
  text(general, "institution", fields.institution);
  if (fields.keywords.length > 0) strings(general, "keywords", fields.keywords);
  text(general, "lab", fields.lab);
  text(general, "session_id", fields.sessionId);
  if (fields.subject !== null) {
    const subject = group(general, "subject", typed("Subject"));
    const s = fields.subject;
    if (s.age !== null) scalar(subject, "age", { text: s.age }, { reference: { text: "birth" } });
    if (s.dateOfBirth !== null) scalar(subject, "date_of_birth", { ascii: s.dateOfBirth });
    text(subject, "description", s.description);
    text(subject, "genotype", s.genotype);
    text(subject, "sex", s.sex);
    text(subject, "species", s.species);
    text(subject, "strain", s.strain);
    text(subject, "subject_id", s.subjectId);
    text(subject, "weight", s.weight);
  }
}

/** A `Device`, or with `miniscope` an ndx-miniscope `Miniscope`. */
export interface DeviceFields {
  name: string;
  description: string;
  miniscope?: MiniscopeFields;
}

/** Writes `/general/devices/<name>`. */
export function writeDevice(file: H5wasmFile, fields: DeviceFields): string {
  const general = file.get("general") as Group;
  const devices = (general.get("devices") as Group | null) ?? general.create_group("devices");
  const description = { description: { text: fields.description } };
  if (fields.miniscope === undefined) {
    group(devices, fields.name, { ...typed("Device"), ...description });
  } else {
    const device = group(devices, fields.name, {
      ...fields.miniscope.attributes,
      ...description,
      ...typed(MINISCOPE_TYPE, MINISCOPE_NAMESPACE_NAME),
    });
    const roi = fields.miniscope.roi;
    if (roi) device.create_dataset({ name: "ROI", data: roi, shape: [2], dtype: "<q" });
  }
  return `/general/devices/${fields.name}`;
}

/** An imaging plane and its optical channel. */
export interface PlaneFields {
  name: string;
  description: string;
  /** The device's name in `/general/devices`. */
  device: string;
  excitationLambda: number;
  imagingRate: number;
  indicator: string;
  location: string;
  channelDescription: string;
  emissionLambda: number;
}

/** Writes `/general/optophysiology/<name>` with its `OpticalChannel`. */
export function writeImagingPlane(file: H5wasmFile, fields: PlaneFields): string {
  const general = file.get("general") as Group;
  const ophys = (general.get("optophysiology") as Group | null) ??
    general.create_group("optophysiology");
  const plane = group(ophys, fields.name, typed("ImagingPlane"));
  const channel = group(plane, "OpticalChannel", typed("OpticalChannel"));
  scalar(channel, "description", { text: fields.channelDescription });
  scalar(channel, "emission_lambda", { float64: fields.emissionLambda });
  scalar(plane, "description", { text: fields.description });
  plane.create_soft_link(`/general/devices/${fields.device}`, "device");
  scalar(plane, "excitation_lambda", { float64: fields.excitationLambda });
  scalar(plane, "imaging_rate", { float64: fields.imagingRate });
  scalar(plane, "indicator", { text: fields.indicator });
  scalar(plane, "location", { text: fields.location });
  return `/general/optophysiology/${fields.name}`;
}

/** Creates `/acquisition/<name>` as a series of the given type. */
function seriesGroup(
  file: H5wasmFile,
  type: string,
  fields: { name: string; description: string; comments: string; objectId?: string },
  extra: Record<string, Value> = {},
): Group {
  const acquisition = file.get("acquisition") as Group;
  return group(acquisition, fields.name, {
    ...extra,
    comments: { text: fields.comments },
    description: { text: fields.description },
    ...typed(type, "core", fields.objectId),
  });
}

/** When the samples of a series were taken: time stamps, or a start and a rate. */
export type Timing =
  | { timestamps: Float64Array }
  | { startingTime: number; rate: number };

const DATA_ATTRIBUTES = (unit: string): Record<string, Value> => ({
  conversion: { float64: 1 },
  offset: { float64: 0 },
  resolution: { float64: -1 },
  unit: { text: unit },
});

function writeTiming(series: Group, timing: Timing): void {
  if ("timestamps" in timing) {
    float64(series, "timestamps", timing.timestamps, [timing.timestamps.length], {
      interval: { int64: 1 },
      unit: { text: "seconds" },
    });
  } else {
    scalar(series, "starting_time", { float64: timing.startingTime }, {
      rate: { float64: timing.rate },
      unit: { text: "seconds" },
    });
  }
}

/** A `OnePhotonSeries` whose frames are written afterwards. */
export interface OnePhotonFields {
  name: string;
  description: string;
  comments: string;
  /** The imaging plane's name in `/general/optophysiology`. */
  plane: string;
  /** `[frames, width, height]` as stored. */
  shape: [number, number, number];
  gzipLevel: number | null;
  timing: Timing;
}

/**
 * Writes `/acquisition/<name>` as a `OnePhotonSeries` with an empty chunked `data` of its
 * final shape, and returns that dataset to be filled.
 */
export function writeOnePhotonSeries(file: H5wasmFile, fields: OnePhotonFields): Dataset {
  const series = seriesGroup(file, "OnePhotonSeries", fields, { binning: { uint64: 1 } });
  const [frames, width, height] = fields.shape;
  const data = chunkedUint8(series, "data", {
    frames,
    frameShape: [width, height],
    gzipLevel: fields.gzipLevel,
  });
  setAttributes(data, DATA_ATTRIBUTES("n.a."));
  series.create_soft_link(`/general/optophysiology/${fields.plane}`, "imaging_plane");
  writeTiming(series, fields.timing);
  return data;
}

/** A `TimeSeries` of `float64` rows. */
export interface TimeSeriesFields {
  name: string;
  description: string;
  comments: string;
  unit: string;
  data: Float64Array;
  columns: number;
  timestamps: Float64Array;
}

/** Writes `/acquisition/<name>` as a `TimeSeries` of `float64` rows. */
export function writeTimeSeries(file: H5wasmFile, fields: TimeSeriesFields): void {
  const series = seriesGroup(file, "TimeSeries", fields);
  float64(
    series,
    "data",
    fields.data,
    [fields.data.length / fields.columns, fields.columns],
    DATA_ATTRIBUTES(fields.unit),
  );
  writeTiming(series, { timestamps: fields.timestamps });
}

/** An `AnnotationSeries` of texts. */
export interface AnnotationFields {
  name: string;
  description: string;
  texts: string[];
  timestamps: Float64Array;
}

/** Writes `/acquisition/<name>` as an `AnnotationSeries` of texts. */
export function writeAnnotationSeries(file: H5wasmFile, fields: AnnotationFields): void {
  const series = seriesGroup(file, "AnnotationSeries", { ...fields, comments: "no comments" });
  const data = strings(series, "data", fields.texts);
  setAttributes(data, DATA_ATTRIBUTES("n/a"));
  writeTiming(series, { timestamps: fields.timestamps });
}

/** An `ImageSeries` of external video files. */
export interface ExternalImageFields {
  name: string;
  description: string;
  comments: string;
  /** Its `object_id`, known beforehand as the names of copied videos hold it. */
  objectId: string;
  /** Paths relative to the NWB file. */
  files: string[];
  startingFrames: number[];
  timestamps: Float64Array;
}

/** Writes `/acquisition/<name>` as an `ImageSeries` of external video files. */
export function writeExternalImageSeries(file: H5wasmFile, fields: ExternalImageFields): void {
  const series = seriesGroup(file, "ImageSeries", fields);
  const data = emptyUint8(series, "data", [0, 0, 0]);
  setAttributes(data, DATA_ATTRIBUTES("n.a."));
  const external = strings(series, "external_file", fields.files);
  external.create_attribute(
    "starting_frame",
    fields.startingFrames,
    [fields.startingFrames.length],
    "<q",
  );
  scalar(series, "format", { text: "external" });
  writeTiming(series, { timestamps: fields.timestamps });
}

/** Everything in a file, the frames of the `OnePhotonSeries` aside. */
export interface NwbLayout {
  file: FileFields;
  devices: DeviceFields[];
  planes: PlaneFields[];
  onePhoton: OnePhotonFields[];
  timeSeries: TimeSeriesFields[];
  annotations: AnnotationFields[];
  images: ExternalImageFields[];
}

/**
 * Writes a layout into a new file and returns the paths of the `data` datasets of its
 * `OnePhotonSeries`, in order, to be filled with frames.
 */
export function writeLayout(file: H5wasmFile, layout: NwbLayout): string[] {
  writeFileFields(file, layout.file);
  for (const device of layout.devices) writeDevice(file, device);
  for (const plane of layout.planes) writeImagingPlane(file, plane);
  const datasets = layout.onePhoton.map((series) => writeOnePhotonSeries(file, series).path);
  for (const series of layout.timeSeries) writeTimeSeries(file, series);
  for (const series of layout.annotations) writeAnnotationSeries(file, series);
  for (const series of layout.images) writeExternalImageSeries(file, series);
  // Only the extension: readers resolve the core types it builds on from the core namespace
  // they ship.
  const miniscope = layout.devices.some((device) => device.miniscope !== undefined);
  writeSpecifications(file, miniscope ? [MINISCOPE_NAMESPACE] : []);
  return datasets;
}
