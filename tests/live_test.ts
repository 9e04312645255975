import { join } from "node:path";
import assert, { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { LiveDecoder } from "../src/ffmpeg/live.ts";
import { openRecording } from "../src/open/recording.ts";
import {
  assertBytesEqual,
  copyFixture,
  encodeTestPattern,
  errorWith,
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  range,
  removeCopy,
  runDenoScript,
  SAMPLE,
  shuffled,
  TESTDATA,
} from "./_helpers.ts";

const CODEC_FOLDERS = [
  "FFV1",
  "GREY",
  "MJPG",
  "mp4v",
  "XVID",
  "H264",
  "colour_MJPG",
  "colour_XVID",
];

/** Codecs that store frames out of display order: read with a process per read. */
const REORDERING = new Set(["XVID", "H264", "colour_XVID"]);

interface Case {
  name: string;
  folder: string;
  pixelFormat: "gray8" | "rgb24";
  live: boolean;
}

const CASES: Case[] = [
  { name: "sample session", folder: SAMPLE, pixelFormat: "gray8", live: true },
  ...CODEC_FOLDERS.map((codec): Case => ({
    name: codec,
    folder: join(TESTDATA, "codecs", codec),
    pixelFormat: codec.startsWith("colour_") ? "rgb24" : "gray8",
    live: !REORDERING.has(codec),
  })),
];

for (const c of CASES) {
  Deno.test(
    `live decoders: every frame of ${c.name}, in sequence and in random order, equals a full decode`,
    async () => {
      // A copy, so that the processes counted are this test's own.
      const folder = await copyFixture(c.folder);
      try {
        await exactEveryFrame(c, folder);
      } finally {
        await removeCopy(folder);
      }
    },
  );
}

async function exactEveryFrame(c: Case, folder: string): Promise<void> {
  // No cache: every frame comes from the decoder, not from an earlier read.
  await using ex = await MiniscopeImagingExtractor.open({
    folderPath: folder,
    pixelFormat: c.pixelFormat,
    frameCacheBytes: 0,
    onWarning: () => {},
  });
  const reference = await ffmpegDecodeAll(
    ex.getFilePaths(),
    c.pixelFormat === "rgb24" ? "rgb24" : "gray",
  );
  const n = ex.getNumSamples();
  const size = reference.length / ex.getFrameCounts().video;
  const expect = (k: number) => reference.subarray(k * size, (k + 1) * size);
  const orders = c.live
    ? [range(0, n), shuffled(range(0, n), 11), range(0, n).reverse()]
    : [shuffled(range(0, n), 11)];
  for (const order of orders) {
    for (const k of order) {
      const { data } = await ex.getSamples([k]);
      assertBytesEqual(data, expect(k), `${c.name}: getSamples([${k}])`);
    }
  }
  // A live decoder stays after a read for the codecs that allow it, and only for them.
  const alive = await ffmpegProcessesMentioning(folder);
  if (c.live) assert(alive >= 1, `${c.name}: ${alive} live decoders stay between reads`);
  else deepStrictEqual(alive, 0, `${c.name}: no process stays`);
  // Short ranges and short streams read from the live decoders too.
  for (const start of shuffled(range(0, n - 5), 3).slice(0, 8)) {
    const { data } = await ex.getSeries(start, start + 5);
    assertBytesEqual(data, reference.subarray(start * size, (start + 5) * size), `${start}`);
    const streamed: number[] = [];
    for await (const frame of ex.stream({ start, end: start + 3 })) {
      assertBytesEqual(frame.data, expect(frame.index), `stream frame ${frame.index}`);
      streamed.push(frame.index);
    }
    deepStrictEqual(streamed, range(start, start + 3), `${c.name}: stream from ${start}`);
  }
  await ex.close();
  deepStrictEqual(await ffmpegProcessesMentioning(folder), 0, "close() ends the decoders");
}

Deno.test("live decoders: frames whose chunks are larger than a pipe read exactly in every order", async () => {
  // Noise does not compress: each FFV1 chunk is larger than the 64 KiB a pipe holds, so ffmpeg
  // takes a chunk only while its frames are read, the case a small fixture never meets.
  const dir = await Deno.makeTempDir({ prefix: "miniscope_live_" });
  try {
    const path = join(dir, "0.avi");
    await encodeTestPattern(path, {
      size: "320x240",
      frames: 40,
      pixelFormat: "gray",
      extra: ["-g", "12"],
      source: "nullsrc=size=320x240:rate=30,geq=lum='random(1)*255':cb=128:cr=128",
    });
    await using ex = await MiniscopeImagingExtractor.open({
      filePaths: [path],
      samplingFrequency: 30,
      frameCacheBytes: 0,
      onWarning: () => {},
    });
    const reference = await ffmpegDecodeAll([path]);
    const size = 320 * 240;
    deepStrictEqual(reference.length, 40 * size);
    for (const order of [range(0, 40), shuffled(range(0, 40), 5), range(0, 40).reverse()]) {
      for (const k of order) {
        const { data } = await ex.getSamples([k]);
        assertBytesEqual(data, reference.subarray(k * size, (k + 1) * size), `frame ${k}`);
      }
    }
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 1, "one live decoder");
    await ex.close();
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "none after close()");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("live decoders: concurrent reads of one file from several callers stay exact", async () => {
  await using ex = await MiniscopeImagingExtractor.open({
    folderPath: SAMPLE,
    frameCacheBytes: 0,
    concurrency: 2,
    onWarning: () => {},
  });
  const reference = await ffmpegDecodeAll(ex.getFilePaths());
  const size = 48 * 40;
  // Five callers on the 24 frames of the first file, with a second file in play too.
  const callers = range(0, 5).map((seed) => async () => {
    for (const k of shuffled(range(0, 24), seed + 1).concat(seed === 4 ? [30, 31, 47] : [])) {
      const { data } = await ex.getSamples([k]);
      assertBytesEqual(data, reference.subarray(k * size, (k + 1) * size), `caller ${seed}: ${k}`);
    }
  });
  await Promise.all(callers.map((caller) => caller()));
  const many = await Promise.all(
    [[3, 4, 20], [19, 2], [5], [23, 0, 1]].map((ks) => ex.getSamples(ks)),
  );
  [[3, 4, 20], [19, 2], [5], [23, 0, 1]].forEach((ks, i) =>
    ks.forEach((k, j) =>
      assertBytesEqual(
        many[i]!.data.subarray(j * size, (j + 1) * size),
        reference.subarray(k * size, (k + 1) * size),
        `batch ${i} item ${j}`,
      )
    )
  );
});

Deno.test("live decoders: at most concurrency stay alive, and close() ends them all", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    const ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      concurrency: 2,
      onWarning: () => {},
    });
    const reference = await ffmpegDecodeAll(ex.getFilePaths());
    const size = 48 * 40;
    // One frame in each of the three files.
    for (const k of [5, 30, 50, 6]) {
      const { data } = await ex.getSamples([k]);
      assertBytesEqual(data, reference.subarray(k * size, (k + 1) * size), `frame ${k}`);
    }
    const alive = await ffmpegProcessesMentioning(dir);
    assert(alive >= 1 && alive <= 2, `${alive} live decoders for concurrency 2`);
    await ex.close();
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "no ffmpeg after close()");
    // Reads after close() still work, with a process each, which ends with the read.
    const { data } = await ex.getSamples([40]);
    assertBytesEqual(data, reference.subarray(40 * size, 41 * size), "a read after close()");
    deepStrictEqual(
      await ffmpegProcessesMentioning(dir),
      0,
      "no ffmpeg after a read after close()",
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("live decoders: an abort in the middle of a read ends it and leaves no ffmpeg", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    await using ex = await MiniscopeImagingExtractor.open({
      folderPath: dir,
      frameCacheBytes: 0,
      onWarning: () => {},
    });
    const reference = await ffmpegDecodeAll(ex.getFilePaths());
    const size = 48 * 40;
    await ex.getSamples([1]); // the decoder is alive
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 1);
    for (const k of [23, 11, 22]) {
      const controller = new AbortController();
      const reason = new Error(`stop ${k}`);
      const read = ex.getSamples([k], { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 0));
      controller.abort(reason);
      const error = await read.then(() => undefined, (e) => e);
      if (error !== undefined) {
        strictEqual(error, reason); // the read rejects with the abort reason
        // The decoder interrupted mid-read was killed, not left with frames unaccounted for.
        deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "no ffmpeg after the abort");
      }
      const { data } = await ex.getSamples([k]);
      assertBytesEqual(data, reference.subarray(k * size, (k + 1) * size), `frame ${k} after`);
    }
    // An abort before the read starts rejects at once and changes nothing.
    const controller = new AbortController();
    controller.abort(new Error("early"));
    await rejects(
      () => ex.getSamples([3], { signal: controller.signal }),
      errorWith(Error, "early"),
    );
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("live decoders: a script that never calls close() ends at once and leaves no ffmpeg", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    const script = join(dir, "..", "forget_close.ts");
    await Deno.writeTextFile(
      script,
      `import { MiniscopeImagingExtractor } from ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      };
      const ex = await MiniscopeImagingExtractor.open({ folderPath: Deno.args[0], onWarning: () => {} });
      const { data } = await ex.getSamples([7]);
      await ex.getSamples([8]);
      console.log(data.length);`,
    );
    const started = performance.now();
    const result = await runDenoScript(script, ["--allow-read", "--allow-run=ffmpeg"], [dir]);
    const seconds = (performance.now() - started) / 1000;
    deepStrictEqual(result.code, 0, result.stderr);
    deepStrictEqual(result.stdout.trim(), String(48 * 40));
    // Decoders are closed after 5 s unused; the script must not wait for that.
    assert(seconds < 5, `the script took ${seconds.toFixed(1)} s`);
    for (let i = 0; i < 50 && (await ffmpegProcessesMentioning(dir)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "no ffmpeg outlives the script");
  } finally {
    await removeCopy(dir);
  }
});

Deno.test("open() refuses a negative or fractional frameCacheBytes", async () => {
  for (const frameCacheBytes of [-1, 1.5, NaN]) {
    await rejects(
      () => MiniscopeImagingExtractor.open({ folderPath: SAMPLE, frameCacheBytes }),
      errorWith(RangeError, "frameCacheBytes"),
    );
  }
});

Deno.test("a live decoder decodes from the keyframe to the frame asked for and no further", async () => {
  const dir = await copyFixture(SAMPLE);
  const { recording } = await openRecording({ folderPath: dir, onWarning: () => {} });
  const video = recording.videos[0]!;
  const decoder = new LiveDecoder(video, { ffmpegPath: "ffmpeg", pixelFormat: "gray8" });
  try {
    const reference = await ffmpegDecodeAll([video.path]);
    const size = video.width * video.height;
    const keyframes = range(0, video.frameCount).filter((k) => video.seekPoints[k]);
    assert(keyframes.length >= 2, `keyframes ${keyframes}`);
    const second = keyframes[1]!;
    // A frame into a group of pictures, the next one, one of the next group, one behind.
    for (const [k, from] of [[5, 0], [6, 6], [second + 3, second], [3, 0]] as const) {
      const decoded: number[] = [];
      const data = await decoder.read(k, (frame, bytes) => {
        decoded.push(frame);
        assertBytesEqual(bytes, reference.subarray(frame * size, (frame + 1) * size), `${frame}`);
      });
      assertBytesEqual(data, reference.subarray(k * size, (k + 1) * size), `frame ${k}`);
      // Each frame costs its decode from where the decoder is, and no frame after it.
      deepStrictEqual(decoded, range(from, k + 1), `the frames decoded to read ${k}`);
    }
  } finally {
    await decoder.close();
    await removeCopy(dir);
  }
});

Deno.test("decoderIdleMs closes an unused decoder after that time, Infinity keeps it, and a negative or NaN one is refused", async () => {
  const dir = await copyFixture(SAMPLE);
  try {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        decoderIdleMs: 100,
        onWarning: () => {},
      });
      await ex.getSamples([3]);
      deepStrictEqual(await ffmpegProcessesMentioning(dir), 1, "a decoder after a read");
      for (let i = 0; i < 50 && (await ffmpegProcessesMentioning(dir)) > 0; i++) await pause(100);
      deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "closed once unused for 100 ms");
    }
    {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: dir,
        decoderIdleMs: Infinity,
        onWarning: () => {},
      });
      await ex.getSamples([3]);
      await pause(500);
      // A timer longer than the longest delay would have fired at once.
      deepStrictEqual(await ffmpegProcessesMentioning(dir), 1, "kept with Infinity");
      await ex.close();
      deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "closed by close()");
    }
    for (const decoderIdleMs of [-1, NaN]) {
      await rejects(
        () => MiniscopeImagingExtractor.open({ folderPath: dir, decoderIdleMs }),
        errorWith(RangeError, "decoderIdleMs"),
      );
    }
  } finally {
    await removeCopy(dir);
  }
});
