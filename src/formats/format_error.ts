/**
 * The error the pure parsers throw. Its message describes the problem without naming the file;
 * the caller, who knows the path, wraps it in a `MalformedRecordingError`.
 *
 * @module
 */

/** Malformed content found by a parser. */
export class FormatError extends Error {
  /**
   * Creates an error with the given problem description.
   *
   * @param message What is wrong with the content.
   */
  constructor(message: string) {
    super(message);
    this.name = "FormatError";
  }
}
