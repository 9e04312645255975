/**
 * {@linkcode NwbImagingSeries}: the frames of one imaging series of an NWB file (one plane of a 4D
 * one), read exactly and one hyperslab at a time, rows by columns as recorded, with their time
 * stamps.
 *
 * @module
 */

import { MalformedRecordingError } from "../../errors.ts";
import { samplingFrequencyFromTimestamps } from "../../analysis/sampling_frequency.ts";
import type { Hdf5File } from "./file.ts";
import type { NwbDtype, NwbSeriesInfo } from "./series.ts";
import { framePixels, type NwbPixels, readFrameBlock } from "./frames.ts";

/** Frames as one typed array of the series' data type, rows by columns. */
export interface NwbFrames {
  /** The values, frame after frame, each row after row (and channel after channel). */
  data: NwbPixels;
  /** `[frames, rows, cols]`, or `[frames, rows, cols, 3]` for a colour series. */
  shape: [number, number, number] | [number, number, number, 3];
}

/** One frame of {@linkcode NwbImagingSeries.stream}. */
export interface NwbFrame {
  /** Its index. */
  index: number;
  /** Its time in seconds. */
  timestamp: number;
  /** Its values, rows by columns (by channels). */
  data: NwbPixels;
}

/** Options of {@linkcode NwbImagingSeries.stream}. */
export interface NwbStreamOptions {
  /** First frame. Default: 0. */
  start?: number;
  /** End frame, exclusive. Default: the number of samples. */
  end?: number;
  /** Stops the stream. */
  signal?: AbortSignal;
}

/**
 * One imaging series of an NWB file (one plane of a 4D one): exact values of its data type,
 * each frame rows by columns, transposed from NWB's `(x, y)` order as stored, so frames read
 * as the recording showed them. Reads go one hyperslab at a time: a frame, or the frames of a
 * chunk that spans several (kept for the next read).
 *
 * @example Frames of an export are the recording's frames
 * ```ts
 * import { MiniscopeImagingExtractor } from "@miniscope/reader";
 * import { NwbImagingFile, writeNwb } from "@miniscope/reader/nwb";
 *
 * const folder = await Deno.makeTempDir();
 * const raw = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
 * await writeNwb(raw, `${folder}/device.nwb`, { sessionStartTime: "2022-09-19T09:18:41Z" });
 *
 * await using file = await NwbImagingFile.open(`${folder}/device.nwb`);
 * const series = file.openSeries("/acquisition/OnePhotonSeries");
 * const fromNwb = await series.getSamples([3]);
 * const fromAvi = await raw.getSamples([3]);
 * console.log(fromNwb.data.every((v, i) => v === fromAvi.data[i])); // true
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export class NwbImagingSeries {
  /** How the file describes the series. */
  readonly info: NwbSeriesInfo;
  /** The plane read, of a 4D series; 0 otherwise. */
  readonly plane: number;
  readonly #file: Hdf5File;
  readonly #times: Float64Array;
  #block: { start: number; end: number; data: NwbPixels } | null = null;

  /** Made by {@linkcode NwbImagingFile.openSeries}. */
  constructor(file: Hdf5File, info: NwbSeriesInfo, plane: number, times: Float64Array) {
    this.#file = file;
    this.info = info;
    this.plane = plane;
    this.#times = times;
  }

  /** Frames with a time: the smaller of the frames and the time stamps. */
  getNumSamples(): number {
    return this.#times.length;
  }

  /** Frame shape `[rows, cols]` as shown: `[y, x]` of the file. */
  getImageShape(): [number, number] {
    return [this.info.rows, this.info.cols];
  }

  /** Sample shape: `[rows, cols]`, or `[rows, cols, 3]` for a colour series. */
  getSampleShape(): [number, number] | [number, number, 3] {
    return this.info.channels === 3 ? [this.info.rows, this.info.cols, 3] : this.getImageShape();
  }

  /** The data type of the values. */
  getDtype(): NwbDtype {
    return this.info.dtype;
  }

  /** Whether the file gives a time stamp per frame (else a starting time and a rate). */
  hasTimeVector(): boolean {
    return this.info.timing.kind === "timestamps";
  }

  /**
   * The rate of a series timed so, else measured from the time stamps as for a recording.
   *
   * @returns Frames per second; NaN with fewer than two frames.
   * @throws {MalformedRecordingError} When the time stamps do not increase on the whole.
   */
  getSamplingFrequency(): number {
    if (this.info.timing.kind === "rate") return this.info.timing.rate;
    if (this.#times.length < 2) return NaN;
    try {
      return samplingFrequencyFromTimestamps(this.#times.map((t) => t * 1000));
    } catch (error) {
      throw new MalformedRecordingError(
        this.#file.path,
        `the timestamps of "${this.info.path}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * The time of each frame in seconds: the file's `timestamps`, or `starting_time + i / rate`.
   *
   * @param start First frame. Default: 0.
   * @param end End frame, exclusive. Default: the number of samples.
   * @returns A new array.
   * @throws {RangeError} When the range is not one of the samples.
   */
  getTimestamps(start?: number, end?: number): Float64Array {
    const [a, b] = this.#range(start, end);
    return this.#times.slice(a, b);
  }

  /**
   * Reads frames `[start, end)`.
   *
   * @param start First frame. Default: 0.
   * @param end End frame, exclusive. Default: the number of samples.
   * @returns The frames.
   * @throws {RangeError} When the range is not one of the samples.
   * @throws {MalformedRecordingError} When HDF5 cannot read them or the file changed.
   */
  async getSeries(start?: number, end?: number): Promise<NwbFrames> {
    const [a, b] = this.#range(start, end);
    await this.#file.checkUnchanged();
    const data = this.#read(a, b);
    return { data, shape: [b - a, ...this.getSampleShape()] as NwbFrames["shape"] };
  }

  /**
   * Reads the frames at the given indices, in the order asked.
   *
   * @param indices Frame indices; repeats are allowed.
   * @returns The frames, `shape[0] === indices.length`.
   * @throws {RangeError} When an index is not an integer in `[0, getNumSamples())`.
   * @throws {MalformedRecordingError} When HDF5 cannot read them or the file changed.
   */
  async getSamples(indices: ArrayLike<number>): Promise<NwbFrames> {
    const list = Array.from(indices, (index) => this.#range(index, index + 1)[0]);
    await this.#file.checkUnchanged();
    const size = this.#frameSize();
    const frames = list.map((index) => this.#frame(index));
    const data = framePixels(this.info.dtype, list.length * size);
    frames.forEach((frame, i) => data.set(frame as never, i * size));
    return { data, shape: [list.length, ...this.getSampleShape()] as NwbFrames["shape"] };
  }

  /**
   * Reads frames one after another, as they are consumed.
   *
   * @param options Range and signal.
   * @returns The frames in order.
   * @throws {RangeError} When the range is not one of the samples (on the first iteration).
   */
  async *stream(options: NwbStreamOptions = {}): AsyncGenerator<NwbFrame, void, undefined> {
    const [a, b] = this.#range(options.start, options.end);
    for (let index = a; index < b; index++) {
      options.signal?.throwIfAborted();
      await this.#file.checkUnchanged();
      options.signal?.throwIfAborted();
      yield { index, timestamp: this.#times[index]!, data: this.#frame(index) };
    }
  }

  /**
   * Checks that the file is still the one opened, for callers that keep frames read earlier.
   *
   * @throws {MalformedRecordingError} When the file changed after it was opened.
   * @throws {Deno.errors.NotFound} When it no longer exists.
   */
  async checkUnchanged(): Promise<void> {
    await this.#file.checkUnchanged();
  }

  #frameSize(): number {
    return this.info.rows * this.info.cols * this.info.channels;
  }

  /** One frame: from the block kept, or read with the frames of its chunk. */
  #frame(index: number): NwbPixels {
    const size = this.#frameSize();
    const block = this.#block;
    if (block && index >= block.start && index < block.end) {
      const at = (index - block.start) * size;
      return block.data.slice(at, at + size);
    }
    const span = this.#blockFrames();
    if (span <= 1) return this.#read(index, index + 1);
    const start = index - (index % span);
    const end = Math.min(this.getNumSamples(), start + span);
    this.#block = { start, end, data: this.#read(start, end) };
    return this.#frame(index);
  }

  /**
   * Frames read together: those of a chunk of `data` when a chunk holds several (reading one
   * of them decompresses the whole chunk), within 64 MiB; 1 otherwise.
   */
  #blockFrames(): number {
    const chunks = this.info.chunks;
    if (!chunks || chunks[0]! <= 1) return 1;
    const bytes = this.#frameSize() * BYTES[this.info.dtype];
    return Math.max(1, Math.min(chunks[0]!, Math.floor(BLOCK_BYTES / bytes)));
  }

  #read(start: number, end: number): NwbPixels {
    return this.#file.call(
      `reading frames ${start} to ${end - 1} of "${this.info.path}"`,
      (root) => readFrameBlock(root, this.info, { start, end, plane: this.plane }),
    );
  }

  #range(start: number | undefined, end: number | undefined): [number, number] {
    const samples = this.getNumSamples();
    const a = start ?? 0;
    const b = end ?? samples;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > samples || a > b) {
      throw new RangeError(
        `Frames [${a}, ${b}) are not a range of the ${samples} samples of "${this.info.path}"`,
      );
    }
    return [a, b];
  }
}

/** Bytes of the frames kept from one read at most. */
const BLOCK_BYTES = 64 * 2 ** 20;

const BYTES: Record<NwbDtype, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  uint64: 8,
  int64: 8,
  float32: 4,
  float64: 8,
};
