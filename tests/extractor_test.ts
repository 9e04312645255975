import { join } from "node:path";
import assert, { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import { FIXTURES, timestampsCsv, timestampsMs } from "../testdata/make_fixtures.ts";
import { frameIndexOf } from "../testdata/frames.ts";
import {
  assertBytesEqual,
  containing,
  copyFixture,
  encodeTestPattern,
  errorWith,
  expectedFrames,
  ffmpegDecodeAll,
  frameChunkOffset,
  MANY,
  ODD,
  range,
  removeCopy,
  SAMPLE,
  TESTDATA,
  toOpenDml,
  V1,
  warnings,
} from "./_helpers.ts";

const { sample, v1 } = FIXTURES;
const FRAME = sample.width * sample.height;
const sampleFiles = [0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`));
const readSample: Deno.PermissionOptionsObject = { read: [TESTDATA], run: ["ffmpeg"] };

function open(folderPath = SAMPLE, more: Record<string, unknown> = {}) {
  return MiniscopeImagingExtractor.open({ folderPath, onWarning: () => {}, ...more });
}

Deno.test({
  name: "open() reads count, shape, dtype and sampling frequency of a folder without decoding",
  permissions: { read: [TESTDATA] }, // no run permission: nothing may be spawned
  fn: async () => {
    await using ex = await open();
    deepStrictEqual(ex.getNumSamples(), 58);
    deepStrictEqual(ex.getImageShape(), [40, 48]);
    deepStrictEqual(ex.getFrameShape(), [40, 48]);
    deepStrictEqual(ex.getSampleShape(), [40, 48]);
    deepStrictEqual(ex.getDtype(), "uint8");
    deepStrictEqual(ex.getFilePaths(), sampleFiles);
    const fs = ex.getSamplingFrequency();
    assert(fs > 29 && fs < 31, `fs ${fs}`);
  },
});

Deno.test({
  name: "open() orders folder videos numerically, 10.avi after 9.avi",
  permissions: readSample,
  fn: async () => {
    await using ex = await open(MANY);
    deepStrictEqual(
      ex.getFilePaths().map((p) => p.split("/").pop()),
      range(0, 12).map((i) => `${i}.avi`),
    );
    const series = await ex.getSeries();
    for (let i = 0; i < 24; i++) {
      deepStrictEqual(frameIndexOf(series.data.subarray(i * 128)), i);
    }
  },
});

Deno.test({
  name:
    "getSeries() returns frames bit-identical to a sequential ffmpeg decode and to the generated pixels",
  permissions: readSample,
  fn: async () => {
    await using ex = await open();
    const series = await ex.getSeries();
    deepStrictEqual(series.shape, [58, 40, 48]);
    assertBytesEqual(series.data, await ffmpegDecodeAll(sampleFiles), "against ffmpeg");
    assertBytesEqual(series.data, expectedFrames(range(0, 58), 48, 40), "against the generator");
  },
});

Deno.test({
  name: "getSeries() returns [start, end) across file boundaries, and getSeries(0, 0) is empty",
  permissions: readSample,
  fn: async () => {
    await using ex = await open(SAMPLE, { concurrency: 2 });
    for (const [start, end] of [[5, 10], [20, 30], [23, 49], [0, 1], [57, 58], [24, 48]] as const) {
      const series = await ex.getSeries(start, end);
      deepStrictEqual(series.shape, [end - start, 40, 48]);
      assertBytesEqual(
        series.data,
        expectedFrames(range(start, end), 48, 40),
        `[${start}, ${end})`,
      );
    }
    const empty = await ex.getSeries(0, 0);
    deepStrictEqual([empty.shape, empty.data.length], [[0, 40, 48], 0]);
    deepStrictEqual((await ex.getSeries(undefined, 3)).shape[0], 3);
    deepStrictEqual((await ex.getSeries(55)).shape[0], 3);
  },
});

Deno.test({
  name: "getSeries() throws RangeError for out-of-range, fractional or reversed bounds",
  permissions: { read: [TESTDATA] },
  fn: async () => {
    await using ex = await open();
    await rejects(() => ex.getSeries(0, 59), errorWith(RangeError, "endSample 59 is out of range"));
    await rejects(() => ex.getSeries(-1, 2), errorWith(RangeError, "startSample -1"));
    await rejects(() => ex.getSeries(1.5, 2), errorWith(RangeError, "startSample 1.5"));
    await rejects(
      () => ex.getSeries(10, 5),
      errorWith(RangeError, "endSample 5 is before startSample 10"),
    );
  },
});

Deno.test({
  name: "getSamples() returns frames in the order asked, repeats included, for every index",
  permissions: readSample,
  fn: async () => {
    await using ex = await open();
    const indices = [57, 0, 13, 13, 24, 1, 47, 12, 35, 0];
    const got = await ex.getSamples(indices);
    deepStrictEqual(got.shape, [indices.length, 40, 48]);
    assertBytesEqual(got.data, expectedFrames(indices, 48, 40));
    // Every frame alone, so each one is reached by its own seek.
    const sequential = await ffmpegDecodeAll(sampleFiles);
    for (let k = 0; k < 58; k++) {
      const one = await ex.getSamples([k]);
      assertBytesEqual(one.data, sequential.subarray(k * FRAME, (k + 1) * FRAME), `frame ${k}`);
    }
    deepStrictEqual((await ex.getSamples([])).shape, [0, 40, 48]);
    await rejects(
      () => ex.getSamples([3, 58]),
      errorWith(RangeError, "Sample index 58 is out of range"),
    );
  },
});

Deno.test({
  name: "stream() yields each frame with its index and timestamp and stops ffmpeg on break",
  permissions: readSample,
  fn: async () => {
    await using ex = await open();
    const stamps = ex.getTimestamps();
    const seen: number[] = [];
    for await (const frame of ex.stream({ start: 20, end: 50 })) {
      assertBytesEqual(frame.data, expectedFrames([frame.index], 48, 40), `frame ${frame.index}`);
      deepStrictEqual(frame.timestamp, stamps[frame.index]);
      seen.push(frame.index);
    }
    deepStrictEqual(seen, range(20, 50));
    let last = -1;
    for await (const frame of ex.stream()) {
      last = frame.index;
      if (frame.index === 3) break; // the sanitizers fail the test if ffmpeg is left running
    }
    deepStrictEqual(last, 3);
  },
});

Deno.test({
  name:
    "getNativeTimestamps() returns the CSV seconds, not re-zeroed, and getTimestamps() prefers set times",
  permissions: { read: [TESTDATA] },
  fn: async () => {
    await using ex = await open();
    const ms = timestampsMs({ frames: 58, ...sample.timestamps });
    deepStrictEqual([...ex.getNativeTimestamps()!], ms.map((t) => t / 1000));
    assert(ex.getNativeTimestamps()![0]! < 0, `first stamp ${ex.getNativeTimestamps()![0]} s`);
    deepStrictEqual([...ex.getNativeTimestamps(5, 8)!], ms.slice(5, 8).map((t) => t / 1000));
    deepStrictEqual([...ex.getTimestamps(5, 8)], ms.slice(5, 8).map((t) => t / 1000));
    deepStrictEqual(ex.hasTimeVector(), true);
    const times = range(0, 58).map((i) => 100 + i / 10);
    ex.setTimes(times);
    deepStrictEqual([...ex.getTimestamps(2, 4)], [100.2, 100.3]);
    deepStrictEqual([...ex.getNativeTimestamps(2, 3)!], [ms[2]! / 1000]);
    throws(
      () => ex.setTimes([1, 2]),
      errorWith(RangeError, "Cannot set 2 times: the extractor has 58 samples"),
    );
    throws(
      () => ex.setTimes(range(0, 58).map((i) => (i === 9 ? NaN : i))),
      errorWith(RangeError, "time 9 is NaN"),
    );
  },
});

Deno.test({
  name: "timeToSampleIndices() gives the last sample at or before each time, -1 before the first",
  permissions: { read: [TESTDATA] },
  fn: async () => {
    await using ex = await open();
    const t = ex.getTimestamps();
    const got = ex.timeToSampleIndices([
      t[0]! - 1,
      t[0]!,
      t[10]!,
      (t[10]! + t[11]!) / 2,
      t[57]!,
      1e9,
    ]);
    deepStrictEqual([...got], [-1, 0, 10, 10, 57, 57]);
  },
});

Deno.test("timeToSampleIndices() without time stamps keeps the same rule: no Int32 wrap, NaN a RangeError", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.remove(join(dir, "timeStamps.csv"));
    await using timeless = await open(dir, { samplingFrequency: 20 });
    deepStrictEqual(timeless.hasTimeVector(), false);
    // Samples are at index / 20 s: 58 of them, the last at 2.85 s.
    deepStrictEqual(
      [...timeless.timeToSampleIndices([-Infinity, -0.01, 0, 0.049, 0.05, 2, 1e9, Infinity])],
      [-1, -1, 0, 0, 1, 40, 57, 57],
    );
    // Each sample's own time gives the sample back, also in a slice.
    const slice = timeless.sliceSamples(10, 30);
    deepStrictEqual([...slice.timeToSampleIndices(slice.getTimestamps())], range(0, 20));
    await using stamped = await open();
    for (const ex of [timeless, stamped]) {
      for (const bad of [[NaN, Infinity, 1e9, 2], [0, NaN]]) {
        throws(
          () => ex.timeToSampleIndices(bad),
          errorWith(RangeError, "Cannot find the sample at time NaN"),
        );
      }
    }
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("timeToSampleIndices() over times that step back gives the last sample at or before each time", async () => {
  await using ex = await open();
  // A clock that stepped back 1 s after sample 29.
  const times = Array.from({ length: 58 }, (_, i) => i < 30 ? i : i - 10.5);
  ex.setTimes(times);
  deepStrictEqual([...ex.timeToSampleIndices([-1, 0, 18.9, 19.5, 29, 40, 1e9])], [
    -1,
    0,
    18,
    30,
    39,
    50,
    57,
  ]);
  for (const [i, t] of times.entries()) {
    const got = ex.timeToSampleIndices([t])[0]!;
    const expected = times.findLastIndex((u) => u <= t);
    deepStrictEqual(got, expected, `time ${t} of sample ${i}`);
  }
});

Deno.test("index arguments that are NaN, fractions or past the end are RangeErrors in every method", async () => {
  await using ex = await open();
  for (const bad of [NaN, 0.5, -1, 59, 2 ** 53, Infinity]) {
    throws(() => ex.getTimestamps(bad), RangeError, `getTimestamps(${bad})`);
    throws(() => ex.getTimestamps(0, bad), RangeError, `getTimestamps(0, ${bad})`);
    throws(() => ex.getNativeTimestamps(bad), RangeError, `getNativeTimestamps(${bad})`);
    throws(() => ex.sliceSamples(bad, 58), RangeError, `sliceSamples(${bad}, 58)`);
    throws(() => ex.sliceSamples(0, bad), RangeError, `sliceSamples(0, ${bad})`);
    await rejects(() => ex.getSeries(bad, 58), RangeError, `getSeries(${bad})`);
    await rejects(() => ex.getSamples([3, bad]), RangeError, `getSamples([3, ${bad}])`);
    await rejects(() => ex.stream({ start: bad }).next(), RangeError, `stream(${bad})`);
  }
  await rejects(() => ex.getSamples([58]), RangeError);
});

Deno.test({
  name: "sliceSamples() is a view with its own indices, frames and timestamps",
  permissions: readSample,
  fn: async () => {
    await using ex = await open();
    const slice = ex.sliceSamples(20, 40);
    deepStrictEqual(slice.getNumSamples(), 20);
    deepStrictEqual([...slice.getTimestamps()], [...ex.getTimestamps(20, 40)]);
    assertBytesEqual((await slice.getSeries(2, 6)).data, expectedFrames(range(22, 26), 48, 40));
    assertBytesEqual((await slice.getSamples([19, 0])).data, expectedFrames([39, 20], 48, 40));
    const indices: number[] = [];
    for await (const frame of slice.stream({ start: 3, end: 6 })) {
      indices.push(frame.index);
      deepStrictEqual(frameIndexOf(frame.data), frame.index + 20);
    }
    deepStrictEqual(indices, [3, 4, 5]);
    const nested = slice.sliceSamples(5, 10);
    deepStrictEqual([...nested.getTimestamps()], [...ex.getTimestamps(25, 30)]);
    throws(() => ex.sliceSamples(10, 70), errorWith(RangeError, "endSample 70"));
  },
});

Deno.test({
  name: "open({ filePaths }) keeps the order given and finds timeStamps.csv beside the first video",
  permissions: readSample,
  fn: async () => {
    const files = [join(SAMPLE, "1.avi"), join(SAMPLE, "0.avi")];
    await using ex = await MiniscopeImagingExtractor.open({
      filePaths: files,
      onWarning: () => {},
    });
    deepStrictEqual(ex.getFilePaths(), files);
    const series = await ex.getSeries(22, 26);
    deepStrictEqual([...range(0, 4)].map((i) => frameIndexOf(series.data.subarray(i * FRAME))), [
      46,
      47,
      0,
      1,
    ]);
    await using fromV1 = await MiniscopeImagingExtractor.open({
      filePaths: [join(V1, "0.avi")],
      timestampsPath: join(V1, "timeStamps.csv"),
      onWarning: () => {},
    });
    deepStrictEqual(fromV1.getNumSamples(), 12);
    deepStrictEqual(fromV1.getImageShape(), [v1.height, v1.width]);
  },
});

Deno.test({
  name:
    "open() rejects both or neither of folderPath and filePaths, an empty list and non-.avi paths",
  permissions: { read: [TESTDATA] },
  fn: async () => {
    await rejects(
      () => MiniscopeImagingExtractor.open({}),
      errorWith(TypeError, "pass folderPath"),
    );
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: SAMPLE, filePaths: sampleFiles }),
      errorWith(TypeError, "not both"),
    );
    await rejects(
      () => MiniscopeImagingExtractor.open({ filePaths: [] }),
      errorWith(TypeError, "filePaths is empty"),
    );
    await rejects(
      () => MiniscopeImagingExtractor.open({ filePaths: [join(SAMPLE, "timeStamps.csv")] }),
      errorWith(TypeError, "must end in .avi"),
    );
    await rejects(
      () => open(SAMPLE, { samplingFrequency: -3 }),
      errorWith(RangeError, "samplingFrequency -3"),
    );
  },
});

Deno.test("open() reports a missing folder, a folder without videos, a gap and a stray name", async () => {
  await rejects(
    () => open(join(TESTDATA, "nope")),
    errorWith(Deno.errors.NotFound, `"${join(TESTDATA, "nope")}": it does not exist`),
  );
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.remove(join(dir, "1.avi"));
    await rejects(
      () => open(dir),
      errorWith(MalformedRecordingError, `"${join(dir, "2.avi")}": expected "1.avi" before it`),
    );
    await Deno.copyFile(join(SAMPLE, "1.avi"), join(dir, "1.avi"));
    await Deno.copyFile(join(SAMPLE, "1.avi"), join(dir, "1 (copy).avi"));
    const error = await open(dir).catch((e: unknown) => e);
    assert(error instanceof MalformedRecordingError, String(error));
    assert.match(error.message, containing(`"${join(dir, "1 (copy).avi")}"`));
    assert.match(error.message, /pass filePaths/);
    for (const name of ["0.avi", "1.avi", "2.avi", "1 (copy).avi"]) {
      await Deno.remove(join(dir, name));
    }
    await rejects(() => open(dir), errorWith(MalformedRecordingError, "holds no .avi video files"));
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("open() without timeStamps.csv needs samplingFrequency, and with it warns and uses index / fs", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.remove(join(dir, "timeStamps.csv"));
    const error = await open(dir).catch((e: unknown) => e);
    assert(error instanceof Deno.errors.NotFound, String(error));
    assert.match(error.message, containing(join(dir, "timeStamps.csv")));
    assert.match(error.message, /is required/);
    assert.match(error.message, /samplingFrequency/);
    const w = warnings();
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      samplingFrequency: 20,
      onWarning: w.onWarning,
    });
    deepStrictEqual(w.list.length, 1);
    assert.match(w.list[0]!, /does not exist/);
    deepStrictEqual(ex.getNumSamples(), 58);
    deepStrictEqual(ex.hasTimeVector(), false);
    deepStrictEqual(ex.getNativeTimestamps(), null);
    deepStrictEqual([...ex.getTimestamps(0, 3)], [0, 0.05, 0.1]);
    deepStrictEqual([...ex.timeToSampleIndices([0.05, 0.26])], [1, 5]);
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("open() with more or fewer CSV rows than frames warns once with both numbers and uses the smaller", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    for (const rows of [70, 40]) {
      await Deno.writeTextFile(
        join(dir, "timeStamps.csv"),
        timestampsCsv({ frames: rows, ...sample.timestamps }),
      );
      const w = warnings();
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        onWarning: w.onWarning,
      });
      deepStrictEqual(w.list.length, 1);
      assert.match(w.list[0]!, containing(`has ${rows} rows but the videos hold 58 frames`));
      deepStrictEqual(ex.getNumSamples(), Math.min(rows, 58));
      deepStrictEqual(ex.getTimestamps().length, Math.min(rows, 58));
      const last = ex.getNumSamples() - 1;
      assertBytesEqual((await ex.getSamples([last])).data, expectedFrames([last], 48, 40));
    }
  } finally {
    await removeCopy(dir);
  }
});

Deno.test({
  name:
    "getFiles() gives each video's path, first sample and samples, counted within a slice and cut at the last time stamp",
  permissions: { read: true, write: true, run: ["ffmpeg"] },
  fn: async () => {
    await using ex = await open();
    deepStrictEqual(ex.getFiles(), [
      { path: sampleFiles[0], firstSample: 0, samples: 24 },
      { path: sampleFiles[1], firstSample: 24, samples: 24 },
      { path: sampleFiles[2], firstSample: 48, samples: 10 },
    ]);
    // A file's first and last samples are its first and last frames, by an independent decode.
    for (const { path, firstSample, samples } of ex.getFiles()) {
      const own = await ffmpegDecodeAll([path]);
      const { data } = await ex.getSamples([firstSample, firstSample + samples - 1]);
      assertBytesEqual(data.subarray(0, FRAME), own.subarray(0, FRAME), `${path} first`);
      assertBytesEqual(data.subarray(FRAME), own.subarray((samples - 1) * FRAME), `${path} last`);
    }
    const slice = ex.sliceSamples(20, 50);
    deepStrictEqual(slice.getFiles(), [
      { path: sampleFiles[0], firstSample: 0, samples: 4 },
      { path: sampleFiles[1], firstSample: 4, samples: 24 },
      { path: sampleFiles[2], firstSample: 28, samples: 2 },
    ]);
    assertBytesEqual((await slice.getSamples([4])).data, expectedFrames([24], 48, 40));
    deepStrictEqual(ex.sliceSamples(30, 40).getFiles(), [
      { path: sampleFiles[1], firstSample: 0, samples: 10 },
    ]);
    deepStrictEqual(ex.sliceSamples(30, 30).getFiles(), []);
    // With 40 rows, 1.avi has 16 samples and 2.avi none: it is left out.
    const dir = await copyFixture(SAMPLE);
    try {
      await Deno.writeTextFile(
        join(dir, "timeStamps.csv"),
        timestampsCsv({ frames: 40, ...sample.timestamps }),
      );
      await using cut = await open(dir);
      deepStrictEqual(cut.getFiles(), [
        { path: join(dir, "0.avi"), firstSample: 0, samples: 24 },
        { path: join(dir, "1.avi"), firstSample: 24, samples: 16 },
      ]);
      deepStrictEqual(cut.getFileFrameCounts(), [24, 24, 10]);
    } finally {
      await removeCopy(dir);
    }
  },
});

Deno.test("open() rejects a CSV with fewer than two rows, naming it", async () => {
  const dir = await copyFixture(SAMPLE);
  const csv = join(dir, "timeStamps.csv");
  try {
    await Deno.writeTextFile(csv, timestampsCsv({ frames: 1 }));
    await rejects(
      () => open(dir),
      errorWith(MalformedRecordingError, `Cannot read "${csv}": at least 2 time stamps`),
    );
    await Deno.writeTextFile(csv, "Frame Number,Time Stamp (ms),Buffer Index\n");
    await rejects(
      () => open(dir),
      errorWith(MalformedRecordingError, `"${csv}": it has a header but no rows`),
    );
    await Deno.writeTextFile(csv, "Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,x,0\n");
    await rejects(
      () => open(dir),
      errorWith(MalformedRecordingError, `"${csv}": line 3, column 2`),
    );
    // Two rows are enough, where the reference fails.
    await Deno.writeTextFile(csv, "Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,50,0\n");
    deepStrictEqual((await open(dir)).getSamplingFrequency(), 20);
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("open() rejects a file whose frame shape differs and a colour video, naming each", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.copyFile(join(ODD, "other_shape.avi"), join(dir, "1.avi"));
    const error = await open(dir).catch((e: unknown) => e);
    assert(error instanceof MalformedRecordingError, String(error));
    assert.match(error.message, containing(`"${join(dir, "1.avi")}": its frames are 40x48`));
    assert.match(error.message, /all files must agree/);
    await Deno.copyFile(join(ODD, "colour.avi"), join(dir, "1.avi"));
    await rejects(
      () => open(dir),
      errorWith(MalformedRecordingError, `"${join(dir, "1.avi")}": it is a colour video`),
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a video that decodes to fewer frames than its container holds is an error with both counts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_short_" });
  const path = join(dir, "0.avi");
  try {
    // A timestamp gap makes the muxer write an empty chunk: 13 index entries, 12 pictures.
    await encodeTestPattern(path, {
      size: "48x40",
      frames: 12,
      pixelFormat: "gray",
      extra: ["-vf", "setpts=N+gte(N\\,5)", "-vsync", "passthrough", "-g", "12"],
    });
    await Deno.writeTextFile(join(dir, "timeStamps.csv"), timestampsCsv({ frames: 13 }));
    await using ex = await open(dir);
    deepStrictEqual(ex.getNumSamples(), 13);
    await rejects(
      () => ex.getSeries(),
      errorWith(
        MalformedRecordingError,
        `"${path}": it decodes to only 12 frames but its container holds 13`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a frame that fails to decode stops the read with ffmpeg's error instead of shifting frames", async () => {
  const { FfmpegError } = await import("../mod.ts");
  const dir = await copyFixture(SAMPLE);
  const path = join(dir, "0.avi");
  try {
    const bytes = await Deno.readFile(path);
    const at = frameChunkOffset(bytes, 5);
    const size = new DataView(bytes.buffer).getUint32(at + 4, true);
    bytes.fill(0xff, at + 8, at + 8 + size);
    await Deno.writeFile(path, bytes);
    await using ex = await open(dir);
    const error = await ex.getSeries(0, 10).catch((e: unknown) => e);
    assert(error instanceof FfmpegError, String(error));
    assert.match(error.message, containing(`Cannot decode "${path}"`));
    assert.match(error.message, /ffmpeg exited with code/);
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("open() warns once that configurationFilePath is deprecated and ignored", async () => {
  const w = warnings();
  await MiniscopeImagingExtractor.open({
    folderPath: SAMPLE,
    configurationFilePath: join(SAMPLE, "metaData.json"),
    onWarning: w.onWarning,
  });
  deepStrictEqual(w.list, [
    "configurationFilePath is deprecated and ignored; metaData.json is not needed to read",
  ]);
});

Deno.test("reading with an ffmpegPath that does not exist says to install ffmpeg", async () => {
  await using ex = await open(SAMPLE, { ffmpegPath: "/nonexistent/ffmpeg" });
  const error = await ex.getSeries(0, 1).catch((e: unknown) => e);
  assert(error instanceof Deno.errors.NotFound, String(error));
  assert.match(error.message, containing('Cannot run "/nonexistent/ffmpeg": ffmpeg was not found'));
  assert.match(error.message, /apt-get install -y ffmpeg/);
});

Deno.test("files named with spaces, commas, quotes, a leading '-' and protocol prefixes are plain files to ffmpeg", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope names " });
  try {
    for (const name of ["-i", "concat:x", "pipe:0", "http:", "a, b 'c' \"d\" é"]) {
      const dir = join(root, name);
      await Deno.mkdir(dir);
      for (const file of ["0.avi", "1.avi", "timeStamps.csv"]) {
        await Deno.copyFile(join(V1, file), join(dir, file));
      }
      const odd = join(dir, "-0.avi");
      await Deno.rename(join(dir, "0.avi"), odd);
      await using ex = await MiniscopeImagingExtractor.open({
        filePaths: [odd, join(dir, "1.avi")],
        timestampsPath: join(dir, "timeStamps.csv"),
      });
      assertBytesEqual((await ex.getSeries()).data, expectedFrames(range(0, 19), 32, 24, 11), name);
      assertBytesEqual((await ex.getSamples([14])).data, expectedFrames([14], 32, 24, 11), name);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateMiniscopeFiles() accepts existing files and names what is wrong otherwise", async () => {
  const files = sampleFiles;
  await MiniscopeImagingExtractor.validateMiniscopeFiles(files, join(SAMPLE, "timeStamps.csv"));
  await MiniscopeImagingExtractor.validateMiniscopeFiles(files);
  await rejects(
    () => MiniscopeImagingExtractor.validateMiniscopeFiles([]),
    errorWith(TypeError, "empty"),
  );
  await rejects(
    () => MiniscopeImagingExtractor.validateMiniscopeFiles([join(SAMPLE, "9.avi")]),
    errorWith(Deno.errors.NotFound, join(SAMPLE, "9.avi")),
  );
  await rejects(
    () => MiniscopeImagingExtractor.validateMiniscopeFiles([join(SAMPLE, "metaData.json")]),
    errorWith(TypeError, "metaData.json"),
  );
  await rejects(
    () => MiniscopeImagingExtractor.validateMiniscopeFiles(files, join(SAMPLE, "none.csv")),
    errorWith(Deno.errors.NotFound, "none.csv"),
  );
  await rejects(
    () => MiniscopeImagingExtractor.validateMiniscopeFiles(files, join(SAMPLE, "metaData.json")),
    errorWith(TypeError, "must end in .csv"),
  );
});

Deno.test("loadMiniscopeConfig() parses metaData.json and names the file when it is missing or invalid", async () => {
  const config = await MiniscopeImagingExtractor.loadMiniscopeConfig(
    join(SAMPLE, "..", "metaData.json"),
  );
  deepStrictEqual(
    (config.recordingStartTime as Record<string, number>).msecSinceEpoch,
    1663579121007,
  );
  await rejects(
    () => MiniscopeImagingExtractor.loadMiniscopeConfig(join(SAMPLE, "no.json")),
    errorWith(Deno.errors.NotFound, "no.json"),
  );
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, '{"a": 1,}');
    await rejects(
      () => MiniscopeImagingExtractor.loadMiniscopeConfig(path),
      errorWith(MalformedRecordingError, `"${path}": it is not valid JSON at line 1, column 9`),
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a recording whose files carry only OpenDML indexes reads and seeks exactly", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    for (const name of ["0.avi", "1.avi", "2.avi"]) {
      await Deno.writeFile(join(dir, name), toOpenDml(await Deno.readFile(join(SAMPLE, name))));
    }
    await using ex = await open(dir);
    deepStrictEqual(ex.getNumSamples(), 58);
    const files = [0, 1, 2].map((i) => join(dir, `${i}.avi`));
    assertBytesEqual((await ex.getSeries()).data, await ffmpegDecodeAll(files), "against ffmpeg");
    const indices = [57, 13, 1, 30, 0, 25];
    assertBytesEqual((await ex.getSamples(indices)).data, expectedFrames(indices, 48, 40));
  } finally {
    await removeCopy(dir);
  }
});

/** Cuts `file` of a copied device inside frame `keep`, so frames 0 to keep - 1 stay complete. */
async function cutInsideFrame(dir: string, file: string, keep: number): Promise<void> {
  const path = join(dir, file);
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, frameChunkOffset(bytes, keep) + 20));
}

Deno.test("a file cut short in the middle keeps each file's own time stamps, names the file and the frames lost", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    // 1.avi (rows 24 to 47) keeps 14 of its 24 frames; 2.avi still starts at row 48.
    await cutInsideFrame(dir, "1.avi", 14);
    const w = warnings();
    const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w.onWarning });
    const kept = [...range(0, 38), ...range(48, 58)];
    deepStrictEqual(ex.getNumSamples(), 48);
    const stamps = timestampsMs({ frames: 58, ...sample.timestamps });
    deepStrictEqual([...ex.getNativeTimestamps()!], kept.map((row) => stamps[row]! / 1000));
    assert(
      w.list.some((m) =>
        m.includes(`"${join(dir, "1.avi")}" holds 14 frames`) &&
        m.includes("its last 10 frames are lost")
      ),
      w.list.join("\n"),
    );
    assert(!w.list.some((m) => m.includes("row k belongs to frame k")), w.list.join("\n"));
    deepStrictEqual(ex.getFrameCounts(), { video: 48, timestamps: 58, lostInFiles: 10 });
    // The frames are the generated frames of the kept rows, byte for byte.
    assertBytesEqual((await ex.getSeries()).data, expectedFrames(kept, 48, 40));
    assertBytesEqual(
      (await ex.getSamples([47, 38, 37])).data,
      expectedFrames([57, 48, 37], 48, 40),
    );
    // The lost frames are reported as lost from the file, not as frames the acquisition dropped.
    const dropped = ex.getDroppedFrames()!;
    deepStrictEqual(dropped.lostInFiles, [{
      afterSample: 37,
      missing: 10,
      file: join(dir, "1.avi"),
    }]);
    deepStrictEqual(dropped.count, 1);
    deepStrictEqual(dropped.gaps.map((g) => g.afterSample), [30]);
    deepStrictEqual(dropped.daqCount, 1);
    // The frequency comes from the rows as acquired, as for the whole recording.
    deepStrictEqual(ex.getSamplingFrequency(), (await open(SAMPLE)).getSamplingFrequency());
    // A slice after the cut keeps the right times; one across it reports the lost frames.
    deepStrictEqual([...ex.sliceSamples(40, 42).getNativeTimestamps()!], [
      stamps[50]! / 1000,
      stamps[51]! / 1000,
    ]);
    deepStrictEqual(ex.sliceSamples(36, 40).getDroppedFrames()!.lostInFiles[0]!.afterSample, 1);
    deepStrictEqual(ex.sliceSamples(40, 48).getDroppedFrames()!.lostInFiles, []);
    // Files given explicitly are the numbered files of the device folder: the same rule.
    const files = await MiniscopeImagingExtractor.open({
      filePaths: [0, 1, 2].map((i) => join(dir, `${i}.avi`)),
      onWarning: () => {},
    });
    deepStrictEqual([...files.getNativeTimestamps()!], [...ex.getNativeTimestamps()!]);
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("files that disagree with framesPerFile (two cut, one too long) fall back to row k = frame k with a warning saying so", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await cutInsideFrame(dir, "0.avi", 20);
    await cutInsideFrame(dir, "1.avi", 14);
    const w = warnings();
    const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w.onWarning });
    assert(
      w.list.some((m) =>
        m.includes("disagree with framesPerFile 24") && m.includes("2 files before the last") &&
        m.includes(join(dir, "0.avi")) && m.includes(join(dir, "1.avi"))
      ),
      w.list.join("\n"),
    );
    deepStrictEqual(ex.getNumSamples(), 44);
    const stamps = timestampsMs({ frames: 58, ...sample.timestamps });
    deepStrictEqual([...ex.getNativeTimestamps()!], stamps.slice(0, 44).map((ms) => ms / 1000));
    deepStrictEqual(ex.getFrameCounts().lostInFiles, 0);

    // A file longer than framesPerFile: the metadata does not describe these files.
    const meta = JSON.parse(await Deno.readTextFile(join(dir, "metaData.json")));
    await Deno.writeTextFile(
      join(dir, "metaData.json"),
      JSON.stringify({ ...meta, framesPerFile: 16 }),
    );
    const w2 = warnings();
    await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w2.onWarning });
    assert(
      w2.list.some((m) => m.includes("disagree with framesPerFile 16") && m.includes("hold more")),
      w2.list.join("\n"),
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("files given explicitly that are not a device's numbered files keep row k = frame k", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await cutInsideFrame(dir, "1.avi", 14);
    await Deno.rename(join(dir, "1.avi"), join(dir, "b.avi"));
    const ex = await MiniscopeImagingExtractor.open({
      filePaths: [join(dir, "0.avi"), join(dir, "b.avi"), join(dir, "2.avi")],
      onWarning: () => {},
    });
    const stamps = timestampsMs({ frames: 58, ...sample.timestamps });
    deepStrictEqual([...ex.getNativeTimestamps()!], stamps.slice(0, 48).map((ms) => ms / 1000));
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a file in the middle that kept only its header loses all its frames, named as that file's", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    const bytes = await Deno.readFile(join(dir, "1.avi"));
    await Deno.writeFile(join(dir, "1.avi"), bytes.subarray(0, frameChunkOffset(bytes, 0)));
    const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: () => {} });
    const kept = [...range(0, 24), ...range(48, 58)];
    const stamps = timestampsMs({ frames: 58, ...sample.timestamps });
    deepStrictEqual([...ex.getNativeTimestamps()!], kept.map((row) => stamps[row]! / 1000));
    deepStrictEqual(ex.getDroppedFrames()!.lostInFiles, [
      { afterSample: 23, missing: 24, file: join(dir, "1.avi") },
    ]);
    assertBytesEqual(
      (await ex.getSeries(20, 28)).data,
      expectedFrames([...range(20, 24), ...range(48, 52)], 48, 40),
    );
  } finally {
    await removeCopy(dir);
  }
});
