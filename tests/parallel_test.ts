import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import { balance } from "../src/read/plan.ts";
import { readAviInfo } from "../src/formats/avi/mod.ts";
import { withByteSource } from "../src/files.ts";
import { timestampsCsv, writeVideo } from "../testdata/make_fixtures.ts";
import { makeFrame } from "../testdata/frames.ts";
import {
  assertBytesEqual,
  encodeTestPattern,
  errorWith,
  expectedFrames,
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  range,
} from "./_helpers.ts";

const WIDTH = 16;
const HEIGHT = 8;
const frame = (index: number) => makeFrame(index, WIDTH, HEIGHT);

/** A device folder with one 400-frame file and one 250-frame file, long enough to be split. */
async function longRecording(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_long_" });
  await writeVideo(join(dir, "0.avi"), {
    width: WIDTH,
    height: HEIGHT,
    first: 0,
    count: 400,
    frame,
  });
  await writeVideo(join(dir, "1.avi"), {
    width: WIDTH,
    height: HEIGHT,
    first: 400,
    count: 250,
    frame,
  });
  await Deno.writeTextFile(join(dir, "timeStamps.csv"), timestampsCsv({ frames: 650 }));
  return dir;
}

Deno.test("getSeries() split across parallel decoders is bit-identical to a sequential decode", async () => {
  const dir = await longRecording();
  try {
    const sequential = await ffmpegDecodeAll([join(dir, "0.avi"), join(dir, "1.avi")]);
    const frame = WIDTH * HEIGHT;
    for (const concurrency of [1, 2, 3, 5]) {
      await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, concurrency });
      for (const [start, end] of [[0, 650], [7, 643], [130, 401], [399, 650]] as const) {
        const series = await ex.getSeries(start, end);
        assertBytesEqual(
          series.data,
          sequential.subarray(start * frame, end * frame),
          `concurrency ${concurrency}, [${start}, ${end})`,
        );
      }
    }
    assertBytesEqual(sequential, expectedFrames(range(0, 650), WIDTH, HEIGHT));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getSamples() is exact for every index of a long file, near and far apart", async () => {
  const dir = await longRecording();
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
    const indices = [649, 0, 399, 400, 13, 12, 11, 200, 201, 230, 600, 600, 1, 388];
    assertBytesEqual((await ex.getSamples(indices)).data, expectedFrames(indices, WIDTH, HEIGHT));
    const every = range(0, 650).reverse();
    assertBytesEqual((await ex.getSamples(every)).data, expectedFrames(every, WIDTH, HEIGHT));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing parallel read stops the other decoders and leaves no ffmpeg running", async () => {
  const dir = await longRecording();
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, concurrency: 2 });
    // Break the second file after open: its decode fails while the first file's chunks run.
    await Deno.writeFile(join(dir, "1.avi"), new Uint8Array(1000));
    await rejects(
      () => ex.getSeries(),
      errorWith(MalformedRecordingError, `Cannot read "${join(dir, "1.avi")}"`),
    );
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("balance() splits long ranges at seek points into contiguous chunks, about two per decoder", async () => {
  const dir = await longRecording();
  try {
    const info = await withByteSource(join(dir, "0.avi"), readAviInfo);
    const video = {
      path: join(dir, "0.avi"),
      codec: info.codec,
      width: WIDTH,
      height: HEIGHT,
      frameCount: info.frameCount,
      headerSize: info.headerSize,
      seekPoints: info.keyframeFlags,
      reorders: false,
      index: info,
    };
    const whole = [{ video, start: 5, count: 395, at: 0 }];
    deepStrictEqual(balance(whole, 1), whole);
    for (const concurrency of [2, 4]) {
      const pieces = balance(whole, concurrency);
      assert(pieces.length > 1, `concurrency ${concurrency}: ${pieces.length} pieces`);
      let next = 5;
      for (const piece of pieces) {
        deepStrictEqual(piece.start, next);
        deepStrictEqual(piece.at, next - 5);
        if (piece !== pieces[0]) deepStrictEqual(info.keyframeFlags[piece.start], 1);
        next += piece.count;
      }
      deepStrictEqual(next, 400);
    }
    deepStrictEqual(
      balance([{ ...whole[0]!, video: { ...video, seekPoints: Uint8Array.of(1) } }], 2).length,
      1,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stream() with read-ahead decodes chunks in parallel and still yields every frame exactly, in order", async () => {
  const dir = await longRecording();
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, concurrency: 3 });
    const stamps = ex.getTimestamps();
    for (const readAheadBytes of [0, WIDTH * HEIGHT * 40, WIDTH * HEIGHT * 300, undefined]) {
      const seen: number[] = [];
      const options = readAheadBytes === undefined
        ? { start: 5, end: 640 }
        : { start: 5, end: 640, readAheadBytes };
      for await (const frame of ex.stream(options)) {
        assertBytesEqual(
          frame.data,
          expectedFrames([frame.index], WIDTH, HEIGHT),
          `frame ${frame.index}`,
        );
        deepStrictEqual(frame.timestamp, stamps[frame.index]);
        seen.push(frame.index);
      }
      deepStrictEqual(seen, range(5, 640), `readAheadBytes ${readAheadBytes}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stream() with read-ahead runs ahead of a slow consumer only by its bound, with one ffmpeg per file and lane", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_bound_" });
  try {
    // Frames large enough (75 KiB) that a pipe holds less than one.
    const [width, height, size] = [320, 240, 320 * 240];
    for (const [name, frames] of [["0.avi", 300], ["1.avi", 200]] as const) {
      await encodeTestPattern(join(dir, name), {
        size: `${width}x${height}`,
        frames,
        pixelFormat: "gray",
        extra: ["-g", "10"],
      });
    }
    await Deno.writeTextFile(join(dir, "timeStamps.csv"), timestampsCsv({ frames: 500 }));
    // An ffmpeg that logs each decode it starts and copies every byte it writes to a file, to
    // see how far decoding ran ahead.
    const starts = join(dir, "starts.log");
    const written = join(dir, "written.raw");
    const wrapper = join(dir, "ffmpeg-logged");
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in *-decoders*) exec ffmpeg "$@";; esac\n` +
        `echo "$*" >> '${starts}'\nffmpeg "$@" | tee -a '${written}'\n`,
    );
    await Deno.chmod(wrapper, 0o755);
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      concurrency: 2,
      ffmpegPath: wrapper,
    });
    // 40 frames of read-ahead over 2 decoders: pieces of 20 frames, 25 in all, each lane
    // holding at most one piece at a time.
    const iterator = ex.stream({ readAheadBytes: size * 40 })[Symbol.asyncIterator]();
    deepStrictEqual((await iterator.next()).value?.index, 0);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time enough to decode it all
    const ranAhead = (await Deno.stat(written)).size / size;
    // Two pieces queued, and at most a few frames more in each decoder's pipes.
    assert(ranAhead >= 20 && ranAhead <= 50, `decoded ${ranAhead} frames ahead of the consumer`);
    const reference = await ffmpegDecodeAll([join(dir, "0.avi"), join(dir, "1.avi")]);
    let count = 1;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const { index, data } = next.value;
      assertBytesEqual(
        data,
        reference.subarray(index * size, (index + 1) * size),
        `frame ${index}`,
      );
      count++;
    }
    deepStrictEqual(count, 500);
    // Two lanes, two files: four processes, not one per piece.
    const decodes = (await Deno.readTextFile(starts)).trim().split("\n");
    deepStrictEqual(decodes.length, 4, decodes.join("\n"));
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("breaking out of or aborting a read-ahead stream stops every decoder", async () => {
  const dir = await longRecording();
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, concurrency: 3 });
    let last = -1;
    for await (const frame of ex.stream({ readAheadBytes: WIDTH * HEIGHT * 30 })) {
      last = frame.index;
      if (frame.index === 100) break;
    }
    deepStrictEqual(last, 100);
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
    const controller = new AbortController();
    await rejects(async () => {
      for await (
        const frame of ex.stream({ readAheadBytes: WIDTH * HEIGHT * 30, signal: controller.signal })
      ) {
        if (frame.index === 200) controller.abort(new Error("enough"));
      }
    }, { message: "enough" });
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
