/**
 * Helpers shared by the tests: an independent ffmpeg decode, the expected frame bytes, and
 * temporary copies of fixtures to break on purpose.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../testdata/make_fixtures.ts";
import { makeFrame } from "../testdata/frames.ts";

export const TESTDATA = new URL("../testdata/", import.meta.url).pathname;
export const SAMPLE = join(TESTDATA, FIXTURES.sample.device);
export const V1 = join(TESTDATA, FIXTURES.v1.device);
export const MANY = join(TESTDATA, FIXTURES.many.device);
export const ODD = join(TESTDATA, "odd");

/**
 * Asserts that two byte arrays are identical, reporting the first difference briefly rather
 * than a diff of every byte.
 */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${what}: length ${actual.length} differs from expected ${expected.length}`,
    });
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new AssertionError({
        message: `${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`,
      });
    }
  }
}

/**
 * A check for `throws` and `rejects` of `node:assert`, which take an error class or a
 * function: the error is a `type` whose message includes `part`.
 */
export function errorWith(
  type: abstract new (...args: never[]) => Error,
  part: string,
): (error: unknown) => boolean {
  return (error) => error instanceof type && error.message.includes(part);
}

/** `text` with every character that means something in a RegExp escaped. */
function escaped(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/**
 * A pattern for `assert.match` that finds `text` as written anywhere in the input, so that a
 * failure shows the input and the text it lacks.
 */
export function containing(text: string): RegExp {
  return new RegExp(escaped(text));
}

/** A pattern for `assert.match`: the input starts with `text` as written. */
export function startingWith(text: string): RegExp {
  return new RegExp(`^${escaped(text)}`);
}

/** A pattern for `assert.match`: the input ends with `text` as written. */
export function endingWith(text: string): RegExp {
  return new RegExp(`${escaped(text)}$`);
}

/** Decodes a whole AVI with a plain ffmpeg command, independent of the module's code. */
export async function ffmpegDecode(
  path: string,
  pixelFormat: "gray" | "rgb24" = "gray",
): Promise<Uint8Array> {
  const output = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-i",
      path,
      "-f",
      "rawvideo",
      "-pix_fmt",
      pixelFormat,
      "-",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return output.stdout;
}

/** Decodes several files one after another and concatenates the frames. */
export async function ffmpegDecodeAll(
  paths: string[],
  pixelFormat: "gray" | "rgb24" = "gray",
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const path of paths) parts.push(await ffmpegDecode(path, pixelFormat));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** The frames `indices` of a fixture, back to back, as the generator made them. */
export function expectedFrames(
  indices: Iterable<number>,
  width: number,
  height: number,
  seed = 0,
): Uint8Array {
  const frames = [...indices].map((i) => makeFrame(i, width, height, seed));
  const all = new Uint8Array(frames.length * width * height);
  frames.forEach((frame, i) => all.set(frame, i * width * height));
  return all;
}

/** A fixed shuffle, so a failure can be replayed. */
export function shuffled(values: number[], seed: number): number[] {
  const out = [...values];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Integers `[start, end)`. */
export function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** Copies a fixture folder into a new temporary folder and returns the copy's path. */
export async function copyFixture(from: string, name = "Miniscope"): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "miniscope_test_" });
  const dir = join(root, name);
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(dir, entry.name));
  }
  return dir;
}

/** Removes the temporary root made by {@linkcode copyFixture}. */
export async function removeCopy(dir: string): Promise<void> {
  await Deno.remove(join(dir, ".."), { recursive: true });
}

/** Copies a folder and everything in it to `to`. */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** Collects warnings for `onWarning`. */
export function warnings(): { list: string[]; onWarning: (message: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (message: string) => list.push(message) };
}

/** How many ffmpeg processes running right now have `marker` in their command line. */
export async function ffmpegProcessesMentioning(marker: string): Promise<number> {
  const output = await new Deno.Command("ps", {
    args: ["-eo", "args="],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) => line.split(" ")[0]!.endsWith("ffmpeg") && line.includes(marker)).length;
}

/** The byte offset of the chunk header of frame `k` in the first movi list of an AVI file. */
export function frameChunkOffset(bytes: Uint8Array, k: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = new TextDecoder("latin1").decode(bytes).indexOf("movi") + 4;
  for (let i = 0; i < k; i++) {
    const size = view.getUint32(at + 4, true);
    at += 8 + size + (size & 1);
  }
  return at;
}

/**
 * Rewrites an AVI written by ffmpeg into the OpenDML layout that files over 1 GiB have: the
 * `JUNK` space reserved in the stream header becomes an `indx` super index pointing at an
 * `ix00` standard index appended to the file, and `idx1` is renamed `JUNK` so that only the
 * OpenDML index remains.
 */
export function toOpenDml(original: Uint8Array): Uint8Array {
  const latin1 = new TextDecoder("latin1");
  const text = latin1.decode(original);
  const view = new DataView(original.buffer, original.byteOffset, original.byteLength);
  const movi = text.indexOf("movi"); // the list type: idx1 offsets count from here
  const idx1 = text.lastIndexOf("idx1");
  const entries: { offset: number; size: number; key: boolean }[] = [];
  for (let e = idx1 + 8; e + 16 <= idx1 + 8 + view.getUint32(idx1 + 4, true); e += 16) {
    if (latin1.decode(original.subarray(e, e + 4)) !== "00dc") continue;
    entries.push({
      key: (view.getUint32(e + 4, true) & 0x10) !== 0,
      offset: view.getUint32(e + 8, true),
      size: view.getUint32(e + 12, true),
    });
  }
  const ixSize = 24 + 8 * entries.length;
  const out = new Uint8Array(original.length + 8 + ixSize);
  out.set(original);
  const o = new DataView(out.buffer);
  const ascii = (at: number, s: string) => out.set(new TextEncoder().encode(s), at);
  ascii(idx1, "JUNK");
  const ix = original.length;
  ascii(ix, "ix00");
  o.setUint32(ix + 4, ixSize, true);
  o.setUint16(ix + 8, 2, true); // longs per entry
  o.setUint8(ix + 10, 0); // sub type
  o.setUint8(ix + 11, 1); // index of chunks
  o.setUint32(ix + 12, entries.length, true);
  ascii(ix + 16, "00dc");
  o.setUint32(ix + 20, movi, true); // base offset (low 32 bits)
  entries.forEach((entry, i) => {
    o.setUint32(ix + 32 + 8 * i, entry.offset + 8, true);
    o.setUint32(ix + 36 + 8 * i, (entry.size | (entry.key ? 0 : 0x80000000)) >>> 0, true);
  });
  const junk = text.indexOf("JUNK", text.indexOf("strf"));
  ascii(junk, "indx");
  o.setUint16(junk + 8, 4, true); // longs per entry
  o.setUint8(junk + 10, 0);
  o.setUint8(junk + 11, 0); // index of indexes
  o.setUint32(junk + 12, 1, true); // entries in use
  ascii(junk + 16, "00dc");
  o.setUint32(junk + 32, ix, true); // qwOffset low
  o.setUint32(junk + 36, 0, true); // qwOffset high
  o.setUint32(junk + 40, 8 + ixSize, true);
  o.setUint32(junk + 44, entries.length, true);
  return out;
}

/**
 * The first python3 on PATH that can import all of `modules`, or undefined. (npx, for one,
 * puts the system's python3 first on PATH.)
 */
export async function findPython(modules: string[]): Promise<string | undefined> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  const candidates = [...dirs.map((dir) => `${dir}/python3`), "/usr/bin/python3"];
  for (const candidate of new Set(candidates)) {
    try {
      const probe = await new Deno.Command(candidate, {
        args: ["-c", `import ${modules.join(", ")}`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      if (probe.success) return candidate;
    } catch {
      // Not there or not runnable: try the next one.
    }
  }
  return undefined;
}

/** Runs a Python snippet with `python` and returns its stdout, failing on a non-zero exit. */
export async function runPython(
  python: string,
  code: string,
  args: string[] = [],
): Promise<string> {
  const output = await new Deno.Command(python, {
    args: ["-c", code, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/** Runs a program with no input and returns its exit code and its output as text. */
export async function runCommand(
  command: string,
  args: string[],
  { cwd, env }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    ...(env === undefined ? {} : { env }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/**
 * Runs a Deno script in a subprocess with only `flags` as permissions, in the working folder
 * `cwd` when given; returns its output.
 */
export function runDenoScript(
  script: string,
  flags: string[],
  args: string[],
  { cwd }: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(
    Deno.execPath(),
    ["run", "--no-prompt", "--quiet", ...flags, script, ...args],
    cwd === undefined ? {} : { cwd },
  );
}

/** Encodes `frames` frames of ffmpeg's test pattern as FFV1 in AVI, with extra output options. */
export async function encodeTestPattern(
  path: string,
  options: {
    size: string;
    frames: number;
    pixelFormat: string;
    extra?: string[];
    /** An lavfi source instead of the test pattern. */
    source?: string;
  },
): Promise<void> {
  const { success, stderr } = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      options.source ?? `testsrc=size=${options.size}:rate=60`,
      "-frames:v",
      String(options.frames),
      ...(options.extra ?? []),
      "-pix_fmt",
      options.pixelFormat,
      "-c:v",
      "ffv1",
      "-f",
      "avi",
      path,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
}
