// Recordings of the Miniscope software before 2020 (msCam1.avi, behavCam1.avi, timestamp.dat,
// settings_and_notes.dat in a <date>/H.._M.._S.. folder): frames against an independent ffmpeg
// decode, time stamps per camera against the file read here, the cameras told apart, and the
// session, the command line, the viewer and the NWB export on them.
import { dirname, join } from "node:path";
import { decode } from "fast-png";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import {
  MalformedRecordingError,
  MiniscopeImagingExtractor,
  MiniscopeSession,
  StartTimeUnknownError,
} from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { startView } from "../src/view/server.ts";
import {
  assertBytesEqual,
  containing,
  errorWith,
  ffmpegDecodeAll,
  findPython,
  range,
  runDenoScript,
  runPython,
  shuffled,
  TESTDATA,
  warnings,
} from "./_helpers.ts";
import { LEGACY } from "../testdata/make_fixtures.ts";
import { dibAvi, writeLegacyRecording } from "../testdata/legacy_writer.ts";
import { checkNwb } from "./_nwb_check.ts";

const FOLDER = join(TESTDATA, LEGACY.folder);
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const DUMP = new URL("./tools/nwb_dump.py", import.meta.url).pathname;
const python = await findPython(["h5py", "numpy"]);
const { scope: SCOPE, behaviour: BEHAVIOUR } = LEGACY;
const SCOPE_FILES = ["msCam1.avi", "msCam2.avi"].map((name) => join(FOLDER, name));
const CAMERA_FILES = ["behavCam1.avi", "behavCam2.avi"].map((name) => join(FOLDER, name));

/**
 * The gray frames of DIB files by a plain ffmpeg decode of their stored channels, each pixel's
 * three checked equal here, one kept.
 */
async function grayByFfmpeg(paths: string[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const path of paths) {
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
        "bgr24",
        "-",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    parts.push(output.stdout);
  }
  const bgr = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, part) => (bgr.set(part, at), at + part.length), 0);
  const gray = new Uint8Array(bgr.length / 3);
  for (let i = 0; i < gray.length; i++) {
    assert(bgr[3 * i] === bgr[3 * i + 1] && bgr[3 * i] === bgr[3 * i + 2], `pixel ${i}`);
    gray[i] = bgr[3 * i]!;
  }
  return gray;
}

/** The frames the fixture generator made, back to back. */
function madeFrames(camera: typeof SCOPE | typeof BEHAVIOUR, indices: number[]): Uint8Array {
  const frames = indices.map((i) => camera.frame(i));
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.forEach((frame, i) => all.set(frame, i * frame.length));
  return all;
}

/** The rows of `timestamp.dat` of one camNum, read here: [frameNum, sysClock] per row. */
async function rowsOf(folder: string, camNum: number): Promise<number[][]> {
  const lines = (await Deno.readTextFile(join(folder, "timestamp.dat"))).trim().split(/\r?\n/);
  return lines.slice(1).map((line) => line.split("\t").map(Number))
    .filter((cells) => cells[0] === camNum).map((cells) => [cells[1]!, cells[2]!]);
}

/**
 * The seconds of one camNum's frames: `sysClock` / 1000, the first (from another clock) put
 * one median interval of the others before the second.
 */
async function secondsOf(folder: string, camNum: number): Promise<number[]> {
  const ms = (await rowsOf(folder, camNum)).map((row) => row[1]!);
  const intervals = ms.slice(2).map((t, i) => t - ms[i + 1]!).sort((a, b) => a - b);
  const middle = intervals.length >> 1;
  const median = intervals.length % 2
    ? intervals[middle]!
    : (intervals[middle - 1]! + intervals[middle]!) / 2;
  ms[0] = ms[1]! - median;
  return ms.map((t) => t / 1000);
}

/** A copy of the fixture's recording folder in a new temporary date folder. */
async function copyLegacy(
  dateFolder = "6_29_15",
  timeFolder = "H15_M45_S12",
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "miniscope_legacy_" });
  const dir = join(root, dateFolder, timeFolder);
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(FOLDER)) {
    await Deno.copyFile(join(FOLDER, entry.name), join(dir, entry.name));
  }
  return dir;
}

async function removeLegacy(dir: string): Promise<void> {
  await Deno.remove(dirname(dirname(dir)), { recursive: true });
}

/** Rewrites the camNum of every row of `timestamp.dat` through `map`. */
async function renumber(dir: string, map: (camNum: number) => number): Promise<void> {
  const path = join(dir, "timestamp.dat");
  const [header, ...rows] = (await Deno.readTextFile(path)).trim().split("\r\n");
  await Deno.writeTextFile(
    path,
    [
      header,
      ...rows.map((row) => {
        const cells = row.split("\t");
        cells[0] = String(map(Number(cells[0])));
        return cells.join("\t");
      }),
    ].join("\r\n") + "\r\n",
  );
}

Deno.test("a legacy Miniscope reads as gray: one channel of a plain ffmpeg decode, byte for byte, by every read", async () => {
  const independent = await grayByFfmpeg(SCOPE_FILES);
  assertBytesEqual(independent, madeFrames(SCOPE, range(0, SCOPE.frames)), "ffmpeg vs made");
  const frame = SCOPE.width * SCOPE.height;
  for (const liveDecoders of [true, false]) {
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: FOLDER,
      liveDecoders,
      onWarning() {},
    });
    deepStrictEqual(ex.getNumSamples(), SCOPE.frames);
    deepStrictEqual(ex.getImageShape(), [SCOPE.height, SCOPE.width]);
    deepStrictEqual(ex.getFileFrameCounts(), [10, 6]);
    deepStrictEqual(ex.getPixelFormat(), "gray8");
    const series = await ex.getSeries();
    deepStrictEqual(series.shape, [SCOPE.frames, SCOPE.height, SCOPE.width]);
    assertBytesEqual(series.data, independent, `getSeries, live ${liveDecoders}`);
    const order = shuffled(range(0, SCOPE.frames), 7).concat([3, 3, 12]);
    const samples = await ex.getSamples(order);
    order.forEach((k, i) =>
      assertBytesEqual(
        samples.data.subarray(i * frame, (i + 1) * frame),
        independent.subarray(k * frame, (k + 1) * frame),
        `getSamples frame ${k}, live ${liveDecoders}`,
      )
    );
    let at = 4;
    for await (const item of ex.sliceSamples(4, 14).stream()) {
      assertBytesEqual(item.data, independent.subarray(at * frame, (at + 1) * frame), `${at}`);
      at++;
    }
    deepStrictEqual(at, 14);
  }
});

Deno.test("the time stamps of each camera are its rows of timestamp.dat, the unrelated first sysClock replaced", async () => {
  const { list, onWarning } = warnings();
  await using scope = await MiniscopeImagingExtractor.open({ folderPath: FOLDER, onWarning });
  const expected = await secondsOf(FOLDER, SCOPE.camNum);
  deepStrictEqual([...scope.getNativeTimestamps()!], expected);
  deepStrictEqual(scope.getFrameCounts(), { video: 16, timestamps: 16, lostInFiles: 0 });
  // The first is no longer the other clock's value, and the stamps increase.
  assert(expected[0]! < expected[1]! && expected[1]! < 0.1, String(expected.slice(0, 2)));
  assert(Math.abs(scope.getSamplingFrequency() - 30) < 1, String(scope.getSamplingFrequency()));
  deepStrictEqual(scope.getDroppedFrames()?.count, 0);
  deepStrictEqual(list.length, 1, list.join("\n"));
  assert.match(
    list[0]!,
    containing(`first sysClock of camNum 1 (${SCOPE.firstSysClock} ms, line 3)`),
  );
  await using camera = await MiniscopeImagingExtractor.open({
    folderPath: FOLDER,
    camera: "behavCam",
    pixelFormat: "rgb24",
    onWarning() {},
  });
  deepStrictEqual([...camera.getNativeTimestamps()!], await secondsOf(FOLDER, BEHAVIOUR.camNum));
  assert(Math.abs(camera.getSamplingFrequency() - 20) < 1, String(camera.getSamplingFrequency()));
});

Deno.test("the legacy behaviour camera reads in colour byte for byte, and is refused as gray", async () => {
  const independent = await ffmpegDecodeAll(CAMERA_FILES, "rgb24");
  assertBytesEqual(independent, madeFrames(BEHAVIOUR, range(0, BEHAVIOUR.frames)), "made");
  await using camera = await MiniscopeImagingExtractor.open({
    folderPath: FOLDER,
    camera: "behavCam",
    pixelFormat: "rgb24",
    onWarning() {},
  });
  deepStrictEqual(camera.getSampleShape(), [BEHAVIOUR.height, BEHAVIOUR.width, 3]);
  assertBytesEqual((await camera.getSeries()).data, independent, "getSeries");
  await rejects(
    () => MiniscopeImagingExtractor.open({ folderPath: FOLDER, camera: "behavCam" }),
    errorWith(MalformedRecordingError, "it is a colour video"),
  );
});

Deno.test("the cameras are told apart by their row counts, whichever camNum the Miniscope has", async () => {
  for (const map of [(c: number) => 1 - c, (c: number) => (c === 1 ? 4 : 2)]) {
    const dir = await copyLegacy();
    try {
      await renumber(dir, map);
      const scopeCam = map(SCOPE.camNum);
      const cameraCam = map(BEHAVIOUR.camNum);
      await using scope = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning() {} });
      deepStrictEqual([...scope.getNativeTimestamps()!], await secondsOf(dir, scopeCam));
      await using camera = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        camera: "behavCam",
        pixelFormat: "rgb24",
        onWarning() {},
      });
      deepStrictEqual([...camera.getNativeTimestamps()!], await secondsOf(dir, cameraCam));
      // Relabelled rows keep their times: the same as the fixture's.
      deepStrictEqual(
        [...scope.getNativeTimestamps()!],
        await secondsOf(FOLDER, SCOPE.camNum),
      );
    } finally {
      await removeLegacy(dir);
    }
  }
});

Deno.test("cameras of equal length cannot be told apart: the error names the counts and scopeCamNum, which settles it", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_legacy_" });
  try {
    const dir = join(root, "3_14_19", "H10_M30_S15");
    await writeLegacyRecording(dir, {
      ...LEGACY,
      scope: { ...SCOPE, frames: 10 },
      behaviour: { ...BEHAVIOUR, frames: 10, intervalMs: 1000 / 30 },
    });
    const problem = errorWith(MalformedRecordingError, "cannot be told apart by their row counts");
    await rejects(() => MiniscopeImagingExtractor.open({ folderPath: dir }), problem);
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir }),
      errorWith(
        MalformedRecordingError,
        "camNum 0: 10 rows, camNum 1: 10 rows; msCam files: 10 frames, behavCam files: 10 frames",
      ),
    );
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir }),
      errorWith(MalformedRecordingError, "pass scopeCamNum (--scope-cam-num)"),
    );
    for (const scopeCamNum of [0, 1]) {
      await using scope = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        scopeCamNum,
        onWarning() {},
      });
      deepStrictEqual([...scope.getNativeTimestamps()!], await secondsOf(dir, scopeCamNum));
      const session = await MiniscopeSession.open(dir, { scopeCamNum, onWarning() {} });
      await using camera = await session.openDevice("behavCam", {
        pixelFormat: "rgb24",
        onWarning() {},
      });
      deepStrictEqual([...camera.getNativeTimestamps()!], await secondsOf(dir, 1 - scopeCamNum));
    }
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir, scopeCamNum: 5 }),
      errorWith(RangeError, "scopeCamNum 5 is none of its camNums (0, 1)"),
    );
    const info = await runDenoScript(CLI, [`--allow-read=${root}`, "--allow-run=ffmpeg"], [
      "info",
      dir,
    ]);
    deepStrictEqual(info.code, 1, info.stderr);
    assert.match(info.stderr, /--scope-cam-num/);
    const settled = await runDenoScript(CLI, [`--allow-read=${root}`, "--allow-run=ffmpeg"], [
      "info",
      dir,
      "--scope-cam-num",
      "1",
      "--json",
    ]);
    deepStrictEqual(settled.code, 0, settled.stderr);
    deepStrictEqual(
      JSON.parse(settled.stdout).firstTimestampSeconds,
      (await secondsOf(dir, 1))[0],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("row counts that fit only nearly are matched to the nearest, with a warning giving the counts", async () => {
  const dir = await copyLegacy();
  try {
    // Drop the Miniscope's last row: 15 rows for 16 frames, still nearer than 10.
    const path = join(dir, "timestamp.dat");
    const lines = (await Deno.readTextFile(path)).trim().split("\r\n");
    const last = lines.findLastIndex((line) => line.startsWith(`${SCOPE.camNum}\t`));
    lines.splice(last, 1);
    await Deno.writeTextFile(path, lines.join("\r\n") + "\r\n");
    const { list, onWarning } = warnings();
    await using scope = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning });
    deepStrictEqual(scope.getNumSamples(), 15);
    const nearest = list.find((w) => w.includes("the nearest counts are taken"));
    assert(nearest, list.join("\n"));
    assert.match(
      nearest,
      containing("camNum 0: 10 rows, camNum 1: 15 rows; msCam files: 16 frames"),
    );
    assert.match(nearest, /camNum 1 for the Miniscope and camNum 0 for the behaviour camera/);
  } finally {
    await removeLegacy(dir);
  }
});

Deno.test("a row missing before the last is refused by its frameNum, naming the line; a frameNum miswritten with a row per frame is a warning", async () => {
  const dir = await copyLegacy();
  try {
    const path = join(dir, "timestamp.dat");
    const original = (await Deno.readTextFile(path)).trim().split("\r\n");
    // The Miniscope's row of frameNum 9 left out: the rows after it belong one frame later.
    const lines = [...original];
    const at = lines.findIndex((line) => line.startsWith(`${SCOPE.camNum}\t9\t`));
    lines.splice(at, 1);
    await Deno.writeTextFile(path, lines.join("\r\n") + "\r\n");
    const tenth = lines.findIndex((line) => line.startsWith(`${SCOPE.camNum}\t10\t`)) + 1;
    await rejects(
      MiniscopeImagingExtractor.open({ folderPath: dir, onWarning() {} }),
      errorWith(
        MalformedRecordingError,
        `Cannot read "${path}": the frameNum of camNum ${SCOPE.camNum} goes from 8 to 10 at line ${tenth}, ` +
          `and it has 15 rows for 16 frames: a row is missing there`,
      ),
    );
    // frameNum 6 written as 5, a row for each frame: matched by order, with a warning.
    const miswritten = original.map((line) =>
      line.startsWith(`${SCOPE.camNum}\t6\t`) ? line.replace(/^(\d+)\t6\t/, "$1\t5\t") : line
    );
    await Deno.writeTextFile(path, miswritten.join("\r\n") + "\r\n");
    const { list, onWarning } = warnings();
    await using scope = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning });
    deepStrictEqual(scope.getNumSamples(), 16);
    assert(
      list.some((w) => w.includes(`the frameNum of camNum ${SCOPE.camNum} goes from 5 to 5`)),
      list.join("\n"),
    );
  } finally {
    await removeLegacy(dir);
  }
});

/** The fixture's folder with pixel (row 4, column 7) of Miniscope frame 3 not gray. */
async function notGrayCopy(): Promise<string> {
  const dir = await copyLegacy();
  const frames = range(0, 10).map((k) => {
    const gray = SCOPE.frame(k);
    const rgb = new Uint8Array(gray.length * 3);
    gray.forEach((v, i) => rgb.fill(v, 3 * i, 3 * i + 3));
    if (k === 3) rgb[3 * (4 * SCOPE.width + 7)]! ^= 1; // red off by one
    return rgb;
  });
  await Deno.writeFile(
    join(dir, "msCam1.avi"),
    dibAvi({ width: SCOPE.width, height: SCOPE.height, frames, input: "rgb24" }),
  );
  return dir;
}

Deno.test("a Miniscope frame whose channels differ is refused, naming the file, the frame and the pixel", async () => {
  const dir = await notGrayCopy();
  try {
    const file = join(dir, "msCam1.avi");
    const named = (error: unknown) =>
      error instanceof MalformedRecordingError && error.message.includes(`"${file}"`) &&
      error.message.includes("frame 3 is not gray: the pixel at row 4, column 7 has red");
    for (const liveDecoders of [true, false]) {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        liveDecoders,
        onWarning() {},
      });
      await rejects(() => ex.getSeries(), named);
      await rejects(() => ex.getSamples([3]), named);
      await rejects(async () => {
        for await (const _ of ex.stream()) { /* read on */ }
      }, named);
      // Reads that do not decode it still work.
      assertBytesEqual((await ex.getSamples([2])).data, madeFrames(SCOPE, [2]), "frame 2");
      const after = await ex.getSeries(4, 16);
      assertBytesEqual(after.data, madeFrames(SCOPE, range(4, 16)), `live ${liveDecoders}`);
    }
    // In colour the file reads as it is.
    await using colour = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      pixelFormat: "rgb24",
      onWarning() {},
    });
    const frame3 = (await colour.getSamples([3])).data;
    const value = SCOPE.frame(3)[4 * SCOPE.width + 7]!;
    const at = 3 * (4 * SCOPE.width + 7);
    deepStrictEqual([...frame3.subarray(at, at + 3)], [value ^ 1, value, value]);
  } finally {
    await removeLegacy(dir);
  }
});

Deno.test("MiniscopeSession opens a legacy folder: its Miniscope and behaviour camera, settings, notes and the start time of its folder names", async () => {
  const { list, onWarning } = warnings();
  const session = await MiniscopeSession.open(FOLDER, { onWarning });
  deepStrictEqual(list, []);
  deepStrictEqual(session.layout, "legacy");
  deepStrictEqual(session.devices.map((d) => [d.name, d.path, d.kind]), [
    ["msCam", FOLDER, "miniscope"],
    ["behavCam", FOLDER, "camera"],
  ]);
  deepStrictEqual(session.startTime, {
    year: 2015,
    month: 6,
    day: 29,
    hour: 15,
    minute: 45,
    second: 12,
    msec: 0,
    msecSinceEpoch: null,
    local: "2015-06-29T15:45:12.000",
  });
  deepStrictEqual(session.animalName, "GC6f_M3");
  deepStrictEqual([session.researcherName, session.experimentName], [null, null]);
  deepStrictEqual(session.settings?.excitation, 47);
  deepStrictEqual(session.settings?.msCamExposure, 255);
  deepStrictEqual(session.metadata, {
    animal: "GC6f_M3",
    excitation: "47",
    msCamExposure: "255",
    recordLength: "600",
  });
  deepStrictEqual(session.devices[0]!.metadata.extra, {
    excitation: 47,
    msCamExposure: 255,
    recordLength: 600,
  });
  deepStrictEqual(session.notes, [
    { kind: "note", timeStampMs: 120, text: "start of baseline" },
    { kind: "note", timeStampMs: 210, text: "door opened, mouse moves" },
  ]);
  await using scope = await session.openDevice("msCam", { onWarning() {} });
  assertBytesEqual((await scope.getSeries()).data, await grayByFfmpeg(SCOPE_FILES), "msCam");
  await using camera = await session.openDevice("behavCam", {
    pixelFormat: "rgb24",
    onWarning() {},
  });
  deepStrictEqual(camera.getFilePaths(), CAMERA_FILES);
  deepStrictEqual(camera.getNumSamples(), BEHAVIOUR.frames);
});

Deno.test("a legacy folder whose names are not the software's has no start time: a warning, and NWB export asks for --session-start-time", async () => {
  const dir = await copyLegacy("Day7", "H15_M45_S12");
  try {
    const { list, onWarning } = warnings();
    const session = await MiniscopeSession.open(dir, { onWarning });
    deepStrictEqual(session.startTime, null);
    assert(list.some((w) => w.includes("its folder names do not give the start time")), list[0]);
    const out = join(dirname(dirname(dir)), "renamed.nwb");
    await rejects(
      () => writeNwb(session, out, { onWarning() {} }),
      errorWith(StartTimeUnknownError, "pass sessionStartTime (--session-start-time)"),
    );
    const result = await writeNwb(session, out, {
      sessionStartTime: "2015-06-29T15:45:12+02:00",
      onWarning() {},
    });
    deepStrictEqual(result.sessionStartTime, "2015-06-29T15:45:12+02:00");
    // The CLI takes the same fallback.
    const cli = await runDenoScript(CLI, [
      `--allow-read=${dirname(dirname(dir))}`,
      `--allow-write=${dirname(dirname(dir))}`,
      "--allow-run=ffmpeg",
    ], [
      "export",
      dir,
      "--out",
      join(dirname(out), "cli.nwb"),
      "--session-start-time",
      "2015-06-29T15:45:12-07:00",
    ]);
    deepStrictEqual(cli.code, 0, cli.stderr);
    if (python) {
      const start = await runPython(
        python,
        "import h5py, sys; print(h5py.File(sys.argv[1])['session_start_time'][()].decode())",
        [join(dirname(out), "cli.nwb")],
      );
      deepStrictEqual(start.trim(), "2015-06-29T15:45:12-07:00");
    }
  } finally {
    await removeLegacy(dir);
  }
});

// deno-lint-ignore no-explicit-any
type Dump = Record<string, any>;

async function dump(path: string): Promise<Dump> {
  assert(python, "no python3 with h5py and numpy: install python3-h5py");
  const output = await new Deno.Command(python, {
    args: [DUMP, path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("a legacy folder converts to an NWB file that passes the validator, read-back and inspector", async () => {
  const dir = await copyLegacy();
  const out = join(dirname(dirname(dir)), "legacy.nwb");
  try {
    const session = await MiniscopeSession.open(dir, { onWarning() {} });
    const result = await writeNwb(session, out, {
      timezone: "America/Los_Angeles",
      species: "Mus musculus",
      onWarning() {},
    });
    deepStrictEqual(result.sessionStartTime, "2015-06-29T15:45:12.000-07:00");
    deepStrictEqual(result.series.map((s) => [s.path, s.type, s.samples]), [
      ["/acquisition/OnePhotonSeries", "OnePhotonSeries", SCOPE.frames],
      ["/acquisition/behavCam", "ImageSeries", BEHAVIOUR.frames],
      ["/acquisition/notes", "AnnotationSeries", 2],
    ]);
    const f = await dump(out);
    const data = f["/acquisition/OnePhotonSeries/data"];
    deepStrictEqual(data.shape, [SCOPE.frames, SCOPE.width, SCOPE.height]);
    deepStrictEqual(data.sha256, await sha256(await grayByFfmpeg(SCOPE_FILES)));
    deepStrictEqual(
      f["/acquisition/OnePhotonSeries/timestamps"].value,
      await secondsOf(FOLDER, SCOPE.camNum),
    );
    const description = f["/general/devices/msCam"].attrs.description[1];
    for (const part of ["excitation 47", "msCamExposure 255", "recordLength 600"]) {
      assert.match(description, containing(part));
    }
    // ndx-miniscope's Miniscope, with the settings of a V3 as the extension's integers.
    const { excitation, msCamExposure, neurodata_type } = f["/general/devices/msCam"].attrs;
    deepStrictEqual([neurodata_type, excitation, msCamExposure], [
      ["vlen-utf-8", "Miniscope"],
      ["<i8", 47],
      ["<i8", 255],
    ]);
    assert.match(
      f["/acquisition/OnePhotonSeries"].attrs.description[1],
      containing("from timestamp.dat"),
    );
    deepStrictEqual(f["/general/subject/subject_id"].value, "GC6f_M3");
    deepStrictEqual(f["/acquisition/notes/data"].value, [
      "start of baseline",
      "door opened, mouse moves",
    ]);
    deepStrictEqual(f["/acquisition/notes/timestamps"].value, [0.12, 0.21]);
    const camera = "/acquisition/behavCam";
    deepStrictEqual(f[`${camera}/external_file`].value, [
      "6_29_15/H15_M45_S12/behavCam1.avi",
      "6_29_15/H15_M45_S12/behavCam2.avi",
    ]);
    deepStrictEqual(f[`${camera}/external_file`].attrs.starting_frame, ["<i8", [0, 6]]);
    deepStrictEqual(f[`${camera}/timestamps`].value, await secondsOf(FOLDER, BEHAVIOUR.camNum));
    const report = await checkNwb(out);
    if (report) {
      const device = report.objects.devices.msCam;
      deepStrictEqual([device.type, device.fields.excitation, device.fields.msCamExposure], [
        "Miniscope",
        47,
        255,
      ]);
    }
    // The Miniscope alone, as a recording: the same frames, settings and notes, no camera.
    await using scope = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning() {} });
    const alone = join(dirname(out), "alone.nwb");
    const written = await writeNwb(scope.sliceSamples(2, 16), alone, {
      sessionStartTime: "2015-06-29T15:45:12-07:00",
      onWarning() {},
    });
    deepStrictEqual(written.series.map((s) => [s.path, s.samples]), [
      ["/acquisition/OnePhotonSeries", 14],
      ["/acquisition/notes", 2],
    ]);
    const g = await dump(alone);
    const frames = (await grayByFfmpeg(SCOPE_FILES)).subarray(2 * SCOPE.width * SCOPE.height);
    deepStrictEqual(g["/acquisition/OnePhotonSeries/data"].sha256, await sha256(frames));
    assert.match(g["/general/devices/msCam"].attrs.description[1], /msCamExposure 255/);
    await checkNwb(alone);
  } finally {
    await removeLegacy(dir);
  }
});

Deno.test("the CLI's info, preview and export (npy, nwb) work on a legacy folder under narrow permissions", async () => {
  const dir = await copyLegacy();
  const root = dirname(dirname(dir));
  const out = join(root, "out");
  await Deno.mkdir(out);
  try {
    const read = [`--allow-read=${dir}`, "--allow-run=ffmpeg"];
    const info = await runDenoScript(CLI, read, ["info", dir, "--json"]);
    deepStrictEqual(info.code, 0, info.stderr);
    const report = JSON.parse(info.stdout);
    deepStrictEqual(report.layout, "legacy");
    deepStrictEqual(report.files, ["msCam1.avi", "msCam2.avi"]);
    deepStrictEqual(report.frames, {
      video: 16,
      timestamps: 16,
      samples: 16,
      mismatch: false,
      lostInFiles: 0,
    });
    deepStrictEqual(report.shape, { rows: SCOPE.height, cols: SCOPE.width });
    deepStrictEqual(report.settings.msCamExposure, "255");
    deepStrictEqual(report.session.startTime.local, "2015-06-29T15:45:12.000");
    deepStrictEqual(report.session.animal, "GC6f_M3");
    deepStrictEqual(report.firstTimestampSeconds, (await secondsOf(dir, SCOPE.camNum))[0]);
    const text = await runDenoScript(CLI, read, ["info", dir]);
    assert.match(text.stdout, /software before 2020/);
    assert.match(text.stdout, containing("Settings     animal GC6f_M3, excitation 47"));
    assert.match(text.stdout, containing("Started      2015-06-29 15:45:12.000 local"));

    const write = [`--allow-read=${dir},${out}`, `--allow-write=${out}`, "--allow-run=ffmpeg"];
    const preview = await runDenoScript(CLI, write, ["preview", dir, "--out", out]);
    deepStrictEqual(preview.code, 0, preview.stderr);
    const mean = decode(await Deno.readFile(join(out, "mean.png")));
    deepStrictEqual([mean.width, mean.height, mean.channels], [SCOPE.width, SCOPE.height, 1]);

    const npy = await runDenoScript(CLI, write, ["export", dir, "--out", join(out, "f.npy")]);
    deepStrictEqual(npy.code, 0, npy.stderr);
    const bytes = await Deno.readFile(join(out, "f.npy"));
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assertBytesEqual(bytes.subarray(10 + headerLength), await grayByFfmpeg(SCOPE_FILES), "npy");
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    assert.match(header, containing(`'shape': (16, ${SCOPE.height}, ${SCOPE.width})`));
    const times = await Deno.readFile(join(out, "f.timestamps.npy"));
    const seconds = new Float64Array(times.slice(times.length - 16 * 8).buffer);
    deepStrictEqual([...seconds], await secondsOf(dir, SCOPE.camNum));

    const nwb = await runDenoScript(CLI, write, [
      "export",
      dir,
      "--out",
      join(out, "cli.nwb"),
      "--timezone",
      "Europe/Berlin",
    ]);
    deepStrictEqual(nwb.code, 0, nwb.stderr);
    assert.match(nwb.stdout, containing("Wrote /acquisition/behavCam (ImageSeries, 10 samples)"));
    await checkNwb(join(out, "cli.nwb"));
  } finally {
    await removeLegacy(dir);
  }
});

Deno.test("the viewer shows a legacy folder's Miniscope in gray and its behaviour camera in colour", async () => {
  const server = await startView({ folder: FOLDER, onWarning: () => {} });
  const get = (path: string) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, {
      headers: { authorization: `token ${server.token}` },
    });
  try {
    const info = await (await get("/api/info")).json();
    deepStrictEqual(
      info.devices.map((d: Dump) => [d.name, d.camera, d.channels, d.samples, d.shape]),
      [
        ["msCam", false, 1, SCOPE.frames, [SCOPE.height, SCOPE.width]],
        ["behavCam", true, 3, BEHAVIOUR.frames, [BEHAVIOUR.height, BEHAVIOUR.width]],
      ],
    );
    deepStrictEqual(info.session.startTime, "2015-06-29T15:45:12.000");
    const gray = decode(new Uint8Array(await (await get("/api/frames/11?device=0")).arrayBuffer()));
    deepStrictEqual(gray.channels, 1);
    assertBytesEqual(Uint8Array.from(gray.data), madeFrames(SCOPE, [11]), "frame 11");
    const colour = decode(
      new Uint8Array(await (await get("/api/frames/4?device=1")).arrayBuffer()),
    );
    deepStrictEqual(colour.channels, 3);
    assertBytesEqual(Uint8Array.from(colour.data), madeFrames(BEHAVIOUR, [4]), "camera frame 4");
  } finally {
    await server.close();
  }
});

Deno.test("a legacy folder with a gap in its numbering or without timestamp.dat says what is wrong", async () => {
  const dir = await copyLegacy();
  try {
    await Deno.rename(join(dir, "msCam2.avi"), join(dir, "msCam3.avi"));
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir }),
      errorWith(
        MalformedRecordingError,
        `"${join(dir, "msCam3.avi")}": expected "msCam2.avi" before it`,
      ),
    );
    await Deno.rename(join(dir, "msCam3.avi"), join(dir, "msCam2.avi"));
    await Deno.writeFile(join(dir, "msCam1_mc.avi"), new Uint8Array(16));
    const { list, onWarning } = warnings();
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning });
    deepStrictEqual(ex.getNumSamples(), SCOPE.frames);
    assert(
      list.some((w) => w.includes("skipped 1 video file") && w.includes("msCam1_mc.avi")),
      list.join("\n"),
    );
    await Deno.remove(join(dir, "timestamp.dat"));
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir, onWarning() {} }),
      errorWith(Deno.errors.NotFound, `"${join(dir, "timestamp.dat")}": it does not exist`),
    );
    const without = warnings();
    await using timed = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      samplingFrequency: 30,
      onWarning: without.onWarning,
    });
    deepStrictEqual(timed.hasTimeVector(), false);
    assert(without.list.some((w) => w.includes('timestamp.dat" does not exist')), without.list[0]);
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir, timestampsPath: "x.csv" }),
      errorWith(TypeError, "timestampsPath does not apply"),
    );
  } finally {
    await removeLegacy(dir);
  }
});

Deno.test("a camera without rows in timestamp.dat is refused, or read without times given samplingFrequency", async () => {
  const dir = await copyLegacy();
  try {
    const path = join(dir, "timestamp.dat");
    const lines = (await Deno.readTextFile(path)).trim().split("\r\n");
    await Deno.writeTextFile(
      path,
      lines.filter((line, i) => i === 0 || line.startsWith(`${SCOPE.camNum}\t`)).join("\n") + "\n",
    );
    await using scope = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning() {} });
    deepStrictEqual([...scope.getNativeTimestamps()!], await secondsOf(dir, SCOPE.camNum));
    const open = (samplingFrequency?: number, onWarning: (m: string) => void = () => {}) =>
      MiniscopeImagingExtractor.open({
        folderPath: dir,
        camera: "behavCam",
        pixelFormat: "rgb24",
        onWarning,
        ...(samplingFrequency ? { samplingFrequency } : {}),
      });
    await rejects(
      () => open(),
      errorWith(MalformedRecordingError, "it has no rows for the behaviour camera"),
    );
    const { list, onWarning } = warnings();
    await using camera = await open(20, onWarning);
    deepStrictEqual(camera.hasTimeVector(), false);
    deepStrictEqual(camera.getTimestamps(0, 3), Float64Array.from([0, 0.05, 0.1]));
    assert(list.some((w) => w.includes("no rows for the behaviour camera")), list.join("\n"));
  } finally {
    await removeLegacy(dir);
  }
});
