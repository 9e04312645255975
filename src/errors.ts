/**
 * Error classes that callers may catch on purpose.
 *
 * @module
 */

/**
 * A recording whose files are present but malformed or inconsistent: a broken AVI, a CSV that
 * cannot be parsed, numbering with a gap, files of different frame shapes, or a video that
 * decodes to fewer frames than its container claims.
 */
export class MalformedRecordingError extends Error {
  /** The file or folder the problem was found in. */
  readonly path: string;

  /**
   * Creates an error about `path`; the message is prefixed with the quoted path.
   *
   * @param path The file or folder at fault.
   * @param problem What is wrong with it, in sentence case without a trailing period.
   * @param options Standard error options, such as `cause`.
   */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`Cannot read "${path}": ${problem}`, options);
    this.name = "MalformedRecordingError";
    this.path = path;
  }
}

/** Facts about an ffmpeg run that failed, carried by {@linkcode FfmpegError}. */
export interface FfmpegFailure {
  /** The executable that was run. */
  readonly command: string;
  /** The arguments it was given. */
  readonly args: readonly string[];
  /** Its exit code, or `null` when it was ended by a signal. */
  readonly code: number | null;
  /** The last part of what it wrote to stderr. */
  readonly stderr: string;
}

/** An ffmpeg process that exited with an error, with its arguments, exit code and stderr tail. */
export class FfmpegError extends Error {
  /** The executable that was run. */
  readonly command: string;
  /** The arguments ffmpeg was given. */
  readonly args: readonly string[];
  /** The exit code, or `null` when the process was ended by a signal. */
  readonly code: number | null;
  /** The last part of ffmpeg's stderr (at most a few kilobytes). */
  readonly stderr: string;

  /**
   * Creates an error describing a failed ffmpeg run.
   *
   * @param message What failed, naming the input file.
   * @param failure The command, arguments, exit code and stderr tail.
   */
  constructor(message: string, failure: FfmpegFailure) {
    const tail = failure.stderr.trim();
    super(
      `${message}: ffmpeg exited with ${
        failure.code === null ? "a signal" : `code ${failure.code}`
      }${tail ? `: ${lastLines(tail, 5)}` : ""}`,
    );
    this.name = "FfmpegError";
    this.command = failure.command;
    this.args = failure.args;
    this.code = failure.code;
    this.stderr = failure.stderr;
  }
}

function lastLines(text: string, count: number): string {
  return text.split("\n").slice(-count).join(" | ");
}

/**
 * Where warnings go when no `onWarning` is given: the console, as `Warning: <message>`.
 *
 * @param message The warning.
 */
export function warnOnConsole(message: string): void {
  console.warn(`Warning: ${message}`);
}
