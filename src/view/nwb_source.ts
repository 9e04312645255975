/**
 * An NWB file as the viewer shows it: each imaging series the file stores (each plane of a 4D
 * one) is a device, its frames shown as 8-bit pictures. `uint8` frames are shown as they are;
 * frames of other data types are scaled to 0-255 by one linear map per series, fixed when the
 * file is opened, and their exact values stay available (`values`). Its notes (each
 * `AnnotationSeries`) and head orientation go on the time axis, as a session's do.
 *
 * @module
 */

import { extname } from "node:path";
import { detectDroppedFrames, type DroppedFrames } from "../analysis/dropped_frames.ts";
import { MalformedRecordingError } from "../errors.ts";
import type { Frame, FrameSeries, PixelFormat, ReadOptions, StreamOptions } from "../options.ts";
import { hasHdf5Signature } from "../nwb/read/file.ts";
import {
  type NwbHeadOrientation,
  NwbImagingFile,
  type NwbImagingSeries,
  type NwbPixels,
  type NwbSeriesInfo,
} from "../nwb/read/reader.ts";
import type { ViewDevice, ViewRecording, ViewSource } from "./model.ts";

/** How stored values become the 8-bit values shown: `low` as 0, `high` as 255, linearly. */
export interface DisplayScale {
  /** The value shown as 0. */
  low: number;
  /** The value shown as 255. */
  high: number;
}

/**
 * Whether the viewer takes `path` for an NWB file: a `.nwb` name, or a file that is HDF5.
 *
 * @param path What `view` was given.
 * @returns `true` for an NWB file.
 */
export async function isNwbPath(path: string): Promise<boolean> {
  if (extname(path).toLowerCase() === ".nwb") return true;
  try {
    const info = await Deno.stat(path);
    return info.isFile && await hasHdf5Signature(path, info.size);
  } catch {
    // Not there or not readable: the folder readers say why.
    return false;
  }
}

function maxOf(values: NwbPixels): number {
  let max = -Infinity;
  for (const v of values as Iterable<number | bigint>) {
    const n = Number(v);
    if (n > max) max = n;
  }
  return max;
}

function minOf(values: NwbPixels): number {
  let min = Infinity;
  for (const v of values as Iterable<number | bigint>) {
    const n = Number(v);
    if (n < min) min = n;
  }
  return min;
}

/**
 * The display scale of a series from a few of its frames: none for `uint8`; for unsigned
 * integers, 0 to the largest value their bits hold (`2^bits - 1`, as a 12-bit sensor's 4095);
 * for signed integers and floats, their smallest to their largest finite value.
 *
 * @param dtype The data type.
 * @param frames Frames of the series (the first, middle and last).
 * @returns The scale, or null to show values as they are.
 */
export function displayScale(dtype: string, frames: NwbPixels[]): DisplayScale | null {
  if (dtype === "uint8") return null;
  if (dtype.startsWith("uint")) {
    const max = Math.max(0, ...frames.map(maxOf));
    const bits = Math.max(8, Math.ceil(Math.log2(max + 1)));
    return { low: 0, high: 2 ** bits - 1 };
  }
  const finite = frames.map((frame) =>
    (frame instanceof Float32Array || frame instanceof Float64Array)
      ? frame.filter(Number.isFinite)
      : frame
  );
  const low = Math.min(...finite.map(minOf));
  const high = Math.max(...finite.map(maxOf));
  if (!Number.isFinite(low) || !Number.isFinite(high)) return { low: 0, high: 1 };
  return { low, high: high > low ? high : low + 1 };
}

/**
 * The 8-bit values shown for stored values.
 *
 * @param values The stored values.
 * @param scale The display scale, or null for `uint8`.
 * @returns The values shown: rounded, and clamped to 0-255 (a NaN shows as 0).
 */
export function toDisplay(values: NwbPixels, scale: DisplayScale | null): Uint8Array {
  if (scale === null) return values as Uint8Array;
  // A clamped array clamps to 0-255 and rounds (half to even); NaN becomes 0.
  const out = new Uint8ClampedArray(values.length);
  const factor = 255 / (scale.high - scale.low);
  const source = values as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = (Number(source[i]) - scale.low) * factor;
  return new Uint8Array(out.buffer);
}

/** One series (one plane) shown as a recording of 8-bit frames. */
class NwbViewRecording implements ViewRecording {
  readonly #series: NwbImagingSeries;
  readonly #scale: DisplayScale | null;
  readonly #dropped: DroppedFrames | null;

  constructor(series: NwbImagingSeries, scale: DisplayScale | null) {
    this.#series = series;
    this.#scale = scale;
    const times = series.getTimestamps();
    this.#dropped = series.hasTimeVector() && times.length >= 2
      ? detectDroppedFrames(times.map((t) => t * 1000))
      : null;
  }

  getNumSamples(): number {
    return this.#series.getNumSamples();
  }

  getImageShape(): [number, number] {
    return this.#series.getImageShape();
  }

  getPixelFormat(): PixelFormat {
    return this.#series.info.channels === 3 ? "rgb24" : "gray8";
  }

  getSamplingFrequency(): number {
    return this.#series.getSamplingFrequency();
  }

  getTimestamps(start?: number, end?: number): Float64Array {
    return this.#series.getTimestamps(start, end);
  }

  getFileFrameCounts(): number[] {
    return [this.#series.info.frames];
  }

  /** The file is closed with the viewer's source, not with each series. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  getFrameCounts(): { video: number; timestamps: number | null; lostInFiles: number } {
    const info = this.#series.info;
    return {
      video: info.frames,
      timestamps: info.timing.kind === "timestamps" ? info.timing.count : null,
      lostInFiles: 0,
    };
  }

  getDroppedFrames(): DroppedFrames | null {
    return this.#dropped;
  }

  async getSeries(start?: number, end?: number, options: ReadOptions = {}): Promise<FrameSeries> {
    options.signal?.throwIfAborted();
    const frames = await this.#series.getSeries(start, end);
    return { data: toDisplay(frames.data, this.#scale), shape: frames.shape };
  }

  async getSamples(indices: ArrayLike<number>, options: ReadOptions = {}): Promise<FrameSeries> {
    options.signal?.throwIfAborted();
    const frames = await this.#series.getSamples(indices);
    return { data: toDisplay(frames.data, this.#scale), shape: frames.shape };
  }

  async *stream(options: StreamOptions = {}): AsyncGenerator<Frame, void, undefined> {
    const { start, end, signal } = options;
    const range = {
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
      ...(signal === undefined ? {} : { signal }),
    };
    for await (const frame of this.#series.stream(range)) {
      yield {
        index: frame.index,
        timestamp: frame.timestamp,
        data: toDisplay(frame.data, this.#scale),
      };
    }
  }

  async checkUnchanged(_sampleIndex: number): Promise<void> {
    await this.#series.checkUnchanged();
  }
}

/** The frames whose values fix a series' display scale: the first, the middle and the last. */
async function scaleOf(series: NwbImagingSeries): Promise<DisplayScale | null> {
  if (series.getDtype() === "uint8") return null;
  const n = series.getNumSamples();
  const picks = [...new Set([0, Math.floor(n / 2), n - 1])].filter((k) => k >= 0 && k < n);
  const frames = await Promise.all(picks.map((k) => series.getSamples([k])));
  return displayScale(series.getDtype(), frames.map((f) => f.data));
}

/** How `/api/info` describes a series. */
function describe(info: NwbSeriesInfo, plane: number, scale: DisplayScale | null) {
  return {
    path: info.path,
    type: info.type,
    shape: info.shape,
    ...(info.planes > 1 ? { plane, planes: info.planes } : {}),
    dtype: info.dtype,
    unit: info.unit,
    conversion: info.conversion,
    offset: info.offset,
    description: info.description,
    device: info.device,
    imagingPlane: info.imagingPlane,
    timing: info.timing.kind,
    chunks: info.chunks,
    filters: info.filters,
    display: scale,
  };
}

/**
 * Gives each head orientation series to the imaging series of its Miniscope: the device its
 * description names (`Head orientation of Miniscope "Scope A"`, as an export writes it), else
 * the series whose name ends as its own (`HeadOrientation_A`, `OnePhotonSeries_A`), else, when
 * the file has one of each, the one.
 */
function attachHeadOrientation(imaging: ViewDevice[], heads: NwbHeadOrientation[]): void {
  const suffix = (name: string, stem: string) =>
    name.startsWith(stem) ? name.slice(stem.length) : null;
  for (const head of heads) {
    const named = /Miniscope "([^"]+)"/.exec(head.description)?.[1];
    const own = suffix(head.path.split("/").at(-1)!, "HeadOrientation");
    const device = imaging.find((d) => named !== undefined && d.series?.device === named) ??
      imaging.find((d) =>
        own !== null &&
        suffix(String(d.series?.path).split("/").at(-1)!, String(d.series?.type)) === own
      ) ??
      (heads.length === 1 && imaging.length === 1 ? imaging[0] : undefined);
    if (device && !device.orientation) {
      const { timestamps, quaternions } = head;
      device.orientation = () => Promise.resolve({ timestamps, quaternions });
    }
  }
}

/**
 * Opens an NWB file for the viewer: every imaging series it stores becomes a device (every
 * plane of a 4D one): those of an imaging plane first, colour series last, as behaviour
 * cameras of a session are.
 *
 * @param path The NWB file.
 * @param onWarning Receives warnings about the file.
 * @returns The devices, with the file's identifier, description and start time as the session.
 * @throws {MalformedRecordingError} When the file is not NWB (HDF5) or holds no imaging series
 *   whose frames it stores.
 */
export async function openNwbViewSource(
  path: string,
  onWarning?: (message: string) => void,
): Promise<ViewSource> {
  const file = await NwbImagingFile.open(path, onWarning ? { onWarning } : {});
  try {
    if (file.series.length === 0) {
      const left = file.skipped.map((s) => `${s.path} (${s.type}): ${s.reason}`);
      throw new MalformedRecordingError(
        path,
        left.length === 0
          ? "it holds no imaging series (no ImageSeries, OnePhotonSeries or TwoPhotonSeries)"
          : `it holds no imaging series whose frames it stores: ${left.join("; ")}`,
      );
    }
    const devices: ViewDevice[] = [];
    // A series whose timing cannot be used is left out and named, as one stored elsewhere is.
    const skipped = [...file.skipped];
    const prefix = `Cannot read "${path}": `;
    for (const info of file.series) {
      for (let plane = 0; plane < info.planes; plane++) {
        let series: NwbImagingSeries;
        let scale: DisplayScale | null;
        try {
          series = file.openSeries(info.path, { plane });
          if (series.getNumSamples() === 0) {
            throw new MalformedRecordingError(path, "it has no frame with a time stamp");
          }
          series.getSamplingFrequency();
          scale = await scaleOf(series);
        } catch (error) {
          if (!(error instanceof MalformedRecordingError)) throw error;
          const reason = error.message.startsWith(prefix)
            ? error.message.slice(prefix.length)
            : error.message;
          skipped.push({ path: info.path, type: info.type, reason });
          break;
        }
        const name = info.planes > 1 ? `${info.name} plane ${plane}` : info.name;
        devices.push({
          name,
          extractor: new NwbViewRecording(series, scale),
          metadata: null,
          files: [{
            name: info.planes > 1 ? `${info.path} plane ${plane}` : info.path,
            firstSample: 0,
            frames: series.getNumSamples(),
          }],
          kind: info.channels === 3 ? "camera" : "miniscope",
          series: describe(info, plane, scale),
          ...(scale === null ? {} : {
            stored: {
              getImageShape: () => series.getImageShape(),
              getPixelFormat: () => info.channels === 3 ? "rgb24" : "gray",
              getNumSamples: () => series.getNumSamples(),
              stream: (options) => series.stream(options?.signal ? { signal: options.signal } : {}),
              shown: (values) => toDisplay(Float64Array.from(values), scale),
            },
          }),
          values: async (index) => {
            const { data, shape } = await series.getSamples([index]);
            // Typed arrays hold the machine's byte order: little-endian wherever Deno runs.
            const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
            return { dtype: info.dtype, shape: shape.slice(1), bytes };
          },
        });
      }
    }
    if (devices.length === 0) {
      throw new MalformedRecordingError(
        path,
        `it holds no imaging series it can show: ${
          skipped.map((s) => `${s.path} (${s.type}): ${s.reason}`).join("; ")
        }`,
      );
    }
    // Imaging (a series with an imaging plane) first, the first shown; colour series last.
    const rank = (d: ViewDevice) => d.kind === "camera" ? 2 : d.series?.imagingPlane ? 0 : 1;
    devices.sort((a, b) => rank(a) - rank(b));
    attachHeadOrientation(devices.filter((d) => rank(d) === 0), file.readHeadOrientation());
    const notes = file.readNotes().map((note) => ({
      kind: "note",
      timeStampMs: note.time * 1000,
      text: note.text,
    }));
    return {
      folder: path,
      devices,
      session: {
        identifier: file.fields.identifier,
        sessionDescription: file.fields.sessionDescription,
        startTime: file.fields.sessionStartTime,
        notes,
        skipped,
      },
      close: () => file.close(),
    };
  } catch (error) {
    file.close();
    throw error;
  }
}
