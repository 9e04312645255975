/**
 * `deno task bench:convert`: `convert --jobs 2` of four sessions against the same four sessions
 * exported one after another with `export ... --out <file>.nwb` (the same NWB options, gzip
 * level 4), both through the command line in processes of their own, in one run; with the
 * peak resident memory of each process (sampled with `ps` every 100 ms, ffmpeg's own not
 * counted) and the peak `convert` reports itself.
 *
 * Both are measured twice, alternating, and the best of each kept; user and system time (of
 * each process and the ffmpeg processes it ran, with GNU time) tell what the work cost
 * whatever else the machine does.
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
/** Rounds of both measures, alternating; the best of each is kept, as the machine is shared. */
const ROUNDS = 2;
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

const TIME = await Deno.stat("/usr/bin/time").then(() => "/usr/bin/time", () => null);

interface Measure {
  seconds: number;
  /** User and system time of the process and the ffmpeg processes it ran, when known. */
  cpuSeconds: number | null;
  peakMb: number;
  stdout: string;
}

/**
 * Runs the command line; returns its wall time, its processor time (with GNU time), its peak
 * resident memory (sampled with `ps` every 100 ms: reading /proc/<pid> needs --allow-all) and
 * its stdout.
 */
async function measure(args: string[]): Promise<Measure> {
  const deno = [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--quiet",
    "--allow-read",
    "--allow-write",
    "--allow-run=ffmpeg",
    CLI,
    ...args,
  ];
  const command = TIME ? [TIME, "-f", "cpu %U %S", ...deno] : deno;
  const started = performance.now();
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peakKb = 0;
  let sampling = false;
  const timer = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    const ps = await new Deno.Command("ps", {
      args: ["-o", "rss=", TIME ? "--ppid" : "-p", String(child.pid)],
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
  const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(stderr);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : null,
    peakMb: peakKb / 1024,
    stdout,
  };
}

/** The four exports one after another, then the conversion, in a fresh folder. */
async function round(work: string): Promise<{ exports: Measure; convert: Measure }> {
  const exports: Measure = { seconds: 0, cpuSeconds: 0, peakMb: 0, stdout: "" };
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
    exports.seconds += r.seconds;
    exports.cpuSeconds = r.cpuSeconds === null ? null : exports.cpuSeconds! + r.cpuSeconds;
    exports.peakMb = Math.max(exports.peakMb, r.peakMb);
  }
  const convert = await measure([
    "convert",
    join(root, "data"),
    "--out",
    join(work, "dandiset"),
    "--subjects",
    join(root, "subjects.tsv"),
    "--jobs",
    String(JOBS),
  ]);
  return { exports, convert };
}

const cpu = (m: Measure) => (m.cpuSeconds === null ? "?" : `${m.cpuSeconds.toFixed(1)} s`);

await ensureSessions();
console.log(
  `${SESSIONS} sessions of ${FRAMES} frames ${WIDTH}x${HEIGHT}, ${navigator.hardwareConcurrency} ` +
    `cores; ${ROUNDS} rounds, alternating, the best of each kept`,
);
let best: { exports: Measure; convert: Measure } | undefined;
for (let r = 0; r < ROUNDS; r++) {
  const work = await Deno.makeTempDir({ prefix: "miniscope_bench_convert_" });
  try {
    const { exports, convert } = await round(work);
    const reported = /peak memory (\d+) MB/.exec(convert.stdout)?.[1];
    console.log(
      `  round ${r + 1}: exports ${exports.seconds.toFixed(1)} s (cpu ${cpu(exports)}), ` +
        `convert --jobs ${JOBS} ${convert.seconds.toFixed(1)} s (cpu ${cpu(convert)}, peak ` +
        `${convert.peakMb.toFixed(0)} MB, reported ${reported} MB)`,
    );
    best = {
      exports: !best || exports.seconds < best.exports.seconds ? exports : best.exports,
      convert: !best || convert.seconds < best.convert.seconds ? convert : best.convert,
    };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
const { exports, convert } = best!;
console.log(
  `\n| measure | convert --jobs ${JOBS} | ${SESSIONS} exports one after another | ratio | target |`,
);
console.log(`| --- | --- | --- | --- | --- |`);
console.log(
  `| wall time | ${convert.seconds.toFixed(1)} s | ${exports.seconds.toFixed(1)} s | ` +
    `${(convert.seconds / exports.seconds).toFixed(2)}x | <= 0.9x |`,
);
console.log(`| processor time | ${cpu(convert)} | ${cpu(exports)} | | |`);
console.log(
  `| peak memory | ${convert.peakMb.toFixed(0)} MB | ${exports.peakMb.toFixed(0)} MB | | |`,
);
