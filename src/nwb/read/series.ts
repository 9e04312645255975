/**
 * Finding the imaging series of an NWB file and describing them: the `ImageSeries` of every
 * kind (`OnePhotonSeries`, `TwoPhotonSeries`, `OpticalSeries`, `ImageMaskSeries` and the types
 * of extensions the file's cached specifications derive from them) whose frames the file
 * stores, with their shape, data type, unit, device, imaging plane and timing. What pynwb,
 * neuroconv and MatNWB write differs in details (soft or hard links, attribute types, string
 * kinds); the description reads them all.
 *
 * @module
 */

import type { Dataset, File as H5File, Group } from "h5wasm/node";
import type { Hdf5File } from "./file.ts";

/** The data types of frames the reader gives, as NumPy names them. */
export type NwbDtype =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "uint64"
  | "int64"
  | "float32"
  | "float64";

/** How a series is timed: a time stamp per frame, or a start and a rate. */
export type NwbTiming =
  | { kind: "timestamps"; count: number }
  | { kind: "rate"; startingTime: number; rate: number };

/** An imaging series stored in an NWB file, as the file describes it. */
export interface NwbSeriesInfo {
  /** Its path in the file, such as `/acquisition/OnePhotonSeries`. */
  path: string;
  /** Its name: the last part of the path. */
  name: string;
  /** Its `neurodata_type`, such as `OnePhotonSeries`. */
  type: string;
  /** The shape of `data` as stored: `[frames, x, y]`, or `[frames, x, y, z or 3]`. */
  shape: number[];
  /** Frames in `data`. */
  frames: number;
  /** Rows of a frame as shown: the `y` axis. */
  rows: number;
  /** Columns of a frame as shown: the `x` axis. */
  cols: number;
  /** Planes (`z`) of a 4D series that is not colour; 1 otherwise. */
  planes: number;
  /** 3 for a colour `ImageSeries` (`[frames, x, y, 3]`), else 1. */
  channels: 1 | 3;
  /** The data type of `data`. */
  dtype: NwbDtype;
  /** The `unit` of `data`. */
  unit: string;
  /** `conversion` of `data`: stored value times it, plus `offset`, is in `unit`. */
  conversion: number;
  /** `offset` of `data`. */
  offset: number;
  /** The series' `description`. */
  description: string;
  /** The series' `comments`. */
  comments: string;
  /** The name of its device (of its imaging plane, for ophys series), or null. */
  device: string | null;
  /** The name of its imaging plane, or null. */
  imagingPlane: string | null;
  /** Its timing. */
  timing: NwbTiming;
  /** The chunk shape of `data`, or null when it is contiguous. */
  chunks: number[] | null;
  /** The HDF5 filters of `data`, by name (`deflate`, `shuffle`, ...); empty when none. */
  filters: string[];
}

/** An image series that the file has but the reader cannot show, and why. */
export interface NwbSkippedSeries {
  /** Its path in the file. */
  path: string;
  /** Its `neurodata_type`. */
  type: string;
  /** Why it is left out, such as `its frames are in external files (a.avi)`. */
  reason: string;
}

/** The image series types of the NWB core. */
const CORE_TYPES = [
  "ImageSeries",
  "ImageMaskSeries",
  "OpticalSeries",
  "OnePhotonSeries",
  "TwoPhotonSeries",
];

/** Types whose fourth axis is colour when it has 3 values: the rest have planes there. */
const COLOUR_TYPES = new Set(["ImageSeries", "OpticalSeries", "ImageMaskSeries"]);

/** HDF5 filters the WebAssembly build of HDF5 has: deflate, shuffle, fletcher32, nbit, scaleoffset. */
const BUILT_IN_FILTERS = new Set([1, 2, 3, 5, 6]);

/** A scalar attribute or scalar dataset value as a string, whatever string kind stores it. */
export function textOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") return value[0];
  return null;
}

/** A scalar value as a number, whatever number type (or one-element array) stores it. */
function numberOf(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<unknown>).length === 1) {
    return numberOf((value as unknown as ArrayLike<unknown>)[0]);
  }
  if (Array.isArray(value) && value.length === 1) return numberOf(value[0]);
  return null;
}

/** The attribute `name` of an object, or undefined without one. */
export function attribute(object: Group | Dataset, name: string): unknown {
  return Object.hasOwn(object.attrs, name) ? object.get_attribute(name, false) : undefined;
}

/** What h5wasm found at a path: `Group`, `Dataset`, `ExternalLink`, ..., or null for nothing. */
export function kindOf(object: unknown): string | null {
  return (object as { type?: string } | null)?.type ?? null;
}

/** The group at `path`, or null when there is none (or it is something else). */
export function groupAt(root: H5File, path: string): Group | null {
  const object = root.get(path);
  return kindOf(object) === "Group" ? object as Group : null;
}

/** The dataset at `path`, or null when there is none (or it is something else). */
export function datasetAt(root: H5File, path: string): Dataset | null {
  const object = root.get(path);
  return kindOf(object) === "Dataset" ? object as Dataset : null;
}

/**
 * The path of the object a link in a series leads to: the soft link's target (pynwb, MatNWB),
 * or, for a hard link, the object of `among` with the same `object_id`.
 */
function linkedPath(root: H5File, link: string, among: string): string | null {
  const linked = groupAt(root, link);
  if (!linked) return null;
  const target = root.get_link(link);
  if (typeof target === "string") return target;
  const id = textOf(attribute(linked, "object_id"));
  const parent = groupAt(root, among);
  if (id === null || !parent) return null;
  for (const name of parent.keys()) {
    const candidate = groupAt(root, `${among}/${name}`);
    if (candidate && textOf(attribute(candidate, "object_id")) === id) return `${among}/${name}`;
  }
  return null;
}

function lastPart(path: string | null): string | null {
  return path === null ? null : path.split("/").filter((p) => p !== "").at(-1) ?? null;
}

/** The spec groups of a cached specification, nested ones included. */
function specGroups(spec: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if (typeof record.neurodata_type_def === "string") found.push(record);
    for (const key of ["groups", "datasets"]) {
      const children = record[key];
      if (Array.isArray(children)) children.forEach(visit);
    }
  };
  visit(spec);
  return found;
}

/**
 * The image series types of the file: the core's, and those its cached extension
 * specifications derive from them. A specification that cannot be read adds nothing.
 */
function imageSeriesTypes(file: Hdf5File, names: string[]): Set<string> {
  const types = new Set(CORE_TYPES);
  const parents = new Map<string, string>();
  file.call("reading its cached specifications", (root) => {
    for (const name of names) {
      if (!name.startsWith("specifications/")) continue;
      if (name.split("/").length !== 4 || name.startsWith("specifications/core/")) continue;
      const dataset = datasetAt(root, `/${name}`);
      const text = dataset ? textOf(dataset.value) : null;
      if (text === null) continue;
      try {
        for (const group of specGroups(JSON.parse(text))) {
          const parent = group.neurodata_type_inc;
          if (typeof parent === "string") parents.set(group.neurodata_type_def as string, parent);
        }
      } catch {
        // Not JSON (or not a specification): it names no image series type.
      }
    }
  });
  for (let grown = true; grown;) {
    grown = false;
    for (const [type, parent] of parents) {
      if (!types.has(type) && types.has(parent)) {
        types.add(type);
        grown = true;
      }
    }
  }
  return types;
}

const DTYPES: Record<string, NwbDtype> = {
  "0,1,false": "uint8",
  "0,1,true": "int8",
  "0,2,false": "uint16",
  "0,2,true": "int16",
  "0,4,false": "uint32",
  "0,4,true": "int32",
  "0,8,false": "uint64",
  "0,8,true": "int64",
  "1,4,true": "float32",
  "1,8,true": "float64",
};

/** The data type of a dataset, or why it is none the reader gives. */
function dtypeOf(data: Dataset): { dtype: NwbDtype } | { problem: string } {
  const { type, size, signed } = data.metadata;
  const dtype = DTYPES[`${type},${size},${type === 1 ? true : signed}`];
  if (dtype) return { dtype };
  return {
    problem: type === 1
      ? `its data type is a ${size * 8}-bit float, which the reader does not read`
      : `its data type (HDF5 class ${type}, ${size} bytes) is not a number type`,
  };
}

/** The timing of a series, or why it has none. */
function timingOf(root: H5File, path: string): NwbTiming | string {
  const stamps = datasetAt(root, `${path}/timestamps`);
  if (stamps) {
    const shape = stamps.shape ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 0 || shape.filter((n) => n !== 1).length > 1) {
      return `its timestamps have the shape [${shape.join(", ")}], not one value per frame`;
    }
    return { kind: "timestamps", count };
  }
  const start = datasetAt(root, `${path}/starting_time`);
  if (start) {
    const startingTime = numberOf(start.value);
    const rate = numberOf(attribute(start, "rate"));
    if (
      startingTime === null || rate === null || !Number.isFinite(startingTime) ||
      !Number.isFinite(rate) || !(rate > 0)
    ) {
      return `its starting_time (${startingTime}) and rate (${rate}) do not give frame times`;
    }
    return { kind: "rate", startingTime, rate };
  }
  return "it has neither timestamps nor starting_time";
}

/** Describes the series at `path` of type `type`, or says why it cannot be shown. */
function describe(root: H5File, path: string, type: string): NwbSeriesInfo | NwbSkippedSeries {
  const skip = (reason: string): NwbSkippedSeries => ({ path, type, reason });
  const group = groupAt(root, path)!;
  const link = root.get(`${path}/data`);
  if (kindOf(link) !== "Dataset") {
    const what = kindOf(link) === "ExternalLink" ? "a link to another file" : "not a dataset";
    return skip(`its data is ${what}`);
  }
  const data = link as Dataset;
  const shape = (data.shape ?? []).map(Number);
  const external = datasetAt(root, `${path}/external_file`);
  if (external && (shape.length === 0 || shape.some((n) => n === 0))) {
    const files = external.value;
    const list = Array.isArray(files) ? files.join(", ") : String(files);
    return skip(`its frames are in external files (${list}), not in the NWB file`);
  }
  if (shape.length !== 3 && shape.length !== 4) {
    return skip(
      `its data has the shape [${shape.join(", ")}], not [frames, x, y] or [frames, x, y, z]`,
    );
  }
  if (shape[0] === 0) return skip("it holds no frames");
  const dtype = dtypeOf(data);
  if ("problem" in dtype) return skip(dtype.problem);
  const filters = data.filters.map((f) => ({ id: f.id, name: f.name || `filter ${f.id}` }));
  const missing = filters.find((f) => !BUILT_IN_FILTERS.has(f.id));
  if (missing) {
    return skip(
      `its frames are stored with the HDF5 filter ${missing.id} (${missing.name}), which the ` +
        `WebAssembly build of HDF5 does not have`,
    );
  }
  const timing = timingOf(root, path);
  if (typeof timing === "string") return skip(timing);
  const colour = shape.length === 4 && shape[3] === 3 && COLOUR_TYPES.has(type);
  const planePath = linkedPath(root, `${path}/imaging_plane`, "/general/optophysiology");
  const devicePath = planePath !== null
    ? linkedPath(root, `${planePath}/device`, "/general/devices")
    : linkedPath(root, `${path}/device`, "/general/devices");
  return {
    path,
    name: lastPart(path)!,
    type,
    shape,
    frames: shape[0]!,
    rows: shape[2]!,
    cols: shape[1]!,
    planes: shape.length === 4 && !colour ? shape[3]! : 1,
    channels: colour ? 3 : 1,
    dtype: dtype.dtype,
    unit: textOf(attribute(data, "unit")) ?? "",
    conversion: numberOf(attribute(data, "conversion")) ?? 1,
    offset: numberOf(attribute(data, "offset")) ?? 0,
    description: textOf(attribute(group, "description")) ?? "",
    comments: textOf(attribute(group, "comments")) ?? "",
    device: lastPart(devicePath),
    imagingPlane: lastPart(planePath),
    timing,
    chunks: data.metadata.chunks?.map(Number) ?? null,
    filters: filters.map((f) => f.name),
  };
}

/**
 * Finds every image series of the file: those it can show, and the others with the reason.
 *
 * @param file The open file.
 * @returns The series in the order of their paths, and those left out.
 * @throws {MalformedRecordingError} When HDF5 cannot read the file's structure.
 */
export function findImagingSeries(
  file: Hdf5File,
): { series: NwbSeriesInfo[]; skipped: NwbSkippedSeries[] } {
  const names = file.names();
  const types = imageSeriesTypes(file, names);
  const series: NwbSeriesInfo[] = [];
  const skipped: NwbSkippedSeries[] = [];
  // Every series has a `data`: its group is the parent of a link named so.
  const candidates = names
    .filter((name) => name.endsWith("/data") && !name.startsWith("specifications/"))
    .map((name) => `/${name.slice(0, -"/data".length)}`)
    .sort();
  for (const path of candidates) {
    const found = file.call(`reading "${path}"`, (root) => {
      const group = groupAt(root, path);
      const type = group ? textOf(attribute(group, "neurodata_type")) : null;
      return type !== null && types.has(type) ? describe(root, path, type) : null;
    });
    if (found === null) continue;
    if ("reason" in found) skipped.push(found);
    else series.push(found);
  }
  return { series, skipped };
}
