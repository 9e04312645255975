/**
 * Writes recordings the way the Miniscope DAQ software does: 8-bit gray FFV1 in AVI, container
 * rate 60 fps whatever the real rate, a keyframe every 12 frames, a new file every
 * `framesPerFile` frames with a short last one, `timeStamps.csv` with negative first stamps,
 * and Qt-style `metaData.json` files. Used by the `demo` command, the benchmark and the test
 * fixtures.
 *
 * @module
 */

import { join } from "node:path";
import { encoderOf, type SampleCodec } from "./codecs.ts";
import { FfmpegError } from "./errors.ts";

/** How to encode a video file. */
export interface VideoOptions {
  width: number;
  height: number;
  /** Index of the first frame within the recording. */
  first: number;
  count: number;
  /**
   * ffmpeg pixel format of the encoded stream, for a codec whose encoder sets one (FFV1 takes
   * `"gray"` or `"bgr0"`). Default: the codec's (see `codecs.ts`).
   */
  pixelFormat?: "gray" | "bgr0";
  /** The codec, encoded the way OpenCV's VideoWriter writes it. Default: `"FFV1"`. */
  codec?: SampleCodec;
  /** What {@linkcode VideoOptions.frame} returns: gray bytes, or red-green-blue. */
  input?: "gray" | "rgb24";
  /** The ffmpeg executable. Default: `"ffmpeg"`. */
  ffmpegPath?: string;
  /** Makes the pixels of frame `index` of the recording (`width * height` bytes). */
  frame: (index: number) => Uint8Array;
}

/** The ffmpeg encoder settings that give the streams OpenCV's VideoWriter writes. */
function encoderArgs(codec: SampleCodec, pixelFormat: string | undefined): string[] {
  const encoder = encoderOf(codec);
  const format = encoder.pixelFormat === undefined ? undefined : pixelFormat ?? encoder.pixelFormat;
  return [
    "-c:v",
    encoder.name,
    ...encoder.args,
    ...(format === undefined ? [] : ["-pix_fmt", format]),
    "-vtag",
    encoder.tag,
  ];
}

/** Encodes frames `[first, first + count)` of {@linkcode VideoOptions.frame} into an AVI file. */
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
      options.input ?? "gray",
      "-s",
      `${width}x${height}`,
      "-r",
      "60",
      "-i",
      "pipe:0",
      ...encoderArgs(options.codec ?? "FFV1", options.pixelFormat),
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
    await writer.write(options.frame(first + i));
  }
  await writer.close();
  const status = await child.status;
  const tail = await stderr;
  if (!status.success) {
    throw new FfmpegError(`Cannot write "${path}"`, {
      command: options.ffmpegPath ?? "ffmpeg",
      args: [],
      code: status.code,
      stderr: tail,
    });
  }
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
  /** The ffmpeg executable. Default: `"ffmpeg"`. */
  ffmpegPath?: string;
  /** The codec. Default: `"FFV1"`. */
  codec?: SampleCodec;
  /** What {@linkcode RecordingOptions.frame} returns: gray bytes, or red-green-blue. */
  input?: "gray" | "rgb24";
  /** Makes the pixels of frame `index`. */
  frame: (index: number) => Uint8Array;
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
      frame: options.frame,
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
      ...(options.codec ? { codec: options.codec } : {}),
      ...(options.input ? { input: options.input } : {}),
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
      compression: options.codec ?? "FFV1",
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

/**
 * Frames that look like a scope's: a vignetted background, bright cells that flicker, sensor
 * noise. Frame `index` stores its index in its first two bytes.
 *
 * @param width Frame width.
 * @param height Frame height.
 * @returns A function making frame `index`.
 */
export function scopeFrames(width: number, height: number): (index: number) => Uint8Array {
  const background = new Float32Array(width * height);
  const cells: [number, number, number, number][] = [];
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const count = Math.max(4, Math.round((width * height) / 6000));
  for (let c = 0; c < count; c++) {
    cells.push([random() * width, random() * height, 3 + random() * 4, random() * 6.28]);
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2) / (Math.max(width, height) / 2);
      background[y * width + x] = 90 * Math.max(0.2, 1 - r * r) + 20;
    }
  }
  return (index: number) => {
    const level = new Float32Array(background);
    for (const [cx, cy, radius, phase] of cells) {
      const bright = 45 * Math.max(0, Math.sin(index / 9 + phase)) ** 4;
      if (bright < 1) continue;
      const x0 = Math.max(0, Math.floor(cx - 3 * radius));
      const x1 = Math.min(width, Math.ceil(cx + 3 * radius));
      for (
        let y = Math.max(0, Math.floor(cy - 3 * radius));
        y < Math.min(height, cy + 3 * radius);
        y++
      ) {
        for (let x = x0; x < x1; x++) {
          level[y * width + x]! += bright *
            Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (radius * radius));
        }
      }
    }
    const frame = new Uint8Array(width * height);
    let state = (index * 2654435761 + 7) >>> 0;
    for (let i = 0; i < frame.length; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      frame[i] = Math.max(0, Math.min(255, level[i]! + ((state >>> 24) & 7) - 3.5));
    }
    frame[0] = index & 0xff;
    frame[1] = (index >> 8) & 0xff;
    return frame;
  };
}

/**
 * Writes the session-level files of a sample session: `metaData.json` with a nested start time
 * (2022-09-19 09:18:41.007) and a `notes.csv` with a header and one note.
 *
 * @param root The session folder, which must exist.
 */
export async function writeSessionFiles(root: string): Promise<void> {
  await Deno.writeTextFile(
    join(root, "metaData.json"),
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
    join(root, "notes.csv"),
    "Time Stamp (ms), Note\n1200,start of baseline\n",
  );
}

/**
 * Writes a small session folder: session `metaData.json` with a start time, `notes.csv`, and a
 * `Miniscope` device folder of scope-like frames with one dropped frame.
 *
 * @param root The session folder to create.
 * @param ffmpegPath The ffmpeg executable.
 * @returns The path of the device folder.
 */
export async function writeSampleSession(root: string, ffmpegPath = "ffmpeg"): Promise<string> {
  const device = join(root, "Miniscope");
  await writeRecording(device, {
    width: 160,
    height: 120,
    frames: 240,
    framesPerFile: 100,
    timestamps: { startMs: -67, droppedAfter: [150], daqColumn: true },
    frame: scopeFrames(160, 120),
    ffmpegPath,
  });
  await writeSessionFiles(root);
  return device;
}
