import { join } from "node:path";
import { deepStrictEqual } from "node:assert/strict";
import { decode } from "fast-png";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { FrameStore } from "../src/view/frames.ts";
import { writeRecording } from "../src/sample.ts";
import { makeFrame } from "../testdata/frames.ts";
import {
  assertBytesEqual,
  copyFixture,
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  range,
  removeCopy,
  TESTDATA,
} from "./_helpers.ts";

const WIDTH = 40;
const HEIGHT = 30;

/**
 * 200 frames of 40x30 in files of 70, a keyframe every 12 frames of a file: the blocks the
 * store reads do not divide the files.
 *
 * @returns The device folder; remove its parent when done.
 */
async function recording(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "miniscope_view_frames_" });
  const dir = join(root, "Miniscope");
  await writeRecording(dir, {
    width: WIDTH,
    height: HEIGHT,
    frames: 200,
    framesPerFile: 70,
    frame: (i) => makeFrame(i, WIDTH, HEIGHT),
  });
  return dir;
}

/** The indices `[start, end)` that `store` keeps, and those it does not. */
function kept(store: FrameStore, start: number, end: number): { yes: number[]; no: number[] } {
  const yes = range(start, end).filter((k) => store.has(k));
  return { yes, no: range(start, end).filter((k) => !store.has(k)) };
}

Deno.test("the frame store serves exact frames after jumps and steps back, reads the blocks around the frame shown, and starts again where the user jumps", async () => {
  const dir = await recording();
  const controller = new AbortController();
  const extractor = await MiniscopeImagingExtractor.open({ folderPath: dir });
  const store = new FrameStore(extractor, { signal: controller.signal });
  try {
    const reference = await ffmpegDecodeAll(extractor.getFilePaths());
    const size = WIDTH * HEIGHT;
    /** Frame `k` through the store, decoded by a PNG decoder of its own, against ffmpeg. */
    const shows = async (k: number, ahead?: 1 | -1) => {
      const image = decode(await store.png(k, ahead));
      deepStrictEqual([image.width, image.height, image.channels], [WIDTH, HEIGHT, 1]);
      assertBytesEqual(
        image.data as Uint8Array,
        reference.subarray(k * size, (k + 1) * size),
        `frame ${k}`,
      );
    };

    // A jump into the middle of a block of the second file (it starts at 70; blocks of 12
    // from there: 94-105 holds 100).
    await shows(100, 1);
    await store.idle();
    // Behind: the block's start and the block before; ahead: 24 frames.
    deepStrictEqual(kept(store, 82, 125).no, [], "the frames around 100");
    deepStrictEqual(kept(store, 0, 82).yes, [], "nothing far behind 100");
    deepStrictEqual(kept(store, 125, 200).yes, [], "nothing far ahead of 100");

    // Steps back across blocks and into the first file, each frame exact; travelling back, the
    // store reads three blocks behind.
    for (let k = 99; k >= 55; k--) await shows(k, -1);
    await store.idle();
    deepStrictEqual(kept(store, 24, 55).no, [], "the blocks behind 55");

    // A jump, then another before the reading around the first went far: it stops there.
    await shows(180, 1);
    const elsewhere = shows(20, -1);
    await elsewhere;
    await store.idle();
    deepStrictEqual(kept(store, 140, 176).yes, [], "no block behind 180 read after the jump");
    deepStrictEqual(kept(store, 185, 200).yes, [], "nothing ahead of 180's first frames");
    deepStrictEqual(kept(store, 0, 45).no, [], "the frames around 20");

    // Back near 180: the reading starts again there, in the third file (from 140).
    await shows(182, 1);
    await store.idle();
    deepStrictEqual(kept(store, 164, 200).no, [], "the frames around 182");
    deepStrictEqual(kept(store, 140, 164).yes, [], "nothing far behind 182");
    for (let k = 181; k >= 140; k--) await shows(k, -1);
    // Every frame kept is exact, and so is every other.
    for (const k of range(0, 200)) await shows(k);
  } finally {
    controller.abort();
    await store.settled();
    await extractor.close();
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "no ffmpeg left");
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("the frame store reads a codec that reorders frames (colour XVID) exactly, in a process per span", async () => {
  const dir = await copyFixture(join(TESTDATA, "codecs", "colour_XVID"));
  const controller = new AbortController();
  const extractor = await MiniscopeImagingExtractor.open({
    folderPath: dir,
    pixelFormat: "rgb24",
    onWarning: () => {},
  });
  const store = new FrameStore(extractor, { signal: controller.signal });
  try {
    const [rows, cols] = extractor.getImageShape();
    const size = rows * cols * 3;
    const reference = await ffmpegDecodeAll(extractor.getFilePaths(), "rgb24");
    const shows = async (k: number, ahead?: 1 | -1) => {
      const image = decode(await store.png(k, ahead));
      deepStrictEqual([image.width, image.height, image.channels], [cols, rows, 3]);
      assertBytesEqual(
        image.data as Uint8Array,
        reference.subarray(k * size, (k + 1) * size),
        `frame ${k}`,
      );
    };
    await shows(40, 1);
    // Jumps while the frames around the last are read: those reads stop, their processes end.
    await shows(10, -1);
    await shows(55, 1);
    await store.idle();
    deepStrictEqual(kept(store, 42, 60).no, [], "the frames around 55");
    for (let k = 54; k >= 0; k--) await shows(k, -1);
    await store.idle();
    deepStrictEqual(await ffmpegProcessesMentioning(dir), 0, "no process stays between reads");
  } finally {
    controller.abort();
    await store.settled();
    await extractor.close();
    await removeCopy(dir);
  }
});
