import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { containing, expectedFrames, range, runDenoScript, SAMPLE, V1 } from "./_helpers.ts";

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
  deepStrictEqual(result, {
    ok: true,
    samples: 58,
    sum: sumOf(expectedFrames(range(0, 58), 48, 40)),
  });
});

Deno.test("a read scope narrower than the recording fails with a permission error naming the flag", async () => {
  const result = await runSandboxed(
    [`--allow-read=${join(SAMPLE, "0.avi")}`, "--allow-run=ffmpeg"],
    [SAMPLE],
  );
  deepStrictEqual([result.ok, result.name], [false, "NotCapable"]);
  assert.match(String(result.message), /--allow-read/);
});

Deno.test("a video outside the read scope is refused before ffmpeg could read it", async () => {
  const outside = join(V1, "0.avi");
  const result = await runSandboxed(
    [`--allow-read=${SAMPLE}`, "--allow-run=ffmpeg"],
    [join(SAMPLE, "0.avi"), outside, join(SAMPLE, "timeStamps.csv")],
  );
  deepStrictEqual([result.ok, result.name], [false, "NotCapable"]);
  assert.match(String(result.message), containing(outside));
});

Deno.test("without --allow-run the error says to add --allow-run=ffmpeg", async () => {
  const result = await runSandboxed([`--allow-read=${SAMPLE}`], [SAMPLE]);
  deepStrictEqual([result.ok, result.name], [false, "NotCapable"]);
  assert.match(String(result.message), /--allow-run=ffmpeg/);
});

const READS_SCRIPT = new URL("./_reads_sandbox_script.ts", import.meta.url).pathname;

for (const way of ["live", "one-shot"]) {
  for (const concurrency of [1, 3]) {
    Deno.test(`without --allow-run every read rejects with the error naming --allow-run=ffmpeg, and none leaves a rejection unhandled (${way} decoders, concurrency ${concurrency})`, async () => {
      const { code, stdout, stderr } = await runDenoScript(
        READS_SCRIPT,
        [`--allow-read=${SAMPLE}`],
        [
          SAMPLE,
          way,
          String(concurrency),
        ],
      );
      assert(code === 0 && !stderr.includes("Uncaught"), `exit ${code}: ${stderr}`);
      const { ends, unhandled } = JSON.parse(stdout.trim());
      const refused = 'NotCapable: Cannot run "ffmpeg": this script may not start it; run Deno ' +
        "with --allow-run=ffmpeg";
      deepStrictEqual(Object.values(ends), Array(7).fill(refused), JSON.stringify(ends));
      deepStrictEqual(unhandled, []);
    });
  }
}

Deno.test("a video that is a symbolic link out of the read scope is refused naming the link, its target and the flag", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_link_" });
  try {
    const device = join(root, "in", "Miniscope");
    const outside = join(root, "out");
    await Deno.mkdir(device, { recursive: true });
    await Deno.mkdir(outside);
    for await (const entry of Deno.readDir(SAMPLE)) {
      await Deno.copyFile(join(SAMPLE, entry.name), join(device, entry.name));
    }
    await Deno.rename(join(device, "1.avi"), join(outside, "1.avi"));
    await Deno.symlink(join(outside, "1.avi"), join(device, "1.avi"));
    const result = await runSandboxed([`--allow-read=${join(root, "in")}`, "--allow-run=ffmpeg"], [
      device,
    ]);
    deepStrictEqual([result.ok, result.name], [false, "NotCapable"]);
    deepStrictEqual(
      result.message,
      `Cannot open file "${join(device, "1.avi")}": it is a symbolic link to ` +
        `"${join(outside, "1.avi")}", outside the folders this script may read; run Deno ` +
        `with --allow-read=${outside} (or a folder that contains it) as well`,
    );
    // With the target's folder readable too, the linked file reads exactly.
    const ok = await runSandboxed(
      [`--allow-read=${join(root, "in")},${outside}`, "--allow-run=ffmpeg"],
      [device],
    );
    deepStrictEqual(ok, {
      ok: true,
      samples: 58,
      sum: sumOf(expectedFrames(range(0, 58), 48, 40)),
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
