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
  /** Year, in the acquisition computer's local time as written (as are the fields below). */
  year: number;
  /** Month, 1 to 12. */
  month: number;
  /** Day of the month, 1 to 31. */
  day: number;
  /** Hour, 0 to 23. */
  hour: number;
  /** Minute, 0 to 59. */
  minute: number;
  /** Second, 0 to 59. */
  second: number;
  /** Millisecond, 0 to 999. */
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

/** The region of the sensor that was recorded. */
export interface RegionOfInterest {
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** First sensor column. */
  leftEdge: number;
  /** First sensor row. */
  topEdge: number;
}

/**
 * A device `metaData.json`, typed. Control values are a string when they came from the
 * configuration file (`"30FPS"`, `"High"`) and a number when changed in the window (`30`,
 * `3.5`); both are kept as written, and `frameRateHz` reads the number out of either.
 */
export interface DeviceMetadata {
  /** The device name from the user configuration. */
  deviceName: string | null;
  /** The device type, such as `Miniscope_V4_BNO` or `Miniscope_V3`. */
  deviceType: string | null;
  /** The device's index on the acquisition computer. */
  deviceID: number | null;
  /** Where the acquisition software wrote the device folder. */
  deviceDirectory: string | null;
  /** Frames per video file (the last file is usually shorter). */
  framesPerFile: number | null;
  /** The video FourCC, normally `FFV1`. */
  compression: string | null;
  /** The recorded region of the sensor (`ROI`), when set. */
  roi: RegionOfInterest | null;
  /** The frame rate setting as written: `"30FPS"` or `30`. */
  frameRate: string | number | null;
  /** The frame rate in Hz from `frameRate` (`"30FPS"` or `30`), or null. */
  frameRateHz: number | null;
  /** Gain setting as written: `"High"` or `3.5`. */
  gain: string | number | null;
  /** Excitation LED power setting. */
  led0: string | number | null;
  /** Electrowetting lens (focus) setting. */
  ewl: string | number | null;
  /** Every key not listed above, as written. */
  extra: Record<string, unknown>;
}

const DEVICE_KEYS = new Set([
  "deviceName",
  "deviceType",
  "deviceID",
  "deviceDirectory",
  "framesPerFile",
  "compression",
  "ROI",
  "frameRate",
  "gain",
  "led0",
  "ewl",
]);

/**
 * Types the fields of a parsed device `metaData.json`. Fields of an unexpected type read as
 * null; unknown fields are kept in `extra`.
 *
 * @param metadata The parsed object.
 * @returns The typed metadata.
 */
export function parseDeviceMetadata(metadata: Record<string, unknown>): DeviceMetadata {
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const either = (v: unknown) => text(v) ?? num(v);
  const roi = metadata.ROI as Record<string, unknown> | undefined;
  const roiFields = roi && typeof roi === "object"
    ? [num(roi.height), num(roi.width), num(roi.leftEdge), num(roi.topEdge)]
    : null;
  const frameRate = either(metadata.frameRate);
  const rateMatch = typeof frameRate === "string"
    ? /^\s*(\d+(\.\d+)?)\s*(fps)?\s*$/i.exec(frameRate)
    : null;
  return {
    deviceName: text(metadata.deviceName),
    deviceType: text(metadata.deviceType),
    deviceID: num(metadata.deviceID),
    deviceDirectory: text(metadata.deviceDirectory),
    framesPerFile: num(metadata.framesPerFile),
    compression: text(metadata.compression),
    roi: roiFields && roiFields.every((v) => v !== null)
      ? {
        height: roiFields[0]!,
        width: roiFields[1]!,
        leftEdge: roiFields[2]!,
        topEdge: roiFields[3]!,
      }
      : null,
    frameRate,
    frameRateHz: typeof frameRate === "number"
      ? frameRate
      : rateMatch
      ? Number(rateMatch[1])
      : null,
    gain: either(metadata.gain),
    led0: either(metadata.led0),
    ewl: either(metadata.ewl),
    extra: Object.fromEntries(Object.entries(metadata).filter(([key]) => !DEVICE_KEYS.has(key))),
  };
}
