/**
 * Behaviour videos copied beside the NWB file, laid out as `dandi organize` lays out the
 * external files of an `ImageSeries`: `<stem>/<object_id>_external_file_<n><extension>`, where
 * `<stem>` is the NWB file's name without `.nwb` and `n` counts the series' files from 0. Each
 * copy is a hard link where the file system and the permissions allow, else a copy; it is
 * written under a temporary name and renamed, and the copies of a failed export are removed.
 *
 * @module
 */

import { basename, dirname, extname, join } from "node:path";
import { exists } from "../files.ts";
import { resolvedPath } from "../outputs.ts";

/** A video to copy. */
export interface VideoCopy {
  /** The recording's video. */
  source: string;
  /** The copy. */
  target: string;
  /** The copy's path relative to the NWB file's folder, as `external_file` holds it. */
  relative: string;
}

/** Names like those of {@linkcode planCopies}, for clearing out an earlier export's copies. */
const COPY_NAME =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_external_file_\d+(\.[^./]+)?$/i;

/** The folder beside the NWB file `nwbPath` that holds its copies. */
export function copyFolder(nwbPath: string): string {
  return join(dirname(nwbPath), basename(nwbPath, extname(nwbPath)));
}

/**
 * Where the videos of the `ImageSeries` with `objectId` go.
 *
 * @param nwbPath The NWB file.
 * @param objectId The series' `object_id`.
 * @param files Its videos, in order.
 * @returns One copy per video.
 */
export function planCopies(nwbPath: string, objectId: string, files: string[]): VideoCopy[] {
  const stem = basename(nwbPath, extname(nwbPath));
  return files.map((source, n) => {
    const name = `${objectId}_external_file_${n}${extname(source)}`;
    return { source, target: join(copyFolder(nwbPath), name), relative: `${stem}/${name}` };
  });
}

/**
 * Checks, before anything is written, that the copies' folder of `nwbPath` can take them: it
 * is not a file, and not a folder of the recording's videos, where a later read would take the
 * copies for videos of the recording (by any path: symbolic links are resolved).
 *
 * @param nwbPath The NWB file.
 * @param videos Every video file the export reads.
 * @throws {Deno.errors.NotADirectory} When the folder's name is taken by a file.
 * @throws {TypeError} When the folder holds videos of the recording, naming one.
 */
export async function checkCopyFolder(nwbPath: string, videos: readonly string[]): Promise<void> {
  const folder = copyFolder(nwbPath);
  const cannot = `Cannot copy the behaviour videos into "${folder}"`;
  let real = await resolvedPath(folder);
  try {
    if (!(await Deno.stat(folder)).isDirectory) {
      throw new Deno.errors.NotADirectory(`${cannot}: it is a file, not a folder`);
    }
    real = await Deno.realPath(folder);
  } catch (error) {
    // A folder not there yet is made; one that cannot be looked at fails on the first copy.
    if (error instanceof Deno.errors.NotADirectory) throw error;
  }
  for (const video of videos) {
    if (dirname(await resolvedPath(video)) === real) {
      throw new TypeError(
        `${cannot}: they would be read as videos of the recording, beside "${video}"`,
      );
    }
  }
}

/** What {@linkcode writeCopies} made, to keep or to take back. */
export interface WrittenCopies {
  /** The copies in place. */
  files: string[];
  /** The folder, when it was made for them. */
  madeFolder: string | null;
}

function named(error: unknown, copy: VideoCopy): Error {
  // Deno's messages end with the system call and its paths (here a temporary name).
  const cause = error instanceof Error ? error.message.replace(/: \w+ '.*'$/s, "") : String(error);
  const message = `Cannot copy "${copy.source}" to "${copy.target}": ${cause}`;
  const Same = Object.values(Deno.errors).find((E) => (error as Error)?.constructor === E);
  return Same ? new Same(message, { cause: error }) : new Error(message, { cause: error });
}

/**
 * Writes the copies. On an error or an abort, what was written is removed before the error
 * is thrown.
 *
 * @param copies The copies, all in one folder.
 * @param signal Stops between files.
 * @returns The copies and whether their folder was made.
 * @throws {Error} Naming the video and the copy, with the file system's error class.
 */
export async function writeCopies(
  copies: VideoCopy[],
  signal?: AbortSignal,
): Promise<WrittenCopies> {
  const written: WrittenCopies = { files: [], madeFolder: null };
  if (copies.length === 0) return written;
  const folder = dirname(copies[0]!.target);
  try {
    if (!await exists(folder)) {
      await Deno.mkdir(folder);
      written.madeFolder = folder;
    }
    for (const copy of copies) {
      signal?.throwIfAborted();
      const temporary = join(
        folder,
        `.${basename(copy.target)}.partial-${crypto.randomUUID().slice(0, 8)}`,
      );
      try {
        // A hard link costs no space; across file systems, or without write permission on the
        // recording, it fails and the bytes are copied.
        await Deno.link(copy.source, temporary).catch(() => Deno.copyFile(copy.source, temporary));
        await Deno.rename(temporary, copy.target);
      } catch (error) {
        await Deno.remove(temporary).catch(() => {});
        throw named(error, copy);
      }
      written.files.push(copy.target);
    }
    return written;
  } catch (error) {
    await removeCopies(written);
    throw error;
  }
}

/** Removes copies and, when it was made for them and is left empty, their folder. */
export async function removeCopies(written: WrittenCopies): Promise<void> {
  for (const file of written.files) await Deno.remove(file).catch(() => {});
  if (written.madeFolder !== null) await Deno.remove(written.madeFolder).catch(() => {});
}

/**
 * Removes from the copies' folder of `nwbPath` the files named as copies that are not in
 * `keep`: the copies of an export this one replaced.
 *
 * @param nwbPath The NWB file.
 * @param keep The copies to keep.
 */
export async function removeStaleCopies(nwbPath: string, keep: string[]): Promise<void> {
  const folder = copyFolder(nwbPath);
  const kept = new Set(keep.map((file) => basename(file)));
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(folder));
  } catch {
    return; // no folder: nothing left from before
  }
  for (const entry of entries) {
    if (!entry.isFile || !COPY_NAME.test(entry.name) || kept.has(entry.name)) continue;
    await Deno.remove(join(folder, entry.name));
  }
}
