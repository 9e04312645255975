/**
 * The types the viewer's parts share: what it reads of a device, the devices of what it shows
 * and their files. A raw folder's source and an NWB file's source both give them.
 *
 * @module
 */

import type { MiniscopeImagingExtractor } from "../extractor.ts";
import type { DeviceKind } from "../options.ts";
import type { TraceInput } from "../analysis/traces.ts";

/**
 * What the viewer reads of a device: the reading and timing of a recording. A raw folder's
 * extractor is one; an NWB file's series is shown through one of its own.
 */
export type ViewRecording = Pick<
  MiniscopeImagingExtractor,
  | "getNumSamples"
  | "getImageShape"
  | "getPixelFormat"
  | "getSamplingFrequency"
  | "getTimestamps"
  | "getFrameCounts"
  | "getDroppedFrames"
  | "getSeries"
  | "getSamples"
  | "stream"
  | "checkUnchanged"
  | "getFileFrameCounts"
  | "close"
>;

/** A video file of a device and where its frames sit among the samples. */
export interface ViewFile {
  /** The file name, such as `0.avi`. */
  name: string;
  /** The sample index of its first frame. */
  firstSample: number;
  /** Its frames. */
  frames: number;
}

/** One device the viewer can show. */
export interface ViewDevice {
  /** The folder name, such as `Miniscope` or `BehavCam 0`. */
  name: string;
  /** The recording. */
  extractor: ViewRecording;
  /** Its `metaData.json` as written, or null without one. */
  metadata: Record<string, unknown> | null;
  /** Its video files in order (for an NWB series, the series itself). */
  files: ViewFile[];
  /** What it is: a behaviour camera is read in colour. */
  kind: DeviceKind;
  /** For an NWB series: how the file describes it (path, type, data type, device, ...). */
  series?: Record<string, unknown>;
  /** The exact values of a frame, where they are not the 8-bit values shown (NWB series). */
  values?: (index: number) => Promise<FrameValues>;
  /**
   * The frames as stored, where they are not the 8-bit values shown (NWB series): region
   * traces, the projections and the F0 of ΔF/F are of these.
   */
  stored?: StoredFrames;
  /** Reads the device's head orientation (`headOrientation.csv`), where it has one. */
  orientation?: () => Promise<ViewOrientation>;
}

/** The stored frames of a device shown scaled, and the scale. */
export interface StoredFrames extends TraceInput {
  /** The 8-bit values shown for stored values (rounded and clamped; NaN as 0). */
  shown(values: ArrayLike<number>): Uint8Array;
}

/** A device's head orientation: a unit quaternion per row, on the device's time axis. */
export interface ViewOrientation {
  /** Each row's time in seconds of the acquisition clock, as the device's time stamps. */
  timestamps: Float64Array;
  /** `w, x, y, z` per row, scalar first. */
  quaternions: Float64Array;
}

/** The exact values of a frame, as stored. */
export interface FrameValues {
  /** Their data type, such as `uint16`. */
  dtype: string;
  /** `[rows, cols]`, or `[rows, cols, 3]`. */
  shape: number[];
  /** The values, row after row, in little-endian bytes. */
  bytes: Uint8Array;
}

/** What was opened: the devices, the one shown first, and the session facts if any. */
export interface ViewSource {
  /** The folder (or NWB file) given. */
  folder: string;
  /** The devices; the first is shown in the main view. */
  devices: ViewDevice[];
  /**
   * The session's names, start time and notes, or null for a single device folder; for an
   * NWB file, its identifier, description, start time and the series it cannot show.
   */
  session: Record<string, unknown> | null;
  /** Releases what the source holds open (an NWB file), once the viewer stops. */
  close?: () => void;
}
