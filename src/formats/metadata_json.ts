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
    throw new FormatError(`it is not valid JSON: ${detail}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new FormatError(`its top level is ${kind}, expected a JSON object`);
  }
  return value as Record<string, unknown>;
}
