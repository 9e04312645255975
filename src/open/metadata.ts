/**
 * Reading `metaData.json` files, session and device level; errors name the file.
 *
 * @module
 */

import { dirname } from "node:path";
import { FormatError } from "../formats/format_error.ts";
import {
  parseMetadataJson,
  readRecordingStartTime,
  type RecordingStartTime,
} from "../formats/metadata_json.ts";
import { MalformedRecordingError } from "../errors.ts";
import { explainFsError } from "../files.ts";

/**
 * A parse error of a file format as a {@linkcode MalformedRecordingError} naming the file;
 * any other error as it is.
 *
 * @param error The error.
 * @param path The file being parsed.
 * @returns The error to throw.
 */
export function wrapFormatError(error: unknown, path: string): unknown {
  return error instanceof FormatError
    ? new MalformedRecordingError(path, error.message, { cause: error })
    : error;
}

/**
 * A problem reading a side file the recording can do without (`notes.csv`,
 * `headOrientation.csv`), as a sentence naming it: the error's message where it names the
 * file, else `Cannot read "<path>": <message>`.
 *
 * @param error The error.
 * @param path The file.
 * @returns The sentence.
 */
export function sideFileProblem(error: unknown, path: string): string {
  // Deno's own messages end with the system call and the path.
  const message = (error instanceof Error ? error.message : String(error))
    .replace(/: \w+ '.*'$/s, "");
  return message.includes(`"${path}"`) ? message : `Cannot read "${path}": ${message}`;
}

/**
 * Reads a `metaData.json` that the reading can do without: a missing file is no problem, a
 * broken or unreadable one (not JSON, not an object, not permitted, a folder) is described
 * instead of thrown.
 *
 * @param path The file.
 * @param what What the file is, for messages.
 * @returns The object, or null with the problem as a sentence naming the file (null when the
 *   file is just missing).
 */
export async function readMetadataLeniently(
  path: string,
  what: string,
): Promise<{ metadata: Record<string, unknown> | null; problem: string | null }> {
  try {
    return { metadata: await readMetadataFile(path, what), problem: null };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { metadata: null, problem: null };
    if (error instanceof MalformedRecordingError) {
      return { metadata: null, problem: `${error.message}; it is not used` };
    }
    if (error instanceof Deno.errors.NotCapable) {
      return {
        metadata: null,
        problem: `Did not read ${what} "${path}": this script may not read it (run Deno ` +
          `with --allow-read=${dirname(path)} to read it)`,
      };
    }
    // Any other failure to read it (no permission on disk, a folder of that name): say so.
    const message = error instanceof Error ? error.message : String(error);
    return { metadata: null, problem: `Cannot read ${what} "${path}": ${message}; it is not used` };
  }
}

/**
 * Reads and parses a `metaData.json` file; errors name the file.
 *
 * @param path The file.
 * @param what What the file is, for the missing-file message.
 * @returns The parsed object.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {MalformedRecordingError} When it is not valid JSON or not an object.
 */
export async function readMetadataFile(
  path: string,
  what = "file",
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw explainFsError(error, path, what);
  }
  try {
    return parseMetadataJson(text);
  } catch (error) {
    throw wrapFormatError(error, path);
  }
}

/**
 * Reads a session `metaData.json` and its recording start time; errors name the file.
 *
 * @param path The file.
 * @returns The parsed metadata and the start time.
 */
export async function readSessionMetadataFile(
  path: string,
): Promise<{ metadata: Record<string, unknown>; startTime: RecordingStartTime }> {
  const metadata = await readMetadataFile(path, "session metadata");
  try {
    return { metadata, startTime: readRecordingStartTime(metadata) };
  } catch (error) {
    throw wrapFormatError(error, path);
  }
}
