/**
 * Finding, checking and opening the files of a recording through Deno's file APIs, so the
 * caller's read permissions apply to every file before ffmpeg is asked to read it.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { MalformedRecordingError } from "./errors.ts";
import type { ByteSource } from "./model.ts";

const NUMBERED_VIDEO = /^(0|[1-9][0-9]*)\.avi$/;

/** Rewrites a missing-file error so it names the file and what it was needed for. */
export function explainFsError(error: unknown, path: string, what: string): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new Deno.errors.NotFound(`Cannot open ${what} "${path}": it does not exist`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.NotCapable) {
    const target = linkTarget(path);
    if (target !== undefined) {
      return new Deno.errors.NotCapable(
        `Cannot open ${what} "${path}": it is a symbolic link to "${target}", outside the ` +
          `folders this script may read; run Deno with --allow-read=${dirname(target)} (or a ` +
          `folder that contains it) as well`,
        { cause: error },
      );
    }
    return new Deno.errors.NotCapable(
      `Cannot open ${what} "${path}": this script may not read it; run Deno with ` +
        `--allow-read=${dirname(path)} (or a folder that contains it)`,
      { cause: error },
    );
  }
  return error;
}

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

/** Where a symbolic link points, as an absolute path; undefined when `path` is no link. */
function linkTarget(path: string): string | undefined {
  try {
    if (!Deno.lstatSync(path).isSymlink) return undefined;
    return resolve(dirname(path), Deno.readLinkSync(path));
  } catch {
    return undefined;
  }
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
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(folderPath);
  } catch (error) {
    throw explainFsError(error, folderPath, "folder");
  }
  if (!info.isDirectory) {
    throw new MalformedRecordingError(folderPath, "it is not a folder; pass a device folder");
  }
  const numbered = new Map<number, string>();
  const names: string[] = [];
  const hidden: string[] = [];
  try {
    for await (const entry of Deno.readDir(folderPath)) {
      if (isHidden(entry.name)) hidden.push(entry.name);
      else if (entry.name.toLowerCase().endsWith(".avi")) names.push(entry.name);
    }
  } catch (error) {
    throw explainFsError(error, folderPath, "folder");
  }
  warnHidden(folderPath, hidden, warn);
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

async function checkIsFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw explainFsError(error, path, "file");
  }
  if (!info.isFile) throw new MalformedRecordingError(path, "it is not a file");
}

/**
 * Checks a timestamps path: it ends in `.csv` and is an existing file.
 *
 * @param timestampsPath The path.
 */
export async function validateTimestampsPath(timestampsPath: string): Promise<void> {
  if (!timestampsPath.toLowerCase().endsWith(".csv")) {
    throw new TypeError(`Cannot open "${timestampsPath}": the timestamps file must end in .csv`);
  }
  await checkIsFile(timestampsPath);
}

/**
 * Checks the arguments of a file-list open: a non-empty list of `.avi` paths and an optional
 * `.csv` path, each an existing file.
 *
 * @param filePaths Video paths.
 * @param timestampsPath Timestamps path.
 */
export async function validateFiles(filePaths: readonly string[], timestampsPath?: string) {
  if (!Array.isArray(filePaths) || filePaths.length === 0) {
    throw new TypeError("Cannot open the recording: filePaths is empty; pass at least one .avi");
  }
  for (const path of filePaths) {
    if (typeof path !== "string" || !path.toLowerCase().endsWith(".avi")) {
      throw new TypeError(`Cannot open "${path}": a video file must end in .avi`);
    }
  }
  if (timestampsPath !== undefined && !timestampsPath.toLowerCase().endsWith(".csv")) {
    throw new TypeError(`Cannot open "${timestampsPath}": the timestamps file must end in .csv`);
  }
  for (const path of filePaths) await checkIsFile(path);
  if (timestampsPath !== undefined) await validateTimestampsPath(timestampsPath);
}

/**
 * Opens a file as a {@linkcode ByteSource} for the duration of `use`.
 *
 * @param path The file.
 * @param use Receives the source; the file is closed when it settles.
 * @returns What `use` returns.
 */
export async function withByteSource<T>(
  path: string,
  use: (source: ByteSource) => Promise<T>,
): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw explainFsError(error, path, "file");
  }
  try {
    let stat: Deno.FileInfo;
    try {
      stat = await file.stat();
    } catch (error) {
      throw explainFsError(error, path, "file");
    }
    const { size, isFile } = stat;
    if (!isFile) throw new MalformedRecordingError(path, "it is not a file");
    const source: ByteSource = {
      size,
      async read(offset: number, length: number): Promise<Uint8Array> {
        const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        await file.seek(offset, Deno.SeekMode.Start);
        let got = 0;
        while (got < buffer.length) {
          const n = await file.read(buffer.subarray(got));
          if (n === null) break;
          got += n;
        }
        return buffer.subarray(0, got);
      },
    };
    return await use(source);
  } finally {
    file.close();
  }
}

/** The default timestamps file of a recording: `timeStamps.csv` beside the first video. */
export function defaultTimestampsPath(firstVideo: string): string {
  return join(dirname(firstVideo), "timeStamps.csv");
}

/**
 * Whether a path exists; a missing permission is an error, not a no.
 *
 * @param path The path.
 * @returns `true` when it exists.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
