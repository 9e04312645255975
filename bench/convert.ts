/**
 * `deno task bench:convert`: `convert --jobs 2` of four sessions against the same four sessions
 * exported one after another with `export ... --out <file>.nwb` (the same NWB options, gzip
 * level 4), both through the command line in processes of their own, in one run; with the
 * peak resident memory of each process (sampled with `ps` every 100 ms, ffmpeg's own not
 * counted) and the peak `convert` reports itself.
 *
 * The sessions (608x608 frames as a V4 Miniscope records them, 1,500 each in two files) are
 * written once into `~/.cache/miniscope-reader-bench/convert-v1`.
 *
 * @module
 */

import { join } from "node:path";
import { qtJson, scopeFrames, writeRecording } from "../src/sample.ts";

const WIDTH = 608;
const HEIGHT = 608;
const FRAMES = 1500;
const SESSIONS = 4;
const JOBS = 2;
const cacheRoot = Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/tmp", ".cache");
const root = join(cacheRoot, "miniscope-reader-bench", "convert-v1");
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;

function sessionFolder(i: number): string {
  return join(root, "data", "lab", "exp1", `mouse${i + 1}`, "2022_09_19", `1${i}_00_00`);
}

/** Writes the four sessions once. */
async function ensureSessions(): Promise<void> {
  const done = join(root, "complete");
  if (await Deno.stat(done).then(() => true, () => false)) return;
  console.log(`Writing ${SESSIONS} sessions of ${FRAMES} frames into ${root} (once) ...`);
  await Deno.remove(join(root, "data"), { recursive: true }).catch(() => {});
  const frame = scopeFrames(WIDTH, HEIGHT);
  for (let i = 0; i < SESSIONS; i++) {
    const folder = sessionFolder(i);
    await writeRecording(join(folder, "Miniscope"), {
      width: WIDTH,
      height: HEIGHT,
      frames: FRAMES,
      framesPerFile: 1000,
      timestamps: { startMs: -67, droppedAfter: [700] },
      frame,
    });
    const hour = 10 + i;
    await Deno.writeTextFile(
      join(folder, "metaData.json"),
      qtJson({
        animalName: `mouse${i + 1}`,
        researcherName: "Doe, Jane",
        experimentName: "exp1",
        cameras: [],
        miniscopes: ["Miniscope"],
        recordingStartTime: {
          year: 2022,
          month: 9,
          day: 19,
          hour,
          minute: 0,
          second: 0,
          msec: 0,
          msecSinceEpoch: Date.UTC(2022, 8, 19, hour - 2),
        },
      }),
    );
  }
  await Deno.writeTextFile(
    join(root, "subjects.tsv"),
    "subject_id\tspecies\tsex\tage\n" +
      Array.from({ length: SESSIONS }, (_, i) => `mouse${i + 1}\tMus musculus\tF\tP90D\n`).join(""),
  );
  await Deno.writeTextFile(done, "");
}

/** Runs the command line; returns its wall time, its peak memory and its stdout. */
async function measure(
  args: string[],
): Promise<{ seconds: number; peakMb: number; stdout: string }> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-run=ffmpeg",
      CLI,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Reading /proc/<pid> needs --allow-all; ps tells the resident memory as well.
  let peakKb = 0;
  let sampling = false;
  const timer = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    const ps = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(child.pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => null);
    const kb = Number(new TextDecoder().decode(ps?.stdout ?? new Uint8Array()).trim());
    if (Number.isFinite(kb)) peakKb = Math.max(peakKb, kb);
    sampling = false;
  }, 100);
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearInterval(timer);
  if (!status.success) throw new Error(`miniscope ${args.join(" ")} failed:\n${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024, stdout };
}

await ensureSessions();
const work = await Deno.makeTempDir({ prefix: "miniscope_bench_convert_" });
try {
  console.log(
    `${SESSIONS} sessions of ${FRAMES} frames ${WIDTH}x${HEIGHT}, ${navigator.hardwareConcurrency} cores`,
  );
  let exportSeconds = 0;
  let exportPeak = 0;
  for (let i = 0; i < SESSIONS; i++) {
    const r = await measure([
      "export",
      sessionFolder(i),
      "--out",
      join(work, `session${i}.nwb`),
      "--subject-id",
      `mouse${i + 1}`,
      "--species",
      "Mus musculus",
      "--sex",
      "F",
      "--age",
      "P90D",
    ]);
    exportSeconds += r.seconds;
    exportPeak = Math.max(exportPeak, r.peakMb);
    console.log(`  export ${i + 1}: ${r.seconds.toFixed(1)} s, peak ${r.peakMb.toFixed(0)} MB`);
  }
  const converted = await measure([
    "convert",
    join(root, "data"),
    "--out",
    join(work, "dandiset"),
    "--subjects",
    join(root, "subjects.tsv"),
    "--jobs",
    String(JOBS),
  ]);
  const reported = /peak memory (\d+) MB/.exec(converted.stdout)?.[1];
  console.log(
    `  convert --jobs ${JOBS}: ${converted.seconds.toFixed(1)} s, peak ${
      converted.peakMb.toFixed(0)
    } MB ` +
      `(reported by convert: ${reported} MB)`,
  );
  const ratio = converted.seconds / exportSeconds;
  console.log(
    `\n| measure | convert --jobs ${JOBS} | ${SESSIONS} exports one after another | ratio | target |`,
  );
  console.log(`| --- | --- | --- | --- | --- |`);
  console.log(
    `| wall time | ${converted.seconds.toFixed(1)} s | ${exportSeconds.toFixed(1)} s | ${
      ratio.toFixed(2)
    }x | <= 0.9x |`,
  );
  console.log(
    `| peak memory | ${converted.peakMb.toFixed(0)} MB | ${exportPeak.toFixed(0)} MB | | |`,
  );
} finally {
  await Deno.remove(work, { recursive: true });
}
