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
    const { problem, offset } = jsonError(text, detail);
    const where = offset === undefined ? "" : ` at ${lineAndColumn(text, offset)}`;
    throw new FormatError(`it is not valid JSON${where}: ${problem}`);
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

/** The position `JSON.parse` gives at the end of most of its messages. */
const POSITION = / at position (\d+) \(line \d+ column \d+\)$/;
const END_OF_INPUT = "Unexpected end of JSON input";

/**
 * Splits a `JSON.parse` error message into the problem and the offset where it was found.
 *
 * Most messages end with the position, which is taken out of the problem. Running out of input
 * is at the end of the text. An unexpected token is named without its position: then the
 * offset is that of the last character of the shortest start of the text on which
 * `JSON.parse` fails the same way, as every shorter start is valid JSON or merely unfinished.
 */
function jsonError(text: string, message: string): { problem: string; offset?: number } {
  const placed = POSITION.exec(message);
  if (placed) return { problem: message.slice(0, placed.index), offset: Number(placed[1]) };
  if (message === END_OF_INPUT) return { problem: message, offset: text.length };
  const failsWithin = (length: number) => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      return !POSITION.test(message) && message !== END_OF_INPUT;
    }
  };
  if (!failsWithin(text.length)) return { problem: message };
  let valid = 0; // the longest start known not to fail within
  let failing = text.length; // the shortest start known to fail within
  while (failing - valid > 1) {
    const middle = Math.floor((valid + failing) / 2);
    if (failsWithin(middle)) failing = middle;
    else valid = middle;
  }
  return { problem: message, offset: failing - 1 };
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
