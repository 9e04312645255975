/**
 * Writes recordings the way the Miniscope software before 2020 does: one folder per recording
 * holding `msCam1.avi, msCam2.avi, ...` (uncompressed 24-bit DIB frames, bottom-up rows padded
 * to four bytes, gray in three equal channels), `behavCam1.avi, ...` (the same, in colour),
 * `timestamp.dat` (both cameras' rows interleaved, the first `sysClock` of each camera from
 * another clock) and `settings_and_notes.dat`. The AVI files are written here, byte by byte,
 * as Video for Windows writes them (`DIB ` handler, `00db` chunks, an `idx1` index), so the
 * fixtures do not depend on how an ffmpeg version muxes raw video.
 *
 * @module
 */

import { join } from "node:path";

const ascii = new TextEncoder();

/** Little-endian fields and chunks of a RIFF file, appended in order. */
class Riff {
  readonly #parts: Uint8Array[] = [];

  u32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
    this.#parts.push(bytes);
    return this;
  }

  u16(value: number): this {
    const bytes = new Uint8Array(2);
    new DataView(bytes.buffer).setUint16(0, value, true);
    this.#parts.push(bytes);
    return this;
  }

  text(value: string): this {
    this.#parts.push(ascii.encode(value));
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#parts.push(value);
    return this;
  }

  /** A chunk `id` holding `data`, padded to an even size. */
  chunk(id: string, data: Uint8Array): this {
    this.text(id).u32(data.length).bytes(data);
    if (data.length & 1) this.#parts.push(new Uint8Array(1));
    return this;
  }

  /** A `LIST` (or `RIFF`) of type `type` holding `body`. */
  list(id: "LIST" | "RIFF", type: string, body: Uint8Array): this {
    return this.text(id).u32(body.length + 4).text(type).bytes(body);
  }

  done(): Uint8Array {
    const all = new Uint8Array(this.#parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of this.#parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  }
}

/** How to write an uncompressed 24-bit DIB AVI. */
export interface DibVideoOptions {
  width: number;
  height: number;
  /** The frames: `width * height` gray bytes (stored in three equal channels) or RGB. */
  frames: Uint8Array[];
  /** What each frame holds. */
  input: "gray" | "rgb24";
  /** The container frame rate. Default: 20. */
  rate?: number;
}

/** The bytes of an uncompressed 24-bit DIB AVI file. */
export function dibAvi(options: DibVideoOptions): Uint8Array {
  const { width, height, frames } = options;
  const rate = options.rate ?? 20;
  const stride = (width * 3 + 3) & ~3;
  const size = stride * height;
  const avih = new Riff().u32(Math.round(1e6 / rate)).u32(size * rate).u32(0).u32(0x10)
    .u32(frames.length).u32(0).u32(1).u32(size).u32(width).u32(height)
    .u32(0).u32(0).u32(0).u32(0).done();
  const strh = new Riff().text("vids").text("DIB ").u32(0).u16(0).u16(0).u32(0).u32(1)
    .u32(rate).u32(0).u32(frames.length).u32(size).u32(0xffffffff).u32(0)
    .u16(0).u16(0).u16(width).u16(height).done();
  const strf = new Riff().u32(40).u32(width).u32(height).u16(1).u16(24).u32(0).u32(size)
    .u32(0).u32(0).u32(0).u32(0).done();
  const strl = new Riff().chunk("strh", strh).chunk("strf", strf).done();
  const hdrl = new Riff().chunk("avih", avih).list("LIST", "strl", strl).done();
  const movi = new Riff();
  const index = new Riff();
  let offset = 4; // idx1 offsets count from the "movi" list type
  for (const frame of frames) {
    const dib = new Uint8Array(size);
    for (let y = 0; y < height; y++) {
      // Bottom-up: the first row stored is the last row of the picture.
      const row = (height - 1 - y) * stride;
      for (let x = 0; x < width; x++) {
        const at = row + x * 3;
        if (options.input === "gray") {
          dib.fill(frame[y * width + x]!, at, at + 3);
        } else {
          const rgb = (y * width + x) * 3;
          dib[at] = frame[rgb + 2]!;
          dib[at + 1] = frame[rgb + 1]!;
          dib[at + 2] = frame[rgb]!;
        }
      }
    }
    movi.chunk("00db", dib);
    index.text("00db").u32(0x10).u32(offset).u32(size);
    offset += 8 + size + (size & 1);
  }
  const body = new Riff().list("LIST", "hdrl", hdrl).list("LIST", "movi", movi.done())
    .chunk("idx1", index.done()).done();
  return new Riff().list("RIFF", "AVI ", body).done();
}

/** One camera of a legacy recording. */
export interface LegacyCamera {
  width: number;
  height: number;
  frames: number;
  /** Frames per video file (the software's is 1000); the last file holds the rest. */
  framesPerFile: number;
  /** Its `camNum` in `timestamp.dat`. */
  camNum: number;
  /** The interval between its frames in ms. */
  intervalMs: number;
  /** The unrelated `sysClock` value of its first row. */
  firstSysClock: number;
  /** Makes frame `index`: gray bytes for the Miniscope, RGB for the behaviour camera. */
  frame: (index: number) => Uint8Array;
}

/** The nominal `sysClock` of frame `k` of a camera (k >= 1), with a little jitter. */
export function legacySysClock(camera: LegacyCamera, k: number): number {
  return Math.round(k * camera.intervalMs + ((k * 5 + camera.camNum) % 3) - 1);
}

/** The rows of a `timestamp.dat`: both cameras interleaved in the order of their clocks. */
export function timestampDat(cameras: readonly LegacyCamera[]): string {
  const rows: { at: number; cells: number[] }[] = [];
  for (const camera of cameras) {
    for (let k = 0; k < camera.frames; k++) {
      const at = k === 0 ? 0 : legacySysClock(camera, k);
      const sysClock = k === 0 ? camera.firstSysClock : at;
      rows.push({ at, cells: [camera.camNum, k + 1, sysClock, k % 4 === 1 ? 1 : 0] });
    }
  }
  rows.sort((a, b) => a.at - b.at || a.cells[0]! - b.cells[0]!);
  return ["camNum\tframeNum\tsysClock\tbuffer", ...rows.map((row) => row.cells.join("\t"))]
    .join("\r\n") + "\r\n";
}

/** What `settings_and_notes.dat` says. */
export interface LegacySettingsText {
  animal: string;
  excitation: number;
  msCamExposure: number;
  recordLength: number;
  notes: { elapsedTimeMs: number; text: string }[];
}

/** The text of a `settings_and_notes.dat`. */
export function settingsAndNotesDat(settings: LegacySettingsText): string {
  const lines = [
    "animal\texcitation\tmsCamExposure\trecordLength",
    [settings.animal, settings.excitation, settings.msCamExposure, settings.recordLength]
      .join("\t"),
    "",
    "elapsedTime\tNote",
    ...settings.notes.map((note) => `${note.elapsedTimeMs}\t${note.text}`),
  ];
  return lines.join("\r\n") + "\r\n";
}

/** How to write a legacy recording folder. */
export interface LegacyRecordingOptions {
  scope: LegacyCamera;
  behaviour?: LegacyCamera;
  settings: LegacySettingsText;
}

/** Writes the video files of one camera: `<prefix>1.avi, <prefix>2.avi, ...`. */
async function writeCamera(
  dir: string,
  prefix: "msCam" | "behavCam",
  camera: LegacyCamera,
): Promise<void> {
  for (let file = 0, first = 0; first < camera.frames; file++, first += camera.framesPerFile) {
    const count = Math.min(camera.framesPerFile, camera.frames - first);
    const frames = Array.from({ length: count }, (_, i) => camera.frame(first + i));
    await Deno.writeFile(
      join(dir, `${prefix}${file + 1}.avi`),
      dibAvi({
        width: camera.width,
        height: camera.height,
        frames,
        input: prefix === "msCam" ? "gray" : "rgb24",
      }),
    );
  }
}

/** Writes a legacy recording folder (created with its parents). */
export async function writeLegacyRecording(
  dir: string,
  options: LegacyRecordingOptions,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeCamera(dir, "msCam", options.scope);
  if (options.behaviour) await writeCamera(dir, "behavCam", options.behaviour);
  const cameras = options.behaviour ? [options.scope, options.behaviour] : [options.scope];
  await Deno.writeTextFile(join(dir, "timestamp.dat"), timestampDat(cameras));
  await Deno.writeTextFile(
    join(dir, "settings_and_notes.dat"),
    settingsAndNotesDat(options.settings),
  );
}
