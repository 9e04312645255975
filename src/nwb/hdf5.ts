/**
 * The HDF5 layer under the NWB writer: h5wasm's Node.js build (which writes straight to disk)
 * loaded without environment access, and typed helpers that store attributes and datasets with
 * the types pynwb writes (`float64`, `int64`, variable-length UTF-8 or ASCII strings).
 *
 * @module
 */

import fs from "node:fs";
import type { Dataset, File as H5wasmFile, Group } from "h5wasm/node";
import { quietly, withoutEnvironment, type WriteSync } from "./writer_worker.ts";

type H5wasm = typeof import("h5wasm/node");

let loading: Promise<H5wasm> | undefined;

/**
 * Loads h5wasm once, with no environment access (see {@linkcode withoutEnvironment}).
 */
export function loadH5wasm(): Promise<H5wasm> {
  loading ??= withoutEnvironment(async () => {
    const h5wasm = await import("h5wasm/node");
    await h5wasm.ready;
    return h5wasm;
  });
  return loading;
}

/**
 * Runs h5wasm calls of this thread with HDF5's own error report kept from the user (see
 * {@linkcode quietly}).
 *
 * @param run The h5wasm calls.
 * @returns What `run` gives.
 * @throws {Error} `HDF5: <cause>` when HDF5 reported an error.
 */
export function quietHdf5<T>(run: () => T): T {
  return quietly(fs as unknown as WriteSync, run);
}

/** A group or file to write into. */
export type Parent = Group | H5wasmFile;

/** An attribute or scalar dataset value with the HDF5 type it is stored as. */
export type Value =
  | { text: string }
  | { ascii: string }
  | { float64: number }
  | { int64: number }
  | { uint64: number };

function dtypeOf(value: Value): { data: string | number; dtype: string } {
  if ("text" in value) return { data: value.text, dtype: "S" };
  if ("ascii" in value) return { data: value.ascii, dtype: "A" };
  if ("float64" in value) return { data: value.float64, dtype: "<d" };
  if ("int64" in value) return { data: value.int64, dtype: "<q" };
  return { data: value.uint64, dtype: "<Q" };
}

/** Sets scalar attributes on a group or dataset. */
export function setAttributes(target: Parent | Dataset, attributes: Record<string, Value>): void {
  for (const [name, value] of Object.entries(attributes)) {
    const { data, dtype } = dtypeOf(value);
    target.create_attribute(name, data, null, dtype);
  }
}

/** Writes a scalar dataset. */
export function scalar(
  parent: Parent,
  name: string,
  value: Value,
  attributes: Record<string, Value> = {},
): Dataset {
  const { data, dtype } = dtypeOf(value);
  const dataset = parent.create_dataset({ name, data, dtype });
  setAttributes(dataset, attributes);
  return dataset;
}

/** Writes a one-dimensional dataset of variable-length strings (UTF-8, or ASCII). */
export function strings(
  parent: Parent,
  name: string,
  values: readonly string[],
  encoding: "utf8" | "ascii" = "utf8",
): Dataset {
  return parent.create_dataset({
    name,
    data: [...values],
    shape: [values.length],
    dtype: encoding === "utf8" ? "S" : "A",
  });
}

/** Writes a `float64` dataset of the given shape. */
export function float64(
  parent: Parent,
  name: string,
  values: Float64Array,
  shape: number[] = [values.length],
  attributes: Record<string, Value> = {},
): Dataset {
  const dataset = parent.create_dataset({ name, data: values, shape, dtype: "<d" });
  setAttributes(dataset, attributes);
  return dataset;
}

/** Writes an empty `uint8` dataset of the given shape (all of whose sides may be 0). */
export function emptyUint8(parent: Parent, name: string, shape: number[]): Dataset {
  return parent.create_dataset({ name, data: new Uint8Array(0), shape, dtype: "<B" });
}

/** How the frames of an image series are stored. */
export interface ChunkedLayout {
  /** The shape of one frame as stored. */
  frameShape: [number, number];
  /** Frames in all. */
  frames: number;
  /** gzip level 0 to 9, or null for no compression. */
  gzipLevel: number | null;
}

/**
 * Creates a `uint8` dataset of `frames` frames, extendable along the first axis, one frame
 * per chunk, gzip-compressed or not, to be filled by the writer's worker.
 */
export function chunkedUint8(parent: Parent, name: string, layout: ChunkedLayout): Dataset {
  const [a, b] = layout.frameShape;
  const dataset = parent.create_dataset({
    name,
    data: new Uint8Array(0),
    shape: [0, a, b],
    maxshape: [null, a, b],
    chunks: [1, a, b],
    dtype: "<B",
    ...(layout.gzipLevel === null
      ? {}
      : { compression: "gzip", compression_opts: layout.gzipLevel }),
  });
  if (layout.frames > 0) dataset.resize([layout.frames, a, b]);
  return dataset;
}
