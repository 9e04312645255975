/**
 * {@linkcode openRecording}: the one path from a device folder, or a list of videos, to an
 * opened {@linkcode Recording}: options checked, files found and validated, headers, indexes
 * and time stamps loaded and matched.
 *
 * @module
 */

import { samplingFrequencyFromTimestamps } from "../analysis/sampling_frequency.ts";
import type { RowSegment } from "../analysis/dropped_frames.ts";
import type { PixelFormat, Recording, VideoFile } from "../model.ts";
import { MalformedRecordingError, warnOnConsole } from "../errors.ts";
import type { MiniscopeOpenOptions } from "../options.ts";
import { discoverVideoFiles } from "./discovery.ts";
import { defaultTimestampsPath, validateFiles, validateTimestampsPath } from "./validation.ts";
import { type LoadedVideos, loadVideos } from "./videos.ts";
import { deviceFramesPerFile, matchRowsToFrames, readTimestamps } from "./timestamps.ts";
import { isLegacyFolder, readLegacyRecording } from "./legacy.ts";
import type { TimestampsTable } from "../formats/timestamps_csv.ts";

/**
 * The number of ffmpeg processes an extractor may run at once: the option as given, or the
 * number of CPU cores. Shared by every extractor's `open`, so they refuse the same values.
 *
 * @param concurrency The `concurrency` option.
 * @returns A whole number of at least 1.
 * @throws {RangeError} When the option is not a whole number of at least 1 (`NaN`, 0, -1, 1.5).
 */
export function resolveConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? navigator.hardwareConcurrency ?? 2;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot open the recording: concurrency ${String(value)} is not a whole number >= 1`,
    );
  }
  return value;
}

/** Default bound of the cache of decoded frames: 64 MiB. */
const DEFAULT_FRAME_CACHE_BYTES = 64 * 2 ** 20;

/**
 * The frame cache bound from an open() option: the default when not given.
 *
 * @throws {RangeError} When it is not a whole number of bytes >= 0.
 */
function frameCacheBytesOption(value: number | undefined): number {
  if (value === undefined) return DEFAULT_FRAME_CACHE_BYTES;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot open the recording: frameCacheBytes ${value} is not >= 0`);
  }
  return value;
}

/** The reading settings of an opened recording, from the checked options. */
export interface OpenSettings {
  /** Receives warnings. */
  warn: (message: string) => void;
  /** The sampling frequency given, if any. */
  samplingFrequency: number | undefined;
  ffmpegPath: string;
  concurrency: number;
  pixelFormat: PixelFormat;
  stallTimeoutMs: number | undefined;
  frameCacheBytes: number;
  liveDecoders: boolean;
  decoderIdleMs: number;
  /** Which camera of a folder of the software before 2020 to read. */
  camera: "msCam" | "behavCam";
  /** The `camNum` of the Miniscope in `timestamp.dat`, when given. */
  scopeCamNum: number | undefined;
}

/** The options every open takes: those of one recording but the files to read. */
export type SettingsOptions = Omit<
  MiniscopeOpenOptions,
  "folderPath" | "filePaths" | "timestampsPath" | "configurationFilePath"
>;

/**
 * An optional number option that must be finite and above 0.
 *
 * @throws {RangeError} When it is given and is not, with `problem` as the reason.
 */
function positive(name: string, value: number | undefined, problem: string): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`Cannot open the recording: ${name} ${value} ${problem}`);
  }
  return value;
}

/**
 * An option that must be one of two names.
 *
 * @throws {TypeError} When it is neither.
 */
function oneOf<T extends string>(name: string, value: T, names: readonly [T, T]): T {
  if (!names.includes(value)) {
    throw new TypeError(
      `Cannot open the recording: ${name} "${value}" is not "${names[0]}" or "${names[1]}"`,
    );
  }
  return value;
}

/**
 * Checks the reading options of an open; the one check of every extractor's options.
 *
 * @param options The options.
 * @returns The settings with their defaults.
 * @throws {RangeError} For a sampling frequency, concurrency, stall timeout, frame cache size
 *   or decoder idle time out of range.
 * @throws {TypeError} For an unknown pixel format.
 */
export function openSettings(options: SettingsOptions): OpenSettings {
  const warn = options.onWarning ?? warnOnConsole;
  const fs = positive("samplingFrequency", options.samplingFrequency, "is not positive");
  const concurrency = resolveConcurrency(options.concurrency);
  const pixelFormat = oneOf("pixelFormat", options.pixelFormat ?? "gray8", ["gray8", "rgb24"]);
  const stallTimeoutMs = positive(
    "stallTimeoutMs",
    options.stallTimeoutMs,
    "is not a positive number",
  );
  const decoderIdleMs = options.decoderIdleMs ?? 5_000;
  if (!(decoderIdleMs >= 0)) {
    throw new RangeError(
      `Cannot open the recording: decoderIdleMs ${decoderIdleMs} is not a number >= 0`,
    );
  }
  const camera = oneOf("camera", options.camera ?? "msCam", ["msCam", "behavCam"]);
  const scopeCamNum = options.scopeCamNum;
  if (scopeCamNum !== undefined && !Number.isFinite(scopeCamNum)) {
    throw new RangeError(`Cannot open the recording: scopeCamNum ${scopeCamNum} is not a number`);
  }
  return {
    warn,
    samplingFrequency: fs,
    ffmpegPath: options.ffmpegPath ?? "ffmpeg",
    concurrency,
    pixelFormat,
    stallTimeoutMs,
    frameCacheBytes: frameCacheBytesOption(options.frameCacheBytes),
    liveDecoders: options.liveDecoders ?? true,
    decoderIdleMs,
    camera,
    scopeCamNum,
  };
}

/** What a recording holds, read from its files; the rest of a {@linkcode Recording} is set. */
export type RecordingContent = Omit<
  Recording,
  "firstFrames" | "ffmpegPath" | "concurrency" | "pixelFormat" | "stallTimeoutMs"
>;

/**
 * Assembles a recording from its content and settings: where each video's frames start. The
 * one place a {@linkcode Recording} is made.
 *
 * @param content The videos, time stamps and counts.
 * @param settings The checked settings.
 * @returns The recording.
 */
export function assembleRecording(content: RecordingContent, settings: OpenSettings): Recording {
  const { ffmpegPath, concurrency, pixelFormat, stallTimeoutMs } = settings;
  const firstFrames: number[] = [];
  let at = 0;
  for (const video of content.videos) {
    firstFrames.push(at);
    at += video.frameCount;
  }
  return {
    ...content,
    firstFrames,
    ffmpegPath,
    concurrency,
    pixelFormat,
    stallTimeoutMs,
  };
}

/** An opened recording and its number of samples: frames that have a time stamp row. */
export interface OpenedRecording {
  recording: Recording;
  samples: number;
  /** The checked settings it was opened with. */
  settings: OpenSettings;
}

/** The videos of an open, from a folder or a list, checked before any is read. */
async function videoPaths(options: MiniscopeOpenOptions, warn: (message: string) => void) {
  if (options.folderPath !== undefined) {
    const paths = await discoverVideoFiles(options.folderPath, warn);
    if (options.timestampsPath !== undefined) await validateTimestampsPath(options.timestampsPath);
    return paths;
  }
  const paths = [...options.filePaths!];
  await validateFiles(paths, options.timestampsPath);
  return paths;
}

/**
 * Opens a recording: checks the options, finds the videos, reads their headers and indexes,
 * the time stamps and the sampling frequency. No frame is decoded.
 *
 * @param options `folderPath` or `filePaths`, and optional settings, as for
 *   `MiniscopeImagingExtractor.open`.
 * @param measureFrequency Whether the sampling frequency is measured from the time stamps when
 *   none is given; without, it is NaN for the caller to set (several recordings pool theirs).
 * @returns The recording, its number of samples and its settings.
 * @throws {TypeError} For wrong options.
 * @throws {Deno.errors.NotFound} When a folder or file is missing, including `timeStamps.csv`
 *   without a `samplingFrequency`.
 * @throws {MalformedRecordingError} When a file is broken or the files disagree.
 */
export async function openRecording(
  options: MiniscopeOpenOptions,
  measureFrequency = true,
): Promise<OpenedRecording> {
  const hasFolder = options.folderPath !== undefined;
  if (hasFolder === (options.filePaths !== undefined)) {
    throw new TypeError(
      hasFolder
        ? "Cannot open the recording: pass either folderPath or filePaths, not both"
        : "Cannot open the recording: pass folderPath (the device folder) or filePaths",
    );
  }
  const settings = openSettings(options);
  const { warn, samplingFrequency: fs } = settings;
  if (options.configurationFilePath !== undefined) {
    warn("configurationFilePath is deprecated and ignored; metaData.json is not needed to read");
  }
  let loaded: LoadedVideos;
  let timestampsPath: string;
  let table: TimestampsTable | undefined;
  let withoutTable: string | null = null;
  if (options.folderPath !== undefined && await isLegacyFolder(options.folderPath)) {
    if (options.timestampsPath !== undefined) {
      throw new TypeError(
        `Cannot open "${options.folderPath}": it is a recording of the software before 2020, ` +
          `whose time stamps are its timestamp.dat; timestampsPath does not apply`,
      );
    }
    ({ loaded, table, timestampsPath, withoutTable } = await readLegacyRecording(
      options.folderPath,
      settings,
    ));
  } else {
    if (options.camera !== undefined || options.scopeCamNum !== undefined) {
      throw new TypeError(
        `Cannot open the recording: camera and scopeCamNum apply to the folders of the ` +
          `software before 2020 (msCam1.avi, timestamp.dat) only`,
      );
    }
    loaded = await loadVideos(await videoPaths(options, warn), settings.pixelFormat, warn);
    const first = loaded.videos[0]!.path;
    timestampsPath = options.timestampsPath ?? defaultTimestampsPath(first);
    table = await readTimestamps(timestampsPath, options.timestampsPath !== undefined, fs, warn);
  }
  const videos: VideoFile[] = loaded.videos;
  const filePaths = videos.map((video) => video.path); // without a newest file still empty
  const content: RecordingContent = {
    videos,
    filePaths,
    rows: loaded.rows,
    cols: loaded.cols,
    samplingFrequency: fs ?? NaN,
    nativeTimestamps: null,
    segments: [] as RowSegment[],
    lostInFiles: 0,
    videoFrames: loaded.videoFrames,
    timestampRows: table ? table.timeStampsMs.length : null,
  };
  let samples = loaded.videoFrames;
  if (table) {
    const framesPerFile = await deviceFramesPerFile(filePaths, warn);
    const match = matchRowsToFrames(table, videos, framesPerFile, timestampsPath, warn);
    samples = match.samples;
    content.lostInFiles = match.lost;
    content.nativeTimestamps = Float64Array.from(
      match.rows,
      (row) => table.timeStampsMs[row]! / 1000,
    );
    content.segments.push({
      timeStampsMs: table.timeStampsMs,
      daqFrameNumbers: table.daqFrameNumbers ?? null,
      rows: match.rows,
      firstSample: 0,
      files: filePaths,
      fileFirstRows: match.firstRows,
    });
    if (fs === undefined && measureFrequency) {
      try {
        content.samplingFrequency = samplingFrequencyFromTimestamps(table.timeStampsMs);
      } catch (error) {
        throw new MalformedRecordingError(
          timestampsPath,
          `${(error as Error).message}; pass samplingFrequency to open it anyway`,
        );
      }
    }
  } else {
    warn(
      withoutTable ??
        `"${timestampsPath}" does not exist; using samplingFrequency ${fs} Hz and times ` +
          `computed from it`,
    );
  }
  return { recording: assembleRecording(content, settings), samples, settings };
}
