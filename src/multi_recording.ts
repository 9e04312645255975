/**
 * {@linkcode MiniscopeMultiRecordingImagingExtractor}: several recordings of one device, such as
 * an animal's recordings of one day, read as one series on a common time axis.
 *
 * @module
 */

import { join } from "node:path";
import { extractorOf, MiniscopeImagingExtractor } from "./extractor.ts";
import type * as api from "./options.ts";
import type { RecordingStartTime } from "./formats/metadata_json.ts";
import { leadingIntervals, samplingFrequencyFromIntervals } from "./analysis/sampling_frequency.ts";
import { assembleRecording, openRecording, openSettings } from "./open/recording.ts";
import { findRecordings } from "./session.ts";
import { MalformedRecordingError } from "./errors.ts";
import type { DroppedFrames, RowSegment } from "./analysis/dropped_frames.ts";
import type { VideoFile } from "./model.ts";

/** Options of {@linkcode MiniscopeMultiRecordingImagingExtractor.open}. */
export interface MultiRecordingOpenOptions {
  /** The folder holding one folder per recording (`<time folder>/<device>/`). */
  folderPath: string;
  /** The device folder name inside each recording. Default: `"Miniscope"`. */
  deviceName?: string;
  /** The ffmpeg executable. Default: `"ffmpeg"`. */
  ffmpegPath?: string;
  /** How many ffmpeg processes may decode at once. Default: the number of CPU cores. */
  concurrency?: number;
  /** Bytes of decoded frames kept for later reads; see `MiniscopeOpenOptions`. */
  frameCacheBytes?: number;
  /** Whether decoders are kept alive between reads; see `MiniscopeOpenOptions`. */
  liveDecoders?: boolean;
  /** Receives warnings. Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/** One recording within a {@linkcode MiniscopeMultiRecordingImagingExtractor}. */
export interface RecordingPart {
  /** The recording's folder (holding its session `metaData.json`). */
  folder: string;
  /** Its start time from that folder's `metaData.json`. */
  startTime: RecordingStartTime;
  /** Seconds from the first recording's start to this one's, added to its time stamps. */
  offsetSeconds: number;
  /** Its first sample in the combined series. */
  firstSample: number;
  /** Its number of samples. */
  samples: number;
}

/**
 * Milliseconds of a start time on one axis: since the epoch when every recording has it, else
 * from the calendar fields (local time, all recordings on the same clock).
 */
function startMs(time: RecordingStartTime, useEpoch: boolean): number {
  return useEpoch && time.msecSinceEpoch !== null
    ? time.msecSinceEpoch
    : Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second, time.msec);
}

/**
 * Several recordings of one device as one series: `<folder>/<recording>/<device>/`, in start
 * time order. Each recording's time stamps are shifted by its start time minus the first
 * recording's (each start time read from the recording's own folder), so the gaps between
 * recordings stay in the timestamps; the frames are concatenated. The sampling frequency pools
 * the intervals within every recording.
 *
 * @example
 * ```ts ignore
 * import { MiniscopeMultiRecordingImagingExtractor } from "@miniscope/reader";
 *
 * const day = await MiniscopeMultiRecordingImagingExtractor.open({
 *   folderPath: "mouse1/2021_10_07",
 *   deviceName: "Miniscope",
 * });
 * console.log(day.getRecordings().map((r) => [r.folder, r.offsetSeconds, r.samples]));
 * ```
 */
export class MiniscopeMultiRecordingImagingExtractor {
  /** The combined series (or the slice of it) that reads, times and counts are delegated to. */
  readonly #series: MiniscopeImagingExtractor;
  /** The recordings, with sample ranges in the whole combined series. */
  readonly #parts: RecordingPart[];
  /** First sample of this view in the combined series. */
  readonly #offset: number;

  private constructor(series: MiniscopeImagingExtractor, parts: RecordingPart[], offset: number) {
    this.#series = series;
    this.#parts = parts;
    this.#offset = offset;
  }

  /**
   * Finds the recordings of a device under a folder and opens them as one series.
   *
   * @param options The folder, device name and settings.
   * @returns The extractor.
   * @throws {Deno.errors.NotFound} When the folder is missing or holds no recording of the
   *   device.
   * @throws {MalformedRecordingError} When a recording lacks its start time or time stamps,
   *   or the recordings' frame shapes differ.
   */
  static async open(
    options: MultiRecordingOpenOptions,
  ): Promise<MiniscopeMultiRecordingImagingExtractor> {
    // Options of one recording that several do not take are ignored, as they always were.
    const { folderPath, deviceName = "Miniscope", ...known } = options as
      & MultiRecordingOpenOptions
      & Pick<api.MiniscopeOpenOptions, "samplingFrequency" | "stallTimeoutMs">;
    const { samplingFrequency: _fs, stallTimeoutMs: _stall, ...taken } = known;
    const settings = openSettings({ ...taken, pixelFormat: "gray8" });
    const warn = settings.warn;
    const found = await findRecordings(folderPath, deviceName, warn);
    // Each recording keeps the start time read from its own folder.
    const useEpoch = found.every((r) => r.startTime.msecSinceEpoch !== null);
    found.sort((a, b) => startMs(a.startTime, useEpoch) - startMs(b.startTime, useEpoch));
    const origin = startMs(found[0]!.startTime, useEpoch);

    const videos: VideoFile[] = [];
    const filePaths: string[] = [];
    const stamps: Float64Array[] = [];
    const intervals: number[] = [];
    const parts: RecordingPart[] = [];
    let shape: { rows: number; cols: number; from: string } | undefined;
    let samples = 0;
    let videoFrames = 0;
    let timestampRows = 0;
    let lostInFiles = 0;
    const segments: RowSegment[] = [];
    for (const { folder, startTime } of found) {
      const device = join(folder, deviceName);
      const { recording, samples: count } = await openRecording(
        {
          folderPath: device,
          ffmpegPath: settings.ffmpegPath,
          concurrency: settings.concurrency,
          pixelFormat: "gray8",
          liveDecoders: false,
          onWarning: warn,
        },
        false,
      );
      if (shape && (recording.rows !== shape.rows || recording.cols !== shape.cols)) {
        throw new MalformedRecordingError(
          device,
          `its frames are ${recording.cols}x${recording.rows} (width x height) but those of ` +
            `"${shape.from}" are ${shape.cols}x${shape.rows}; all recordings must agree`,
        );
      }
      shape ??= { rows: recording.rows, cols: recording.cols, from: device };
      // Frames past the last time stamp are left out, so frames and times line up: the samples
      // are the first frames of the files in order.
      recording.videos.forEach((video, i) => {
        const take = Math.max(0, Math.min(video.frameCount, count - recording.firstFrames[i]!));
        if (take > 0) videos.push({ ...video, frameCount: take });
        if (take > 0) filePaths.push(video.path);
      });
      const segment = recording.segments[0]!;
      segments.push({ ...segment, firstSample: samples });
      lostInFiles += recording.lostInFiles;
      const offsetSeconds = (startMs(startTime, useEpoch) - origin) / 1000;
      stamps.push(recording.nativeTimestamps!.map((seconds) => seconds + offsetSeconds));
      for (const interval of leadingIntervals(segment.timeStampsMs)) intervals.push(interval);
      parts.push({ folder, startTime, offsetSeconds, firstSample: samples, samples: count });
      samples += count;
      videoFrames += recording.videoFrames;
      timestampRows += recording.timestampRows!;
    }

    let samplingFrequency: number;
    try {
      samplingFrequency = samplingFrequencyFromIntervals(Float64Array.from(intervals));
    } catch (error) {
      throw new MalformedRecordingError(folderPath, (error as Error).message);
    }
    const nativeTimestamps = new Float64Array(samples);
    stamps.forEach((part, i) => nativeTimestamps.set(part, parts[i]!.firstSample));
    const recording = assembleRecording({
      videos,
      filePaths,
      rows: shape!.rows,
      cols: shape!.cols,
      samplingFrequency,
      nativeTimestamps,
      segments,
      lostInFiles,
      videoFrames,
      timestampRows,
    }, settings);
    return new MiniscopeMultiRecordingImagingExtractor(extractorOf(recording, samples), parts, 0);
  }

  /**
   * Checks that video files and an optional timestamps file exist and have the right
   * extensions; see {@linkcode MiniscopeImagingExtractor.validateMiniscopeFiles}.
   *
   * @param filePaths Paths of `.avi` files.
   * @param timestampsPath Path of a `.csv` timestamps file.
   */
  static validateMiniscopeFiles(
    filePaths: readonly string[],
    timestampsPath?: string,
  ): Promise<void> {
    return MiniscopeImagingExtractor.validateMiniscopeFiles(filePaths, timestampsPath);
  }

  /**
   * Reads a `metaData.json` file into a plain object; see
   * {@linkcode MiniscopeImagingExtractor.loadMiniscopeConfig}.
   *
   * @param configurationFilePath Path of the JSON file.
   * @returns The parsed object.
   */
  static loadMiniscopeConfig(configurationFilePath: string): Promise<Record<string, unknown>> {
    return MiniscopeImagingExtractor.loadMiniscopeConfig(configurationFilePath);
  }

  /**
   * The recordings in time order, with their start times, offsets and sample ranges; for a
   * slice, those that overlap it, with the ranges of their samples in the slice.
   */
  getRecordings(): RecordingPart[] {
    const end = this.#offset + this.#series.getNumSamples();
    return this.#parts.flatMap((part) => {
      const first = Math.max(part.firstSample, this.#offset);
      const last = Math.min(part.firstSample + part.samples, end);
      if (last <= first) return [];
      return [{ ...part, firstSample: first - this.#offset, samples: last - first }];
    });
  }

  /**
   * A view of samples `[startSample, endSample)`, still a multi-recording: its
   * {@linkcode getRecordings} lists the recordings that overlap the slice, with their sample
   * ranges relative to it.
   *
   * @param startSample First sample.
   * @param endSample End sample, exclusive.
   * @returns The view.
   * @throws {RangeError} When the range is invalid.
   */
  sliceSamples(startSample: number, endSample: number): MiniscopeMultiRecordingImagingExtractor {
    const series = this.#series.sliceSamples(startSample, endSample);
    return new MiniscopeMultiRecordingImagingExtractor(
      series,
      this.#parts,
      this.#offset + startSample,
    );
  }

  /** The number of samples, over all recordings. */
  getNumSamples(): number {
    return this.#series.getNumSamples();
  }

  /** Frame shape `[rows, cols]`. */
  getImageShape(): [number, number] {
    return this.#series.getImageShape();
  }

  /** Frame shape `[rows, cols]`; the same as {@linkcode getImageShape}. */
  getFrameShape(): [number, number] {
    return this.#series.getFrameShape();
  }

  /** Sample shape: `[rows, cols]` (the frames are 8-bit gray). */
  getSampleShape(): [number, number] | [number, number, 3] {
    return this.#series.getSampleShape();
  }

  /** The pixel format frames are decoded to: `"gray8"`. */
  getPixelFormat(): api.PixelFormat {
    return this.#series.getPixelFormat();
  }

  /** Sampling frequency in Hz, from the intervals within every recording. */
  getSamplingFrequency(): number {
    return this.#series.getSamplingFrequency();
  }

  /** The pixel type: always `"uint8"`. */
  getDtype(): "uint8" {
    return "uint8";
  }

  /** The video files of all recordings, in time order. */
  getFilePaths(): string[] {
    return this.#series.getFilePaths();
  }

  /**
   * The frame counts behind {@linkcode getNumSamples}, summed over the recordings; see
   * {@linkcode MiniscopeImagingExtractor.getFrameCounts}.
   */
  getFrameCounts(): { video: number; timestamps: number | null; lostInFiles: number } {
    return this.#series.getFrameCounts();
  }

  /**
   * The frames of each video file that have a time stamp, in the order of
   * {@linkcode getFilePaths}.
   *
   * @returns One count per file.
   */
  getFileFrameCounts(): number[] {
    return this.#series.getFileFrameCounts();
  }

  /**
   * Frames lost within this extractor's samples, each recording's in the combined sample
   * indices (the time between recordings is no drop); `null` without time stamps. See
   * {@linkcode MiniscopeImagingExtractor.getDroppedFrames}.
   */
  getDroppedFrames(): DroppedFrames | null {
    return this.#series.getDroppedFrames();
  }

  /**
   * Decodes frames `[startSample, endSample)`; see
   * {@linkcode MiniscopeImagingExtractor.getSeries}.
   *
   * @param startSample First frame. Default: 0.
   * @param endSample End frame, exclusive. Default: the number of samples.
   * @param options A signal that stops the read.
   * @returns The frames.
   */
  getSeries(
    startSample?: number,
    endSample?: number,
    options?: api.ReadOptions,
  ): Promise<api.ImageSeries> {
    return this.#series.getSeries(startSample, endSample, options);
  }

  /**
   * Decodes the frames at the given indices, in the order asked; see
   * {@linkcode MiniscopeImagingExtractor.getSamples}.
   *
   * @param sampleIndices Frame indices.
   * @param options A signal that stops the read.
   * @returns The frames.
   */
  getSamples(
    sampleIndices: ArrayLike<number>,
    options?: api.ReadOptions,
  ): Promise<api.ImageSeries> {
    return this.#series.getSamples(sampleIndices, options);
  }

  /**
   * Streams frames one at a time; see {@linkcode MiniscopeImagingExtractor.stream}.
   *
   * @param options Range and abort signal.
   * @returns An async iterable of frames in order.
   */
  stream(options?: api.StreamOptions): AsyncGenerator<api.Frame, void, undefined> {
    return this.#series.stream(options);
  }

  /**
   * Ends the ffmpeg processes kept alive between reads, for this extractor and every slice of
   * it; see {@linkcode MiniscopeImagingExtractor.close}.
   */
  close(): Promise<void> {
    return this.#series.close();
  }

  /** {@linkcode close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The time stamps in seconds from the first recording's start, or `null` without them.
   *
   * @param startSample First sample. Default: 0.
   * @param endSample End sample, exclusive. Default: the number of samples.
   * @returns A new array of `endSample - startSample` seconds, or `null`.
   */
  getNativeTimestamps(startSample?: number, endSample?: number): Float64Array | null {
    return this.#series.getNativeTimestamps(startSample, endSample);
  }

  /**
   * The time of each sample in seconds; see {@linkcode MiniscopeImagingExtractor.getTimestamps}.
   *
   * @param startSample First sample. Default: 0.
   * @param endSample End sample, exclusive. Default: the number of samples.
   * @returns A new array of `endSample - startSample` seconds.
   */
  getTimestamps(startSample?: number, endSample?: number): Float64Array {
    return this.#series.getTimestamps(startSample, endSample);
  }

  /**
   * Sets the time of every sample; see {@linkcode MiniscopeImagingExtractor.setTimes}.
   *
   * @param times One finite time in seconds per sample.
   */
  setTimes(times: ArrayLike<number>): void {
    this.#series.setTimes(times);
  }

  /** Whether the samples have times from {@linkcode setTimes} or from `timeStamps.csv`. */
  hasTimeVector(): boolean {
    return this.#series.hasTimeVector();
  }

  /**
   * For each time, the index of the last sample at or before it; see
   * {@linkcode MiniscopeImagingExtractor.timeToSampleIndices}.
   *
   * @param times Times in seconds.
   * @returns One index per time.
   * @throws {RangeError} When a time is NaN (or not a number).
   */
  timeToSampleIndices(times: ArrayLike<number>): Int32Array {
    return this.#series.timeToSampleIndices(times);
  }
}
