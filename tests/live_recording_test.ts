// A recording still being written (or copied while it was): the newest video is empty, only a
// header, or has its RIFF sizes still at the writer's placeholder zeros, and the last CSV row
// may be cut. What is complete reads exactly, with warnings; nothing else is guessed.
import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import { FIXTURES, timestampsCsv, timestampsMs } from "../testdata/make_fixtures.ts";
import {
  assertBytesEqual,
  copyFixture,
  errorWith,
  expectedFrames,
  frameChunkOffset,
  range,
  removeCopy,
  SAMPLE,
  warnings,
} from "./_helpers.ts";

const { sample } = FIXTURES;
const STAMPS = timestampsMs({ frames: 58, ...sample.timestamps });

/** The sample device as it is while 1.avi is being written: 2.avi not yet there. */
async function liveCopy(
  newest: (bytes: Uint8Array) => Uint8Array,
  csvRows: number,
  partialRow: string,
): Promise<string> {
  const dir = await copyFixture(SAMPLE);
  await Deno.remove(join(dir, "2.avi"));
  const bytes = await Deno.readFile(join(dir, "1.avi"));
  await Deno.writeFile(join(dir, "1.avi"), newest(bytes));
  const lines = timestampsCsv({ frames: 58, ...sample.timestamps }).split("\n");
  await Deno.writeTextFile(
    join(dir, "timeStamps.csv"),
    lines.slice(0, csvRows + 1).join("\n") + "\n" + partialRow,
  );
  return dir;
}

/** The first `frames` frames of an AVI with the RIFF and movi sizes a writer leaves open. */
function unfinished(bytes: Uint8Array, frames: number): Uint8Array {
  const out = bytes.slice(0, frameChunkOffset(bytes, frames));
  const view = new DataView(out.buffer);
  const movi = new TextDecoder("latin1").decode(out).indexOf("movi");
  view.setUint32(4, 0, true);
  view.setUint32(movi - 4, 0, true);
  return out;
}

async function openAndCheck(dir: string, samples: number): Promise<string[]> {
  const w = warnings();
  const ex = await MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: w.onWarning });
  deepStrictEqual(ex.getNumSamples(), samples);
  deepStrictEqual([...ex.getNativeTimestamps()!], STAMPS.slice(0, samples).map((ms) => ms / 1000));
  assertBytesEqual((await ex.getSeries()).data, expectedFrames(range(0, samples), 48, 40));
  const ends = [samples - 1, 0, samples - 2];
  assertBytesEqual((await ex.getSamples(ends)).data, expectedFrames(ends, 48, 40));
  return w.list;
}

Deno.test("an empty newest video (0 bytes) is left out with a warning; the files before it read exactly", async () => {
  const dir = await liveCopy(() => new Uint8Array(), 25, "25,8");
  try {
    const list = await openAndCheck(dir, 24);
    assert(
      list.some((m) =>
        m.includes(`"${join(dir, "1.avi")}": the file is empty`) && m.includes("it is left out")
      ),
      list.join("\n"),
    );
    assert(list.some((m) => m.includes("its last row is incomplete")), list.join("\n"));
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a newest video that is only a header, sizes not final, is left out with a warning", async () => {
  const dir = await liveCopy((bytes) => unfinished(bytes, 0), 24, "");
  try {
    const list = await openAndCheck(dir, 24);
    assert(
      list.some((m) => m.includes(`"${join(dir, "1.avi")}": `) && m.includes("it is left out")),
      list.join("\n"),
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a newest video whose RIFF sizes are not final reads up to its last complete frame, and a half-written last CSV row is left out", async () => {
  // 1.avi holds 6 complete frames and part of a 7th; the CSV has rows up to frame 31 and half
  // of the row of frame 32.
  const dir = await liveCopy((bytes) => unfinished(bytes, 6).slice(), 32, "32,10");
  try {
    const path = join(dir, "1.avi");
    const bytes = await Deno.readFile(path);
    const more = (await Deno.readFile(join(SAMPLE, "1.avi"))).subarray(
      bytes.length,
      bytes.length + 30,
    );
    await Deno.writeFile(path, new Uint8Array([...bytes, ...more]));
    const list = await openAndCheck(dir, 30);
    assert(
      list.some((m) => m.includes(`"${path}": its RIFF sizes are not final`)),
      list.join("\n"),
    );
    assert(
      list.some((m) =>
        m.includes(join(dir, "timeStamps.csv")) && m.includes("its last row is incomplete") &&
        m.includes('"10"') === false && m.includes("line 34")
      ),
      list.join("\n"),
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("an empty file in the middle, or an empty only file, stays an error naming it", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.writeFile(join(dir, "1.avi"), new Uint8Array());
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: () => {} }),
      errorWith(MalformedRecordingError, `"${join(dir, "1.avi")}": the file is empty`),
    );
    await Deno.remove(join(dir, "1.avi"));
    await Deno.remove(join(dir, "2.avi"));
    await Deno.writeFile(join(dir, "0.avi"), new Uint8Array());
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: dir, onWarning: () => {} }),
      errorWith(MalformedRecordingError, `"${join(dir, "0.avi")}": the file is empty`),
    );
  } finally {
    await removeCopy(dir);
  }
});
