// Broken recordings: each ends in a clear error naming the file, or in correct frames with a
// warning that gives the numbers; never wrong pixels or a leftover ffmpeg.
import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { FfmpegError, MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import { FIXTURES, timestampsCsv } from "../testdata/make_fixtures.ts";
import {
  assertBytesEqual,
  containing,
  copyFixture,
  endingWith,
  errorWith,
  expectedFrames,
  ffmpegProcessesMentioning,
  frameChunkOffset,
  range,
  removeCopy,
  SAMPLE,
  warnings,
} from "./_helpers.ts";

const { sample } = FIXTURES;

async function withCopy(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await copyFixture(SAMPLE);
  try {
    await fn(dir);
  } finally {
    await removeCopy(dir);
  }
}

function openQuiet(dir: string, liveDecoders = true) {
  return MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: () => {}, liveDecoders });
}

Deno.test("a zero-byte video is an error naming it", () =>
  withCopy(async (dir) => {
    await Deno.writeFile(join(dir, "1.avi"), new Uint8Array());
    await rejects(
      () => openQuiet(dir),
      errorWith(
        MalformedRecordingError,
        `Cannot read "${join(dir, "1.avi")}": the file is empty (0 bytes)`,
      ),
    );
  }));

Deno.test("random bytes named .avi are an error naming the file", () =>
  withCopy(async (dir) => {
    const noise = new Uint8Array(20_000).map((_, i) => (i * 2654435761) >>> 24);
    await Deno.writeFile(join(dir, "0.avi"), noise);
    await rejects(
      () => openQuiet(dir),
      errorWith(MalformedRecordingError, `"${join(dir, "0.avi")}": it is not an AVI file`),
    );
  }));

Deno.test("a last file cut in half (a crashed recording) keeps its complete frames readable, with the numbers in a warning", () =>
  withCopy(async (dir) => {
    const path = join(dir, "2.avi");
    const bytes = await Deno.readFile(path);
    // Cut inside frame 6, as a crash while writing it would: frames 0 to 5 are complete.
    await Deno.writeFile(path, bytes.subarray(0, frameChunkOffset(bytes, 6) + 20));
    const w = warnings();
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      onWarning: w.onWarning,
    });
    const present = ex.getNumSamples() - 48;
    deepStrictEqual(present, 6);
    assert(
      w.list.some((m) => m.includes(path) && m.includes(`${present} complete frames were found`)),
      w.list.join("\n"),
    );
    assert(w.list.some((m) => m.includes(`videos hold ${48 + present} frames`)), w.list.join("\n"));
    const n = ex.getNumSamples();
    assertBytesEqual((await ex.getSeries()).data, expectedFrames(range(0, n), 48, 40));
    assertBytesEqual((await ex.getSamples([n - 1, 49])).data, expectedFrames([n - 1, 49], 48, 40));
  }));

Deno.test("a header that claims more frames than the file holds is read by its index, with a warning", () =>
  withCopy(async (dir) => {
    const path = join(dir, "0.avi");
    const bytes = await Deno.readFile(path);
    const strh = new TextDecoder("latin1").decode(bytes.subarray(0, 4096)).indexOf("strh");
    new DataView(bytes.buffer).setUint32(strh + 8 + 32, 240, true);
    await Deno.writeFile(path, bytes);
    const w = warnings();
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      onWarning: w.onWarning,
    });
    deepStrictEqual(ex.getNumSamples(), 58);
    deepStrictEqual(w.list, [`"${path}": its header claims 240 frames but only 24 are present`]);
    assertBytesEqual((await ex.getSeries(20, 30)).data, expectedFrames(range(20, 30), 48, 40));
  }));

Deno.test("an empty timeStamps.csv and one with an unknown header are errors naming it", () =>
  withCopy(async (dir) => {
    const csv = join(dir, "timeStamps.csv");
    await Deno.writeTextFile(csv, "");
    await rejects(
      () => openQuiet(dir),
      errorWith(MalformedRecordingError, `"${csv}": the file is empty`),
    );
    await Deno.writeTextFile(csv, "frame,ms\n0,1\n");
    await rejects(
      () => openQuiet(dir),
      errorWith(MalformedRecordingError, `"${csv}": line 1 is not a Miniscope timestamps header`),
    );
  }));

Deno.test("a timeStamps.csv with CRLF endings, a byte-order mark and trailing blank lines reads as the plain one", () =>
  withCopy(async (dir) => {
    await using plain = await openQuiet(dir);
    const text = timestampsCsv({ frames: 58, ...sample.timestamps });
    await Deno.writeTextFile(
      join(dir, "timeStamps.csv"),
      "\ufeff" + text.replaceAll("\n", "\r\n") + "\r\n\r\n",
    );
    await using odd = await openQuiet(dir);
    deepStrictEqual([...odd.getTimestamps()], [...plain.getTimestamps()]);
    deepStrictEqual(odd.getSamplingFrequency(), plain.getSamplingFrequency());
  }));

Deno.test("an invalid or non-object metaData.json is an error giving the file and position", () =>
  withCopy(async (dir) => {
    const path = join(dir, "metaData.json");
    await Deno.writeTextFile(path, '{\n    "ROI": {\n        "height": 40,\n    }\n}\n');
    await rejects(
      () => MiniscopeImagingExtractor.loadMiniscopeConfig(path),
      errorWith(MalformedRecordingError, `"${path}": it is not valid JSON at line 4, column 5`),
    );
    await Deno.writeTextFile(path, "[]");
    await rejects(
      () => MiniscopeImagingExtractor.loadMiniscopeConfig(path),
      errorWith(MalformedRecordingError, "top level is an array"),
    );
    await Deno.remove(path);
    await rejects(
      () => MiniscopeImagingExtractor.loadMiniscopeConfig(path),
      errorWith(Deno.errors.NotFound, path),
    );
  }));

Deno.test("ffmpeg failing mid-stream ends the stream with its error after the good frames, and is reaped", () =>
  withCopy(async (dir) => {
    const path = join(dir, "1.avi");
    const bytes = await Deno.readFile(path);
    const at = frameChunkOffset(bytes, 6);
    bytes.fill(0xff, at + 8, at + 8 + new DataView(bytes.buffer).getUint32(at + 4, true));
    await Deno.writeFile(path, bytes);
    await using ex = await openQuiet(dir);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const frame of ex.stream({ start: 20 })) {
        assertBytesEqual(
          frame.data,
          expectedFrames([frame.index], 48, 40),
          `frame ${frame.index}`,
        );
        seen.push(frame.index);
      }
    })().catch((e: unknown) => e);
    assert(error instanceof FfmpegError, String(error));
    assert.match(error.message, containing(`Cannot decode "${path}"`));
    assert(seen.length >= 4 && seen.every((index) => index < 30), `seen ${seen.join(",")}`);
    assert.match(error.message, /ffmpeg exited with code/);
    // The decoder kept alive for the first file ends with the extractor.
    await ex.close();
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  }));

Deno.test("aborting a stream mid-frame rejects with the abort reason and stops ffmpeg at once", () =>
  withCopy(async (dir) => {
    for (const liveDecoders of [false, true]) {
      await using ex = await openQuiet(dir, liveDecoders);
      const controller = new AbortController();
      const iterator = ex.stream({ signal: controller.signal })[Symbol.asyncIterator]();
      deepStrictEqual((await iterator.next()).value?.index, 0);
      const pending = iterator.next();
      controller.abort(new Error("stopped by the test"));
      await rejects(() => pending, errorWith(Error, "stopped by the test"));
      // A decoder kept alive between reads belongs to the extractor, and ends with it.
      if (liveDecoders) await ex.close();
      deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
    }
    await using ex = await openQuiet(dir);
    const before = new AbortController();
    before.abort(new Error("aborted before"));
    await rejects(async () => {
      for await (const _ of ex.stream({ signal: before.signal })) { /* never */ }
    }, errorWith(Error, "aborted before"));
  }));

Deno.test("a damaged chunk header is an error naming the file and frame, not other pixels", () =>
  withCopy(async (dir) => {
    const path = join(dir, "0.avi");
    const bytes = await Deno.readFile(path);
    const at = frameChunkOffset(bytes, 4);
    bytes[at + 3] = 0; // the chunk id "00dc" becomes "00d\0"
    bytes[at + 4] = 5; // and its size 5 bytes: ffmpeg would decode a cut packet without error
    await Deno.writeFile(path, bytes);
    await using ex = await openQuiet(dir);
    const message = `"${path}": frame 4 is damaged: its chunk header at byte ${at}`;
    await rejects(() => ex.getSeries(), errorWith(MalformedRecordingError, message));
    await rejects(() => ex.getSamples([7]), errorWith(MalformedRecordingError, message));
    await rejects(async () => {
      for await (const _ of ex.stream()) { /* */ }
    }, errorWith(MalformedRecordingError, message));
    // Frames before the damage, up to the keyframe before it, still read.
    assertBytesEqual((await ex.getSeries(0, 4)).data, expectedFrames(range(0, 4), 48, 40));
    // The second file is not affected.
    assertBytesEqual((await ex.getSamples([30])).data, expectedFrames([30], 48, 40));
  }));

Deno.test("a timeStamps.csv with CR-only line ends reads as the plain one", () =>
  withCopy(async (dir) => {
    const plain = await openQuiet(dir);
    const text = timestampsCsv({ frames: 58, ...sample.timestamps });
    await Deno.writeTextFile(join(dir, "timeStamps.csv"), text.replaceAll("\n", "\r"));
    const cr = await openQuiet(dir);
    deepStrictEqual([...cr.getTimestamps()], [...plain.getTimestamps()]);
    deepStrictEqual(cr.getSamplingFrequency(), plain.getSamplingFrequency());
  }));

Deno.test("a stamp of 1e400 is called not a finite number, with the file, line and column", () =>
  withCopy(async (dir) => {
    const path = join(dir, "timeStamps.csv");
    const lines = timestampsCsv({ frames: 58, ...sample.timestamps }).split("\n");
    lines[5] = "4,1e400,0,5";
    await Deno.writeTextFile(path, lines.join("\n"));
    await rejects(
      () => openQuiet(dir),
      errorWith(
        MalformedRecordingError,
        `"${path}": line 6, column 2 ("Time Stamp (ms)") is not a finite number: "1e400"`,
      ),
    );
  }));

Deno.test("a clock that steps back is a warning naming the CSV line and frame number", () =>
  withCopy(async (dir) => {
    const path = join(dir, "timeStamps.csv");
    const lines = timestampsCsv({ frames: 58, ...sample.timestamps }).split("\n");
    // Frame number 20 (CSV line 22) gets a stamp 100 ms before that of frame 19.
    const cells = lines[21]!.split(",");
    const before = Number(lines[20]!.split(",")[1]);
    cells[1] = String(before - 100);
    lines[21] = cells.join(",");
    await Deno.writeTextFile(path, lines.join("\n"));
    const w = warnings();
    const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w.onWarning });
    assert(
      w.list.some((m) =>
        m.includes(path) && m.includes("the clock steps back 1 time:") &&
        m.includes(`CSV line 22 (frame number 20), ${before - 100} ms after ${before} ms (-100 ms)`)
      ),
      w.list.join("\n"),
    );
    deepStrictEqual(ex.getDroppedFrames()!.stepsBack, [{ afterSample: 19, intervalMs: -100 }]);
    deepStrictEqual(ex.getNumSamples(), 58);
  }));

Deno.test("hidden files (macOS ._0.avi, ._timeStamps.csv, .DS_Store) are skipped with one warning naming them", () =>
  withCopy(async (dir) => {
    // An AppleDouble file: a small header, not a video.
    const appleDouble = new Uint8Array([0, 5, 22, 7, 0, 2, 0, 0, ...new Array(74).fill(0)]);
    await Deno.writeFile(join(dir, "._0.avi"), appleDouble);
    await Deno.writeFile(join(dir, "._timeStamps.csv"), appleDouble);
    await Deno.writeFile(join(dir, ".DS_Store"), appleDouble);
    const w = warnings();
    const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w.onWarning });
    const hidden = w.list.filter((m) => m.includes("hidden"));
    deepStrictEqual(hidden.length, 1, w.list.join("\n"));
    assert.match(hidden[0]!, containing(`"${dir}"`));
    assert.match(hidden[0]!, endingWith(": .DS_Store, ._0.avi, ._timeStamps.csv"));
    deepStrictEqual(ex.getNumSamples(), 58);
    assertBytesEqual((await ex.getSeries(20, 30)).data, expectedFrames(range(20, 30), 48, 40));
  }));

Deno.test("stray video names (00.avi, 1.AVI) keep a clear error naming the file", async () => {
  for (const stray of ["00.avi", "1.AVI"]) {
    await withCopy(async (dir) => {
      await Deno.copyFile(join(dir, "0.avi"), join(dir, stray));
      await rejects(
        () => openQuiet(dir),
        errorWith(MalformedRecordingError, `"${join(dir, stray)}": unexpected video file name`),
      );
    });
  }
});
