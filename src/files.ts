/**
 * Opening files through Deno's file APIs, so the caller's read permissions apply to every file
 * before ffmpeg is asked to read it, and errors that name the file.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { MalformedRecordingError } from "./errors.ts";
import type { ByteSource, FileVersion } from "./model.ts";

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
 * The file information of a path; errors name the path and what it is.
 *
 * @param path The path.
 * @param what What it is, for the error.
 * @returns Its information.
 * @throws {Deno.errors.NotFound} When it does not exist.
 */
export async function statOf(path: string, what: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    throw explainFsError(error, path, what);
  }
}

/** How long a file open for reading goes unchecked for a rewrite in place. */
const RECHECK_MS = 20;

/**
 * Opens a file as a {@linkcode ByteSource} for the duration of `use`. With `expected`, the file
 * must still be the version `expected.version` describes when it is opened, and at reads more
 * than 20 ms after the last look: a file replaced, rewritten, truncated or grown since is an
 * error naming it.
 *
 * @param path The file.
 * @param use Receives the source and the file's information; the file is closed when it
 *   settles.
 * @param expected The version the file was read as, and its path for messages.
 * @returns What `use` returns.
 * @throws {MalformedRecordingError} When the file is no longer the version expected.
 * @throws {Deno.errors.NotFound} When it does not exist (any more).
 */
export async function withByteSource<T>(
  path: string,
  use: (source: ByteSource, info: Deno.FileInfo) => Promise<T>,
  expected?: ExpectedVersion,
): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw expected?.version && error instanceof Deno.errors.NotFound
      ? gone(expected, error)
      : explainFsError(error, path, "file");
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
    if (expected) refuseChanged(expected, stat);
    let checked = performance.now();
    const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
      // A rewrite in place while the file is open shows in its information, not in the bytes:
      // looked at again during long reads.
      if (expected && performance.now() - checked > RECHECK_MS) {
        refuseChanged(expected, await file.stat());
        checked = performance.now();
      }
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      await file.seek(offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < buffer.length) {
        const n = await file.read(buffer.subarray(got));
        if (n === null) break;
        got += n;
      }
      return buffer.subarray(0, got);
    };
    // A read is a seek and reads on one file position: reads run one after the other, so that
    // one started while another is under way (a read-ahead) cannot move the other's position.
    let last: Promise<unknown> = Promise.resolve();
    const source: ByteSource = {
      size,
      read(offset: number, length: number): Promise<Uint8Array> {
        const result = last.then(() => readAt(offset, length));
        last = result.catch(() => {});
        return result;
      },
    };
    return await use(source, stat);
  } finally {
    file.close();
  }
}

/** A version a file must still have, with its path for messages. */
export interface ExpectedVersion {
  /** The version it was read as. */
  version?: FileVersion | undefined;
  /** The file's path, named in messages. */
  path: string;
}

/**
 * The version of a file from its information.
 *
 * @param info The file's information.
 * @param growing Whether it may grow and still be this version.
 * @returns The version.
 */
export function versionOf(info: Deno.FileInfo, growing = false): FileVersion {
  return {
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? null,
    ctimeMs: info.ctime?.getTime() ?? null,
    ino: info.ino,
    dev: info.dev,
    growing,
  };
}

/** How `info` differs from `version`, or undefined when it is the same version. */
function changeOf(version: FileVersion, info: Deno.FileInfo): string | undefined {
  if (version.ino !== info.ino || version.dev !== info.dev) {
    return "it is another file now (replaced)";
  }
  if (info.size < version.size || (info.size > version.size && !version.growing)) {
    return `its size is ${info.size} bytes now, ${version.size} then`;
  }
  if (version.growing) return undefined;
  const when = (ms: number | null) => ms === null ? "an unknown time" : new Date(ms).toISOString();
  const mtimeMs = info.mtime?.getTime() ?? null;
  if (mtimeMs !== version.mtimeMs) return `it was modified at ${when(mtimeMs)}`;
  const ctimeMs = info.ctime?.getTime() ?? null;
  if (ctimeMs !== version.ctimeMs) {
    return `it was rewritten in place, or its permissions changed, at ${when(ctimeMs)}`;
  }
  return undefined;
}

function gone(expected: ExpectedVersion, cause: unknown): Error {
  return new Deno.errors.NotFound(
    `Cannot read "${expected.path}": it no longer exists (deleted or moved after the ` +
      `recording was opened)`,
    { cause },
  );
}

function refuseChanged(expected: ExpectedVersion, info: Deno.FileInfo): void {
  const change = expected.version && changeOf(expected.version, info);
  if (change) {
    throw new MalformedRecordingError(
      expected.path,
      `it changed after the recording was opened (${change}); open the recording again`,
    );
  }
}

/**
 * Checks that a file is still the version it was read as, by its path: for reads that take
 * nothing from the file itself (frames kept from earlier reads).
 *
 * @param path The file.
 * @param expected The version it was read as, and its path for messages.
 * @throws {Deno.errors.NotFound} When it no longer exists.
 * @throws {MalformedRecordingError} When it is another version now.
 */
export async function checkUnchanged(path: string, expected: ExpectedVersion): Promise<void> {
  if (!expected.version) return;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw error instanceof Deno.errors.NotFound
      ? gone(expected, error)
      : explainFsError(error, path, "file");
  }
  refuseChanged(expected, info);
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
