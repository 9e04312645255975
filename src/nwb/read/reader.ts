/**
 * Reading the imaging series of an NWB file, whoever wrote it: {@linkcode NwbImagingFile} lists
 * them, {@linkcode NwbImagingSeries} reads their frames, exactly and one hyperslab at a time,
 * rows by columns as recorded, with their time stamps.
 *
 * @module
 */

import { MalformedRecordingError, warnOnConsole } from "../../errors.ts";
import { Hdf5File } from "./file.ts";
import { findImagingSeries, kindOf, type NwbSeriesInfo, type NwbSkippedSeries } from "./series.ts";
import { NwbImagingSeries } from "./imaging_series.ts";
import {
  findHeadOrientation,
  findNotes,
  type NwbHeadOrientation,
  type NwbNote,
} from "./session_series.ts";

export type { NwbDtype, NwbSeriesInfo, NwbSkippedSeries, NwbTiming } from "./series.ts";
export type { NwbPixels } from "./frames.ts";
export {
  type NwbFrame,
  type NwbFrames,
  NwbImagingSeries,
  type NwbStreamOptions,
} from "./imaging_series.ts";
export type { NwbHeadOrientation, NwbNote } from "./session_series.ts";

/** Options of {@linkcode NwbImagingFile.open}. */
export interface NwbOpenOptions {
  /** Receives warnings (time stamps that do not match the frames). Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/** Options of {@linkcode NwbImagingFile.openSeries}. */
export interface NwbSeriesOptions {
  /** The plane (`z`) of a 4D series to read. Default: 0. */
  plane?: number;
}

/**
 * An NWB file open for reading its imaging series. HDF5 reads what each call needs from disk,
 * through h5wasm, on the calling thread: a frame at a time holds the event loop for the few
 * milliseconds it takes to read and decompress it.
 *
 * @example
 * ```ts
 * import { MiniscopeSession } from "@miniscope/reader";
 * import { NwbImagingFile, writeNwb } from "@miniscope/reader/nwb";
 *
 * const folder = await Deno.makeTempDir();
 * const session = await MiniscopeSession.open("testdata/sample_session");
 * await writeNwb(session, `${folder}/session.nwb`, { sessionStartTime: "2022-09-19T09:18:41Z" });
 *
 * await using file = await NwbImagingFile.open(`${folder}/session.nwb`);
 * console.log(file.series.map((s) => `${s.path} ${s.type} ${s.rows}x${s.cols} ${s.dtype}`));
 * const series = file.openSeries(file.series[0]!.path);
 * const { data, shape } = await series.getSamples([0, 10]); // shape [2, rows, cols]
 * console.log(shape, data.length, series.getTimestamps(0, 2));
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export class NwbImagingFile {
  /** The imaging series whose frames the file stores, in the order of their paths. */
  readonly series: readonly NwbSeriesInfo[];
  /** Image series that cannot be shown (frames in external files, ...), with the reason. */
  readonly skipped: readonly NwbSkippedSeries[];
  /** The file's `identifier`, `session_description` and `session_start_time`, where given. */
  readonly fields: {
    identifier: string | null;
    sessionDescription: string | null;
    sessionStartTime: string | null;
  };
  readonly #file: Hdf5File;
  readonly #warn: (message: string) => void;

  private constructor(
    file: Hdf5File,
    found: ReturnType<typeof findImagingSeries>,
    fields: NwbImagingFile["fields"],
    warn: (message: string) => void,
  ) {
    this.#file = file;
    this.series = found.series;
    this.skipped = found.skipped;
    this.fields = fields;
    this.#warn = warn;
  }

  /**
   * Opens an NWB file read-only and finds its imaging series. A file without any is not an
   * error here: {@linkcode series} is empty and {@linkcode skipped} says what there is.
   *
   * @param path The `.nwb` file.
   * @param options Where warnings go.
   * @returns The open file; close it with {@linkcode close} or `await using`.
   * @throws {Deno.errors.NotFound} When the file does not exist.
   * @throws {Deno.errors.NotCapable} When the script may not read it.
   * @throws {MalformedRecordingError} When it is not an HDF5 file or HDF5 cannot read it.
   */
  static async open(path: string, options: NwbOpenOptions = {}): Promise<NwbImagingFile> {
    const file = await Hdf5File.open(path);
    try {
      const found = findImagingSeries(file);
      const fields = file.call("reading its file fields", (root) => {
        const text = (name: string) => {
          const object = root.get(name);
          const value = kindOf(object) === "Dataset" ? (object as { value: unknown }).value : null;
          const first = Array.isArray(value) ? value[0] : value;
          return typeof first === "string" ? first : null;
        };
        return {
          identifier: text("/identifier"),
          sessionDescription: text("/session_description"),
          sessionStartTime: text("/session_start_time"),
        };
      });
      return new NwbImagingFile(file, found, fields, options.onWarning ?? warnOnConsole);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The path of the file, as given to {@linkcode open}. */
  get path(): string {
    return this.#file.path;
  }

  /**
   * Opens one imaging series for reading: its time stamps are read now, frames when asked.
   *
   * @param path Its path, as in {@linkcode series}: `/acquisition/OnePhotonSeries`.
   * @param options The plane of a 4D series.
   * @returns The series.
   * @throws {RangeError} When the file has no such imaging series or no such plane.
   * @throws {MalformedRecordingError} When its time stamps cannot be read or one is not a
   *   finite number.
   */
  openSeries(path: string, options: NwbSeriesOptions = {}): NwbImagingSeries {
    const info = this.series.find((s) => s.path === path);
    if (!info) {
      const skipped = this.skipped.find((s) => s.path === path);
      throw new RangeError(
        skipped
          ? `Cannot show "${path}" of "${this.path}": ${skipped.reason}`
          : `"${this.path}" has no imaging series "${path}"; it has ${
            this.series.map((s) => `"${s.path}"`).join(", ") || "none"
          }`,
      );
    }
    const plane = options.plane ?? 0;
    if (!Number.isInteger(plane) || plane < 0 || plane >= info.planes) {
      throw new RangeError(
        `Plane ${plane} is out of range: "${path}" of "${this.path}" has ${info.planes}`,
      );
    }
    let times: Float64Array;
    if (info.timing.kind === "timestamps") {
      times = this.#file.call(`reading the timestamps of "${path}"`, (root) => {
        const dataset = root.get(`${path}/timestamps`) as { value: unknown };
        const value = dataset.value;
        return value instanceof Float64Array
          ? value
          : Float64Array.from(value as ArrayLike<number>);
      });
    } else {
      const { startingTime, rate } = info.timing;
      times = Float64Array.from({ length: info.frames }, (_, i) => startingTime + i / rate);
    }
    const bad = times.findIndex((t) => !Number.isFinite(t));
    if (bad >= 0) {
      throw new MalformedRecordingError(
        this.path,
        `the timestamps of "${path}" hold ${times[bad]} at frame ${bad}, not a finite number ` +
          `of seconds`,
      );
    }
    if (times.length !== info.frames) {
      this.#warn(
        `"${path}" of "${this.path}" has ${info.frames} frames but ${times.length} timestamps: ` +
          `only the first ${Math.min(info.frames, times.length)} frames are read`,
      );
    }
    return new NwbImagingSeries(this.#file, info, plane, times.subarray(0, info.frames));
  }

  /**
   * The file's notes: the rows of every `AnnotationSeries` (the notes of `notes.csv`, in a
   * file of this module's export), in time order.
   *
   * @returns The notes; a series whose texts and time stamps do not pair up is left out with
   *   a warning.
   * @throws {MalformedRecordingError} When HDF5 cannot read them.
   */
  readNotes(): NwbNote[] {
    return findNotes(this.#file, this.#warn);
  }

  /**
   * The file's head orientation: each `TimeSeries` of one unit quaternion (`w, x, y, z`) per
   * time stamp whose name or description says head orientation or quaternion (in a file of
   * this module's export, the Miniscope's `headOrientation.csv`).
   *
   * @returns The series, in the order of their paths.
   * @throws {MalformedRecordingError} When HDF5 cannot read them.
   */
  readHeadOrientation(): NwbHeadOrientation[] {
    return findHeadOrientation(this.#file);
  }

  /** Closes the file; the series opened from it can no longer read. */
  close(): void {
    this.#file.close();
  }

  /** {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
