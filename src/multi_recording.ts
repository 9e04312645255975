/**
 * {@linkcode MiniscopeMultiRecordingImagingExtractor}: several recordings of one device, such as
 * an animal's recordings of one day, read as one series on a common time axis.
 *
 * @module
 */

import { join } from "node:path";
import { MiniscopeImagingExtractor } from "./extractor.ts";
import { discoverVideoFiles } from "./open/discovery.ts";
import { findRecordings } from "./session.ts";
import type { RecordingStartTime } from "./formats/metadata_json.ts";
import { leadingIntervals, samplingFrequencyFromIntervals } from "./analysis/sampling_frequency.ts";
import type { Recording } from "./recording.ts";
import { loadVideos } from "./open/videos.ts";
import { deviceFramesPerFile, matchRowsToFrames, readTimestamps } from "./open/timestamps.ts";
import { resolveConcurrency } from "./open/recording.ts";
import { MalformedRecordingError } from "./errors.ts";
import type { RowSegment } from "./analysis/dropped_frames.ts";
import type { VideoFile } from "./ffmpeg/decode.ts";
import { frameCacheBytesOption, LiveDecoders } from "./live_decoders.ts";

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
  /** Bytes of decoded frames kept for later reads; see {@linkcode MiniscopeOpenOptions}. */
  frameCacheBytes?: number;
  /** Whether decoders are kept alive between reads; see {@linkcode MiniscopeOpenOptions}. */
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
export class MiniscopeMultiRecordingImagingExtractor extends MiniscopeImagingExtractor {
  /** The recordings, with sample ranges in the whole combined series. */
  readonly #parts: RecordingPart[];
  readonly #offset: number;
  readonly #length: number;

  /**
   * Use {@linkcode MiniscopeMultiRecordingImagingExtractor.open}.
   *
   * @param recording The combined recording.
   * @param offset First sample of this view in the combined series.
   * @param length Samples in this view.
   * @param times Times set on this view, or null.
   * @param parts The recordings, with sample ranges in the combined series, or the
   *   multi-recording this view is a slice of.
   */
  protected constructor(
    recording: Recording,
    offset: number,
    length: number,
    times: Float64Array | null,
    parts: RecordingPart[] | MiniscopeImagingExtractor,
  ) {
    super(recording, offset, length, times);
    this.#parts = parts instanceof MiniscopeMultiRecordingImagingExtractor
      ? parts.#parts
      : parts as RecordingPart[];
    this.#offset = offset;
    this.#length = length;
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
  override sliceSamples(
    startSample: number,
    endSample: number,
  ): MiniscopeMultiRecordingImagingExtractor {
    return super.sliceSamples(startSample, endSample) as MiniscopeMultiRecordingImagingExtractor;
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
  static override async open(
    options: MultiRecordingOpenOptions,
  ): Promise<MiniscopeMultiRecordingImagingExtractor> {
    const warn = options.onWarning ?? ((message: string) => console.warn(`Warning: ${message}`));
    const deviceName = options.deviceName ?? "Miniscope";
    const concurrency = resolveConcurrency(options.concurrency);
    const found = await findRecordings(options.folderPath, deviceName, warn);
    // Each recording keeps the start time read from its own folder.
    const useEpoch = found.every((r) => r.startTime.msecSinceEpoch !== null);
    found.sort((a, b) => startMs(a.startTime, useEpoch) - startMs(b.startTime, useEpoch));
    const origin = startMs(found[0]!.startTime, useEpoch);

    const videos: VideoFile[] = [];
    const filePaths: string[] = [];
    const stamps: Float64Array[] = [];
    const intervals: Float64Array[] = [];
    const parts: RecordingPart[] = [];
    let shape: { rows: number; cols: number; from: string } | undefined;
    let samples = 0;
    let videoFrames = 0;
    let timestampRows = 0;
    let lostInFiles = 0;
    const segments: RowSegment[] = [];
    for (const { folder, startTime } of found) {
      const device = join(folder, deviceName);
      const paths = await discoverVideoFiles(device, warn);
      const loaded = await loadVideos(paths, "gray8", warn);
      if (shape && (loaded.rows !== shape.rows || loaded.cols !== shape.cols)) {
        throw new MalformedRecordingError(
          device,
          `its frames are ${loaded.cols}x${loaded.rows} (width x height) but those of ` +
            `"${shape.from}" are ${shape.cols}x${shape.rows}; all recordings must agree`,
        );
      }
      shape ??= { rows: loaded.rows, cols: loaded.cols, from: device };
      const csvPath = join(device, "timeStamps.csv");
      const table = (await readTimestamps(csvPath, true, undefined, warn))!;
      const match = matchRowsToFrames(
        table,
        loaded.videos,
        await deviceFramesPerFile(loaded.videos.map((video) => video.path), warn),
        csvPath,
        warn,
      );
      const count = match.samples;
      // Frames past the last time stamp are left out, so frames and times line up.
      loaded.videos.forEach((video, i) => {
        const take = match.framesUsed[i]!;
        if (take > 0) videos.push({ ...video, frameCount: take });
        if (take > 0) filePaths.push(video.path);
      });
      segments.push({
        timeStampsMs: table.timeStampsMs,
        daqFrameNumbers: table.daqFrameNumbers ?? null,
        rows: match.rows,
        firstSample: samples,
        files: loaded.videos.map((video) => video.path),
        fileFirstRows: match.firstRows,
      });
      lostInFiles += match.lost;
      const offsetSeconds = (startMs(startTime, useEpoch) - origin) / 1000;
      const seconds = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        seconds[i] = table.timeStampsMs[match.rows[i]!]! / 1000 + offsetSeconds;
      }
      stamps.push(seconds);
      intervals.push(leadingIntervals(table.timeStampsMs));
      parts.push({ folder, startTime, offsetSeconds, firstSample: samples, samples: count });
      samples += count;
      videoFrames += loaded.videoFrames;
      timestampRows += table.timeStampsMs.length;
    }

    let samplingFrequency: number;
    try {
      const pooled = new Float64Array(intervals.reduce((n, part) => n + part.length, 0));
      let at = 0;
      for (const part of intervals) {
        pooled.set(part, at);
        at += part.length;
      }
      samplingFrequency = samplingFrequencyFromIntervals(pooled);
    } catch (error) {
      throw new MalformedRecordingError(options.folderPath, (error as Error).message);
    }
    const nativeTimestamps = new Float64Array(samples);
    stamps.forEach((part, i) => nativeTimestamps.set(part, parts[i]!.firstSample));
    const firstFrames: number[] = [];
    let at = 0;
    for (const video of videos) {
      firstFrames.push(at);
      at += video.frameCount;
    }
    const recording: Recording = {
      videos,
      firstFrames,
      filePaths,
      rows: shape!.rows,
      cols: shape!.cols,
      samplingFrequency,
      nativeTimestamps,
      segments,
      lostInFiles,
      videoFrames,
      timestampRows,
      ffmpegPath: options.ffmpegPath ?? "ffmpeg",
      concurrency,
      pixelFormat: "gray8",
      stallTimeoutMs: undefined,
      live: new LiveDecoders({
        ffmpegPath: options.ffmpegPath ?? "ffmpeg",
        pixelFormat: "gray8",
        stallTimeoutMs: undefined,
        concurrency,
        frameCacheBytes: frameCacheBytesOption(options.frameCacheBytes),
        enabled: options.liveDecoders ?? true,
      }),
    };
    return new MiniscopeMultiRecordingImagingExtractor(recording, 0, samples, null, parts);
  }

  /**
   * The recordings in time order, with their start times, offsets and sample ranges; for a
   * slice, those that overlap it, with the ranges of their samples in the slice.
   */
  getRecordings(): RecordingPart[] {
    const end = this.#offset + this.#length;
    return this.#parts.flatMap((part) => {
      const first = Math.max(part.firstSample, this.#offset);
      const last = Math.min(part.firstSample + part.samples, end);
      if (last <= first) return [];
      return [{ ...part, firstSample: first - this.#offset, samples: last - first }];
    });
  }
}
