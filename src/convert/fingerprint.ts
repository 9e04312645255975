/**
 * Fingerprints: of a session's inputs, to tell a changed session from one converted before,
 * and of an output file, to record what was written.
 *
 * A session's fingerprint is made of the names, sizes and modification times of the files a
 * conversion reads (the session folder's files and those of the folders in it), not of their
 * contents: hashing every video of a dataset on each run would cost as much reading as the
 * conversion itself, while the acquisition software, copies and edits all change a size or a
 * modification time. What it cannot see is a file rewritten with the same size and the old
 * modification time put back; convert such a session again by removing its output.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { explainFsError } from "../files.ts";
import { isHidden } from "../open/discovery.ts";

/** The fingerprint of a session's inputs. */
export interface InputFingerprint {
  /** Files looked at. */
  files: number;
  /** Their bytes in all. */
  bytes: number;
  /** SHA-256 of their relative names, sizes and modification times, one line per file. */
  sha256: string;
}

async function entriesOf(folder: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!isHidden(entry.name)) entries.push(entry);
    }
  } catch (error) {
    throw explainFsError(error, folder, "folder");
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The fingerprint of a session folder: every file in it and in the folders directly in it
 * (the device folders), hidden ones left out, as the reader leaves them out.
 *
 * @param folder The session folder.
 * @returns Its fingerprint.
 * @throws {Deno.errors.NotFound} When the folder is gone.
 */
export async function fingerprintSession(folder: string): Promise<InputFingerprint> {
  const lines: string[] = [];
  let bytes = 0;
  const add = async (path: string, name: string) => {
    const info = await Deno.stat(path).catch((error) => {
      throw explainFsError(error, path, "file");
    });
    if (!info.isFile) return;
    bytes += info.size;
    lines.push(`${name}\t${info.size}\t${info.mtime?.getTime() ?? "?"}`);
  };
  for (const entry of await entriesOf(folder)) {
    const path = join(folder, entry.name);
    if (entry.isFile) await add(path, entry.name);
    if (!entry.isDirectory) continue;
    for (const inner of await entriesOf(path)) {
      if (inner.isFile) await add(join(path, inner.name), `${entry.name}/${inner.name}`);
    }
  }
  const sha256 = createHash("sha256").update(lines.join("\n")).digest("hex");
  return { files: lines.length, bytes, sha256 };
}

/**
 * The SHA-256 of a file, read in pieces.
 *
 * @param path The file.
 * @param signal Stops the reading.
 * @returns The digest in hex.
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    signal?.throwIfAborted();
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
