/**
 * Loading the parts of a recording: video headers and indexes checked against each other, and
 * the time stamps. Shared by the single- and multi-recording extractors.
 *
 * @module
 */

import { type AviInfo, readAviInfo } from "./formats/avi.ts";
import { findSeekPoints } from "./formats/seek_points.ts";
import { FormatError } from "./formats/format_error.ts";
import {
  parseMetadataJson,
  readRecordingStartTime,
  type RecordingStartTime,
} from "./formats/metadata_json.ts";
import { parseTimestampsCsv, type TimestampsTable } from "./formats/timestamps_csv.ts";
import type { PixelFormat, VideoFile } from "./ffmpeg/decode.ts";
import { MalformedRecordingError } from "./errors.ts";
import { explainFsError, withByteSource } from "./files.ts";
import { runPool } from "./pool.ts";
import type { LiveDecoders } from "./live_decoders.ts";

export /** What all views of one opened recording share. */
interface Recording {
  videos: VideoFile[];
  /** Index of each video's first frame in the concatenated recording. */
  firstFrames: number[];
  filePaths: string[];
  rows: number;
  cols: number;
  samplingFrequency: number;
  /** Seconds from timeStamps.csv for the readable samples, or null without a CSV. */
  nativeTimestamps: Float64Array | null;
  /** The columns of timeStamps.csv, all rows, or null without a CSV. */
  table: TimestampsTable | null;
  /** Frames in the videos, before matching them to the CSV rows. */
  videoFrames: number;
  /** Rows in the timestamps files, or null without one. */
  timestampRows: number | null;
  ffmpegPath: string;
  concurrency: number;
  /** The pixel format frames are decoded to. */
  pixelFormat: PixelFormat;
  /** How long a decode waits for ffmpeg's output before taking it as stalled. */
  stallTimeoutMs: number | undefined;
  /** The decoders kept alive between reads and the cache of decoded frames. */
  live: LiveDecoders;
}

/** Videos of a recording, checked to agree, with where each starts. */
export interface LoadedVideos {
  videos: VideoFile[];
  /** Index of each video's first frame in the concatenation. */
  firstFrames: number[];
  /** Frames in all videos. */
  videoFrames: number;
  rows: number;
  cols: number;
}

/**
 * Reads the headers and indexes of the videos and checks they are of one shape and, for 8-bit
 * gray output, not known to be colour.
 *
 * @param filePaths The videos in order.
 * @param pixelFormat What the frames are decoded to.
 * @param warn Receives warnings.
 * @returns The videos and their frame counts.
 */
export async function loadVideos(
  filePaths: string[],
  pixelFormat: PixelFormat,
  warn: (message: string) => void,
): Promise<LoadedVideos> {
  const infos = await readAllAviInfo(filePaths, warn);
  const first = infos[0]!;
  infos.forEach((info, i) => {
    const path = filePaths[i]!;
    if (pixelFormat === "gray8" && info.gray === false) {
      throw new MalformedRecordingError(
        path,
        `it is a colour video (${info.codec}); open it with pixelFormat "rgb24" (a behaviour ` +
          `camera), as Miniscope scope videos are 8-bit gray`,
      );
    }
    if (pixelFormat === "gray8" && info.gray === undefined) {
      warn(
        `"${path}": cannot tell from its ${info.codec} headers whether it is gray; ` +
          `frames are converted to 8-bit gray (open with pixelFormat "rgb24" for colour)`,
      );
    }
    if (info.width !== first.width || info.height !== first.height) {
      throw new MalformedRecordingError(
        path,
        `its frames are ${info.width}x${info.height} (width x height) but those of ` +
          `"${filePaths[0]}" are ${first.width}x${first.height}; all files must agree`,
      );
    }
  });
  const videos: VideoFile[] = infos.map((info, i) => ({
    path: filePaths[i]!,
    displayPath: filePaths[i]!,
    codec: info.codec,
    width: info.width,
    height: info.height,
    frameCount: info.frameCount,
    headerSize: info.headerSize,
    // Where a decode may start: keyframes that are clean starting points for this codec.
    keyframes: info.keyframes,
    reorders: info.reorders,
    index: {
      frameOffsets: info.frameOffsets,
      frameSizes: info.frameSizes,
      chunkIds: info.chunkIds,
    },
  }));
  const firstFrames: number[] = [];
  let videoFrames = 0;
  for (const video of videos) {
    firstFrames.push(videoFrames);
    videoFrames += video.frameCount;
  }
  return { videos, firstFrames, videoFrames, rows: first.height, cols: first.width };
}

export function wrapFormatError(error: unknown, path: string): unknown {
  return error instanceof FormatError
    ? new MalformedRecordingError(path, error.message, { cause: error })
    : error;
}

async function readAllAviInfo(
  filePaths: string[],
  warn: (message: string) => void,
): Promise<(AviInfo & { reorders: boolean })[]> {
  const infos: (AviInfo & { reorders: boolean })[] = new Array(filePaths.length);
  const jobs = filePaths.map((path, i) => async () => {
    try {
      infos[i] = await withByteSource(path, async (source) => {
        const info = await readAviInfo(source);
        const seek = await findSeekPoints(source, {
          ...info,
          indexed: info.indexSource !== "scan",
        });
        return { ...info, keyframes: seek.points, reorders: seek.reorders };
      });
    } catch (error) {
      throw wrapFormatError(error, path);
    }
  });
  await runPool(jobs, 16);
  infos.forEach((info, i) => {
    for (const warning of info.warnings) warn(`"${filePaths[i]}": ${warning}`);
  });
  return infos;
}

export async function readTimestamps(
  path: string,
  explicit: boolean,
  samplingFrequency: number | undefined,
): Promise<TimestampsTable | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !explicit && samplingFrequency !== undefined) {
      return undefined;
    }
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot open timestamps file "${path}": it does not exist. It is required for the ` +
          `frame times and the sampling frequency; pass timestampsPath if it is elsewhere, or ` +
          `samplingFrequency to open the videos without it`,
        { cause: error },
      );
    }
    throw explainFsError(error, path, "timestamps file");
  }
  let table: TimestampsTable;
  try {
    table = parseTimestampsCsv(text);
  } catch (error) {
    throw wrapFormatError(error, path);
  }
  if (table.timeStampsMs.length === 0) {
    throw new MalformedRecordingError(path, "it has a header but no rows");
  }
  return table;
}

/**
 * How many samples a recording has when `timeStamps.csv` row k belongs to frame k: the smaller
 * of rows and frames. Warns once, with both numbers, when they differ.
 *
 * @param table The parsed time stamps.
 * @param videoFrames Frames in the videos.
 * @param csvPath The timestamps file, for the warning.
 * @param warn Receives the warning.
 * @returns The number of samples.
 */
export function matchRowsToFrames(
  table: TimestampsTable,
  videoFrames: number,
  csvPath: string,
  warn: (message: string) => void,
): number {
  const rows = table.timeStampsMs.length;
  const samples = Math.min(rows, videoFrames);
  if (rows !== videoFrames) {
    warn(
      `"${csvPath}" has ${rows} rows but the videos hold ${videoFrames} frames; ` +
        `row k belongs to frame k, so ${samples} samples are readable`,
    );
  }
  return samples;
}

/**
 * Reads and parses a `metaData.json` file; errors name the file.
 *
 * @param path The file.
 * @param what What the file is, for the missing-file message.
 * @returns The parsed object.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {MalformedRecordingError} When it is not valid JSON or not an object.
 */
export async function readMetadataFile(
  path: string,
  what = "file",
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw explainFsError(error, path, what);
  }
  try {
    return parseMetadataJson(text);
  } catch (error) {
    throw wrapFormatError(error, path);
  }
}

/**
 * Reads a session `metaData.json` and its recording start time; errors name the file.
 *
 * @param path The file.
 * @returns The parsed metadata and the start time.
 */
export async function readSessionMetadataFile(
  path: string,
): Promise<{ metadata: Record<string, unknown>; startTime: RecordingStartTime }> {
  const metadata = await readMetadataFile(path, "session metadata");
  try {
    return { metadata, startTime: readRecordingStartTime(metadata) };
  } catch (error) {
    throw wrapFormatError(error, path);
  }
}
