/**
 * The manifest of an output folder: what was converted from where, with which options, and
 * what was written. One small JSON file per session in `<out>/.miniscope-convert/manifest/`,
 * each written under a temporary name and renamed, so that runs on several machines (a SLURM
 * job array) record their sessions at once without a lock, and a reader sees each entry whole
 * or not at all. The folder's name starts with a dot, so `dandi upload` leaves it out.
 *
 * @module
 */

import { join } from "node:path";
import { explainFsError } from "../files.ts";
import type { InputFingerprint } from "./fingerprint.ts";

/** The folder of the manifest and the locks, in the output folder. */
export const STATE_FOLDER = ".miniscope-convert";

/** What the manifest records of one session. */
export interface ManifestEntry {
  /** `sub-<subject>_ses-<session>`: the session's name in the dataset, and the entry's. */
  key: string;
  /**
   * `"running"`: a conversion started and has not ended (it was stopped, or is under way);
   * `"done"`: the output was written; `"failed"`: the conversion failed, see `error`.
   */
  status: "running" | "done" | "failed";
  /** The session folder. */
  source: string;
  /** The output file, relative to the output folder, `/`-separated. */
  output: string;
  /** The fingerprint of the session's inputs when the conversion started. */
  inputs: InputFingerprint;
  /** The options the file was written with, as plain JSON. */
  options: Record<string, unknown>;
  /** The output's size in bytes, once done. */
  size: number | null;
  /** The output's SHA-256, once done. */
  sha256: string | null;
  /** The output's modification time (ms since 1970), once done. */
  mtimeMs: number | null;
  /** Files written besides the output, relative to the output folder. */
  externalFiles: string[];
  /** Miniscope frames in the file. */
  frames: number | null;
  /** The recording's duration in seconds. */
  seconds: number | null;
  /** Why the conversion failed. */
  error: string | null;
}

function manifestFolder(out: string): string {
  return join(out, STATE_FOLDER, "manifest");
}

/**
 * Writes a file atomically: under a temporary name in the same folder, then renamed.
 *
 * @param path The file.
 * @param text Its text.
 */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(temporary, text);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw explainFsError(error, path, "manifest file");
  }
}

/**
 * Records a session's entry.
 *
 * @param out The output folder.
 * @param entry The entry.
 */
export async function writeEntry(out: string, entry: ManifestEntry): Promise<void> {
  const folder = manifestFolder(out);
  await Deno.mkdir(folder, { recursive: true });
  await writeAtomically(join(folder, `${entry.key}.json`), JSON.stringify(entry, null, 2) + "\n");
}

/**
 * Reads a session's entry.
 *
 * @param out The output folder.
 * @param key The session's key.
 * @returns The entry, or null when there is none.
 * @throws {Error} When the entry cannot be parsed, naming its file.
 */
export async function readEntry(out: string, key: string): Promise<ManifestEntry | null> {
  const path = join(manifestFolder(out), `${key}.json`);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw explainFsError(error, path, "manifest file");
  }
  try {
    return JSON.parse(text) as ManifestEntry;
  } catch (error) {
    throw new Error(`Cannot read manifest file "${path}": ${(error as Error).message}`);
  }
}

/**
 * Reads the whole manifest of an output folder: every session's entry.
 *
 * @example
 * ```ts
 * import { readManifest } from "@miniscope/reader/convert";
 *
 * const out = await Deno.makeTempDir();
 * console.log(await readManifest(out)); // [] before the first conversion
 * await Deno.remove(out);
 * ```
 *
 * @param out The output folder of a conversion.
 * @returns The entries, ordered by key.
 * @throws {Error} When an entry cannot be parsed, naming its file.
 */
export async function readManifest(out: string): Promise<ManifestEntry[]> {
  const keys: string[] = [];
  try {
    for await (const entry of Deno.readDir(manifestFolder(out))) {
      if (entry.isFile && entry.name.endsWith(".json")) keys.push(entry.name.slice(0, -5));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw explainFsError(error, manifestFolder(out), "manifest folder");
  }
  const entries: ManifestEntry[] = [];
  for (const key of keys.sort()) {
    const entry = await readEntry(out, key);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** Canonical JSON: keys sorted at every level, so equal options give equal text. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      )
      : Array.isArray(v)
      ? v.map(sort)
      : v;
  return JSON.stringify(sort(value));
}
