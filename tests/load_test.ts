// Load: many extractors at once, streams broken off and aborted, a storm of random reads;
// afterwards every frame was right and no ffmpeg of ours is left (the sanitizers check the rest).
import { deepStrictEqual } from "node:assert/strict";
import { MiniscopeImagingExtractor } from "../mod.ts";
import {
  assertBytesEqual,
  copyFixture,
  expectedFrames,
  ffmpegProcessesMentioning,
  range,
  removeCopy,
  SAMPLE,
} from "./_helpers.ts";

Deno.test("8 extractors reading at once, with broken and aborted streams and random reads, leave no ffmpeg behind", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    let seed = 99;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let checked = 0;
    await Promise.all(
      range(0, 8).map(async (worker) => {
        await using ex = await MiniscopeImagingExtractor.open({
          folderPath: dir,
          concurrency: 2,
          onWarning: () => {},
        });
        // A full read.
        assertBytesEqual((await ex.getSeries()).data, expectedFrames(range(0, 58), 48, 40));
        // A stream broken off early.
        for await (const frame of ex.stream({ start: worker })) {
          if (frame.index === worker + 3) break;
        }
        // A stream aborted while a frame is being read.
        const controller = new AbortController();
        const iterator = ex.stream({ start: 10, signal: controller.signal })
          [Symbol.asyncIterator]();
        await iterator.next();
        const pending = iterator.next();
        controller.abort(new Error("abort"));
        await pending.then(() => {}, () => {});
        // A storm of random reads.
        const reads = range(0, 12).map(() => range(0, 1 + random(5)).map(() => random(58)));
        await Promise.all(reads.map(async (indices) => {
          assertBytesEqual((await ex.getSamples(indices)).data, expectedFrames(indices, 48, 40));
          checked += indices.length;
        }));
      }),
    );
    deepStrictEqual(checked > 8 * 12, true);
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  } finally {
    await removeCopy(dir);
  }
});
