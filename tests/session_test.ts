import { join } from "node:path";
import assert, { deepStrictEqual, rejects, throws } from "node:assert/strict";
import {
  MalformedRecordingError,
  MiniscopeImagingExtractor,
  MiniscopeMultiRecordingImagingExtractor,
  MiniscopeSession,
  orientationForFrames,
  readHeadOrientation,
} from "../mod.ts";
import { parseNotesCsv } from "../src/formats/notes_csv.ts";
import { parseHeadOrientationCsv } from "../src/formats/head_orientation_csv.ts";
import { parseDeviceMetadata } from "../src/formats/metadata_json.ts";
import { FormatError } from "../src/formats/format_error.ts";
import {
  colourFrame,
  FIXTURES,
  qtJson,
  timestampsCsv,
  timestampsMs,
} from "../testdata/make_fixtures.ts";
import { deviceKind } from "../src/session.ts";
import { writeRecording } from "../src/sample.ts";
import { startView } from "../src/view/server.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { gatherInfo } from "../src/cli/info.ts";
import {
  assertBytesEqual,
  errorWith,
  expectedFrames,
  range,
  SAMPLE,
  startingWith,
  V1,
} from "./_helpers.ts";

async function copyDevice(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

function startTime(ms: number, flat = false): Record<string, unknown> {
  const d = new Date(ms);
  const fields = {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    msec: d.getUTCMilliseconds(),
    msecSinceEpoch: ms,
  };
  return flat ? fields : { recordingStartTime: fields };
}

Deno.test("MiniscopeSession reads start time, names, custom keys, devices with spaces and underscores, and notes", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_session_" });
  try {
    await copyDevice(SAMPLE, join(root, "My_V4_Miniscope"));
    await copyDevice(V1, join(root, "BehavCam 0"));
    await Deno.mkdir(join(root, "experiment")); // always created, usually empty
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson({
        researcherName: "ana",
        experimentName: "fear",
        animalName: "m12",
        cohort: "B",
        baseDirectory: "C:/data",
        miniscopes: ["My_V4_Miniscope"],
        cameras: ["BehavCam 0"],
        ...startTime(Date.UTC(2022, 8, 19, 9, 18, 41, 7)),
      }),
    );
    await Deno.writeTextFile(
      join(root, "notes.csv"),
      "Time Stamp (ms), Note\n1200,start of baseline\n2500,shock, then freezing, 3 s\n" +
        "3000,My_V4_Miniscope,led0,12\n",
    );
    const session = await MiniscopeSession.open(root);
    deepStrictEqual(session.startTime?.local, "2022-09-19T09:18:41.007");
    deepStrictEqual(session.startTime?.msecSinceEpoch, Date.UTC(2022, 8, 19, 9, 18, 41, 7));
    deepStrictEqual([session.researcherName, session.experimentName, session.animalName], [
      "ana",
      "fear",
      "m12",
    ]);
    deepStrictEqual(session.customKeys, { cohort: "B" });
    deepStrictEqual(session.devices.map((d) => d.name), ["BehavCam 0", "My_V4_Miniscope"]);
    const scope = session.getDevice("My_V4_Miniscope");
    deepStrictEqual(scope.metadata.deviceType, "Miniscope_V4_BNO");
    deepStrictEqual(scope.metadata.frameRate, "30FPS");
    deepStrictEqual(scope.metadata.frameRateHz, 30);
    deepStrictEqual(scope.metadata.gain, 3.5);
    deepStrictEqual(scope.metadata.roi, { height: 40, width: 48, leftEdge: 0, topEdge: 0 });
    deepStrictEqual(scope.hasHeadOrientation, true);
    deepStrictEqual(session.getDevice("BehavCam 0").metadata.deviceType, "Miniscope_V3");
    deepStrictEqual(session.notes, [
      { kind: "note", timeStampMs: 1200, text: "start of baseline" },
      { kind: "note", timeStampMs: 2500, text: "shock, then freezing, 3 s" },
      {
        kind: "setting",
        timeStampMs: 3000,
        device: "My_V4_Miniscope",
        property: "led0",
        value: "12",
      },
    ]);
    await using extractor = await session.openDevice("BehavCam 0", { onWarning: () => {} });
    assertBytesEqual(
      (await extractor.getSeries(10, 14)).data,
      expectedFrames(range(10, 14), 32, 24, 11),
    );
    throws(
      () => session.getDevice("Nope"),
      errorWith(Deno.errors.NotFound, '"BehavCam 0", "My_V4_Miniscope"'),
    );
    const head = await session.readHeadOrientation("My_V4_Miniscope");
    deepStrictEqual(head?.timestamps.length, 50);
    deepStrictEqual(await session.readHeadOrientation("BehavCam 0"), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("MiniscopeSession reads the flat start time of old files and names the keys when they are missing", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_session_" });
  try {
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson({ ...startTime(Date.UTC(2021, 9, 14, 10, 11, 24, 779), true) }),
    );
    const session = await MiniscopeSession.open(root);
    deepStrictEqual(session.startTime?.local, "2021-10-14T10:11:24.779");
    deepStrictEqual([session.devices, session.notes], [[], []]);
    await Deno.writeTextFile(join(root, "metaData.json"), qtJson({ year: 2021, month: 10 }));
    await rejects(
      () => MiniscopeSession.open(root),
      errorWith(MalformedRecordingError, "expected integer keys day, hour, minute, second, msec"),
    );
    await Deno.remove(join(root, "metaData.json"));
    await rejects(
      () => MiniscopeSession.open(root),
      errorWith(Deno.errors.NotFound, "metaData.json"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("parseNotesCsv() reads files without a header and tells 4-field setting rows from notes", () => {
  deepStrictEqual(parseNotesCsv("10,a\r\n20,b,c\n"), [
    { kind: "note", timeStampMs: 10, text: "a" },
    { kind: "note", timeStampMs: 20, text: "b,c" },
  ]);
  deepStrictEqual(parseNotesCsv("5,Miniscope,gain,High\n6,x,y,z\n", ["Miniscope"]), [
    { kind: "setting", timeStampMs: 5, device: "Miniscope", property: "gain", value: "High" },
    { kind: "note", timeStampMs: 6, text: "x,y,z" },
  ]);
  throws(() => parseNotesCsv("Time Stamp (ms), Note\nsoon,x\n"), errorWith(FormatError, "line 2"));
});

Deno.test("parseDeviceMetadata() accepts string and number control values and keeps unknown fields", () => {
  const fromWindow = parseDeviceMetadata({
    frameRate: 20,
    gain: "High",
    led0: 50,
    ewl: 3.5,
    customThing: [1],
  });
  deepStrictEqual(
    [fromWindow.frameRate, fromWindow.frameRateHz, fromWindow.gain, fromWindow.led0],
    [
      20,
      20,
      "High",
      50,
    ],
  );
  deepStrictEqual(fromWindow.extra, { customThing: [1] });
  deepStrictEqual(parseDeviceMetadata({ frameRate: "15FPS", ROI: { height: 1 } }).frameRateHz, 15);
  deepStrictEqual(parseDeviceMetadata({ ROI: { height: 1 } }).roi, null);
});

Deno.test("readHeadOrientation() reads quaternions, and orientationForFrames() joins on the time stamp", async () => {
  const head = await readHeadOrientation(join(SAMPLE, "headOrientation.csv"));
  const stamps = timestampsMs({ frames: 58, ...FIXTURES.sample.timestamps });
  deepStrictEqual(head.timeStampsMs.length, 50);
  deepStrictEqual(head.quaternions.length, 200);
  deepStrictEqual([...head.quaternions.subarray(0, 4)], [1, 0, 0, 6.10352e-05]);
  deepStrictEqual(head.timestamps[1], stamps[1]! / 1000);
  const perFrame = orientationForFrames(head, stamps.map((ms) => ms / 1000));
  deepStrictEqual(perFrame.length, 58 * 4);
  for (let frame = 0; frame < 58; frame++) {
    const missing = frame % 7 === 3;
    deepStrictEqual(Number.isNaN(perFrame[frame * 4]!), missing, `frame ${frame}`);
    if (!missing) {
      deepStrictEqual(perFrame[frame * 4 + 1], Number((Math.sin(frame / 40) * 0.6).toPrecision(6)));
    }
  }
  await rejects(
    () => readHeadOrientation(join(SAMPLE, "timeStamps.csv")),
    errorWith(MalformedRecordingError, "head orientation header"),
  );
});

/** Three recordings of one device whose folder names sort differently from their start times. */
async function threeRecordings(root: string) {
  const base = Date.UTC(2021, 9, 7, 15, 3, 28, 635);
  const recordings = [
    { folder: "b_first", start: base, interval: 50, flat: false },
    { folder: "c_second", start: base + 3_600_000 + 123, interval: 50, flat: true },
    { folder: "a_third", start: base + 7_205_000 + 999, interval: 40, flat: false },
  ];
  for (const r of recordings) {
    const device = join(root, r.folder, "Miniscope");
    await copyDevice(V1, device);
    await Deno.writeTextFile(
      join(device, "timeStamps.csv"),
      timestampsCsv({ frames: 19, intervalMs: r.interval, startMs: -34 }),
    );
    await Deno.writeTextFile(
      join(root, r.folder, "metaData.json"),
      qtJson(startTime(r.start, r.flat)),
    );
  }
  await Deno.mkdir(join(root, "notes_only")); // no device: not a recording
  return recordings;
}

Deno.test("MiniscopeMultiRecordingImagingExtractor orders recordings by start time and shifts their stamps to the millisecond", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    const recordings = await threeRecordings(root);
    await using ex = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      onWarning: () => {},
    });
    const parts = ex.getRecordings();
    deepStrictEqual(parts.map((p) => p.folder.split("/").pop()), [
      "b_first",
      "c_second",
      "a_third",
    ]);
    deepStrictEqual(parts.map((p) => p.offsetSeconds), [0, 3600.123, 7205.999]);
    deepStrictEqual(parts.map((p) => [p.firstSample, p.samples]), [[0, 19], [19, 19], [38, 19]]);
    deepStrictEqual(ex.getNumSamples(), 57);
    deepStrictEqual(ex.getFrameCounts(), { video: 57, timestamps: 57, lostInFiles: 0 });
    const t = ex.getTimestamps();
    recordings.forEach((r, i) => {
      const own = timestampsMs({ frames: 19, intervalMs: r.interval, startMs: -34 });
      for (let k = 0; k < 19; k++) {
        const expected = own[k]! / 1000 + (r.start - recordings[0]!.start) / 1000;
        assert(
          Math.abs(t[i * 19 + k]! - expected) < 1e-9,
          `recording ${i}, frame ${k}: ${t[i * 19 + k]} vs ${expected}`,
        );
      }
    });
    // The gap between recordings stays in the time stamps.
    assert(t[19]! - t[18]! > 3500, `${t[18]} s, then ${t[19]} s`);
    // Frames are the three recordings' frames, one after another.
    assertBytesEqual(
      (await ex.getSeries()).data,
      expectedFrames([...range(0, 19), ...range(0, 19), ...range(0, 19)], 32, 24, 11),
    );
    assertBytesEqual(
      (await ex.getSamples([40, 2, 20])).data,
      expectedFrames([2, 2, 1], 32, 24, 11),
    );
    // The frequency pools every recording's own intervals, not the first recording's alone.
    const intervals = recordings.flatMap((r) => {
      const own = timestampsMs({ frames: 19, intervalMs: r.interval, startMs: -34 });
      return own.slice(1).map((ms, k) => ms / 1000 - own[k]! / 1000);
    });
    const mean = intervals.reduce((a, b) => a + b) / intervals.length;
    const std = Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / intervals.length);
    const kept = intervals.filter((x) => Math.abs(x - mean) < 3 * std);
    deepStrictEqual(ex.getSamplingFrequency(), 1 / (kept.reduce((a, b) => a + b) / kept.length));
    assert(Math.abs(ex.getSamplingFrequency() - 20) > 0.5, "not the first recording's 20 Hz");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("MiniscopeMultiRecordingImagingExtractor.timeToSampleIndices() keeps the rule across recordings; NaN is a RangeError", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    await using ex = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      onWarning: () => {},
    });
    const t = ex.getTimestamps();
    // A time between two recordings belongs to the last sample of the first.
    deepStrictEqual(
      [...ex.timeToSampleIndices([-Infinity, t[0]!, (t[18]! + t[19]!) / 2, t[19]!, 1e9])],
      [-1, 0, 18, 19, 56],
    );
    throws(() => ex.timeToSampleIndices([1, NaN]), errorWith(RangeError, "times[1]"));
    throws(() => ex.sliceSamples(20, 40).timeToSampleIndices([NaN]), RangeError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("MiniscopeMultiRecordingImagingExtractor names what is missing: the device, a start time, the time stamps", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    await rejects(
      () =>
        MiniscopeMultiRecordingImagingExtractor.open({
          folderPath: root,
          deviceName: "HPC_miniscope1",
        }),
      errorWith(Deno.errors.NotFound, `no folder in it holds a "HPC_miniscope1" device folder`),
    );
    await Deno.remove(join(root, "c_second", "Miniscope", "timeStamps.csv"));
    await rejects(
      () => MiniscopeMultiRecordingImagingExtractor.open({ folderPath: root, onWarning: () => {} }),
      errorWith(Deno.errors.NotFound, join(root, "c_second", "Miniscope", "timeStamps.csv")),
    );
    await Deno.writeTextFile(join(root, "a_third", "metaData.json"), "{}");
    await rejects(
      () => MiniscopeMultiRecordingImagingExtractor.open({ folderPath: root }),
      errorWith(
        MalformedRecordingError,
        `"${join(root, "a_third", "metaData.json")}": it has no recording start time`,
      ),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("both extractors refuse a concurrency of NaN, 0, -1 or 1.5 with the same message, and decode exactly with 1", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    for (const concurrency of [NaN, 0, -1, 1.5]) {
      const message = `concurrency ${concurrency} is not a whole number >= 1`;
      await rejects(() =>
        MiniscopeMultiRecordingImagingExtractor.open({
          folderPath: root,
          concurrency,
          onWarning: () => {},
        }), errorWith(RangeError, message));
      await rejects(
        () => MiniscopeImagingExtractor.open({ folderPath: V1, concurrency, onWarning: () => {} }),
        errorWith(RangeError, message),
      );
    }
    const ex = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      concurrency: 1,
      onWarning: () => {},
    });
    const frames: Uint8Array[] = [];
    for await (const frame of ex.stream({ start: 17, end: 21 })) frames.push(frame.data);
    assertBytesEqual(
      Uint8Array.from(frames.flatMap((f) => [...f])),
      expectedFrames([17, 18, 0, 1], 32, 24, 11),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("hidden entries of session and day folders are skipped with a warning naming them", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    const session = join(root, "b_first");
    // A hidden folder that looks like a device, and AppleDouble files beside the real ones.
    await copyDevice(V1, join(session, ".Trashes"));
    await Deno.writeTextFile(join(session, "._Miniscope"), "x");
    await Deno.writeTextFile(join(session, "Miniscope", "._0.avi"), "x");
    await Deno.writeTextFile(join(root, "._b_first"), "x");
    await Deno.mkdir(join(root, ".Spotlight-V100", "Miniscope"), { recursive: true });
    const w: string[] = [];
    const opened = await MiniscopeSession.open(session, { onWarning: (m) => w.push(m) });
    deepStrictEqual(opened.devices.map((d) => d.name), ["Miniscope"]);
    deepStrictEqual(w, [
      `"${session}": skipped 2 hidden entries (names starting with ".", such as macOS "._" and ` +
      `".DS_Store" files), not part of the recording: .Trashes, ._Miniscope`,
    ]);
    const m: string[] = [];
    const day = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      onWarning: (message) => m.push(message),
    });
    deepStrictEqual(day.getRecordings().length, 3);
    assert(
      m.some((x) => x.includes(`"${root}"`) && x.endsWith(": .Spotlight-V100, ._b_first")),
      m.join("\n"),
    );
    assert(
      m.some((x) => x.includes(join(session, "Miniscope")) && x.endsWith(": ._0.avi")),
      m.join("\n"),
    );
    assertBytesEqual((await day.getSeries(0, 19)).data, expectedFrames(range(0, 19), 32, 24, 11));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a multi-recording reports each recording's drops in its own sample indices, and a slice keeps its class and recordings", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    // The second recording (samples 19 to 37) drops a frame after its sample 5.
    await Deno.writeTextFile(
      join(root, "c_second", "Miniscope", "timeStamps.csv"),
      timestampsCsv({ frames: 19, intervalMs: 50, startMs: -34, droppedAfter: [5] }),
    );
    const ex = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      onWarning: () => {},
    });
    const dropped = ex.getDroppedFrames()!;
    // The hours between recordings are no drop; the second recording's own drop is at 19 + 5.
    deepStrictEqual(dropped.gaps.map((g) => [g.afterSample, g.missing]), [[24, 1]]);
    deepStrictEqual(dropped.count, 1);
    deepStrictEqual(dropped.stepsBack, []);

    const slice = ex.sliceSamples(15, 45);
    assert(slice instanceof MiniscopeMultiRecordingImagingExtractor, slice.constructor.name);
    deepStrictEqual(
      slice.getRecordings().map((p) => [p.folder.split("/").pop(), p.firstSample, p.samples]),
      [["b_first", 0, 4], ["c_second", 4, 19], ["a_third", 23, 7]],
    );
    deepStrictEqual(slice.getDroppedFrames()!.gaps.map((g) => g.afterSample), [9]);
    deepStrictEqual([...slice.getTimestamps()], [...ex.getTimestamps(15, 45)]);
    assertBytesEqual(
      (await slice.getSeries()).data,
      expectedFrames([...range(15, 19), ...range(0, 19), ...range(0, 7)], 32, 24, 11),
    );
    const inner = slice.sliceSamples(5, 11);
    deepStrictEqual(
      inner.getRecordings().map((p) => [p.folder.split("/").pop(), p.firstSample, p.samples]),
      [["c_second", 0, 6]],
    );
    deepStrictEqual(inner.getDroppedFrames()!.gaps.map((g) => g.afterSample), [4]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("headOrientation.csv and notes.csv with CR-only line ends read as with LF", async () => {
  const lf = await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"));
  const plain = parseHeadOrientationCsv(lf);
  const cr = parseHeadOrientationCsv(lf.replaceAll("\n", "\r"));
  deepStrictEqual([...cr.timeStampsMs], [...plain.timeStampsMs]);
  deepStrictEqual([...cr.quaternions], [...plain.quaternions]);
  const notes = "Time Stamp (ms), Note\n1200,start of baseline\n3000,Miniscope,led0,12\n";
  deepStrictEqual(parseNotesCsv(notes.replaceAll("\n", "\r")), parseNotesCsv(notes));
  deepStrictEqual(parseNotesCsv(notes.replaceAll("\n", "\r")).length, 2);
});

Deno.test("a headOrientation.csv whose last row was cut while writing reads the complete rows, with a warning naming it", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_head_" });
  try {
    const path = join(root, "headOrientation.csv");
    const lf = await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"));
    const rows = lf.trim().split("\n");
    const full = parseHeadOrientationCsv(lf);
    await Deno.writeTextFile(path, rows.join("\n") + "\n" + "1900,0.99,0.0");
    const w: string[] = [];
    const head = await readHeadOrientation(path, { onWarning: (m) => w.push(m) });
    deepStrictEqual([...head.timeStampsMs], [...full.timeStampsMs]);
    deepStrictEqual(w.length, 1);
    assert.match(w[0]!, startingWith(`"${path}": its last row is incomplete`));
    // A stamp that is not finite is an error naming line and column.
    await Deno.writeTextFile(path, rows.slice(0, 3).join("\n") + "\n1e400,1,0,0,0\n");
    await rejects(
      () => readHeadOrientation(path),
      errorWith(
        MalformedRecordingError,
        `"${path}": line 4, column 1 is not a finite number: "1e400"`,
      ),
    );
    throws(
      () => parseNotesCsv(`${"9".repeat(400)},a note\n`),
      errorWith(FormatError, "line 1: the time stamp 9999"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a quaternion written nan in headOrientation.csv is kept as NaN with one warning; a time stamp nan is an error", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_head_" });
  try {
    const path = join(root, "headOrientation.csv");
    const rows = (await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"))).trim().split("\n");
    await Deno.writeTextFile(
      path,
      [...rows.slice(0, 3), "30,nan,NaN,nan,nan", ...rows.slice(3)].join("\n") + "\n",
    );
    const w: string[] = [];
    const head = await readHeadOrientation(path, { onWarning: (m) => w.push(m) });
    deepStrictEqual(head.timeStampsMs.length, rows.length);
    deepStrictEqual(head.timeStampsMs[2], 30);
    deepStrictEqual([...head.quaternions.subarray(8, 12)], [NaN, NaN, NaN, NaN]);
    deepStrictEqual(
      [...head.quaternions.subarray(12, 16)],
      rows[3]!.split(",").slice(1).map(Number),
    );
    deepStrictEqual(w, [
      `"${path}": 4 quaternion values are "nan" (no orientation from the IMU): kept as NaN`,
    ]);
    await Deno.writeTextFile(path, [...rows.slice(0, 3), "nan,1,0,0,0"].join("\n") + "\n");
    await rejects(
      () => readHeadOrientation(path),
      errorWith(MalformedRecordingError, `"${path}": line 4, column 1 is not a number: "nan"`),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a device metaData.json half-written while recording is a warning: the session and the device still open", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_session_" });
  try {
    await copyDevice(SAMPLE, join(root, "Miniscope"));
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson(startTime(Date.UTC(2022, 8, 19, 9, 18, 41, 7))),
    );
    const path = join(root, "Miniscope", "metaData.json");
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.slice(0, text.length >> 1));
    const w: string[] = [];
    const session = await MiniscopeSession.open(root, { onWarning: (m) => w.push(m) });
    deepStrictEqual(session.devices.map((d) => [d.name, d.metadata.deviceType]), [[
      "Miniscope",
      null,
    ]]);
    deepStrictEqual(w.length, 1, w.join("\n"));
    assert.match(w[0]!, startingWith(`Cannot read "${path}": it is not valid JSON`));
    const ow: string[] = [];
    const scope = await session.openDevice("Miniscope", { onWarning: (m) => ow.push(m) });
    deepStrictEqual(scope.getNumSamples(), 58);
    assert(
      ow.some((m) => m.includes(path) && m.includes("framesPerFile is unknown")),
      ow.join("\n"),
    );
    assertBytesEqual((await scope.getSamples([57, 3])).data, expectedFrames([57, 3], 48, 40));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a headOrientation.csv of software before v0.141, its header qw,qx,qy,qz over rows with the time stamp first, reads as a current one", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_head_" });
  try {
    const current = await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"));
    const rows = current.trim().split("\n").slice(1);
    const path = join(root, "headOrientation.csv");
    await Deno.writeTextFile(path, ["qw,qx,qy,qz", ...rows].join("\n") + "\n");
    const old = await readHeadOrientation(path);
    const expected = parseHeadOrientationCsv(current);
    deepStrictEqual([...old.timeStampsMs], [...expected.timeStampsMs]);
    deepStrictEqual([...old.timeStampsMs.subarray(0, 2)], [-68, -34]);
    deepStrictEqual([...old.quaternions], [...expected.quaternions]);
    // Rows of four cells give no time stamp: an error naming the line.
    await Deno.writeTextFile(path, "qw,qx,qy,qz\n1,0,0,0\n");
    await rejects(
      () => readHeadOrientation(path),
      errorWith(MalformedRecordingError, `"${path}": line 2 has 4 cells, expected 5`),
    );
    throws(
      () => parseHeadOrientationCsv("w,x,y,z\n1,1,0,0,0\n"),
      errorWith(FormatError, `"qw,qx,qy,qz" before v0.141`),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a session whose notes.csv cannot be read opens without notes, with a warning naming the file and the problem", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_session_" });
  try {
    await copyDevice(SAMPLE, join(root, "Miniscope"));
    await Deno.copyFile(join(SAMPLE, "..", "metaData.json"), join(root, "metaData.json"));
    const notes = join(root, "notes.csv");
    await Deno.writeTextFile(notes, "Time Stamp (ms), Note\n1200,start\nabout 3 s,late\n");
    const w: string[] = [];
    const session = await MiniscopeSession.open(root, { onWarning: (m) => w.push(m) });
    deepStrictEqual(session.notes, []);
    deepStrictEqual(session.devices.map((d) => d.name), ["Miniscope"]);
    deepStrictEqual(w, [
      `Cannot read "${notes}": line 3 does not start with a time stamp in ms: "about 3 s,late"; ` +
      `the session's notes are left out`,
    ]);
    // A folder where the file should be: the same.
    await Deno.remove(notes);
    await Deno.mkdir(notes);
    w.length = 0;
    deepStrictEqual((await MiniscopeSession.open(root, { onWarning: (m) => w.push(m) })).notes, []);
    deepStrictEqual(w.length, 1);
    assert.match(w[0]!, startingWith(`Cannot read "${notes}": `));
    assert.match(w[0]!, /left out$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a multi-recording is a MiniscopeImagingExtractor whose getFiles() follow its recordings, in slices too", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_multi_" });
  try {
    await threeRecordings(root);
    // The second recording has stamps for 3 of the 7 frames of its 1.avi.
    await Deno.writeTextFile(
      join(root, "c_second", "Miniscope", "timeStamps.csv"),
      timestampsCsv({ frames: 15, intervalMs: 50, startMs: -34 }),
    );
    await using ex = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: root,
      onWarning: () => {},
    });
    assert(ex instanceof MiniscopeImagingExtractor, ex.constructor.name);
    const file = (folder: string, name: string) => join(root, folder, "Miniscope", name);
    deepStrictEqual(ex.getFiles(), [
      { path: file("b_first", "0.avi"), firstSample: 0, samples: 12 },
      { path: file("b_first", "1.avi"), firstSample: 12, samples: 7 },
      { path: file("c_second", "0.avi"), firstSample: 19, samples: 12 },
      { path: file("c_second", "1.avi"), firstSample: 31, samples: 3 },
      { path: file("a_third", "0.avi"), firstSample: 34, samples: 12 },
      { path: file("a_third", "1.avi"), firstSample: 46, samples: 7 },
    ]);
    // Each file's first sample is its first frame, byte for byte.
    const firsts = ex.getFiles().map((f) => f.firstSample);
    assertBytesEqual(
      (await ex.getSamples(firsts)).data,
      expectedFrames([0, 12, 0, 12, 0, 12], 32, 24, 11),
    );
    const slice = ex.sliceSamples(15, 40);
    deepStrictEqual(
      slice.getFiles().map((f) => [f.path, f.firstSample, f.samples]),
      [
        [file("b_first", "1.avi"), 0, 4],
        [file("c_second", "0.avi"), 4, 12],
        [file("c_second", "1.avi"), 16, 3],
        [file("a_third", "0.avi"), 19, 6],
      ],
    );
    deepStrictEqual(
      slice.getRecordings().map((p) => [p.firstSample, p.samples]),
      [[0, 4], [4, 15], [19, 6]],
    );
    // One recording opened alone has no recordings to list.
    await using one = await MiniscopeImagingExtractor.open({ folderPath: V1 });
    deepStrictEqual(one.getRecordings(), null);
    deepStrictEqual(one.sliceSamples(2, 5).getRecordings(), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deviceKind() takes the layout, then the session's lists, then deviceType, then the folder name", () => {
  const type = (deviceType: string | null) => parseDeviceMetadata({ deviceType });
  const lists = { miniscopes: ["HPC scope"], cameras: ["Top view"] };
  const cases: [Parameters<typeof deviceKind>[0], string][] = [
    [{ name: "behavCam", metadata: null, session: null, layout: "legacy" }, "camera"],
    [{ name: "msCam", metadata: type("WebCam"), session: null, layout: "legacy" }, "miniscope"],
    // Listed with its spaces, found by its folder name.
    [{ name: "Top_view", metadata: type("Miniscope_V4_BNO"), session: lists }, "camera"],
    [{ name: "HPC_scope", metadata: type("WebCam"), session: lists }, "miniscope"],
    [{ name: "BehavCam_0", metadata: type("Miniscope_V3"), session: lists }, "miniscope"],
    [{ name: "Side", metadata: type("Minicam-Mono-XGA"), session: null }, "camera"],
    [{ name: "Side", metadata: type("WebCam-640x480"), session: { cameras: "Side" } }, "camera"],
    [{ name: "BehavCam_0", metadata: null, session: null }, "camera"],
    [{ name: "Miniscope", metadata: type(null), session: {} }, "miniscope"],
    [{ name: "HPC", metadata: type("Custom_V5"), session: null }, "miniscope"],
  ];
  for (const [facts, kind] of cases) {
    deepStrictEqual(deviceKind(facts), kind, JSON.stringify(facts));
  }
});

/** What the viewer, the NWB export and `info` each take the devices of a session for. */
async function kindsEverywhere(root: string): Promise<Record<string, string[]>> {
  const session = await MiniscopeSession.open(root, { onWarning() {} });
  const server = await startView({ folder: root, onWarning() {} });
  let viewer: string[];
  try {
    const info = await (await fetch(`http://127.0.0.1:${server.port}/api/info`, {
      headers: { authorization: `token ${server.token}` },
    })).json();
    viewer = info.devices.map((d: { name: string; camera: boolean; channels: number }) =>
      `${d.name}: ${d.camera ? "camera" : "miniscope"}, ${d.channels}`
    );
  } finally {
    await server.close();
  }
  const out = join(root, "..", "kinds.nwb");
  const result = await writeNwb(session, out, { onWarning() {} });
  await Deno.remove(out);
  // A Miniscope's frames are written into the file, a camera's videos are pointed at.
  const nwb = result.series.filter((s) => s.type === "OnePhotonSeries" || s.type === "ImageSeries")
    .map((s) => `${s.device}: ${s.type === "OnePhotonSeries" ? "miniscope" : "camera"}`);
  const info = [];
  for (const device of session.devices) {
    const { info: report } = await gatherInfo(device.path, { colour: true });
    info.push(`${device.name}: ${report.kind}`);
  }
  return {
    session: session.devices.map((d) => `${d.name}: ${d.kind}`),
    viewer,
    nwb,
    info,
  };
}

Deno.test("a camera listed under cameras whose name and deviceType do not say so is a camera to the viewer, the NWB export and info alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_kind_" });
  const root = join(dir, "session");
  try {
    await copyDevice(SAMPLE, join(root, "Miniscope"));
    // A colour camera of a type the lab added to the acquisition software's device list.
    await writeRecording(join(root, "Overhead"), {
      width: 16,
      height: 12,
      frames: 6,
      framesPerFile: 6,
      deviceType: "Blackfly_S_BFS-U3",
      codec: "MJPG",
      input: "rgb24",
      frame: (i) => colourFrame(i, 16, 12),
    });
    const metadata = JSON.parse(await Deno.readTextFile(join(SAMPLE, "..", "metaData.json")));
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson({ ...metadata, cameras: ["Overhead"] }),
    );
    deepStrictEqual(await kindsEverywhere(root), {
      session: ["Miniscope: miniscope", "Overhead: camera"],
      viewer: ["Miniscope: miniscope, 1", "Overhead: camera, 3"],
      nwb: ["Miniscope: miniscope", "Overhead: camera"],
      info: ["Miniscope: miniscope", "Overhead: camera"],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a Miniscope whose metaData.json is half-written, in a session listing no devices, is a Miniscope to the viewer, the NWB export and info alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_kind_" });
  const root = join(dir, "session");
  try {
    await copyDevice(SAMPLE, join(root, "Miniscope"));
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson(startTime(Date.UTC(2022, 8, 19, 9, 18, 41, 7))),
    );
    const path = join(root, "Miniscope", "metaData.json");
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.slice(0, text.length >> 1));
    deepStrictEqual(await kindsEverywhere(root), {
      session: ["Miniscope: miniscope"],
      viewer: ["Miniscope: miniscope, 1"],
      nwb: ["Miniscope: miniscope"],
      info: ["Miniscope: miniscope"],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
