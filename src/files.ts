/**
 * Opening files through Deno's file APIs, so the caller's read permissions apply to every file
 * before ffmpeg is asked to read it, and errors that name the file.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { MalformedRecordingError } from "./errors.ts";
import type { ByteSource } from "./model.ts";

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
    const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
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
    return await use(source);
  } finally {
    file.close();
  }
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
