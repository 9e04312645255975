// A file of an opened recording that changes afterwards: replaced (same size, other frames),
// rewritten in place, truncated or deleted. Every read then fails naming the file, frames
// kept from earlier reads included; none mixes the old frames with the new.
import { join } from "node:path";
import { deepStrictEqual, rejects } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import { writeVideo } from "../src/sample.ts";
import { CODECS } from "../testdata/make_fixtures.ts";
import { makeFrame } from "../testdata/frames.ts";
import {
  assertBytesEqual,
  copyFixture,
  errorWith,
  expectedFrames,
  frameChunkOffset,
  range,
  removeCopy,
  SAMPLE,
  TESTDATA,
  warnings,
} from "./_helpers.ts";

const { width: W, height: H, framesPerFile: PER_FILE } = CODECS;
/** Uncompressed frames: a file of other frames has the same size and the same index. */
const GREY = join(TESTDATA, "codecs", "GREY");

/** Frames `[first, first + count)` of other content, written as `path` (same size as before). */
async function otherFrames(path: string, first: number, count: number): Promise<void> {
  await writeVideo(path, {
    width: W,
    height: H,
    first,
    count,
    codec: "GREY",
    frame: (i) => makeFrame(i, W, H, 99),
  });
}

function changed(path: string) {
  return errorWith(MalformedRecordingError, `"${path}": it changed after the recording was opened`);
}

/** Every way a read can reach the frames of file 0: cache, decoder kept alive, new process. */
function reads(ex: MiniscopeImagingExtractor) {
  return [
    () => ex.getSamples([2]),
    () => ex.getSamples([3, 4]),
    () => ex.getSeries(0, 10),
    () => ex.getSeries(0, 30),
    async () => {
      for await (const _ of ex.stream({ start: 0, end: 30 })) { /* consume */ }
    },
    async () => {
      for await (const _ of ex.stream({ start: 0, end: 60, readAheadBytes: 0 })) { /* consume */ }
    },
  ];
}

for (const how of ["renamed over it", "rewritten in place", "rewritten in place, time kept"]) {
  Deno.test(`a video ${how} after open() (same size, other frames) fails every read naming it, cached frames included`, async () => {
    const dir = await copyFixture(GREY);
    try {
      const path = join(dir, "0.avi");
      await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
      // Fill the cache and start a decoder kept alive on file 0.
      assertBytesEqual((await ex.getSamples([2, 3, 4])).data, expectedFrames([2, 3, 4], W, H, 3));
      const before = await Deno.stat(path);
      if (how === "renamed over it") {
        await otherFrames(join(dir, "new.avi"), 0, PER_FILE);
        await Deno.rename(join(dir, "new.avi"), path);
      } else {
        await otherFrames(join(dir, "..", "new.avi"), 0, PER_FILE);
        if (how.endsWith("time kept")) {
          // The status change time, which no program can set back, is given to the second.
          const second = (ms: number) => Math.floor(ms / 1000);
          // (The file system's clock may lag the program's by a few milliseconds.)
          while (second(Date.now() - 100) <= second(before.ctime!.getTime())) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        await Deno.writeFile(path, await Deno.readFile(join(dir, "..", "new.avi")));
        // Even with the time set back, the same file holding other bytes is found.
        if (how.endsWith("time kept")) await Deno.utime(path, before.atime!, before.mtime!);
      }
      deepStrictEqual((await Deno.stat(path)).size, before.size);
      for (const read of reads(ex)) await rejects(read, changed(path));
      // File 1 is as it was: its frames still read exactly.
      assertBytesEqual((await ex.getSamples([40, 31])).data, expectedFrames([40, 31], W, H, 3));
    } finally {
      await removeCopy(dir);
    }
  });
}

Deno.test("a video truncated after open() fails every read naming it and both sizes", async () => {
  const dir = await copyFixture(GREY);
  try {
    const path = join(dir, "1.avi");
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
    await ex.getSamples([35, 36]);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, frameChunkOffset(bytes, 10)));
    for (const read of [() => ex.getSamples([35]), () => ex.getSeries(30, 60)]) {
      await rejects(read, changed(path));
      await rejects(read, errorWith(Error, `bytes now, ${bytes.length} then`));
    }
    assertBytesEqual((await ex.getSamples([5])).data, expectedFrames([5], W, H, 3));
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a video deleted after open() fails every read naming it, cached frames included", async () => {
  const dir = await copyFixture(GREY);
  try {
    const path = join(dir, "1.avi");
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
    await ex.getSamples([35, 36]);
    await Deno.remove(path);
    const uncached = [() => ex.getSamples([50]), () => ex.getSeries(40, 60, {}), async () => {
      for await (const _ of ex.stream({ start: 50, end: 60, readAheadBytes: 0 })) { /* consume */ }
    }];
    for (const read of [() => ex.getSamples([35]), () => ex.getSeries(30, 60), ...uncached]) {
      await rejects(
        read,
        errorWith(Deno.errors.NotFound, `Cannot read "${path}": it no longer exists`),
      );
    }
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("a timeStamps.csv replaced after open() changes nothing: it is read once, with the videos it matched", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
    const times = ex.getTimestamps();
    const dropped = ex.getDroppedFrames();
    await Deno.writeTextFile(
      join(dir, "timeStamps.csv"),
      "Frame Number,Time Stamp (ms),Buffer Index\n0,0,0\n1,5,0\n",
    );
    deepStrictEqual(ex.getTimestamps(), times);
    deepStrictEqual(ex.getDroppedFrames(), dropped);
    assertBytesEqual((await ex.getSeries(20, 30)).data, expectedFrames(range(20, 30), 48, 40));
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("the newest video of a recording still being written may grow after open(): its frames still read", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await Deno.remove(join(dir, "2.avi"));
    const path = join(dir, "1.avi");
    const whole = await Deno.readFile(path);
    // The first 6 frames of 1.avi, with the RIFF and movi sizes a writer leaves open.
    const partial = whole.slice(0, frameChunkOffset(whole, 6));
    const view = new DataView(partial.buffer);
    const movi = new TextDecoder("latin1").decode(partial).indexOf("movi");
    view.setUint32(4, 0, true);
    view.setUint32(movi - 4, 0, true);
    await Deno.writeFile(path, partial);
    const w = warnings();
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      onWarning: w.onWarning,
    });
    deepStrictEqual(ex.getNumSamples(), 30);
    assertBytesEqual((await ex.getSamples([26])).data, expectedFrames([26], 48, 40));
    // The writer appends the next frames.
    const file = await Deno.open(path, { append: true });
    await file.write(whole.subarray(partial.length, frameChunkOffset(whole, 9)));
    file.close();
    assertBytesEqual((await ex.getSeries(24, 30)).data, expectedFrames(range(24, 30), 48, 40));
    assertBytesEqual((await ex.getSamples([29, 25])).data, expectedFrames([29, 25], 48, 40));
    // A file put in its place is not the file that grows.
    await Deno.writeFile(join(dir, "other.avi"), whole);
    await Deno.rename(join(dir, "other.avi"), path);
    await rejects(() => ex.getSamples([27]), changed(path));
  } finally {
    await removeCopy(dir);
  }
});
