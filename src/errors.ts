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

/**
 * A program given as ffmpeg that cannot decode the recording: it does not answer as ffmpeg does,
 * or it lacks the decoder of a file's codec. Pass another `ffmpegPath`, or install an ffmpeg
 * build that has the decoder.
 *
 * @example A program that is not ffmpeg is refused at the first read
 * ```ts
 * import { FfmpegUnavailableError, MiniscopeImagingExtractor } from "@miniscope/reader";
 *
 * const extractor = await MiniscopeImagingExtractor.open({
 *   folderPath: "testdata/v1_device",
 *   ffmpegPath: "/bin/true",
 * });
 * const error = await extractor.getSamples([0]).catch((error: unknown) => error);
 * console.log(error instanceof FfmpegUnavailableError && error.ffmpegPath); // "/bin/true"
 * ```
 */
export class FfmpegUnavailableError extends Error {
  /** The executable given as ffmpeg. */
  readonly ffmpegPath: string;

  /**
   * Creates an error about the program at `ffmpegPath`.
   *
   * @param ffmpegPath The executable given as ffmpeg.
   * @param message What is wrong with it, naming it, and what to do.
   * @param options Standard error options, such as `cause`.
   */
  constructor(ffmpegPath: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FfmpegUnavailableError";
    this.ffmpegPath = ffmpegPath;
  }
}

/**
 * A start time that cannot be told: none could be read for the session, or its UTC offset is
 * unknown (the file gives the local time only) or contradictory. Pass the start time, or the
 * time zone of the acquisition computer.
 *
 * @example A device folder outside its session has no start time: pass one
 * ```ts
 * import { MiniscopeImagingExtractor, StartTimeUnknownError } from "@miniscope/reader";
 * import { writeNwb } from "@miniscope/reader/nwb";
 *
 * const extractor = await MiniscopeImagingExtractor.open({ folderPath: "testdata/v1_device" });
 * const folder = await Deno.makeTempDir();
 * try {
 *   await writeNwb(extractor, `${folder}/v1.nwb`, { onWarning() {} });
 * } catch (error) {
 *   if (!(error instanceof StartTimeUnknownError)) throw error;
 *   const sessionStartTime = "2022-09-19T09:18:41+02:00";
 *   await writeNwb(extractor, `${folder}/v1.nwb`, { sessionStartTime, onWarning() {} });
 * }
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export class StartTimeUnknownError extends Error {
  /**
   * Creates an error saying why the start time cannot be told.
   *
   * @param message What is missing, from which file, and what to pass.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StartTimeUnknownError";
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

/**
 * The warning about a side file that cannot be read and is left out: the problem, naming the
 * file, then what is left out.
 *
 * @param error Why the file cannot be read.
 * @param path The file.
 * @param leftOut What is left out, such as `the session's notes are left out`.
 * @returns The warning.
 */
export function leftOutWarning(error: unknown, path: string, leftOut: string): string {
  // Deno's own messages end with the system call and the path.
  const message = (error instanceof Error ? error.message : String(error))
    .replace(/: \w+ '.*'$/s, "");
  return `${message.includes(`"${path}"`) ? message : `Cannot read "${path}": ${message}`}; ` +
    leftOut;
}
