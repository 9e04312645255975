/**
 * Writes the test recordings the way the Miniscope DAQ software does: 8-bit gray FFV1 in AVI,
 * container rate 60 fps whatever the real rate, a keyframe every 12 frames, a new file every
 * `framesPerFile` frames with a short last one, `timeStamps.csv` with negative first stamps,
 * and `metaData.json` files.
 *
 * Run `deno task fixtures` to write them into `testdata/`.
 *
 * @module
 */

import { join } from "node:path";
import { makeFrame } from "./frames.ts";

/** How to encode a video file. */
export interface VideoOptions {
  width: number;
  height: number;
  /** Index of the first frame within the recording. */
  first: number;
  count: number;
  /** ffmpeg pixel format of the encoded stream. */
  pixelFormat?: "gray" | "bgr0";
  seed?: number;
  ffmpegPath?: string;
  /** Makes frame `index`; default {@linkcode makeFrame}. */
  frame?: (index: number) => Uint8Array;
}

/** Encodes frames `[first, first + count)` of {@linkcode makeFrame} into an AVI file. */
export async function writeVideo(path: string, options: VideoOptions): Promise<void> {
  const { width, height, first, count } = options;
  const child = new Deno.Command(options.ffmpegPath ?? "ffmpeg", {
    args: [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "gray",
      "-s",
      `${width}x${height}`,
      "-r",
      "60",
      "-i",
      "pipe:0",
      "-c:v",
      "ffv1",
      "-g",
      "12",
      "-pix_fmt",
      options.pixelFormat ?? "gray",
      "-f",
      "avi",
      `file:${path}`,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const stderr = new Response(child.stderr).text();
  for (let i = 0; i < count; i++) {
    const index = first + i;
    await writer.write(
      options.frame?.(index) ?? makeFrame(index, width, height, options.seed ?? 0),
    );
  }
  await writer.close();
  const status = await child.status;
  if (!status.success) throw new Error(`ffmpeg could not write "${path}": ${await stderr}`);
  await stderr;
}

/** How a recording's time stamps look. */
export interface TimestampOptions {
  frames: number;
  /** Nominal interval in ms. */
  intervalMs?: number;
  /** The first stamp in ms (negative in most real recordings). */
  startMs?: number;
  /** Rows after which one frame is missing (a gap of two intervals). */
  droppedAfter?: readonly number[];
  /** Write the v2.0.0 `DAQ Frame Number` column. */
  daqColumn?: boolean;
}

/** The `Time Stamp (ms)` values of a recording, as integers like the acquisition software. */
export function timestampsMs(options: TimestampOptions): number[] {
  const interval = options.intervalMs ?? 1000 / 30;
  const dropped = new Set(options.droppedAfter ?? []);
  const stamps: number[] = [];
  let slot = 0;
  for (let row = 0; row < options.frames; row++) {
    stamps.push(Math.round((options.startMs ?? -67) + slot * interval + ((row * 7) % 3) - 1));
    slot += dropped.has(row) ? 2 : 1;
  }
  return stamps;
}

/** The text of a `timeStamps.csv` file. */
export function timestampsCsv(options: TimestampOptions): string {
  const stamps = timestampsMs(options);
  const dropped = new Set(options.droppedAfter ?? []);
  const header = ["Frame Number", "Time Stamp (ms)", "Buffer Index"];
  if (options.daqColumn) header.push("DAQ Frame Number");
  const lines = [header.join(",")];
  let daq = 1;
  stamps.forEach((stamp, row) => {
    const cells = [row, stamp, row % 5 === 0 ? 1 : 0];
    if (options.daqColumn) cells.push(daq);
    daq += dropped.has(row) ? 2 : 1;
    lines.push(cells.join(","));
  });
  return lines.join("\n") + "\n";
}

/** Qt-style JSON: 4-space indent, keys sorted. */
export function qtJson(value: Record<string, unknown>): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      )
      : v;
  return JSON.stringify(sort(value), null, 4) + "\n";
}

/** How to write a device folder. */
export interface RecordingOptions {
  width: number;
  height: number;
  frames: number;
  framesPerFile: number;
  timestamps?: Omit<TimestampOptions, "frames">;
  deviceType?: string;
  seed?: number;
  ffmpegPath?: string;
  /** Makes frame `index`; default {@linkcode makeFrame}. */
  frame?: (index: number) => Uint8Array;
}

/** Writes a device folder: videos, `timeStamps.csv` and `metaData.json`. */
export async function writeRecording(dir: string, options: RecordingOptions): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const files = Math.ceil(options.frames / options.framesPerFile);
  for (let file = 0; file < files; file++) {
    const first = file * options.framesPerFile;
    await writeVideo(join(dir, `${file}.avi`), {
      width: options.width,
      height: options.height,
      first,
      count: Math.min(options.framesPerFile, options.frames - first),
      seed: options.seed ?? 0,
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
      ...(options.frame ? { frame: options.frame } : {}),
    });
  }
  await Deno.writeTextFile(
    join(dir, "timeStamps.csv"),
    timestampsCsv({ frames: options.frames, ...options.timestamps }),
  );
  await Deno.writeTextFile(
    join(dir, "metaData.json"),
    qtJson({
      ROI: { height: options.height, leftEdge: 0, topEdge: 0, width: options.width },
      compression: "FFV1",
      deviceDirectory: `C:/data/${dir.split("/").pop()}`,
      deviceID: 0,
      deviceName: dir.split("/").pop(),
      deviceType: options.deviceType ?? "Miniscope_V4_BNO",
      ewl: 70,
      frameRate: "30FPS",
      framesPerFile: options.framesPerFile,
      gain: 3.5,
      led0: 1,
    }),
  );
}

/** The fixtures under `testdata/`. */
export const FIXTURES = {
  /** A V4 session: 58 frames of 48x40 in files of 24, 24 and 10, v2 CSV with one drop. */
  sample: {
    session: "sample_session",
    device: "sample_session/Miniscope",
    width: 48,
    height: 40,
    frames: 58,
    framesPerFile: 24,
    timestamps: { startMs: -67, droppedAfter: [30], daqColumn: true },
  },
  /** A V3-style device: 19 frames of 32x24 in files of 12 and 7, v1 CSV (3 columns). */
  v1: {
    device: "v1_device",
    width: 32,
    height: 24,
    frames: 19,
    framesPerFile: 12,
    timestamps: { startMs: -34, intervalMs: 50, daqColumn: false },
  },
  /** Twelve files of 2 frames, to prove numeric file order (10.avi after 9.avi). */
  many: {
    device: "many_files",
    width: 16,
    height: 8,
    frames: 24,
    framesPerFile: 2,
    timestamps: { startMs: 0, daqColumn: false },
  },
} as const;

if (import.meta.main) {
  const root = new URL(".", import.meta.url).pathname;
  const { sample, v1, many } = FIXTURES;
  await Deno.remove(join(root, sample.session), { recursive: true }).catch(() => {});
  await writeRecording(join(root, sample.device), { ...sample, deviceType: "Miniscope_V4_BNO" });
  await Deno.writeTextFile(
    join(root, sample.session, "metaData.json"),
    qtJson({
      animalName: "mouse1",
      baseDirectory: "C:/data/lab/exp1/mouse1/2022_09_19/09_18_41",
      cameras: [],
      experimentName: "exp1",
      miniscopes: ["Miniscope"],
      recordingStartTime: {
        day: 19,
        hour: 9,
        minute: 18,
        month: 9,
        msec: 7,
        msecSinceEpoch: 1663579121007,
        second: 41,
        year: 2022,
      },
      researcherName: "lab",
    }),
  );
  await Deno.writeTextFile(
    join(root, sample.session, "notes.csv"),
    "Time Stamp (ms), Note\n1200,start of baseline\n",
  );
  for (const fixture of [v1, many]) {
    await Deno.remove(join(root, fixture.device), { recursive: true }).catch(() => {});
    await writeRecording(join(root, fixture.device), {
      ...fixture,
      deviceType: fixture === v1 ? "Miniscope_V3" : "Miniscope_V4_BNO",
      seed: fixture === v1 ? 11 : 23,
    });
  }
  await Deno.mkdir(join(root, "odd"), { recursive: true });
  await writeVideo(join(root, "odd", "colour.avi"), {
    width: sample.width,
    height: sample.height,
    first: 0,
    count: 5,
    pixelFormat: "bgr0",
  });
  await writeVideo(join(root, "odd", "other_shape.avi"), {
    width: 40,
    height: 48,
    first: 0,
    count: 5,
  });
  console.log(`Wrote fixtures under ${root}`);
}
