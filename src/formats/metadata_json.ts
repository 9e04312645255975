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
