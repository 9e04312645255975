import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { codecOf, knownCodecs, sampleCodecs } from "../src/codecs.ts";
import { readAviInfo } from "../src/formats/avi/mod.ts";
import { decodeFrames } from "../src/ffmpeg/decode.ts";
import { verifyFfmpeg } from "../src/ffmpeg/verify.ts";
import { withByteSource } from "../src/files.ts";
import { loadVideos } from "../src/open/videos.ts";
import { CODECS } from "../testdata/make_fixtures.ts";
import {
  assertBytesEqual,
  errorWith,
  expectedFrames,
  ffmpegDecode,
  ffmpegDecodeAll,
  range,
  shuffled,
  TESTDATA,
} from "./_helpers.ts";

const { width, height, frames } = CODECS;

/** Frame `k` of a series of frames of `size` bytes. */
function frameOf(all: Uint8Array, k: number, size: number): Uint8Array {
  return all.subarray(k * size, (k + 1) * size);
}

/**
 * Reads a fixture every way the API offers and compares each frame with an independent decode
 * of the whole files by ffmpeg.
 */
async function assertExactEveryWay(folder: string, pixelFormat: "gray8" | "rgb24") {
  await using ex = await MiniscopeImagingExtractor.open({
    folderPath: folder,
    pixelFormat,
    onWarning: () => {},
  });
  const channels = pixelFormat === "rgb24" ? 3 : 1;
  const size = width * height * channels;
  const reference = await ffmpegDecodeAll(
    ex.getFilePaths(),
    pixelFormat === "rgb24" ? "rgb24" : "gray",
  );
  deepStrictEqual(reference.length, frames * size, "the independent decode holds every frame");
  deepStrictEqual(ex.getNumSamples(), frames);

  const series = await ex.getSeries();
  assertBytesEqual(series.data, reference, "getSeries()");
  const part = await ex.getSeries(7, 53);
  assertBytesEqual(part.data, reference.subarray(7 * size, 53 * size), "getSeries(7, 53)");

  for (const k of shuffled(range(0, frames), 7)) {
    const one = await ex.getSamples([k]);
    assertBytesEqual(one.data, frameOf(reference, k, size), `getSamples([${k}])`);
  }
  const batch = [59, 3, 31, 3, 30, 29, 0, 44, 12, 13, 58];
  const many = await ex.getSamples(batch);
  batch.forEach((k, i) => {
    assertBytesEqual(frameOf(many.data, i, size), frameOf(reference, k, size), `batch item ${i}`);
  });

  for (const readAheadBytes of [0, size * 10, undefined]) {
    let seen = 0;
    const options = readAheadBytes === undefined ? { start: 5 } : { start: 5, readAheadBytes };
    for await (const frame of ex.stream(options)) {
      assertBytesEqual(frame.data, frameOf(reference, frame.index, size), `stream ${frame.index}`);
      seen++;
    }
    deepStrictEqual(seen, frames - 5);
  }
  return { ex, reference };
}

for (const codec of CODECS.gray) {
  Deno.test(`a ${codec} recording reads exactly through getSeries, getSamples and stream`, async () => {
    const { ex, reference } = await assertExactEveryWay(join(TESTDATA, "codecs", codec), "gray8");
    deepStrictEqual(ex.getSampleShape(), [height, width]);
    if (codec === "GREY" || codec === "FFV1") {
      // Lossless codecs also give back the generated pixels.
      assertBytesEqual(reference, expectedFrames(range(0, frames), width, height, 3), "pixels");
    }
  });
}

for (const codec of CODECS.colour) {
  Deno.test(`a colour ${codec} camera read with pixelFormat "rgb24" matches ffmpeg's rgb24 decode`, async () => {
    const { ex } = await assertExactEveryWay(join(TESTDATA, "codecs", `colour_${codec}`), "rgb24");
    deepStrictEqual(ex.getSampleShape(), [height, width, 3]);
    deepStrictEqual(ex.getPixelFormat(), "rgb24");
    const { shape, data } = await ex.getSeries(0, 2);
    deepStrictEqual(shape, [2, height, width, 3]);
    deepStrictEqual(data.length, 2 * height * width * 3);
  });
}

Deno.test("openDevice() passes pixelFormat to the extractor of a session's device", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_test_" });
  try {
    const session = join(root, "session");
    await Deno.mkdir(join(session, "BehavCam"), { recursive: true });
    const from = join(TESTDATA, "codecs", "colour_MJPG");
    for await (const entry of Deno.readDir(from)) {
      await Deno.copyFile(join(from, entry.name), join(session, "BehavCam", entry.name));
    }
    await Deno.copyFile(
      join(TESTDATA, "sample_session", "metaData.json"),
      join(session, "metaData.json"),
    );
    const opened = await MiniscopeSession.open(session);
    await using camera = await opened.openDevice("BehavCam", { pixelFormat: "rgb24" });
    deepStrictEqual(camera.getSampleShape(), [height, width, 3]);
    const reference = await ffmpegDecodeAll(camera.getFilePaths(), "rgb24");
    const { data } = await camera.getSamples([33]);
    assertBytesEqual(data, frameOf(reference, 33, width * height * 3), "frame 33");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("every codec the sample writer encodes has a fixture written with its row's FourCC", async () => {
  for (const codec of sampleCodecs()) {
    for (const file of ["0.avi", "1.avi"]) {
      const info = await withByteSource(join(TESTDATA, "codecs", codec, file), readAviInfo);
      deepStrictEqual(info.codec, codec, `${codec}/${file}`);
      const tags = codecOf(info.codec)?.encoders?.map((encoder) => encoder.tag);
      assert(tags?.includes(codec), `${codec}/${file}: ${tags}`);
    }
  }
});

Deno.test("every row of the codec table names a decoder the installed ffmpeg has", async () => {
  for (const row of knownCodecs()) {
    for (const fourcc of row.fourccs) {
      const identity = await verifyFfmpeg("ffmpeg", fourcc, `${fourcc}.avi`);
      assert(identity.decoders.has(row.decoder), `${fourcc}: no ${row.decoder} decoder`);
    }
  }
});

Deno.test("the decoder check asks ffmpeg for the decoder of the file's codec row and names it when missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_codecs_" });
  try {
    // Answers as an ffmpeg with only an FFV1 decoder, and writes no frame when asked to decode.
    const path = join(dir, "ffmpeg");
    await Deno.writeTextFile(
      path,
      `#!/bin/sh\ncase "$*" in *-decoders*)\n  echo "ffmpeg version 9.9" >&2\n` +
        `  printf ' V..... = Video\\n ------\\n V....D ffv1   FFmpeg video codec #1\\n'\n;;\nesac\n`,
    );
    await Deno.chmod(path, 0o755);
    const decoders = { XVID: "mpeg4", H264: "h264", MJPG: "mjpeg" };
    for (const [codec, decoder] of Object.entries(decoders)) {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: join(TESTDATA, "codecs", codec),
        ffmpegPath: path,
      });
      await rejects(
        () => ex.getSeries(0, 2),
        errorWith(
          Error,
          `its codec is ${codec} but "${path}" (ffmpeg 9.9) has no ${decoder} decoder`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const codec of sampleCodecs()) {
  Deno.test(`a decode of ${codec} started at a seek point gives exactly the frames of a whole decode`, async () => {
    const folder = join(TESTDATA, "codecs", codec);
    const paths = ["0.avi", "1.avi"].map((file) => join(folder, file));
    const { videos } = await loadVideos(paths, "gray8", () => {});
    const rule = codecOf(codec)!.seek;
    for (const video of videos) {
      const info = await withByteSource(video.path, readAviInfo);
      const points = [...video.seekPoints].flatMap((point, k) => (point ? [k] : []));
      const flagged = [...info.keyframeFlags].flatMap((flag, k) => (flag ? [k] : []));
      // The rule's promise: every frame, the flagged keyframes, or some of them.
      if (rule === "every-frame") deepStrictEqual(points, range(0, video.frameCount));
      else if (rule === "keyframes") deepStrictEqual(points, flagged);
      else {deepStrictEqual(
          points.filter((k) => !flagged.includes(k)),
          [],
          `${points} within ${flagged}`,
        );}
      deepStrictEqual(points[0], 0);
      const reference = await ffmpegDecode(video.path);
      const size = width * height;
      // Six seek points spread over the file, the last included: each start is a process.
      const step = Math.ceil(points.length / 6);
      const starts = points.filter((_, i) => i % step === 0 || i === points.length - 1);
      for (const start of starts) {
        const count = Math.min(3, video.frameCount - start);
        let k = start;
        for await (
          const frame of decodeFrames(video, { start, count }, {
            ffmpegPath: "ffmpeg",
            pixelFormat: "gray8",
          })
        ) {
          assertBytesEqual(frame, frameOf(reference, k, size), `${video.path} from ${start}: ${k}`);
          k++;
        }
        deepStrictEqual(k, start + count);
      }
    }
  });
}
