/**
 * Validation: the checks of the paths given to open a recording, before any file is read.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { MalformedRecordingError } from "../errors.ts";
import { statOf } from "../files.ts";

async function checkIsFile(path: string): Promise<void> {
  const info = await statOf(path, "file");
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

/** The default timestamps file of a recording: `timeStamps.csv` beside the first video. */
export function defaultTimestampsPath(firstVideo: string): string {
  return join(dirname(firstVideo), "timeStamps.csv");
}
