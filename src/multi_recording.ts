/**
 * {@linkcode MiniscopeMultiRecordingImagingExtractor}: several recordings of one device, such as
 * an animal's recordings of one day, read as one series on a common time axis.
 *
 * @module
 */

import { join } from "node:path";
import { MiniscopeImagingExtractor } from "./extractor.ts";
import { discoverVideoFiles, explainFsError } from "./files.ts";
import type { RecordingStartTime } from "./formats/metadata_json.ts";
import { leadingIntervals, samplingFrequencyFromIntervals } from "./analysis/sampling_frequency.ts";
import {
  loadVideos,
  matchRowsToFrames,
  readSessionMetadataFile,
  readTimestamps,
  type Recording,
} from "./recording.ts";
import { MalformedRecordingError } from "./errors.ts";
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
  readonly #parts: RecordingPart[];

  /**
   * Use {@linkcode MiniscopeMultiRecordingImagingExtractor.open}.
   *
   * @param recording The combined recording.
   * @param samples Samples in all.
   * @param parts The recordings.
   */
  protected constructor(recording: Recording, samples: number, parts: RecordingPart[]) {
    super(recording, 0, samples, null);
    this.#parts = parts;
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
    const candidates: string[] = [];
    try {
      for await (const entry of Deno.readDir(options.folderPath)) {
        if (entry.isDirectory) candidates.push(entry.name);
      }
    } catch (error) {
      throw explainFsError(error, options.folderPath, "folder");
    }
    const found: { folder: string; startTime: RecordingStartTime }[] = [];
    for (const name of candidates) {
      const folder = join(options.folderPath, name);
      try {
        const info = await Deno.stat(join(folder, deviceName));
        if (!info.isDirectory) continue;
      } catch {
        continue;
      }
      const { startTime } = await readSessionMetadataFile(join(folder, "metaData.json"));
      found.push({ folder, startTime });
    }
    if (found.length === 0) {
      throw new Deno.errors.NotFound(
        `Cannot open "${options.folderPath}": no folder in it holds a "${deviceName}" device ` +
          `folder; pass the folder of the recordings and the device name`,
      );
    }
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
    for (const { folder, startTime } of found) {
      const device = join(folder, deviceName);
      const paths = await discoverVideoFiles(device);
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
      const table = (await readTimestamps(csvPath, true, undefined))!;
      const count = matchRowsToFrames(table, loaded.videoFrames, csvPath, warn);
      // Frames past the last time stamp are left out, so frames and times line up.
      let left = count;
      for (const video of loaded.videos) {
        const take = Math.min(video.frameCount, left);
        if (take > 0) videos.push({ ...video, frameCount: take });
        if (take > 0) filePaths.push(video.path);
        left -= take;
      }
      const offsetSeconds = (startMs(startTime, useEpoch) - origin) / 1000;
      const seconds = new Float64Array(count);
      for (let i = 0; i < count; i++) seconds[i] = table.timeStampsMs[i]! / 1000 + offsetSeconds;
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
    const concurrency = options.concurrency ?? navigator.hardwareConcurrency ?? 2;
    const recording: Recording = {
      videos,
      firstFrames,
      filePaths,
      rows: shape!.rows,
      cols: shape!.cols,
      samplingFrequency,
      nativeTimestamps,
      table: null,
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
    return new MiniscopeMultiRecordingImagingExtractor(recording, samples, parts);
  }

  /** The recordings in time order, with their start times, offsets and sample ranges. */
  getRecordings(): RecordingPart[] {
    return this.#parts.map((part) => ({ ...part }));
  }
}
