/**
 * Writes the test recordings under `testdata/` (run `deno task fixtures`): frames from
 * {@linkcode makeFrame}, which stores each frame's index in its first pixels, encoded the way
 * the Miniscope DAQ software writes them (see `src/sample.ts`).
 *
 * @module
 */

import { join } from "node:path";
import { makeFrame } from "./frames.ts";
import { type SampleCodec, sampleCodecs } from "../src/codecs.ts";
import { timestampsMs, writeRecording, writeSessionFiles, writeVideo } from "../src/sample.ts";
import { type LegacyRecordingOptions, writeLegacyRecording } from "./legacy_writer.ts";

export { qtJson, timestampsCsv, timestampsMs, writeRecording, writeVideo } from "../src/sample.ts";

/** A number as C's `%g` prints it (6 significant digits), e.g. `6.10352e-05`. */
function formatG(value: number): string {
  if (value !== 0 && Math.abs(value) < 1e-4) {
    const [mantissa, exponent] = value.toExponential(5).split("e");
    const trimmed = mantissa!.replace(/\.?0+$/, "");
    const e = Number(exponent);
    return `${trimmed}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(Number(value.toPrecision(6)));
}

/**
 * The text of a `headOrientation.csv` for the given frame stamps: every seventh frame has no
 * row (the IMU is read less often), and values are printed with 6 significant digits.
 */
export function headOrientationCsv(stampsMs: number[]): string {
  const lines = ["Time Stamp (ms),qw,qx,qy,qz"];
  stampsMs.forEach((ms, i) => {
    if (i % 7 === 3) return;
    const angle = i / 40;
    const q = [
      Math.cos(angle),
      Math.sin(angle) * 0.6,
      Math.sin(angle) * 0.8,
      i === 0 ? 1 / 16384 : 0,
    ];
    lines.push([ms, ...q.map(formatG)].join(","));
  });
  return lines.join("\n") + "\n";
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

/**
 * One small device folder per codec the acquisition software offers (`codecs/<FourCC>/`), and
 * colour behaviour cameras (`codecs/colour_<FourCC>/`): 60 frames of 48x40 in two files of 30,
 * so that inter-frame codecs have several groups of pictures and a file boundary.
 */
export const CODECS = {
  /** Every codec the sample writer encodes: a row of `src/codecs.ts` with an encoder. */
  gray: sampleCodecs(),
  colour: ["MJPG", "XVID"] as SampleCodec[],
  width: 48,
  height: 40,
  frames: 60,
  framesPerFile: 30,
} as const;

/** The pixels of frame `index` of a colour fixture: `width * height * 3` bytes, RGB. */
export function colourFrame(index: number, width: number, height: number): Uint8Array {
  const gray = makeFrame(index, width, height, 5);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < gray.length; i++) {
    const x = i % width;
    rgb[i * 3] = gray[i]!;
    rgb[i * 3 + 1] = (x * 5 + index * 3) & 0xff;
    rgb[i * 3 + 2] = 255 - gray[i]!;
  }
  return rgb;
}

/**
 * A recording of the software before 2020 in its date folder (`6_29_15/H15_M45_S12`, as the
 * software names them): 16 Miniscope frames of 13x10 (rows padded to four bytes in the DIB) in
 * files of 10 and 6, 10 behaviour camera frames of 7x6 in files of 6 and 4, the Miniscope as
 * camNum 1. More frames than pixels along a side, so that nwbinspector's orientation heuristic
 * accepts the NWB file.
 */
export const LEGACY = {
  folder: "legacy/6_29_15/H15_M45_S12",
  scope: {
    width: 13,
    height: 10,
    frames: 16,
    framesPerFile: 10,
    camNum: 1,
    intervalMs: 1000 / 30,
    firstSysClock: 1843127,
    frame: (i: number) => makeFrame(i, 13, 10, 31),
  },
  behaviour: {
    width: 7,
    height: 6,
    frames: 10,
    framesPerFile: 6,
    camNum: 0,
    intervalMs: 50,
    firstSysClock: 1843102,
    frame: (i: number) => colourFrame(i, 7, 6),
  },
  settings: {
    animal: "GC6f_M3",
    excitation: 47,
    msCamExposure: 255,
    recordLength: 600,
    notes: [
      { elapsedTimeMs: 120, text: "start of baseline" },
      { elapsedTimeMs: 210, text: "door opened, mouse moves" },
    ],
  },
} satisfies LegacyRecordingOptions & { folder: string };

async function writeCodecFixtures(root: string): Promise<void> {
  const { width, height, frames, framesPerFile } = CODECS;
  await Deno.remove(join(root, "codecs"), { recursive: true }).catch(() => {});
  const timestamps = { startMs: -20, daqColumn: true };
  for (const codec of CODECS.gray) {
    await writeRecording(join(root, "codecs", codec), {
      width,
      height,
      frames,
      framesPerFile,
      timestamps,
      codec,
      frame: (i) => makeFrame(i, width, height, 3),
    });
  }
  for (const codec of CODECS.colour) {
    await writeRecording(join(root, "codecs", `colour_${codec}`), {
      width,
      height,
      frames,
      framesPerFile,
      timestamps,
      deviceType: "WebCam-1920x1080",
      codec,
      input: "rgb24",
      frame: (i) => colourFrame(i, width, height),
    });
  }
}

if (import.meta.main) {
  const root = new URL(".", import.meta.url).pathname;
  const { sample, v1, many } = FIXTURES;
  await Deno.remove(join(root, sample.session), { recursive: true }).catch(() => {});
  await writeRecording(join(root, sample.device), {
    ...sample,
    deviceType: "Miniscope_V4_BNO",
    frame: (i) => makeFrame(i, sample.width, sample.height),
  });
  await writeSessionFiles(join(root, sample.session));
  await Deno.writeTextFile(
    join(root, sample.device, "headOrientation.csv"),
    headOrientationCsv(timestampsMs({ frames: sample.frames, ...sample.timestamps })),
  );
  for (const fixture of [v1, many]) {
    await Deno.remove(join(root, fixture.device), { recursive: true }).catch(() => {});
    const seed = fixture === v1 ? 11 : 23;
    await writeRecording(join(root, fixture.device), {
      ...fixture,
      deviceType: fixture === v1 ? "Miniscope_V3" : "Miniscope_V4_BNO",
      frame: (i) => makeFrame(i, fixture.width, fixture.height, seed),
    });
  }
  await Deno.mkdir(join(root, "odd"), { recursive: true });
  await writeVideo(join(root, "odd", "colour.avi"), {
    width: sample.width,
    height: sample.height,
    first: 0,
    count: 5,
    pixelFormat: "bgr0",
    frame: (i) => makeFrame(i, sample.width, sample.height),
  });
  await writeVideo(join(root, "odd", "other_shape.avi"), {
    width: 40,
    height: 48,
    first: 0,
    count: 5,
    frame: (i) => makeFrame(i, 40, 48),
  });
  await writeCodecFixtures(root);
  await Deno.remove(join(root, "legacy"), { recursive: true }).catch(() => {});
  await writeLegacyRecording(join(root, LEGACY.folder), LEGACY);
  console.log(`Wrote fixtures under ${root}`);
}
