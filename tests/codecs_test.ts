import { join } from "node:path";
import { deepStrictEqual } from "node:assert/strict";
import { MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { CODECS } from "../testdata/make_fixtures.ts";
import {
  assertBytesEqual,
  expectedFrames,
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
