// Load: many extractors at once, streams broken off and aborted, a storm of random reads;
// afterwards every frame was right and no ffmpeg of ours is left (the sanitizers check the rest).
import { deepStrictEqual, strictEqual } from "node:assert/strict";
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

const FRAME = 48 * 40;

Deno.test("8 extractors reading at once, with broken and aborted streams and random reads, leave no ffmpeg behind", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    let seed = 99;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    // Frames asked for, counted from the plan of each worker, and frames compared with the
    // generator's, counted from what the module returned.
    let requested = 0;
    let verified = 0;
    const verify = (data: Uint8Array, indices: number[], what: string) => {
      assertBytesEqual(data, expectedFrames(indices, 48, 40), what);
      verified += data.length / FRAME;
    };
    await Promise.all(
      range(0, 8).map(async (worker) => {
        await using ex = await MiniscopeImagingExtractor.open({
          folderPath: dir,
          concurrency: 2,
          onWarning: () => {},
        });
        // A full read.
        requested += 58;
        verify((await ex.getSeries()).data, range(0, 58), `worker ${worker}: getSeries()`);
        // A stream broken off early.
        requested += 4;
        const seen: number[] = [];
        for await (const frame of ex.stream({ start: worker })) {
          seen.push(frame.index);
          verify(frame.data, [frame.index], `worker ${worker}: stream frame ${frame.index}`);
          if (frame.index === worker + 3) break;
        }
        deepStrictEqual(seen, range(worker, worker + 4));
        // A stream aborted while a frame is being read: it ends with the abort's reason, at
        // most after the frame that was on its way.
        requested += 1;
        const controller = new AbortController();
        const reason = new Error(`abort ${worker}`);
        const iterator = ex.stream({ start: 10, signal: controller.signal })
          [Symbol.asyncIterator]();
        const first = await iterator.next();
        deepStrictEqual(first.done, false);
        deepStrictEqual(first.value!.index, 10);
        verify(first.value!.data, [10], `worker ${worker}: aborted stream frame 10`);
        const pending = iterator.next();
        controller.abort(reason);
        const settled = await pending.then((result) => result, (error: unknown) => error);
        if (settled !== reason) {
          const next = settled as IteratorResult<{ index: number; data: Uint8Array }>;
          deepStrictEqual([next.done, next.value?.index], [false, 11]);
          assertBytesEqual(next.value!.data, expectedFrames([11], 48, 40), "frame 11");
          strictEqual(
            await iterator.next().then(() => undefined, (error: unknown) => error),
            reason,
          );
        }
        deepStrictEqual(await iterator.next(), { done: true, value: undefined });
        // A storm of random reads.
        const reads = range(0, 12).map(() => range(0, 1 + random(5)).map(() => random(58)));
        requested += reads.reduce((n, indices) => n + indices.length, 0);
        await Promise.all(reads.map(async (indices) => {
          verify((await ex.getSamples(indices)).data, indices, `worker ${worker}: ${indices}`);
        }));
      }),
    );
    deepStrictEqual(verified, requested);
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  } finally {
    await removeCopy(dir);
  }
});
