/**
 * {@linkcode MiniscopeImagingExtractor}: one device's recording as one continuous series of
 * frames with their hardware time stamps.
 *
 * @module
 */

import type { DroppedFrames } from "./analysis/dropped_frames.ts";
import { lastSamplesAtOrBefore } from "./analysis/sampling_frequency.ts";
import type {
  FilePart,
  Frame,
  FrameSeries,
  MiniscopeOpenOptions,
  PixelFormat,
  ReadOptions,
  RecordingPart,
  StreamOptions,
} from "./options.ts";
import { validateFiles } from "./open/validation.ts";
import { readMetadataFile } from "./open/metadata.ts";
import { openRecording } from "./open/recording.ts";
import { readSamples } from "./read/samples.ts";
import { readSeries } from "./read/series.ts";
import { streamFrames } from "./read/stream.ts";
import {
  checkRange,
  checkTimes,
  droppedWithin,
  filesWithin,
  framesAt,
  partsWithin,
  type SampleView,
  shapeOf,
  sliceView,
  timesOf,
  wholeView,
} from "./read/view.ts";
import { fileOf } from "./read/plan.ts";
import { checkUnchanged } from "./files.ts";

/**
 * Reads a Miniscope recording (the device folder written by the Miniscope DAQ software) as one
 * continuous series of frames (8-bit gray; RGB for colour cameras), with the hardware time
 * stamps from `timeStamps.csv`.
 *
 * Everything but pixels is read once by {@linkcode MiniscopeImagingExtractor.open}: AVI
 * headers and indexes, the time stamps, the sampling frequency. Pixels are decoded by the
 * system `ffmpeg` on demand, bit for bit.
 *
 * @example Open the bundled sample recording and read five frames
 * ```ts
 * import { MiniscopeImagingExtractor } from "@miniscope/reader";
 *
 * const extractor = await MiniscopeImagingExtractor.open({
 *   folderPath: "testdata/sample_session/Miniscope",
 * });
 * const series = await extractor.getSeries(5, 10);
 * console.log(series.shape); // [5, 40, 48]
 * console.log(extractor.getTimestamps(5, 10));
 * ```
 */
export class MiniscopeImagingExtractor {
  readonly #view: SampleView;

  /**
   * Makes a view of an opened recording. Use {@linkcode MiniscopeImagingExtractor.open}.
   *
   * @param view The recording, its decoders and the samples of the view.
   */
  protected constructor(view: SampleView) {
    this.#view = view;
  }

  /** The opened recording. */
  get #recording() {
    return this.#view.source.recording;
  }

  /**
   * Opens a recording: finds the videos, reads their headers and indexes, the time stamps and
   * the sampling frequency. No frame is decoded.
   *
   * @param options `folderPath` or `filePaths`, and optional settings.
   * @returns The extractor.
   * @throws {TypeError} For wrong options: both or neither of `folderPath` and `filePaths`,
   *   an empty list, a video not ending in `.avi`.
   * @throws {Deno.errors.NotFound} When a folder or file is missing, including
   *   `timeStamps.csv` without a `samplingFrequency`.
   * @throws {MalformedRecordingError} When a file is broken or the files disagree.
   */
  static async open(options: MiniscopeOpenOptions): Promise<MiniscopeImagingExtractor> {
    return new MiniscopeImagingExtractor(wholeView(await openRecording(options), null));
  }

  /**
   * Checks that video files and an optional timestamps file exist and have the right
   * extensions, without reading them.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * await MiniscopeImagingExtractor.validateMiniscopeFiles(
   *   ["testdata/v1_device/0.avi", "testdata/v1_device/1.avi"],
   *   "testdata/v1_device/timeStamps.csv",
   * );
   * ```
   *
   * @param filePaths Paths of `.avi` files.
   * @param timestampsPath Path of a `.csv` timestamps file.
   * @throws {TypeError} When the list is empty or a path has the wrong extension.
   * @throws {Deno.errors.NotFound} When a file does not exist.
   */
  static async validateMiniscopeFiles(
    filePaths: readonly string[],
    timestampsPath?: string,
  ): Promise<void> {
    await validateFiles(filePaths, timestampsPath);
  }

  /**
   * Reads a `metaData.json` file, session or device level, into a plain object.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * const config = await MiniscopeImagingExtractor.loadMiniscopeConfig(
   *   "testdata/sample_session/Miniscope/metaData.json",
   * );
   * console.log(config.deviceType); // "Miniscope_V4_BNO"
   * ```
   *
   * @param configurationFilePath Path of the JSON file.
   * @returns The parsed object.
   * @throws {Deno.errors.NotFound} When the file does not exist.
   * @throws {MalformedRecordingError} When it is not valid JSON (with the position) or not an
   *   object.
   */
  static loadMiniscopeConfig(configurationFilePath: string): Promise<Record<string, unknown>> {
    return readMetadataFile(configurationFilePath);
  }

  /** The number of frames: the smaller of the video frames and the timestamp rows. */
  getNumSamples(): number {
    return this.#view.length;
  }

  /** Frame shape `[rows, cols]`. */
  getImageShape(): [number, number] {
    return [this.#recording.rows, this.#recording.cols];
  }

  /** Frame shape `[rows, cols]`; the same as {@linkcode getImageShape}. */
  getFrameShape(): [number, number] {
    return this.getImageShape();
  }

  /** Sample shape: `[rows, cols]`, or `[rows, cols, 3]` for `rgb24`. */
  getSampleShape(): [number, number] | [number, number, 3] {
    const [rows, cols] = this.getImageShape();
    return this.#recording.pixelFormat === "rgb24" ? [rows, cols, 3] : [rows, cols];
  }

  /** The pixel format frames are decoded to: `"gray8"` or `"rgb24"`. */
  getPixelFormat(): PixelFormat {
    return this.#recording.pixelFormat;
  }

  /**
   * Sampling frequency in Hz: the override given to `open`, else measured from the stamps (for
   * several recordings combined, from the intervals within every recording).
   */
  getSamplingFrequency(): number {
    return this.#recording.samplingFrequency;
  }

  /** The pixel type: always `"uint8"`. */
  getDtype(): "uint8" {
    return "uint8";
  }

  /** The video files, in recording order (for several recordings, in time order). */
  getFilePaths(): string[] {
    return [...this.#recording.filePaths];
  }

  /**
   * The frame counts behind {@linkcode getNumSamples} for the whole recording: frames in the
   * videos, rows in `timeStamps.csv` (`null` without it), and rows whose frames are missing
   * from a video file cut short (`lostInFiles`, 0 when none is). Samples are the frames that
   * have a row.
   */
  getFrameCounts(): { video: number; timestamps: number | null; lostInFiles: number } {
    return {
      video: this.#recording.videoFrames,
      timestamps: this.#recording.timestampRows,
      lostInFiles: this.#recording.lostInFiles,
    };
  }

  /**
   * The number of frames in each video file of the whole recording, in the order of
   * {@linkcode getFilePaths}: what each file holds, read from its index when opening (with
   * several recordings combined, the frames of each file that have a time stamp). For a slice,
   * still those of the whole recording.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * const extractor = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
   * console.log(extractor.getFileFrameCounts()); // one count per file
   * ```
   *
   * @returns One count per file.
   */
  getFileFrameCounts(): number[] {
    return this.#recording.videos.map((video) => video.frameCount);
  }

  /**
   * The video files holding this extractor's samples, in order: each file's path, the index of
   * its first sample and how many samples its frames are (frames past the last time stamp are
   * none). For a slice, the files that overlap it, with their ranges in the slice; a file none
   * of whose frames is a sample is left out.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * const extractor = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
   * for (const file of extractor.getFiles()) {
   *   console.log(file.path, file.firstSample, file.samples);
   * }
   * ```
   *
   * @returns One entry per file, in sample order.
   */
  getFiles(): FilePart[] {
    return filesWithin(this.#view);
  }

  /**
   * The recordings joined into this series, in time order, with their start times, offsets and
   * sample ranges; for a slice, those that overlap it, with the ranges of their samples in the
   * slice. `null` for one recording ({@linkcode MiniscopeImagingExtractor.open}); see
   * {@linkcode MiniscopeMultiRecordingImagingExtractor}.
   *
   * @returns The recordings, or `null`.
   */
  getRecordings(): RecordingPart[] | null {
    const parts = this.#view.parts;
    return parts && partsWithin(this.#view, parts);
  }

  /**
   * Frames the acquisition lost within this extractor's samples, from the time stamps and the
   * `DAQ Frame Number` column when present, with the places where the clock steps back and the
   * frames lost from a file cut short (apart: the acquisition did not drop those); `null`
   * without `timeStamps.csv`. For several recordings combined, each recording's drops in the
   * combined sample indices; the time between recordings is no drop. See
   * {@linkcode detectDroppedFrames}.
   */
  getDroppedFrames(): DroppedFrames | null {
    return droppedWithin(this.#view);
  }

  /**
   * Decodes frames `[startSample, endSample)`. Up to `concurrency` ffmpeg processes decode at
   * once, each writing straight into its place in the result; long ranges are split at
   * keyframes so the work is shared evenly even within one file.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * const extractor = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
   * const { data, shape } = await extractor.getSeries(10, 14);
   * console.log(shape, data.length); // [4, 24, 32] 3072
   * ```
   *
   * @param startSample First frame. Default: 0.
   * @param endSample End frame, exclusive. Default: the number of samples.
   * @param options A signal that stops the read.
   * @returns The frames; `getSeries(0, 0)` is empty.
   * @throws {RangeError} When a bound is not an integer in range or `endSample < startSample`.
   * @throws {MalformedRecordingError} When a file decodes to fewer frames than it holds.
   * @throws {FfmpegError} When ffmpeg fails or stalls.
   */
  async getSeries(
    startSample?: number,
    endSample?: number,
    options: ReadOptions = {},
  ): Promise<FrameSeries> {
    const [start, end] = checkRange(this.#view, startSample, endSample);
    const range = { start: this.#view.offset + start, count: end - start };
    const data = await readSeries(this.#view.source, range, options.signal);
    return { data, shape: shapeOf(this.#view, end - start) };
  }

  /**
   * Decodes the frames at the given indices, in the order asked; repeats are allowed. Nearby
   * indices of one file share a decode.
   *
   * @param sampleIndices Frame indices.
   * @param options A signal that stops the read.
   * @returns The frames, `shape[0] === sampleIndices.length`.
   * @throws {RangeError} When an index is not an integer in `[0, getNumSamples())`.
   * @throws {MalformedRecordingError} When a file is damaged.
   * @throws {FfmpegError} When ffmpeg fails or stalls.
   */
  async getSamples(
    sampleIndices: ArrayLike<number>,
    options: ReadOptions = {},
  ): Promise<FrameSeries> {
    const frames = framesAt(this.#view, sampleIndices);
    const data = await readSamples(this.#view.source, frames, options.signal);
    return { data, shape: shapeOf(this.#view, frames.length) };
  }

  /**
   * Streams frames one at a time, decoding as they are consumed, so memory stays bounded
   * however long the range. Breaking out of the loop or aborting the signal stops ffmpeg.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * const extractor = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
   * let brightest = 0;
   * for await (const frame of extractor.stream({ start: 2, end: 8 })) {
   *   brightest = Math.max(brightest, ...frame.data);
   * }
   * console.log(brightest);
   * ```
   *
   * @param options Range and abort signal.
   * @returns An async iterable of frames in order.
   * @throws {RangeError} When the range is invalid (on the first iteration).
   */
  async *stream(options: StreamOptions = {}): AsyncGenerator<Frame, void, undefined> {
    const [start, end] = checkRange(this.#view, options.start, options.end);
    options.signal?.throwIfAborted();
    const times = timesOf(this.#view, start, end);
    const range = { start: this.#view.offset + start, count: end - start };
    let index = start;
    for await (const data of streamFrames(this.#view.source, range, options)) {
      yield { index, timestamp: times[index - start]!, data };
      index++;
    }
  }

  /**
   * Checks, without decoding, that the video file holding a sample is still the version the
   * recording was opened from: for callers that keep frames read earlier (every read checks
   * by itself).
   *
   * @param sampleIndex A sample index.
   * @throws {RangeError} When it is not an integer in `[0, getNumSamples())`.
   * @throws {MalformedRecordingError} When the file changed after the recording was opened.
   * @throws {Deno.errors.NotFound} When the file no longer exists.
   */
  async checkUnchanged(sampleIndex: number): Promise<void> {
    const [frame] = framesAt(this.#view, [sampleIndex]);
    const video = this.#recording.videos[fileOf(this.#recording, frame!)]!;
    await checkUnchanged(video.path, video);
  }

  /**
   * Ends the ffmpeg processes kept alive between reads and empties the frame cache, for this
   * extractor and every slice of its recording. Reads after it still work, each decoding with
   * a process of its own. Decoders left open are closed after `decoderIdleMs` unused (5 s by
   * default) and when the program exits, and never keep it running; `await using` closes them
   * at the end of a block.
   *
   * @example
   * ```ts
   * import { MiniscopeImagingExtractor } from "@miniscope/reader";
   *
   * await using extractor = await MiniscopeImagingExtractor.open({
   *   folderPath: "testdata/v1_device",
   * });
   * const first = await extractor.getSamples([3]); // starts a decoder
   * const next = await extractor.getSamples([4]); // continues it
   * console.log(first.shape, next.shape); // [1, 24, 32] [1, 24, 32]
   * ```
   */
  async close(): Promise<void> {
    await this.#view.source.live.close();
  }

  /** {@linkcode close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The time stamps from `timeStamps.csv` in seconds (not re-zeroed; for several recordings
   * combined, from the first recording's start), or `null` when the recording has none.
   *
   * @param startSample First sample. Default: 0.
   * @param endSample End sample, exclusive. Default: the number of samples.
   * @returns A new array of `endSample - startSample` seconds, or `null`.
   */
  getNativeTimestamps(startSample?: number, endSample?: number): Float64Array | null {
    const [start, end] = checkRange(this.#view, startSample, endSample);
    const { offset, source } = this.#view;
    return source.recording.nativeTimestamps?.slice(offset + start, offset + end) ?? null;
  }

  /**
   * The time of each sample in seconds: the times set with {@linkcode setTimes}, else the
   * native time stamps, else `index / samplingFrequency`.
   *
   * @param startSample First sample. Default: 0.
   * @param endSample End sample, exclusive. Default: the number of samples.
   * @returns A new array of `endSample - startSample` seconds.
   */
  getTimestamps(startSample?: number, endSample?: number): Float64Array {
    const [start, end] = checkRange(this.#view, startSample, endSample);
    return timesOf(this.#view, start, end);
  }

  /**
   * Sets the time of every sample, replacing the native time stamps for this extractor.
   *
   * @param times One finite time in seconds per sample.
   * @throws {RangeError} When the length differs from {@linkcode getNumSamples} or a time is
   *   not finite.
   */
  setTimes(times: ArrayLike<number>): void {
    this.#view.times = checkTimes(this.#view, times);
  }

  /** Whether the samples have times from {@linkcode setTimes} or from `timeStamps.csv`. */
  hasTimeVector(): boolean {
    return this.#view.times !== null || this.#recording.nativeTimestamps !== null;
  }

  /**
   * For each time, the index of the last sample at or before it: -1 before the first sample,
   * the last sample for a time after it (`Infinity` included). The times of the samples are
   * those of {@linkcode getTimestamps}: set, native, or `index / samplingFrequency` without a
   * time vector, so the same rule holds in every case. Where the times step back (a clock that
   * stepped back), it is the last sample whose time is at or before the time asked.
   *
   * @param times Times in seconds.
   * @returns One index per time.
   * @throws {RangeError} When a time is NaN (or not a number).
   */
  timeToSampleIndices(times: ArrayLike<number>): Int32Array {
    return lastSamplesAtOrBefore(this.getTimestamps(), times);
  }

  /**
   * A view of samples `[startSample, endSample)` with the same API, counting from 0, with
   * their time stamps (and any times set on this extractor), of the same class: a slice of a
   * multi-recording is a multi-recording. It shares the decoders of this extractor. Nothing is
   * decoded.
   *
   * @param startSample First sample.
   * @param endSample End sample, exclusive.
   * @returns The view.
   * @throws {RangeError} When the range is invalid.
   */
  sliceSamples(startSample: number, endSample: number): this {
    // The class of this extractor, whose constructor every subclass keeps.
    const Class = this.constructor as new (view: SampleView) => this;
    return new Class(sliceView(this.#view, startSample, endSample));
  }
}
