/**
 * Where an export may write: its outputs are checked against the files of the recording it
 * reads (so an export can never replace its own input), against files already there (kept
 * unless overwriting is asked for), and against the folder they go into, before anything is
 * written. Errors name the output and the cause in one line.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";

/** The name of a video file, as the reader finds them in a device folder. */
const VIDEO = /\.avi$/i;

/** The files beside a device's videos that belong to its recording. */
const DEVICE_FILES = ["timeStamps.csv", "metaData.json", "headOrientation.csv"];
/** The files of the session folder above a device folder. */
const SESSION_FILES = ["metaData.json", "notes.csv"];

/**
 * The files of the recordings that hold these videos: the videos, the `timeStamps.csv`,
 * `metaData.json` and `headOrientation.csv` beside them, and the session `metaData.json` and
 * `notes.csv` in the folder above. Files that do not exist are listed too; they are skipped
 * when compared.
 *
 * @param videos The video files of one or more recordings.
 * @returns The files, each once.
 */
export function recordingFiles(videos: readonly string[]): string[] {
  const files = new Set(videos);
  for (const folder of new Set(videos.map((video) => dirname(video)))) {
    for (const name of DEVICE_FILES) files.add(join(folder, name));
    for (const name of SESSION_FILES) files.add(join(dirname(folder), name));
  }
  return [...files];
}

/**
 * A path as the file system will find it: the real path of its folder (symbolic links, `.`
 * and `..` resolved, made absolute), then its name. Where the folder cannot be looked at, the
 * path made absolute as written.
 *
 * @param path A file path, absolute or relative to the working folder.
 * @returns The absolute path.
 */
export async function resolvedPath(path: string): Promise<string> {
  try {
    return join(await Deno.realPath(dirname(path)), basename(path));
  } catch {
    return resolve(path);
  }
}

/** Where a file is, for telling whether an output would be it. */
interface FileIdentity {
  /** The path as given. */
  path: string;
  /** Its folder's real path and its name: where writing that name lands. */
  named: string;
  /** Its real path (a symbolic link followed), when it exists. */
  real: string | null;
  /** Device and inode, when it exists and the system gives them: the same for a hard link. */
  id: string | null;
}

async function identity(path: string): Promise<FileIdentity> {
  const named = await resolvedPath(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return { path, named, real: null, id: null };
  }
  const real = await Deno.realPath(path).catch(() => named);
  const id = info.dev !== null && info.ino !== null ? `${info.dev}:${info.ino}` : null;
  return { path, named, real, id };
}

/** Whether writing `output` lands on `input`, or on what `input` is. */
function lands(output: FileIdentity, input: FileIdentity): boolean {
  const targets = [output.named, output.real];
  return targets.some((t) => t !== null && (t === input.named || t === input.real)) ||
    (input.id !== null && input.id === output.id);
}

/** What {@linkcode checkOutputs} checks the outputs against. */
export interface OutputCheck {
  /** The files the export reads (see {@linkcode recordingFiles}). */
  inputs: readonly string[];
  /** Whether an existing file may be replaced. */
  overwrite: boolean;
}

/** `Cannot write "<path>": <cause>`, as an error of the given class. */
function cannotWrite<E extends Error>(
  Class: new (message: string, options?: ErrorOptions) => E,
  path: string,
  cause: string,
  options?: ErrorOptions,
): E {
  return new Class(`Cannot write "${path}": ${cause}`, options);
}

/** Checks that the folder an output goes into exists and is a folder. */
async function checkFolder(path: string): Promise<void> {
  const folder = dirname(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(folder);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw cannotWrite(Deno.errors.NotFound, path, `the folder "${folder}" does not exist`, {
        cause: error,
      });
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw cannotWrite(
        Deno.errors.NotADirectory,
        path,
        `"${folder}" is not a folder: a part of it is a file`,
        { cause: error },
      );
    }
    // No permission to look at the folder: creating the file will tell what is wrong.
    return;
  }
  if (!info.isDirectory) {
    throw cannotWrite(Deno.errors.NotADirectory, path, `"${folder}" is a file, not a folder`);
  }
}

/**
 * Checks the outputs of an export before it starts. Compares real paths (symbolic links,
 * relative paths and `..` resolved) and, where the system gives them, device and inode
 * numbers, so that a second name of a file (a hard link, a case-insensitive file system) is
 * caught too.
 *
 * @param outputs Every file the export writes.
 * @param check The files it reads, and whether existing files may be replaced.
 * @throws {TypeError} When an output is, or would replace, a file the export reads (naming
 *   both), would be read as one next time (a file of that name where there is none yet, a
 *   video beside the recording's videos), or two outputs are the same file.
 * @throws {Deno.errors.IsADirectory} When an output is a folder.
 * @throws {Deno.errors.AlreadyExists} When an output exists and `overwrite` is not set.
 * @throws {Deno.errors.NotFound} When an output's folder does not exist.
 * @throws {Deno.errors.NotADirectory} When an output's folder is a file or under one.
 */
export async function checkOutputs(
  outputs: readonly string[],
  check: OutputCheck,
): Promise<void> {
  const inputs = await Promise.all(check.inputs.map(identity));
  const videos = inputs.filter((input) => VIDEO.test(input.path));
  const seen: FileIdentity[] = [];
  for (const path of outputs) {
    await checkFolder(path);
    const output = await identity(path);
    const other = seen.find((earlier) => lands(output, earlier));
    if (other !== undefined) {
      throw cannotWrite(TypeError, path, `it is the same file as the output "${other.path}"`);
    }
    seen.push(output);
    const same = inputs.find((input) => lands(output, input));
    if (same) {
      const how = same.real === null
        ? `it would be read as "${same.path}" of the recording being exported`
        : `it would replace "${same.path}", a file of the recording being exported` +
          (output.named === same.named ? "" : " (the same file under another name)");
      throw cannotWrite(TypeError, path, how);
    }
    // Any video file beside the recording's videos would be read as one of them.
    const beside = VIDEO.test(path)
      ? videos.find((video) => dirname(video.named) === dirname(output.named))
      : undefined;
    if (beside) {
      throw cannotWrite(
        TypeError,
        path,
        `it would be read as a video of the recording, beside "${beside.path}"`,
      );
    }
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) {
        throw cannotWrite(
          Deno.errors.NotCapable,
          path,
          `this script may not look at its folder; run Deno with --allow-read=${
            dirname(path)
          } as well (the finished file is renamed into place)`,
          { cause: error },
        );
      }
      if (!(error instanceof Deno.errors.NotFound)) throw outputError(error, path);
    }
    if (info?.isDirectory) throw cannotWrite(Deno.errors.IsADirectory, path, "it is a folder");
    if (info && !check.overwrite) {
      throw new Deno.errors.AlreadyExists(
        `"${path}" already exists; pass overwrite (--overwrite) to replace it`,
      );
    }
  }
}

/**
 * The error of creating or writing the output `path`, naming it and saying why in words;
 * the error class is kept.
 *
 * @param error What Deno threw.
 * @param path The output as the user gave it.
 * @returns The error to throw.
 */
export function outputError(error: unknown, path: string): unknown {
  if (!(error instanceof Error)) return error;
  const folder = dirname(path);
  // Deno's messages end with the system call and the path it was given (a temporary name).
  const plain = error.message.replace(/: \w+ '.*'$/s, "");
  const cause = error instanceof Deno.errors.PermissionDenied
    ? `no permission to create or write files in "${folder}" (${plain})`
    : error instanceof Deno.errors.NotCapable
    ? `this script may not write there; run Deno with --allow-write=${folder} (or a folder ` +
      `that contains it)`
    : /\(os error 30\)/.test(plain)
    ? `"${folder}" is on a read-only file system`
    : plain;
  const Same = Object.values(Deno.errors).find((E) => error.constructor === E);
  return Same
    ? cannotWrite(Same, path, cause, { cause: error })
    : cannotWrite(Error, path, cause, { cause: error });
}
