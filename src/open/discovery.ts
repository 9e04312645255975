/**
 * Discovery: the one place, with `session.ts`, that lists folders. Finds the videos of a device
 * folder, the recordings of a device under a folder and the entries of a folder, skipping
 * hidden files.
 *
 * @module
 */

import { join } from "node:path";
import { MalformedRecordingError } from "../errors.ts";
import { explainFsError, statOf } from "../files.ts";
import type { RecordingStartTime } from "../formats/metadata_json.ts";
import { readSessionMetadataFile } from "./metadata.ts";

const NUMBERED_VIDEO = /^(0|[1-9][0-9]*)\.avi$/;

/**
 * Whether a folder entry is hidden: its name starts with "." (macOS `._0.avi` AppleDouble
 * files and `.DS_Store`, editors' and sync tools' files). Hidden entries are never part of a
 * recording.
 *
 * @param name The entry's name.
 * @returns Whether to skip it.
 */
export function isHidden(name: string): boolean {
  return name.startsWith(".");
}

/**
 * Tells, in one warning, which hidden entries of a folder were skipped.
 *
 * @param folder The folder.
 * @param names The hidden entries found in it.
 * @param warn Receives the warning when there are any.
 */
export function warnHidden(folder: string, names: string[], warn: (message: string) => void) {
  if (names.length === 0) return;
  warn(
    `"${folder}": skipped ${names.length} hidden entr${names.length > 1 ? "ies" : "y"} ` +
      `(names starting with ".", such as macOS "._" and ".DS_Store" files), not part of the ` +
      `recording: ${names.sort().join(", ")}`,
  );
}

/**
 * The entries of a folder that are not hidden, with one warning naming the hidden ones.
 *
 * @param folder The folder.
 * @param what What the folder is, for the error when it cannot be listed.
 * @param warn Receives the warning about hidden entries.
 * @returns The entries, in the order the system lists them.
 * @throws {Deno.errors.NotFound} When the folder does not exist.
 */
export async function listFolder(
  folder: string,
  what: string,
  warn: (message: string) => void,
): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  const hidden: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (isHidden(entry.name)) hidden.push(entry.name);
      else entries.push(entry);
    }
  } catch (error) {
    throw explainFsError(error, folder, what);
  }
  warnHidden(folder, hidden, warn);
  return entries;
}

/**
 * Whether a folder holds a file ending in `.avi` (any case).
 *
 * @param folder The folder.
 * @param skipHidden Whether hidden files (names starting with ".") are passed over.
 * @returns `true` when it holds one.
 */
export async function hasVideoFiles(folder: string, skipHidden: boolean): Promise<boolean> {
  for await (const entry of Deno.readDir(folder)) {
    const name = entry.name.toLowerCase();
    if (entry.isFile && !(skipHidden && isHidden(name)) && name.endsWith(".avi")) return true;
  }
  return false;
}

/**
 * Lists the video files of a device folder: `0.avi, 1.avi, ...` in numeric order. Hidden
 * files (names starting with ".") are skipped, with one warning naming them.
 *
 * @param folderPath The device folder.
 * @param warn Receives the warning about hidden files.
 * @returns Paths of the videos, `10.avi` after `9.avi`.
 * @throws {Deno.errors.NotFound} When the folder does not exist.
 * @throws {MalformedRecordingError} When it holds no `.avi`, a video not named `N.avi`, or a
 *   gap in the numbering.
 */
export async function discoverVideoFiles(
  folderPath: string,
  warn: (message: string) => void,
): Promise<string[]> {
  const info = await statOf(folderPath, "folder");
  if (!info.isDirectory) {
    throw new MalformedRecordingError(folderPath, "it is not a folder; pass a device folder");
  }
  const numbered = new Map<number, string>();
  const names = (await listFolder(folderPath, "folder", warn))
    .map((entry) => entry.name)
    .filter((name) => name.toLowerCase().endsWith(".avi"));
  if (names.length === 0) {
    throw new MalformedRecordingError(
      folderPath,
      'it holds no .avi video files; pass the device folder (such as "Miniscope") that ' +
        "holds 0.avi, 1.avi, ...",
    );
  }
  names.sort();
  for (const name of names) {
    const match = NUMBERED_VIDEO.exec(name);
    if (!match) {
      throw new MalformedRecordingError(
        join(folderPath, name),
        "unexpected video file name: a device folder holds 0.avi, 1.avi, ...; pass " +
          "filePaths to choose the files yourself",
      );
    }
    numbered.set(Number(match[1]), name);
  }
  const paths: string[] = [];
  for (let i = 0; i < numbered.size; i++) {
    const name = numbered.get(i);
    if (name === undefined) {
      const after = [...numbered.keys()].filter((n) => n > i).sort((a, b) => a - b)[0];
      throw new MalformedRecordingError(
        join(folderPath, `${after}.avi`),
        `expected "${i}.avi" before it, but "${i}.avi" is missing; pass filePaths to read ` +
          `the files that exist`,
      );
    }
    paths.push(join(folderPath, name));
  }
  return paths;
}

/** A recording of a multi-recording folder: its folder and its start time. */
export interface FoundRecording {
  /** The recording's folder, holding its session `metaData.json` and the device folder. */
  folder: string;
  /** Its start time from that `metaData.json`. */
  startTime: RecordingStartTime;
}

/**
 * Finds the recordings of a device under a folder: the folders in it holding a device folder
 * of that name, each with the start time of its session `metaData.json`. Hidden entries are
 * skipped with a warning.
 *
 * @param folderPath The folder of the recordings.
 * @param deviceName The device folder name.
 * @param warn Receives warnings.
 * @returns The recordings, in the order the folder lists them.
 * @throws {Deno.errors.NotFound} When the folder is missing or holds no recording of the
 *   device.
 * @throws {MalformedRecordingError} When a recording's `metaData.json` has no start time.
 */
export async function findRecordings(
  folderPath: string,
  deviceName: string,
  warn: (message: string) => void,
): Promise<FoundRecording[]> {
  const found: FoundRecording[] = [];
  for (const entry of await listFolder(folderPath, "folder", warn)) {
    if (!entry.isDirectory) continue;
    const folder = join(folderPath, entry.name);
    const device = join(folder, deviceName);
    try {
      if (!(await Deno.stat(device)).isDirectory) continue;
    } catch (error) {
      // A folder without the device is not a recording of it; one that cannot be looked at
      // (a missing permission) is an error, not a recording left out.
      if (error instanceof Deno.errors.NotFound) continue;
      throw explainFsError(error, device, "device folder");
    }
    const { startTime } = await readSessionMetadataFile(join(folder, "metaData.json"));
    found.push({ folder, startTime });
  }
  if (found.length === 0) {
    throw new Deno.errors.NotFound(
      `Cannot open "${folderPath}": no folder in it holds a "${deviceName}" device ` +
        `folder; pass the folder of the recordings and the device name`,
    );
  }
  return found;
}
