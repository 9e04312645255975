import assert, { deepStrictEqual } from "node:assert/strict";
import { FfmpegError } from "../mod.ts";
import { FfmpegProcess } from "../src/ffmpeg/process.ts";
import { decodeArgs } from "../src/ffmpeg/decode.ts";
import { planDecode } from "../src/formats/seek_points.ts";
import { containing, ffmpegProcessesMentioning } from "./_helpers.ts";

Deno.test("a failing ffmpeg run raises FfmpegError with its arguments, exit code and stderr tail", async () => {
  const args = [
    "-nostdin",
    "-loglevel",
    "error",
    "-f",
    "avi",
    "-i",
    "file:/nonexistent/x.avi",
    "-f",
    "null",
    "-",
  ];
  const process = FfmpegProcess.spawn({
    ffmpegPath: "ffmpeg",
    args,
    description: 'Cannot decode "x.avi"',
  });
  const error = await process.finish().catch((e: unknown) => e);
  assert(error instanceof FfmpegError, String(error));
  assert.match(error.message, containing('Cannot decode "x.avi": ffmpeg exited with code 1'));
  const failure = error as FfmpegError;
  deepStrictEqual(failure.args, args);
  deepStrictEqual(failure.code, 1);
  assert.match(failure.stderr, /No such file or directory/);
});

Deno.test("kill() stops a running ffmpeg and reaps it", async () => {
  const marker = `testsrc=size=16x16:rate=${Date.now() % 1000 + 1000}`;
  const process = FfmpegProcess.spawn({
    ffmpegPath: "ffmpeg",
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      marker,
      "-f",
      "rawvideo",
      "pipe:1",
    ],
    description: "test",
  });
  const frame = new Uint8Array(16 * 16 * 3);
  deepStrictEqual(await process.readInto(frame), frame.length);
  deepStrictEqual(await ffmpegProcessesMentioning(marker), 1);
  await process.kill();
  deepStrictEqual(await ffmpegProcessesMentioning(marker), 0);
});

Deno.test("planDecode() feeds from the seek point at or before a range to the seek point after it", () => {
  // Seek points at 0, 5 and 10 of 14 frames.
  const seekPoints = Uint8Array.from({ length: 14 }, (_, k) => (k % 5 === 0 ? 1 : 0));
  const video = {
    path: "x.avi",
    codec: "H264",
    width: 4,
    height: 4,
    frameCount: 14,
    headerSize: 100,
    seekPoints,
    reorders: true,
    index: { frameOffsets: new Float64Array(14), frameSizes: new Uint32Array(14), chunkIds: [] },
  };
  deepStrictEqual(planDecode(video, { start: 0, count: 1 }), { first: 0, end: 5, skip: 0 });
  deepStrictEqual(planDecode(video, { start: 7, count: 2 }), { first: 5, end: 10, skip: 2 });
  deepStrictEqual(planDecode(video, { start: 5, count: 5 }), { first: 5, end: 10, skip: 0 });
  deepStrictEqual(planDecode(video, { start: 9, count: 3 }), { first: 5, end: 14, skip: 4 });
  // Without seek points past frame 0 every decode starts at frame 0.
  const scanned = { ...video, seekPoints: Uint8Array.of(1, ...new Uint8Array(13)) };
  deepStrictEqual(planDecode(scanned, { start: 7, count: 2 }), { first: 0, end: 14, skip: 7 });
  const args = decodeArgs(9, "rgb24", "/data/0.avi");
  deepStrictEqual(args.filter((arg) => arg.startsWith("source=")), ["source=/data/0.avi"]);
  deepStrictEqual(args[args.indexOf("-i") + 1], "pipe:0");
  deepStrictEqual(args[args.indexOf("-frames:v") + 1], "9");
  deepStrictEqual(args[args.indexOf("-pix_fmt") + 1], "rgb24");
});
