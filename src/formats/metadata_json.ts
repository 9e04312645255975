/**
 * Parses a Miniscope `metaData.json` file (session or device level).
 *
 * @module
 */

import { FormatError } from "./format_error.ts";

/**
 * Parses the text of a `metaData.json` file into a plain object.
 *
 * @param text The whole file as text; a leading byte-order mark is ignored.
 * @returns The parsed object.
 * @throws {FormatError} When the text is not valid JSON (with the parser's position) or its
 *   top level is not an object.
 */
export function parseMetadataJson(text: string): Record<string, unknown> {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const at = firstJsonError(text);
    const where = at === undefined ? "" : ` at ${lineAndColumn(text, at)}`;
    throw new FormatError(`it is not valid JSON${where}: ${detail}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new FormatError(`its top level is ${kind}, expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

/**
 * Finds the offset of the first character where `text` stops being valid JSON, by a strict
 * recursive-descent scan. Used only to place an error that `JSON.parse` already found.
 */
function firstJsonError(text: string): number | undefined {
  let at = 0;
  class Stop {
    constructor(readonly offset: number) {}
  }
  const fail = (): never => {
    throw new Stop(at);
  };
  const space = () => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const literal = (word: string) => {
    for (const char of word) {
      if (text[at] !== char) fail();
      at++;
    }
  };
  const string = () => {
    at++; // opening quote
    while (at < text.length && text[at] !== '"') {
      const code = text.charCodeAt(at);
      if (code < 0x20) fail();
      if (text[at] === "\\") {
        at++;
        if (text[at] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) fail();
          at += 4;
        } else if (!'"\\/bfnrt'.includes(text[at] ?? "x")) fail();
      }
      at++;
    }
    if (at >= text.length) fail();
    at++;
  };
  const number = () => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at));
    if (!match || match[0] === "" || match[0] === "-") fail();
    at += match![0].length;
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === "{") {
      at++;
      space();
      if (text[at] === "}") {
        at++;
        return;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail();
        string();
        space();
        if (text[at] !== ":") fail();
        at++;
        value();
        space();
        if (text[at] === ",") at++;
        else if (text[at] === "}") {
          at++;
          return;
        } else fail();
      }
    } else if (char === "[") {
      at++;
      space();
      if (text[at] === "]") {
        at++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[at] === ",") at++;
        else if (text[at] === "]") {
          at++;
          return;
        } else fail();
      }
    } else if (char === '"') string();
    else if (char === "t") literal("true");
    else if (char === "f") literal("false");
    else if (char === "n") literal("null");
    else number();
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return undefined;
  } catch (stop) {
    // A Stop carries the position; anything else (say, nesting too deep for the stack)
    // leaves the position unknown.
    return stop instanceof Stop ? stop.offset : undefined;
  }
}

/** When a recording started, as the acquisition software wrote it. */
export interface RecordingStartTime {
  /** Calendar fields in the acquisition computer's local time, as written. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  msec: number;
  /** Milliseconds since 1970-01-01 UTC, when written (software v1.10 and later, and v1.00). */
  msecSinceEpoch: number | null;
  /** The local time as ISO 8601 without a zone: `2022-09-19T09:18:41.007`. */
  local: string;
}

const START_KEYS = ["year", "month", "day", "hour", "minute", "second", "msec"] as const;

/**
 * Reads the recording start time from a session `metaData.json`: the nested
 * `recordingStartTime` object (software v1.10 and later) or the same keys at the top level
 * (v1.00 to v1.02).
 *
 * @param metadata The parsed session metadata.
 * @returns The start time.
 * @throws {FormatError} When the keys are missing or not integers, naming them.
 */
export function readRecordingStartTime(metadata: Record<string, unknown>): RecordingStartTime {
  const nested = metadata.recordingStartTime;
  const source = nested && typeof nested === "object" && !Array.isArray(nested)
    ? nested as Record<string, unknown>
    : metadata;
  const missing = START_KEYS.filter((key) => !Number.isInteger(source[key]));
  if (missing.length > 0) {
    throw new FormatError(
      `it has no recording start time: expected integer keys ${missing.join(", ")} in ` +
        `"recordingStartTime" or at the top level`,
    );
  }
  const [year, month, day, hour, minute, second, msec] = START_KEYS.map((key) =>
    source[key] as number
  ) as [number, number, number, number, number, number, number];
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const epoch = source.msecSinceEpoch;
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    msec,
    msecSinceEpoch: typeof epoch === "number" && Number.isFinite(epoch) ? epoch : null,
    local: `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${
      pad(msec, 3)
    }`,
  };
}
