import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { FfmpegError } from "../mod.ts";
import { FfmpegProcess } from "../src/ffmpeg/process.ts";
import { decodeArgs } from "../src/ffmpeg/decode.ts";
import { ffmpegProcessesMentioning, SAMPLE } from "./_helpers.ts";

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
  const error = await assertRejects(
    () => process.finish(),
    FfmpegError,
    'Cannot decode "x.avi": ffmpeg exited with code 1',
  );
  const failure = error as FfmpegError;
  assertEquals(failure.args, args);
  assertEquals(failure.code, 1);
  assert(failure.stderr.includes("No such file or directory"), failure.stderr);
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
  assertEquals(await process.readInto(frame), frame.length);
  assertEquals(await ffmpegProcessesMentioning(marker), 1);
  await process.kill();
  assertEquals(await ffmpegProcessesMentioning(marker), 0);
});

Deno.test("decodeArgs() seeks to the centre of frame k's container time and names the input as a file", () => {
  const video = {
    path: "-x.avi",
    displayPath: "-x.avi",
    width: 4,
    height: 4,
    frameCount: 100,
    scale: 1,
    rate: 60,
    seekable: true,
  };
  const { args, skip } = decodeArgs(video, { start: 13, count: 2 });
  assertEquals(skip, 0);
  assertEquals(args[args.indexOf("-ss") + 1], (13 / 60).toFixed(6));
  assertEquals(args[args.indexOf("-i") + 1], "file:-x.avi");
  assertEquals(args[args.indexOf("-frames:v") + 1], "2");
  const unseekable = decodeArgs({ ...video, seekable: false }, { start: 13, count: 2 });
  assertEquals([unseekable.skip, unseekable.args.includes("-ss")], [13, false]);
  assertEquals(unseekable.args[unseekable.args.indexOf("-frames:v") + 1], "15");
  assert(SAMPLE.length > 0);
});
