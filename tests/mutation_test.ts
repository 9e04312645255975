// End to end: a real recording whose AVI structure (headers, chunk headers, index) is mutated
// either fails with a documented error or reads back exactly the frames it holds. Never other
// pixels, never a hang, never a leftover ffmpeg.
import { join } from "node:path";
import fc from "fast-check";
import { FfmpegError, MalformedRecordingError, MiniscopeImagingExtractor } from "../mod.ts";
import {
  assertBytesEqual,
  expectedFrames,
  ffmpegProcessesMentioning,
  frameChunkOffset,
  range,
  V1,
} from "./_helpers.ts";

const RUNS = Number(Deno.env.get("MINISCOPE_MUTATION_RUNS") ?? 40);
const FRAME = 32 * 24;

Deno.test("mutated AVI headers and indexes end in a documented error or exact frames", async () => {
  const original = await Deno.readFile(join(V1, "0.avi"));
  const dir = await Deno.makeTempDir({ prefix: "miniscope_mutation_" });
  const device = join(dir, "dev");
  await Deno.mkdir(device);
  await Deno.copyFile(join(V1, "1.avi"), join(device, "1.avi"));
  await Deno.copyFile(join(V1, "timeStamps.csv"), join(device, "timeStamps.csv"));
  // Structure only: the headers before the first frame, each chunk header in the movi list,
  // and the index. (Frame payloads are not checksummed in FFV1 versions 0 and 1: a changed
  // payload decodes to other pixels without any error, so no reader can tell.)
  const idx1 = new TextDecoder("latin1").decode(original).lastIndexOf("idx1");
  const structure: number[] = [];
  for (let i = 0; i < frameChunkOffset(original, 0) + 8; i++) structure.push(i);
  for (let k = 1; k < 12; k++) {
    const at = frameChunkOffset(original, k);
    for (let i = at; i < at + 8; i++) structure.push(i);
  }
  for (let i = idx1; i < original.length; i++) structure.push(i);
  const outcomes = { exact: 0, errors: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.constantFrom(...structure),
            bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (mutations) => {
          const bytes = original.slice();
          for (const m of mutations) bytes.set(m.bytes.subarray(0, bytes.length - m.at), m.at);
          await Deno.writeFile(join(device, "0.avi"), bytes);
          try {
            await using ex = await MiniscopeImagingExtractor.open({
              folderPath: device,
              onWarning: () => {},
            });
            const n = ex.getNumSamples();
            const all = await ex.getSeries();
            // The first file's frames come first, in order; the second file's follow.
            const first = n - 7;
            assertBytesEqual(
              all.data.subarray(0, first * FRAME),
              expectedFrames(range(0, first), 32, 24, 11),
              "first file",
            );
            assertBytesEqual(
              all.data.subarray(first * FRAME),
              expectedFrames(range(12, 19), 32, 24, 11),
              "second file",
            );
            const picks = [0, first - 1, Math.floor(first / 2), first, n - 1].filter((k) =>
              k >= 0 && k < n
            );
            const frameOf = (k: number) => (k < first ? k : 12 + k - first);
            assertBytesEqual(
              (await ex.getSamples(picks)).data,
              expectedFrames(picks.map(frameOf), 32, 24, 11),
              "samples",
            );
            outcomes.exact++;
          } catch (error) {
            if (
              !(error instanceof MalformedRecordingError || error instanceof FfmpegError ||
                error instanceof RangeError && /startSample|endSample/.test(error.message))
            ) throw error;
            outcomes.errors++;
          }
        },
      ),
      { numRuns: RUNS },
    );
    console.log(
      `mutated files: ${outcomes.exact} read exactly, ${outcomes.errors} refused with a documented error`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (await ffmpegProcessesMentioning(dir) !== 0) {
    throw new Error("an ffmpeg process was left running");
  }
});
