import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { expectedFrames, range, runDenoScript, SAMPLE, V1 } from "./_helpers.ts";

const SCRIPT = new URL("./_sandbox_script.ts", import.meta.url).pathname;

async function runSandboxed(flags: string[], args: string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runDenoScript(SCRIPT, flags, args);
  assert(code === 0, `exit ${code}: ${stderr}`);
  return JSON.parse(stdout.trim());
}

function sumOf(bytes: Uint8Array): number {
  let sum = 0;
  for (const value of bytes) sum += value;
  return sum;
}

Deno.test("a script with only --allow-read=<recording> --allow-run=ffmpeg opens and reads the recording", async () => {
  const result = await runSandboxed([`--allow-read=${SAMPLE}`, "--allow-run=ffmpeg"], [SAMPLE]);
  assertEquals(result, { ok: true, samples: 58, sum: sumOf(expectedFrames(range(0, 58), 48, 40)) });
});

Deno.test("a read scope narrower than the recording fails with a permission error naming the flag", async () => {
  const result = await runSandboxed(
    [`--allow-read=${join(SAMPLE, "0.avi")}`, "--allow-run=ffmpeg"],
    [SAMPLE],
  );
  assertEquals([result.ok, result.name], [false, "NotCapable"]);
  assert(String(result.message).includes("--allow-read"), String(result.message));
});

Deno.test("a video outside the read scope is refused before ffmpeg could read it", async () => {
  const outside = join(V1, "0.avi");
  const result = await runSandboxed(
    [`--allow-read=${SAMPLE}`, "--allow-run=ffmpeg"],
    [join(SAMPLE, "0.avi"), outside, join(SAMPLE, "timeStamps.csv")],
  );
  assertEquals([result.ok, result.name], [false, "NotCapable"]);
  assert(String(result.message).includes(outside), String(result.message));
});

Deno.test("without --allow-run the error says to add --allow-run=ffmpeg", async () => {
  const result = await runSandboxed([`--allow-read=${SAMPLE}`], [SAMPLE]);
  assertEquals([result.ok, result.name], [false, "NotCapable"]);
  assert(String(result.message).includes("--allow-run=ffmpeg"), String(result.message));
});
