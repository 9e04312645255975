/**
 * Recordings of the Miniscope software before 2020: one folder per recording (such as
 * `6_29_15/H15_M45_S12/`) holding `msCam1.avi, msCam2.avi, ...` (the Miniscope),
 * `behavCam1.avi, ...` (the behaviour camera), `timestamp.dat` (the time stamps of both,
 * interleaved) and `settings_and_notes.dat`. Finds the videos of a camera, loads them and the
 * time stamps of that camera, told apart from the other camera's by their row counts.
 *
 * @module
 */

import { basename, join } from "node:path";
import { MalformedRecordingError } from "../errors.ts";
import { explainFsError } from "../files.ts";
import {
  assignCameras,
  type CameraChoice,
  type CameraRows,
  camerasOf,
  parseTimestampDat,
  replaceFirstStamp,
} from "../formats/timestamp_dat.ts";
import type { TimestampsTable } from "../formats/timestamps_csv.ts";
import { stepsBack } from "../analysis/dropped_frames.ts";
import type { PixelFormat } from "../model.ts";
import { listFolder } from "./discovery.ts";
import { wrapFormatError } from "./metadata.ts";
import { type LoadedVideos, loadVideos } from "./videos.ts";

/** The cameras of a recording of the software before 2020, by the prefix of their videos. */
export type LegacyCamera = "msCam" | "behavCam";

const LEGACY_VIDEO = /^(msCam|behavCam)([1-9][0-9]*)\.avi$/;

const CAMERA_NAMES: Record<LegacyCamera, string> = {
  msCam: "the Miniscope",
  behavCam: "the behaviour camera",
};

/**
 * Whether a video's name is one the software before 2020 writes (`msCam3.avi`, `behavCam1.avi`).
 *
 * @param path The video's path.
 * @returns `true` for such a name.
 */
export function isLegacyVideo(path: string): boolean {
  return LEGACY_VIDEO.test(basename(path));
}

/**
 * Whether a folder is a recording of the software before 2020: it holds an `msCam<N>.avi` or
 * a `behavCam<N>.avi`. A folder that cannot be listed is not one (its reader says why).
 *
 * @param folder The folder.
 * @returns `true` for such a folder.
 */
export async function isLegacyFolder(folder: string): Promise<boolean> {
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && LEGACY_VIDEO.test(entry.name)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * The videos of both cameras of a recording folder, each in number order (`msCam10.avi` after
 * `msCam9.avi`). Hidden files are skipped with a warning; so are, with one warning, other
 * `.avi` files (such as the output of analysis software saved beside the videos).
 *
 * @param folder The recording folder.
 * @param warn Receives the warnings.
 * @returns The paths of each camera's videos; empty for a camera without any.
 * @throws {MalformedRecordingError} When a camera's numbering does not start at 1 or has a gap.
 */
export async function listLegacyVideos(
  folder: string,
  warn: (message: string) => void,
): Promise<Record<LegacyCamera, string[]>> {
  const numbers: Record<LegacyCamera, Map<number, string>> = {
    msCam: new Map(),
    behavCam: new Map(),
  };
  const others: string[] = [];
  for (const entry of await listFolder(folder, "recording folder", warn)) {
    if (!entry.isFile) continue;
    const match = LEGACY_VIDEO.exec(entry.name);
    if (match) numbers[match[1] as LegacyCamera].set(Number(match[2]), entry.name);
    else if (entry.name.toLowerCase().endsWith(".avi")) others.push(entry.name);
  }
  if (others.length > 0) {
    warn(
      `"${folder}": skipped ${others.length} video file${others.length > 1 ? "s" : ""} not ` +
        `named as the acquisition software names them (msCam1.avi, behavCam1.avi, ...): ` +
        others.sort().join(", "),
    );
  }
  const paths = (camera: LegacyCamera): string[] => {
    const found = numbers[camera];
    const sorted = [...found.keys()].sort((a, b) => a - b);
    sorted.forEach((n, i) => {
      if (n !== i + 1) {
        throw new MalformedRecordingError(
          join(folder, found.get(n)!),
          `expected "${camera}${i + 1}.avi" before it, but "${camera}${i + 1}.avi" is missing`,
        );
      }
    });
    return sorted.map((n) => join(folder, found.get(n)!));
  };
  return { msCam: paths("msCam"), behavCam: paths("behavCam") };
}

/** What reading a camera of a recording folder found. */
export interface LegacyRead {
  /** The camera's videos. */
  loaded: LoadedVideos;
  /** Its time stamps from `timestamp.dat`, or undefined when it has none. */
  table: TimestampsTable | undefined;
  /** The path of `timestamp.dat`. */
  timestampsPath: string;
  /** Why there are no time stamps, when there are none. */
  withoutTable: string | null;
}

/** How to read a camera of a recording folder. */
export interface LegacyReadOptions {
  /** Which camera. */
  camera: LegacyCamera;
  /** The `camNum` of the Miniscope, when the row counts cannot tell. */
  scopeCamNum: number | undefined;
  /** What the frames are decoded to. */
  pixelFormat: PixelFormat;
  /** The sampling frequency given, which lets a camera be read without time stamps. */
  samplingFrequency: number | undefined;
  /** Receives warnings. */
  warn: (message: string) => void;
}

/** `camNum 0: 998 rows, camNum 1: 1003 rows; msCam files: 1000 frames, ...`. */
function countsText(cams: readonly CameraRows[], frames: Record<LegacyCamera, number | null>) {
  const rows = cams.map((cam) => `camNum ${cam.camNum}: ${cam.rows.length} rows`).join(", ");
  const videos = (["msCam", "behavCam"] as const)
    .filter((camera) => frames[camera] !== null)
    .map((camera) => `${camera} files: ${frames[camera]} frames`).join(", ");
  return `${rows}; ${videos}`;
}

function choiceText(choice: CameraChoice): string {
  const part = (camNum: number | null, camera: LegacyCamera) =>
    camNum === null
      ? `no camNum for ${CAMERA_NAMES[camera]}`
      : `camNum ${camNum} for ${CAMERA_NAMES[camera]}`;
  return `${part(choice.scope, "msCam")} and ${part(choice.behaviour, "behavCam")}`;
}

/** The frames of the other camera's videos, or null without them or when they cannot be read. */
async function otherFrames(
  paths: string[],
  camera: LegacyCamera,
  warn: (message: string) => void,
): Promise<number | null> {
  if (paths.length === 0) return null;
  try {
    return (await loadVideos(paths, "rgb24", () => {})).videoFrames;
  } catch (error) {
    warn(
      `cannot count the frames of the ${camera} files (${(error as Error).message}); the ` +
        `cameras of timestamp.dat are told apart without them`,
    );
    return null;
  }
}

/**
 * The `camNum` of `camera`: the one given for the Miniscope, else the one the row counts
 * point to; warns when the counts fit only nearly, and names the `camNum`s left over.
 */
function chooseCamNum(
  cams: readonly CameraRows[],
  frames: Record<LegacyCamera, number | null>,
  options: LegacyReadOptions,
  path: string,
): number | null {
  const { camera, scopeCamNum, warn } = options;
  const counts = new Map(cams.map((cam) => [cam.camNum, cam.rows.length]));
  let choice: CameraChoice;
  if (scopeCamNum !== undefined) {
    if (!counts.has(scopeCamNum)) {
      throw new RangeError(
        `Cannot open "${path}": scopeCamNum ${scopeCamNum} is none of its camNums ` +
          `(${[...counts.keys()].join(", ")})`,
      );
    }
    const rest = new Map([...counts].filter(([camNum]) => camNum !== scopeCamNum));
    const behaviour = assignCameras(rest, { scope: null, behaviour: frames.behavCam });
    choice = {
      scope: scopeCamNum,
      behaviour: behaviour.kind === "matched" ? behaviour.behaviour : null,
    };
  } else {
    const found = assignCameras(counts, { scope: frames.msCam, behaviour: frames.behavCam });
    if (found.kind === "ambiguous") {
      throw new MalformedRecordingError(
        path,
        `its cameras cannot be told apart by their row counts (${countsText(cams, frames)}): ` +
          `${found.choices.map(choiceText).join(", or ")} fit equally well; pass ` +
          `scopeCamNum (--scope-cam-num), the camNum of the Miniscope, to choose`,
      );
    }
    choice = found;
    if (!found.exact) {
      warn(
        `"${path}": its row counts do not match the frame counts exactly ` +
          `(${countsText(cams, frames)}), so the nearest counts are taken: ${choiceText(found)}`,
      );
    }
  }
  const left = cams.filter((cam) => cam.camNum !== choice.scope && cam.camNum !== choice.behaviour);
  if (left.length > 0) {
    warn(
      `"${path}": ${
        left.map((cam) => `camNum ${cam.camNum} (${cam.rows.length} rows)`).join(", ")
      } belong${left.length > 1 ? "" : "s"} to no camera with videos; left out`,
    );
  }
  return camera === "msCam" ? choice.scope : choice.behaviour;
}

/**
 * Checks that a camera's rows can be matched to its frames by their order. With a row for every
 * frame, they are (a `frameNum` that repeats or steps back is a value miswritten: a warning).
 * With fewer rows than frames, a row missing before the last would give each frame after it
 * the next frame's time: `frameNum`, which counts the camera's frames from 1, shows where.
 *
 * @throws {MalformedRecordingError} When rows are fewer than frames and `frameNum` does not
 *   count 1, 2, 3, ... (naming the line).
 */
function checkFrameNumbers(
  cam: CameraRows,
  videoFrames: number,
  path: string,
  warn: (message: string) => void,
): void {
  const numbers = cam.frameNumbers;
  const line = (k: number) => cam.rows[k]! + 2;
  for (let k = 1; k < numbers.length; k++) {
    if (numbers[k] === numbers[k - 1]! + 1) continue;
    const what = `the frameNum of camNum ${cam.camNum} goes from ${numbers[k - 1]} to ` +
      `${numbers[k]} at line ${line(k)}`;
    if (numbers.length < videoFrames) {
      throw new MalformedRecordingError(
        path,
        `${what}, and it has ${numbers.length} rows for ${videoFrames} frames: a row is ` +
          `missing there, so the rows after it cannot be matched to their frames by order`,
      );
    }
    if (numbers[k]! <= numbers[k - 1]!) {
      warn(`"${path}": ${what}; with a row for each frame, rows are matched to frames by order`);
    }
  }
}

/** The time stamps of one camera, its first replaced (with a warning), as a table. */
function cameraTable(cam: CameraRows, path: string, warn: (message: string) => void) {
  const { stampsMs, first } = replaceFirstStamp(cam.sysClocksMs);
  if (first) {
    const how = first.medianIntervalMs === null
      ? "0 ms, as it has fewer than three rows to take an interval from"
      : `${first.replacement} ms, one median interval (${first.medianIntervalMs} ms) before ` +
        `its second row`;
    warn(
      `"${path}": the first sysClock of camNum ${cam.camNum} (${first.written} ms, line ` +
        `${cam.rows[0]! + 2}) is not a time of that camera's clock (the software before 2020 ` +
        `writes an unrelated value there); its first frame is given ${how}`,
    );
  }
  const back = stepsBack(stampsMs);
  if (back.length > 0) {
    const where = back.slice(0, 5).map(({ afterSample: k, intervalMs }) =>
      `line ${cam.rows[k + 1]! + 2} (frame ${k + 1}), ${stampsMs[k + 1]} ms after ` +
      `${stampsMs[k]} ms (${intervalMs} ms)`
    );
    warn(
      `"${path}": the clock of camNum ${cam.camNum} steps back ${back.length} ` +
        `time${back.length > 1 ? "s" : ""}: ${where.join("; ")}${
          back.length > 5 ? "; ..." : ""
        }. ` +
        `The time stamps are kept as written; the durations and intervals around these rows ` +
        `are not to be trusted`,
    );
  }
  return {
    frameNumbers: cam.frameNumbers,
    timeStampsMs: stampsMs,
    bufferIndices: cam.buffers,
    daqFrameNumbers: undefined,
  };
}

/**
 * Reads one camera of a recording folder of the software before 2020: its videos (the
 * Miniscope's read as gray by keeping one of their three equal channels) and its rows of
 * `timestamp.dat`, found by matching each `camNum`'s row count to each camera's frame count.
 *
 * @param folder The recording folder.
 * @param options Which camera, the `camNum` of the Miniscope if known, and the settings.
 * @returns The videos and the time stamps.
 * @throws {Deno.errors.NotFound} When `timestamp.dat` is missing and no sampling frequency is
 *   given.
 * @throws {MalformedRecordingError} When the folder has no videos of the camera, a file is
 *   broken, or the cameras cannot be told apart (naming the counts and `scopeCamNum`).
 * @throws {RangeError} When `scopeCamNum` is none of the file's `camNum`s.
 */
export async function readLegacyRecording(
  folder: string,
  options: LegacyReadOptions,
): Promise<LegacyRead> {
  const { camera, warn } = options;
  const videos = await listLegacyVideos(folder, warn);
  if (videos[camera].length === 0) {
    throw new MalformedRecordingError(
      folder,
      `it holds no ${camera}1.avi: it has no videos of ${CAMERA_NAMES[camera]}`,
    );
  }
  const loaded = await loadVideos(videos[camera], options.pixelFormat, warn, {
    equalChannels: camera === "msCam",
  });
  const other: LegacyCamera = camera === "msCam" ? "behavCam" : "msCam";
  const frames = {
    [camera]: loaded.videoFrames,
    [other]: await otherFrames(videos[other], other, warn),
  } as Record<LegacyCamera, number | null>;
  const timestampsPath = join(folder, "timestamp.dat");
  let text: string;
  try {
    text = await Deno.readTextFile(timestampsPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && options.samplingFrequency !== undefined) {
      return { loaded, table: undefined, timestampsPath, withoutTable: null };
    }
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot open timestamps file "${timestampsPath}": it does not exist. It is required ` +
          `for the frame times and the sampling frequency; pass samplingFrequency to open the ` +
          `videos without it`,
        { cause: error },
      );
    }
    throw explainFsError(error, timestampsPath, "timestamps file");
  }
  let cams: CameraRows[];
  try {
    cams = camerasOf(parseTimestampDat(text, (message) => warn(`"${timestampsPath}": ${message}`)));
  } catch (error) {
    throw wrapFormatError(error, timestampsPath);
  }
  if (cams.length === 0) {
    throw new MalformedRecordingError(timestampsPath, "it has a header but no rows");
  }
  const camNum = chooseCamNum(cams, frames, options, timestampsPath);
  if (camNum === null) {
    const problem = `it has no rows for ${CAMERA_NAMES[camera]} ` +
      `(${countsText(cams, frames)}): every camNum fits the other camera better`;
    if (options.samplingFrequency === undefined) {
      throw new MalformedRecordingError(
        timestampsPath,
        `${problem}; pass samplingFrequency to open the videos without time stamps`,
      );
    }
    return {
      loaded,
      table: undefined,
      timestampsPath,
      withoutTable: `"${timestampsPath}": ${problem}; using samplingFrequency ` +
        `${options.samplingFrequency} Hz and times computed from it`,
    };
  }
  const cam = cams.find((each) => each.camNum === camNum)!;
  checkFrameNumbers(cam, loaded.videoFrames, timestampsPath, warn);
  return {
    loaded,
    table: cameraTable(cam, timestampsPath, warn),
    timestampsPath,
    withoutTable: null,
  };
}
