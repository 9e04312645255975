/**
 * Where a dataset conversion reads and writes, checked before anything is written: the dataset
 * folder, the subjects table, and the output (or SLURM) folder, which may not mix with the
 * recordings.
 *
 * @module
 */

import { basename, dirname, join, resolve, sep } from "node:path";
import { explainFsError } from "../files.ts";
import { hasVideoFiles } from "../open/discovery.ts";
import { checkDatasetOptions, type DatasetNwbOptions } from "./nwb_options.ts";
import { readSubjectsTable, type SubjectsTable } from "./subjects.ts";

/** The real path of `path`: of its deepest existing folder, with the rest appended. */
async function realPathOf(path: string): Promise<string> {
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await Deno.realPath(existing), ...rest.reverse());
    } catch (error) {
      // A folder this run may not look at: the path as written.
      if (!(error instanceof Deno.errors.NotFound)) return resolve(path);
      const parent = dirname(existing);
      if (parent === existing) return resolve(path);
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

/**
 * Refuses a folder that convert would write (`--out`, `--slurm`) where it would mix with the
 * recordings: a file, the dataset folder itself (whose sessions it would then not search), or a
 * folder in or at a session or device folder (a folder with a `metaData.json` or videos).
 *
 * @param root The dataset folder.
 * @param folder The folder to write.
 * @param flag How the user gave it, for messages: `--out`.
 * @throws {TypeError} When it is one of these.
 */
export async function checkWriteFolder(root: string, folder: string, flag: string): Promise<void> {
  const info = await Deno.stat(folder).catch(() => null);
  if (info && !info.isDirectory) throw new TypeError(`${flag} "${folder}" is a file, not a folder`);
  const real = await realPathOf(folder);
  const rootReal = await realPathOf(root);
  if (real === rootReal) {
    throw new TypeError(
      `${flag} "${folder}" is the dataset folder itself: give a folder of its own, outside ` +
        `"${root}" or a new one within it`,
    );
  }
  // The folder and the folders above it, up to the dataset folder, must not be recordings.
  const within = (path: string) => path === rootReal || path.startsWith(rootReal + sep);
  for (let at = real;; at = dirname(at)) {
    if (await isRecordingFolder(at)) {
      throw new TypeError(
        `${flag} "${folder}" is in the recording folder "${at}": what convert writes would ` +
          `mix with the recording's files; give a folder outside it`,
      );
    }
    if (dirname(at) === at || !within(dirname(at))) return;
  }
}

/** Whether a folder holds a `metaData.json` or videos: a session or device folder. */
async function isRecordingFolder(folder: string): Promise<boolean> {
  if (await Deno.stat(join(folder, "metaData.json")).then(() => true, () => false)) return true;
  const info = await Deno.stat(folder).catch(() => null);
  return info !== null && info.isDirectory && await hasVideoFiles(folder, true).catch(() => false);
}

/**
 * Checks what a dataset conversion is given before anything is written: the NWB options, the
 * dataset folder, the subjects table and where the output goes.
 *
 * @param options The plan's options.
 * @returns The subjects table, or null without one.
 * @throws {TypeError} {RangeError} When an option is wrong, or the output folder is a file, the
 *   dataset folder itself, or within a recording's folder.
 * @throws {Deno.errors.NotFound} When the dataset folder or the table does not exist.
 * @throws {MalformedRecordingError} When the table cannot be read.
 */
export async function checkDatasetPlaces(
  options: DatasetNwbOptions & { root: string; out: string; subjects?: string | undefined },
): Promise<SubjectsTable | null> {
  checkDatasetOptions(options);
  const root = await Deno.stat(options.root).catch((error) => {
    throw explainFsError(error, options.root, "dataset folder");
  });
  if (!root.isDirectory) throw new TypeError(`"${options.root}" is not a folder`);
  const table = options.subjects === undefined ? null : await readSubjectsTable(options.subjects);
  await checkWriteFolder(options.root, options.out, "The output folder");
  return table;
}
