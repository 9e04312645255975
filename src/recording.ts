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
import { type RowSegment, stepsBack } from "./analysis/dropped_frames.ts";
import type { ByteSource, PixelFormat, VideoFile } from "./model.ts";
import { MalformedRecordingError } from "./errors.ts";
import { explainFsError, withByteSource } from "./files.ts";
import { runPool } from "./read/pool.ts";
import { basename, dirname, join } from "node:path";
import type { LiveDecoders } from "./read/live_decoders.ts";

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
  /**
   * The samples of each timestamps file with their rows (one per recording; empty without a
   * CSV), for finding dropped frames.
   */
  segments: RowSegment[];
  /** Frames with a row in timeStamps.csv missing from a video file cut short. */
  lostInFiles: number;
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
 * gray output, not known to be colour. The last of several files is left out, with a warning,
 * when it is still being written and holds no complete frame yet.
 *
 * @param filePaths The videos in order.
 * @param pixelFormat What the frames are decoded to.
 * @param warn Receives warnings.
 * @returns The videos (`videos[i].path` the files kept) and their frame counts.
 */
export async function loadVideos(
  filePaths: string[],
  pixelFormat: PixelFormat,
  warn: (message: string) => void,
): Promise<LoadedVideos> {
  const { infos, paths } = await readAllAviInfo(filePaths, warn);
  filePaths = paths;
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

export function wrapFormatError(error: unknown, path: string): unknown {
  return error instanceof FormatError
    ? new MalformedRecordingError(path, error.message, { cause: error })
    : error;
}

/** What the headers and index of a video say, with where decodes may start in it. */
type VideoInfo = AviInfo & { reorders: boolean };

/**
 * Reads the headers and indexes of all videos. The last file may be one still being written
 * (the newest file of a live recording, or a copy made during it): when it is empty, holds no
 * complete frame or cannot be parsed, it is left out with a warning; when its RIFF sizes are
 * still the writer's placeholder zeros, they are read as running to the end of the file. Any
 * other file that cannot be read is an error.
 */
async function readAllAviInfo(
  filePaths: string[],
  warn: (message: string) => void,
): Promise<{ infos: VideoInfo[]; paths: string[] }> {
  const infos: VideoInfo[] = new Array(filePaths.length);
  const last = filePaths.length - 1;
  let lastProblem: string | null = null;
  const jobs = filePaths.map((path, i) => async () => {
    try {
      infos[i] = await withByteSource(path, async (source) => {
        let info: AviInfo;
        try {
          info = await readAviInfo(source);
        } catch (error) {
          if (i !== last || !(error instanceof FormatError)) throw error;
          const live = await withFinalSizes(source);
          if (!live) throw error;
          info = await readAviInfo(live);
          warn(
            `"${path}": its RIFF sizes are not final, as in a file still being written; it is ` +
              `read up to its last complete frame`,
          );
        }
        const seek = await findSeekPoints(source, {
          ...info,
          indexed: info.indexSource !== "scan",
        });
        return { ...info, keyframes: seek.points, reorders: seek.reorders };
      });
    } catch (error) {
      if (i === last && last > 0 && error instanceof FormatError) {
        lastProblem = error.message;
        return;
      }
      throw wrapFormatError(error, path);
    }
  });
  await runPool(jobs, 16);
  const paths = [...filePaths];
  if (lastProblem === null && last > 0 && infos[last]!.frameCount === 0) {
    lastProblem = "it holds no complete frame";
  }
  if (lastProblem !== null) {
    warn(
      `"${filePaths[last]}": ${lastProblem}. As the newest file of a recording still being ` +
        `written (or copied while it was), it is left out; the ${last} files before it are read`,
    );
    infos.pop();
    paths.pop();
  }
  infos.forEach((info, i) => {
    for (const warning of info.warnings) warn(`"${paths[i]}": ${warning}`);
  });
  return { infos, paths };
}

/**
 * The file as its writer leaves it on closing, for a RIFF AVI whose RIFF or `movi` list size is
 * still the placeholder zero written when the file was opened: those sizes run to the end of
 * the file. Undefined when neither is zero.
 */
async function withFinalSizes(source: ByteSource): Promise<ByteSource | undefined> {
  const head = await source.read(0, Math.min(source.size, 1 << 20));
  const text = new TextDecoder("latin1").decode(head);
  if (!text.startsWith("RIFF") || text.slice(8, 12) !== "AVI ") return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const patches: { at: number; value: number }[] = [];
  if (view.getUint32(4, true) === 0) patches.push({ at: 4, value: source.size - 8 });
  const movi = text.indexOf("movi", 12);
  if (
    movi >= 8 && text.slice(movi - 8, movi - 4) === "LIST" && view.getUint32(movi - 4, true) === 0
  ) {
    patches.push({ at: movi - 4, value: source.size - movi });
  }
  if (patches.length === 0) return undefined;
  return {
    size: source.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const bytes = (await source.read(offset, length)).slice();
      const out = new DataView(bytes.buffer);
      for (const { at, value } of patches) {
        for (let k = 0; k < 4; k++) {
          const position = at + k - offset;
          if (position >= 0 && position < bytes.length) {
            out.setUint8(position, (value >>> (8 * k)) & 0xff);
          }
        }
      }
      return bytes;
    },
  };
}

/**
 * Reads and parses a timestamps file; warns about a row cut while writing and about a clock
 * that steps back.
 *
 * @param path The file.
 * @param explicit Whether the caller named the file (then a missing file is an error).
 * @param samplingFrequency The override, which makes a missing default file acceptable.
 * @param warn Receives warnings.
 * @returns The table, or undefined when a default file is missing and a frequency is given.
 */
export async function readTimestamps(
  path: string,
  explicit: boolean,
  samplingFrequency: number | undefined,
  warn: (message: string) => void,
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
    table = parseTimestampsCsv(text, (message) => warn(`"${path}": ${message}`));
  } catch (error) {
    throw wrapFormatError(error, path);
  }
  if (table.timeStampsMs.length === 0) {
    throw new MalformedRecordingError(path, "it has a header but no rows");
  }
  const back = stepsBack(table.timeStampsMs);
  if (back.length > 0) {
    const where = back.slice(0, 5).map(({ afterSample: row, intervalMs }) =>
      `CSV line ${row + 3} (frame number ${table.frameNumbers[row + 1]}), ` +
      `${table.timeStampsMs[row + 1]} ms after ${table.timeStampsMs[row]} ms ` +
      `(${intervalMs} ms)`
    );
    warn(
      `"${path}": the clock steps back ${back.length} time${back.length > 1 ? "s" : ""}: ` +
        `${where.join("; ")}${back.length > 5 ? "; ..." : ""}. The time stamps are kept as ` +
        `written; the durations and intervals around these rows are not to be trusted`,
    );
  }
  return table;
}

/**
/** The CSV rows of a recording's samples, from {@linkcode matchRowsToFrames}. */
export interface RowMatch {
  /** The number of samples: frames that have a row. */
  samples: number;
  /** The row of `timeStamps.csv` of each sample. */
  rows: Int32Array;
  /** Frames of each video that have a row (frames past the last row are left out). */
  framesUsed: number[];
  /** Rows skipped between samples: frames lost from a file cut short. */
  lost: number;
  /** The row of each video's first frame. */
  firstRows: number[];
}

/** The software's `framesPerFile` when `metaData.json` has none. */
export const DEFAULT_FRAMES_PER_FILE = 1000;

/**
 * Matches the rows of `timeStamps.csv` to the frames of the videos. The acquisition software
 * writes `framesPerFile` frames per file and one row per frame, so the rows of file k start at
 * row `k * framesPerFile`. When one file before the last holds fewer frames (a file cut short,
 * a copy that failed) each file keeps its own rows and the rows of the lost frames are skipped,
 * with a warning naming the file. When the files disagree with `framesPerFile` in another way,
 * or it is unknown, row k belongs to frame k. Frames past the last row are left out; a
 * warning gives both numbers when rows and frames differ.
 *
 * @param table The parsed time stamps.
 * @param videos The videos in order (path and frame count).
 * @param framesPerFile From the device `metaData.json`, or null when it could not be read.
 * @param csvPath The timestamps file, for the warnings.
 * @param warn Receives the warnings.
 * @returns The row of each sample.
 */
export function matchRowsToFrames(
  table: TimestampsTable,
  videos: readonly { path: string; frameCount: number }[],
  framesPerFile: number | null,
  csvPath: string,
  warn: (message: string) => void,
): RowMatch {
  const rowCount = table.timeStampsMs.length;
  const counts = videos.map((video) => video.frameCount);
  const videoFrames = counts.reduce((sum, n) => sum + n, 0);
  const n = counts.length;
  let firstRows: number[] | null = null;
  let cut: number | null = null;
  if (framesPerFile !== null && n > 1) {
    const per = framesPerFile;
    const name = (i: number) => `"${videos[i]!.path}" (${counts[i]} frames)`;
    const long = counts.flatMap((c, i) => (c > per ? [i] : []));
    const short = counts.flatMap((c, i) => (i < n - 1 && c < per ? [i] : []));
    const problems: string[] = [];
    if (long.length > 0) problems.push(`${long.map(name).join(", ")} hold more`);
    if (short.length > 1) {
      problems.push(
        `${short.length} files before the last hold fewer: ${short.map(name).join(", ")}`,
      );
    }
    if (problems.length > 0) {
      warn(
        `the videos disagree with framesPerFile ${per} of metaData.json (each file but the ` +
          `last holds ${per} frames, or one was cut short): ${problems.join("; ")}. Row k of ` +
          `"${csvPath}" is taken for frame k, which is wrong after a file whose frames are ` +
          `missing`,
      );
    } else {
      firstRows = counts.map((_, i) => i * per);
      if (short.length === 1) {
        cut = short[0]!;
        const c = counts[cut]!;
        warn(
          `"${videos[cut]!.path}" holds ${c} frames but the files hold ${per} each ` +
            `(framesPerFile in metaData.json): it was cut short and its last ${per - c} frames ` +
            `are lost (rows ${cut * per + c + 2} to ${cut * per + per + 1} of "${csvPath}" ` +
            `have no frame). The frames of each file keep their own rows, so the time stamps ` +
            `after the cut are right`,
        );
      }
    }
  }
  if (framesPerFile === null && n > 2 && counts.slice(1, -1).some((c) => c !== counts[0])) {
    warn(
      `the videos before the last hold different numbers of frames ` +
        `(${counts.slice(0, -1).join(", ")}) and framesPerFile is unknown (no readable ` +
        `metaData.json beside numbered files), so a file cut short cannot be told: row k of ` +
        `"${csvPath}" is taken for frame k`,
    );
  }
  if (firstRows === null) {
    firstRows = [];
    let at = 0;
    for (const c of counts) {
      firstRows.push(at);
      at += c;
    }
  }
  const framesUsed = counts.map((c, i) => Math.max(0, Math.min(c, rowCount - firstRows[i]!)));
  const samples = framesUsed.reduce((sum, k) => sum + k, 0);
  const rows = new Int32Array(samples);
  let at = 0;
  framesUsed.forEach((k, i) => {
    for (let f = 0; f < k; f++) rows[at++] = firstRows[i]! + f;
  });
  const needed = n > 0 ? firstRows[n - 1]! + counts[n - 1]! : 0;
  if (rowCount !== needed) {
    warn(
      cut === null
        ? `"${csvPath}" has ${rowCount} rows but the videos hold ${videoFrames} frames; ` +
          `row k belongs to frame k, so ${samples} samples are readable`
        : `"${csvPath}" has ${rowCount} rows but the videos, with the frames lost from ` +
          `"${videos[cut]!.path}", need ${needed}; ${samples} samples are readable`,
    );
  }
  let lost = 0;
  for (let i = 1; i < samples; i++) lost += rows[i]! - rows[i - 1]! - 1;
  return { samples, rows, framesUsed, lost, firstRows };
}

/**
 * The `framesPerFile` of a device whose numbered videos `0.avi, 1.avi, ...` are all given, from
 * the `metaData.json` beside them (the software's 1000 when the key is missing). A missing or
 * broken file gives null, with a warning for a broken one (it may be half-written while
 * recording) and for files of unequal length that it cannot explain.
 *
 * @param filePaths The videos in order.
 * @param warn Receives warnings.
 * @returns `framesPerFile`, or null when unknown or when the files are not a device's numbered
 *   videos.
 */
export async function deviceFramesPerFile(
  filePaths: readonly string[],
  warn: (message: string) => void,
): Promise<number | null> {
  const folder = dirname(filePaths[0]!);
  const numbered = filePaths.every((path, i) =>
    dirname(path) === folder && basename(path) === `${i}.avi`
  );
  if (!numbered) return null;
  const path = join(folder, "metaData.json");
  const { metadata, problem } = await readMetadataLeniently(path, "device metadata");
  if (problem !== null) {
    warn(`${problem} (so framesPerFile is unknown)`);
    return null;
  }
  if (metadata === null) return null;
  const value = metadata.framesPerFile;
  if (value === undefined) return DEFAULT_FRAMES_PER_FILE;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  warn(`"${path}": framesPerFile ${JSON.stringify(value)} is not a positive whole number; ignored`);
  return null;
}

/**
 * Reads a `metaData.json` that the reading can do without: a missing file is no problem, a
 * broken or unreadable one (not JSON, not an object, not permitted, a folder) is described
 * instead of thrown.
 *
 * @param path The file.
 * @param what What the file is, for messages.
 * @returns The object, or null with the problem as a sentence naming the file (null when the
 *   file is just missing).
 */
export async function readMetadataLeniently(
  path: string,
  what: string,
): Promise<{ metadata: Record<string, unknown> | null; problem: string | null }> {
  try {
    return { metadata: await readMetadataFile(path, what), problem: null };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { metadata: null, problem: null };
    if (error instanceof MalformedRecordingError) {
      return { metadata: null, problem: `${error.message}; it is not used` };
    }
    if (error instanceof Deno.errors.NotCapable) {
      return {
        metadata: null,
        problem: `Did not read ${what} "${path}": this script may not read it (run Deno ` +
          `with --allow-read=${dirname(path)} to read it)`,
      };
    }
    // Any other failure to read it (no permission on disk, a folder of that name): say so.
    const message = error instanceof Error ? error.message : String(error);
    return { metadata: null, problem: `Cannot read ${what} "${path}": ${message}; it is not used` };
  }
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
