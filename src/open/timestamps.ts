/**
 * Loading the time stamps of a recording and matching their rows to the frames of its videos.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { parseTimestampsCsv, type TimestampsTable } from "../formats/timestamps_csv.ts";
import { stepsBack } from "../analysis/dropped_frames.ts";
import { MalformedRecordingError } from "../errors.ts";
import { explainFsError } from "../files.ts";
import { readMetadataLeniently, wrapFormatError } from "./metadata.ts";

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

/** The CSV rows of a recording's samples, from {@linkcode matchRowsToFrames}. */
export interface RowMatch {
  /** The number of samples: frames that have a row. */
  samples: number;
  /** The row of `timeStamps.csv` of each sample. */
  rows: Int32Array;
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
  // Frames of each video that have a row: frames past the last row are left out.
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
  return { samples, rows, lost, firstRows };
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
