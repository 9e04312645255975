// The command line, run as a subprocess with the narrowest permissions each command needs.
import { join } from "node:path";
import { decode } from "fast-png";
import assert, { deepStrictEqual } from "node:assert/strict";
import { timestampsCsv } from "../src/sample.ts";
import {
  assertBytesEqual,
  containing,
  copyFixture,
  encodeTestPattern,
  expectedFrames,
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  findPython,
  frameChunkOffset,
  range,
  removeCopy,
  runDenoScript,
  runPython,
  SAMPLE,
  startingWith,
  TESTDATA,
} from "./_helpers.ts";
import { TiffPlan } from "../src/cli/tiff.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const SESSION = join(SAMPLE, "..");
const python = await findPython(["numpy", "tifffile"]);

function cli(flags: string[], args: string[]) {
  return runDenoScript(CLI, flags, args);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const readOnly = [`--allow-read=${SESSION}`];
const withFfmpeg = [...readOnly, "--allow-run=ffmpeg"];
/** Export reads the output folder too: renaming the finished files into place needs it. */
const exportFlags = (
  out: string,
) => [`--allow-read=${SESSION},${out}`, "--allow-run=ffmpeg", `--allow-write=${out}`];

Deno.test("every command answers --help with exit 0, --version prints the version, bad usage exits 2", async () => {
  for (const command of ["info", "export", "preview", "demo"]) {
    const result = await cli([], [command, "--help"]);
    deepStrictEqual(result.code, 0, command);
    assert.match(result.stdout, startingWith(`Usage: miniscope ${command}`));
  }
  const version = await cli(["--allow-read"], ["--version"]);
  const { version: expected } = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  deepStrictEqual([version.code, version.stdout.trim()], [0, expected]);
  for (
    const args of [[], ["frobnicate"], ["info"], ["info", SAMPLE, "--bogus"], ["export", SAMPLE], [
      "export",
      SAMPLE,
      "--out",
      "x.npy",
      "--start",
      "abc",
    ]]
  ) {
    deepStrictEqual((await cli(readOnly, args)).code, 2, args.join(" "));
  }
});

Deno.test("info --json reports counts, shape, frequency, dropped frames, device settings and the session start", async () => {
  const result = await cli(readOnly, ["info", SAMPLE, "--json"]);
  deepStrictEqual(result.code, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  deepStrictEqual(info.files, ["0.avi", "1.avi", "2.avi"]);
  deepStrictEqual(info.frames, {
    video: 58,
    timestamps: 58,
    samples: 58,
    mismatch: false,
    lostInFiles: 0,
  });
  deepStrictEqual(info.shape, { rows: 40, cols: 48 });
  assert(Math.abs(info.samplingFrequencyHz - 30.0268) < 0.001, String(info.samplingFrequencyHz));
  deepStrictEqual(info.firstTimestampSeconds, -0.068);
  deepStrictEqual(info.droppedFrames.count, 1);
  deepStrictEqual(info.droppedFrames.gaps.map((g: { afterSample: number }) => g.afterSample), [30]);
  deepStrictEqual(info.droppedFrames.daqCount, 1);
  deepStrictEqual(info.device.type, "Miniscope_V4_BNO");
  deepStrictEqual(info.device.frameRate, "30FPS");
  deepStrictEqual(info.device.gain, 3.5);
  deepStrictEqual(info.session.startTime.local, "2022-09-19T09:18:41.007");
  deepStrictEqual(info.session.startTime.msecSinceEpoch, 1663579121007);
  const text = await cli(readOnly, ["info", SAMPLE]);
  deepStrictEqual(text.code, 0);
  assert.match(text.stdout, containing("Dropped      1 by time stamps"));
  assert.match(text.stdout, /1 after sample 30/);
});

Deno.test("info says what the device is: a behaviour camera is one, read in colour without a warning about gray", async () => {
  const scope = JSON.parse((await cli(readOnly, ["info", SAMPLE, "--json"])).stdout);
  deepStrictEqual([scope.kind, scope.layout], ["miniscope", "qt"]);
  const codecs = join(TESTDATA, "codecs");
  const folder = join(codecs, "colour_MJPG");
  const result = await cli([`--allow-read=${codecs}`], ["info", folder, "--json"]);
  deepStrictEqual(result.code, 0, result.stderr);
  const camera = JSON.parse(result.stdout);
  deepStrictEqual([camera.kind, camera.frames.samples, camera.shape], ["camera", 60, {
    rows: 40,
    cols: 48,
  }]);
  deepStrictEqual(camera.warnings, []);
  const text = await cli([`--allow-read=${codecs}`], ["info", folder]);
  assert(text.stdout.startsWith(`Recording    ${folder} (a behaviour camera)\n`), text.stdout);
});

Deno.test("info on a missing folder exits 1 with one line on stderr", async () => {
  const result = await cli([`--allow-read=${TESTDATA}`], ["info", join(TESTDATA, "nope")]);
  deepStrictEqual(result.code, 1);
  deepStrictEqual(result.stderr.trim().split("\n").length, 1);
  assert.match(result.stderr, /does not exist/);
});

Deno.test({
  name: "export writes .npy frames and timestamps that numpy reads back byte for byte",
  ignore: python === undefined,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "miniscope_export_" });
    try {
      const path = join(out, "frames.npy");
      const result = await cli(exportFlags(out), [
        "export",
        SAMPLE,
        "--out",
        path,
        "--start",
        "5",
        "--end",
        "50",
      ]);
      deepStrictEqual(result.code, 0, result.stderr);
      const report = JSON.parse(
        await runPython(
          python!,
          `
import sys, json, hashlib, numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
t = np.load(sys.argv[2])
print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "sha": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest(), "t": t.tolist()}))
`,
          [path, join(out, "frames.timestamps.npy")],
        ),
      );
      deepStrictEqual(report.shape, [45, 40, 48]);
      deepStrictEqual(report.dtype, "uint8");
      deepStrictEqual(report.sha, await sha256(expectedFrames(range(5, 50), 48, 40)));
      const csv = (await Deno.readTextFile(join(SAMPLE, "timeStamps.csv"))).trim().split("\n")
        .slice(1);
      deepStrictEqual(report.t, csv.slice(5, 50).map((line) => Number(line.split(",")[1]) / 1000));
      const meta = JSON.parse(await Deno.readTextFile(join(out, "frames.metadata.json")));
      deepStrictEqual(meta.export, { start: 5, end: 50, format: "npy", shape: [45, 40, 48] });
      deepStrictEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
        "frames.metadata.json",
        "frames.npy",
        "frames.timestamps.npy",
      ]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "export writes a multi-page TIFF that tifffile reads back byte for byte, and BigTIFF reads too",
  ignore: python === undefined,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "miniscope_export_" });
    try {
      const path = join(out, "frames.tif");
      const result = await cli(exportFlags(out), [
        "export",
        SAMPLE,
        "--out",
        path,
      ]);
      deepStrictEqual(result.code, 0, result.stderr);
      const read = `
import sys, json, hashlib, numpy as np, tifffile
with tifffile.TiffFile(sys.argv[1]) as f:
    a = f.asarray()
    print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "big": f.is_bigtiff, "pages": len(f.pages), "sha": hashlib.sha256(a.tobytes()).hexdigest()}))
`;
      const report = JSON.parse(await runPython(python!, read, [path]));
      deepStrictEqual(report, {
        shape: [58, 40, 48],
        dtype: "uint8",
        big: false,
        pages: 58,
        sha: await sha256(expectedFrames(range(0, 58), 48, 40)),
      });
      assert.match(
        await Deno.readTextFile(join(out, "frames.timestamps.csv")),
        startingWith(
          "sample,time_s\n0,-0.068\n",
        ),
      );
      // BigTIFF, which files past 4 GiB get, written by the same plan with odd-sized pages.
      const plan = new TiffPlan({ width: 7, height: 5, pages: 3, bigTiff: true });
      const frames = expectedFrames([0, 1, 2], 7, 5);
      const parts = [plan.header()];
      for (let i = 0; i < 3; i++) {
        parts.push(plan.directory(i), frames.subarray(i * 35, (i + 1) * 35), plan.padding());
      }
      const big = join(out, "big.tif");
      await Deno.writeFile(big, new Uint8Array(parts.flatMap((p) => [...p])));
      const bigReport = JSON.parse(await runPython(python!, read, [big]));
      deepStrictEqual(bigReport, {
        shape: [3, 5, 7],
        dtype: "uint8",
        big: true,
        pages: 3,
        sha: await sha256(frames),
      });
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("export that fails midway leaves no file under the final names and exits 1", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_export_" });
  try {
    const device = join(root, "Miniscope");
    await Deno.mkdir(device);
    for (const name of ["0.avi", "1.avi", "2.avi", "timeStamps.csv"]) {
      await Deno.copyFile(join(SAMPLE, name), join(device, name));
    }
    const bytes = await Deno.readFile(join(device, "1.avi"));
    bytes.fill(0xff, bytes.length - 3000, bytes.length - 2000); // inside the last frames' data
    await Deno.writeFile(join(device, "1.avi"), bytes);
    const out = join(root, "out");
    await Deno.mkdir(out);
    const result = await cli(
      [`--allow-read=${root}`, "--allow-run=ffmpeg", `--allow-write=${out}`],
      ["export", device, "--out", join(out, "frames.npy")],
    );
    deepStrictEqual(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /^Error: /);
    deepStrictEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** The SHA-256 of every file in a folder, by name. */
async function digests(folder: string): Promise<Record<string, string>> {
  const all: Record<string, string> = {};
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile) all[entry.name] = await sha256(await Deno.readFile(join(folder, entry.name)));
  }
  return all;
}

Deno.test("export refuses to write over a file of the recording by any path, even with --overwrite, naming both, and leaves the recording intact", async () => {
  const device = await copyFixture(SAMPLE);
  const root = join(device, "..");
  try {
    await Deno.copyFile(join(SESSION, "metaData.json"), join(root, "metaData.json"));
    await Deno.symlink(device, join(root, "link"));
    await Deno.link(join(device, "2.avi"), join(root, "hard.tif"));
    const before = [await digests(device), await digests(root)];
    const flags = [`--allow-read=${root}`, "--allow-run=ffmpeg", `--allow-write=${root}`];
    const replace = (input: string) =>
      `it would replace "${input}", a file of the recording being exported`;
    const cases: [string[], string, string][] = [
      [["--out", join(device, "0.avi")], join(device, "0.avi"), replace(join(device, "0.avi"))],
      [
        ["--out", join(device, "timeStamps.csv"), "--format", "tiff"],
        join(device, "timeStamps.csv"),
        replace(join(device, "timeStamps.csv")),
      ],
      [
        ["--out", join(device, "metaData.json"), "--format", "npy", "--overwrite"],
        join(device, "metaData.json"),
        replace(join(device, "metaData.json")),
      ],
      [
        ["--out", `${device}/../Miniscope/1.avi`, "--overwrite"],
        `${device}/../Miniscope/1.avi`,
        replace(join(device, "1.avi")),
      ],
      [
        ["--out", join(root, "link", "headOrientation.csv"), "--format", "tiff", "--overwrite"],
        join(root, "link", "headOrientation.csv"),
        replace(join(device, "headOrientation.csv")),
      ],
      [
        ["--out", join(root, "hard.tif"), "--overwrite"],
        join(root, "hard.tif"),
        `${replace(join(device, "2.avi"))} (the same file under another name)`,
      ],
      [
        ["--out", join(device, "0.avi"), "--format", "nwb", "--overwrite"],
        join(device, "0.avi"),
        replace(join(device, "0.avi")),
      ],
      // Files the recording does not have yet, but that a reader would take for its own.
      [
        ["--out", join(root, "notes.csv"), "--format", "tiff"],
        join(root, "notes.csv"),
        `it would be read as "${join(root, "notes.csv")}" of the recording being exported`,
      ],
      [
        ["--out", join(device, "3.avi")],
        join(device, "3.avi"),
        `it would be read as a video of the recording, beside "${join(device, "0.avi")}"`,
      ],
    ];
    for (const [args, out, cause] of cases) {
      const result = await cli(flags, ["export", device, ...args]);
      deepStrictEqual(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
      deepStrictEqual(result.stderr.trim(), `Error: Cannot write "${out}": ${cause}`);
    }
    deepStrictEqual([await digests(device), await digests(root)], before);
    deepStrictEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), [
      "Miniscope",
      "hard.tif",
      "link",
      "metaData.json",
    ]);
  } finally {
    await removeCopy(device);
  }
});

Deno.test("export keeps an existing frames or side file unless --overwrite is given", async () => {
  const out = await Deno.makeTempDir({ prefix: "miniscope_export_" });
  try {
    const frames = join(out, "frames.tif");
    for (
      const existing of [
        frames,
        join(out, "frames.timestamps.csv"),
        join(out, "frames.metadata.json"),
      ]
    ) {
      await Deno.writeTextFile(existing, "kept");
      const result = await cli(exportFlags(out), ["export", SAMPLE, "--out", frames]);
      deepStrictEqual(result.code, 1, result.stderr);
      deepStrictEqual(
        result.stderr.trim(),
        `Error: "${existing}" already exists; pass overwrite (--overwrite) to replace it`,
      );
      deepStrictEqual(await Deno.readTextFile(existing), "kept");
      deepStrictEqual([...Deno.readDirSync(out)].length, 1);
      const replaced = await cli(exportFlags(out), [
        "export",
        SAMPLE,
        "--out",
        frames,
        "--overwrite",
      ]);
      deepStrictEqual(replaced.code, 0, replaced.stderr);
      const { size } = await Deno.stat(existing);
      assert(size > 4, `${existing} holds ${size} bytes, not the export`);
      for (const entry of [...Deno.readDirSync(out)]) {
        await Deno.remove(join(out, entry.name));
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("export into a missing folder, onto a folder or under a file fails in one line naming the path and the cause", async () => {
  const out = await Deno.makeTempDir({ prefix: "miniscope_export_" });
  try {
    await Deno.writeTextFile(join(out, "file"), "");
    const cases = [
      [join(out, "none", "frames.npy"), `the folder "${join(out, "none")}" does not exist`],
      [out, "it is a folder"],
      [join(out, "file", "frames.npy"), `"${join(out, "file")}" is a file, not a folder`],
      [join(out, "file", "a", "frames.npy"), `"${join(out, "file", "a")}" is not a folder`],
    ];
    for (const [path, cause] of cases) {
      const result = await cli(exportFlags(out), ["export", SAMPLE, "--out", path!, "--overwrite"]);
      deepStrictEqual(result.code, 1, result.stderr);
      deepStrictEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, startingWith(`Error: Cannot write "${path}": ${cause}`));
    }
    deepStrictEqual([...Deno.readDirSync(out)].map((e) => e.name), ["file"]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("preview writes mean and max PNGs of the frame size and an interval plot marking the dropped frame", async () => {
  const out = await Deno.makeTempDir({ prefix: "miniscope_preview_" });
  try {
    const result = await cli([...withFfmpeg, `--allow-write=${out}`], [
      "preview",
      SAMPLE,
      "--out",
      out,
    ]);
    deepStrictEqual(result.code, 0, result.stderr);
    assert.match(result.stdout, /saturated/);
    // The pictures are contrast stretches of the projections: monotonic in the true values.
    const frames = expectedFrames(range(0, 58), 48, 40);
    const size = 48 * 40;
    const sum = new Float64Array(size);
    const max = new Uint8Array(size);
    for (let f = 0; f < 58; f++) {
      for (let i = 0; i < size; i++) {
        const v = frames[f * size + i]!;
        sum[i]! += v;
        if (v > max[i]!) max[i] = v;
      }
    }
    for (const [name, truth] of [["mean.png", sum], ["max.png", max]] as const) {
      const image = decode(await Deno.readFile(join(out, name)));
      deepStrictEqual([image.width, image.height, image.channels, image.depth], [48, 40, 1, 8]);
      const order = range(0, size).sort((a, b) => truth[a]! - truth[b]!);
      for (let k = 1; k < size; k++) {
        const [a, b] = [order[k - 1]!, order[k]!];
        if (truth[a]! < truth[b]!) {
          assert(image.data[a]! <= image.data[b]!, `${name}: pixel ${a} vs ${b}`);
        }
      }
      deepStrictEqual(Math.max(...image.data), 255);
      deepStrictEqual(Math.min(...image.data), 0);
    }
    const svg = await Deno.readTextFile(join(out, "intervals.svg"));
    assert.match(svg, /^<svg/);
    assert.match(svg, /<polyline/);
    deepStrictEqual(svg.match(/<circle/g)?.length, 1);
    assert.match(svg, /1 dropped after sample 30/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** The contrast stretch `preview` documents: the 0.5th to 99.5th percentile onto 0 to 255. */
function stretched(values: ArrayLike<number>): Uint8Array {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const low = sorted[Math.floor(sorted.length * 0.005)]!;
  const high = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.995))]!;
  const span = high > low ? high - low : 1;
  return Uint8Array.from(
    values,
    (v) => Math.max(0, Math.min(255, Math.round((v - low) / span * 255))),
  );
}

Deno.test("preview of a colour camera writes RGB mean and max PNGs: the stretched mean and max of each channel of ffmpeg's rgb24 decode", async () => {
  const folder = join(TESTDATA, "codecs", "colour_MJPG");
  const out = await Deno.makeTempDir({ prefix: "miniscope_preview_" });
  try {
    const result = await cli([
      `--allow-read=${join(TESTDATA, "codecs")}`,
      "--allow-run=ffmpeg",
      `--allow-write=${out}`,
    ], ["preview", folder, "--out", out]);
    deepStrictEqual(result.code, 0, result.stderr);
    const files = [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n.endsWith(".avi"))
      .sort().map((name) => join(folder, name));
    const decoded = await ffmpegDecodeAll(files, "rgb24");
    const size = 48 * 40 * 3;
    const frames = decoded.length / size;
    deepStrictEqual(frames, 60);
    const sum = new Float64Array(size);
    const max = new Uint8Array(size);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < size; i++) {
        const v = decoded[f * size + i]!;
        sum[i]! += v;
        if (v > max[i]!) max[i] = v;
      }
    }
    const mean = sum.map((v) => v / frames);
    for (const [name, truth] of [["mean.png", mean], ["max.png", max]] as const) {
      const image = decode(await Deno.readFile(join(out, name)));
      deepStrictEqual([image.width, image.height, image.channels, image.depth], [48, 40, 3, 8]);
      assertBytesEqual(image.data as Uint8Array, stretched(truth), name);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("preview onto a file or into a folder that cannot be made fails in one line naming it", async () => {
  const out = await Deno.makeTempDir({ prefix: "miniscope_preview_" });
  try {
    const file = join(out, "0.avi");
    await Deno.writeTextFile(file, "kept");
    const flags = [`--allow-read=${SESSION},${out}`, "--allow-run=ffmpeg", `--allow-write=${out}`];
    const cases = [
      [file, `Error: Cannot write into "${file}": it is a file, not a folder`],
      [join(file, "pictures"), `Error: Cannot write "${join(file, "pictures")}": Not a directory`],
    ];
    for (const [path, message] of cases) {
      const result = await cli(flags, ["preview", SAMPLE, "--out", path!]);
      deepStrictEqual(result.code, 1, result.stderr);
      deepStrictEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, startingWith(message!));
    }
    deepStrictEqual(await Deno.readTextFile(file), "kept");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("demo writes a sample session with ffmpeg and runs info and preview on it", async () => {
  const result = await cli(["--allow-read", "--allow-write", "--allow-run=ffmpeg"], ["demo"]);
  deepStrictEqual(result.code, 0, result.stderr);
  assert.match(result.stdout, containing("Frames       240 of 120 x 160 pixels"));
  assert.match(result.stdout, containing("Dropped      1 by time stamps"));
  const folder = /Writing a sample session with ffmpeg to (\S+)/.exec(result.stdout)![1]!;
  try {
    for (const name of ["mean.png", "max.png", "intervals.svg"]) {
      assert((await Deno.stat(join(folder, "preview", name))).size > 100, name);
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("export stopped by SIGTERM, SIGHUP, SIGINT or a terminal's Ctrl-C says Interrupted and leaves no file or ffmpeg behind", async () => {
  const root = await Deno.makeTempDir({ prefix: "miniscope_export_" });
  try {
    // Long enough that the export is still running when the signal comes.
    const device = join(root, "Miniscope");
    await Deno.mkdir(device);
    await encodeTestPattern(join(device, "0.avi"), {
      size: "320x240",
      frames: 1500,
      pixelFormat: "gray",
      extra: ["-g", "12"],
    });
    await Deno.writeTextFile(join(device, "timeStamps.csv"), timestampsCsv({ frames: 1500 }));
    // Ctrl-C in a terminal is a SIGINT to the whole foreground process group: ffmpeg gets it
    // too, and may fail before the command line hears of it.
    const cases = [
      { signal: "SIGTERM", group: false },
      { signal: "SIGHUP", group: false },
      { signal: "SIGINT", group: false },
      { signal: "SIGINT", group: true },
    ] as const;
    for (const { signal, group } of cases) {
      const what = group ? `${signal} to the process group` : signal;
      const out = join(root, `out_${signal}${group ? "_group" : ""}`);
      await Deno.mkdir(out);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--quiet",
          `--allow-read=${root}`,
          "--allow-run=ffmpeg",
          `--allow-write=${out}`,
          CLI,
          "export",
          device,
          "--out",
          join(out, "frames.npy"),
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        // A group of its own, as a terminal gives a command it runs.
        detached: group,
      }).spawn();
      const stdout = new Response(child.stdout).text();
      const stderr = new Response(child.stderr).text();
      // Signal once the export has started writing.
      let writing = false;
      for (let i = 0; i < 1000 && !writing; i++) {
        writing = [...Deno.readDirSync(out)].some((e) => e.name.includes(".partial-"));
        if (!writing) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert(writing, `${what}: the export never started writing`);
      if (group) Deno.kill(-child.pid, signal);
      else child.kill(signal);
      const status = await child.status;
      const message = (await stderr).trim();
      await stdout;
      deepStrictEqual(status.code, 1, `${what}: ${message}`);
      deepStrictEqual(message, "Error: Interrupted", what);
      deepStrictEqual([...Deno.readDirSync(out)], [], `${what}: files left behind`);
      deepStrictEqual(await ffmpegProcessesMentioning(device), 0, `${what}: ffmpeg left running`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A copy of the sample session: returns its device folder (the session is its parent). */
async function copySession(): Promise<string> {
  const device = await copyFixture(SAMPLE);
  await Deno.copyFile(join(SESSION, "metaData.json"), join(device, "..", "metaData.json"));
  return device;
}

Deno.test("info warns about a broken device or session metaData.json (truncated, empty, an array) and goes on", async () => {
  const device = await copySession();
  try {
    const flags = [`--allow-read=${join(device, "..")}`];
    const deviceMeta = join(device, "metaData.json");
    const sessionMeta = join(device, "..", "metaData.json");
    const full = await Deno.readTextFile(deviceMeta);
    for (
      const [path, text] of [[deviceMeta, full.slice(0, 60)], [deviceMeta, ""], [
        sessionMeta,
        "[1]",
      ]]
    ) {
      const saved = await Deno.readTextFile(path!);
      await Deno.writeTextFile(path!, text!);
      const result = await cli(flags, ["info", device, "--json"]);
      deepStrictEqual(result.code, 0, result.stderr);
      const info = JSON.parse(result.stdout);
      deepStrictEqual(info.frames.samples, 58);
      deepStrictEqual(
        info.warnings.filter((w: string) => w.includes(`"${path}"`)).length,
        1,
        info.warnings.join("\n"),
      );
      deepStrictEqual(path === deviceMeta ? info.device : info.session, null);
      await Deno.writeTextFile(path!, saved);
    }
  } finally {
    await removeCopy(device);
  }
});

Deno.test("info with read access to the device folder only reads it and notes the session metaData.json it could not read", async () => {
  const result = await cli([`--allow-read=${SAMPLE}`], ["info", SAMPLE, "--json"]);
  deepStrictEqual(result.code, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  deepStrictEqual(info.frames.samples, 58);
  deepStrictEqual(info.session, null);
  deepStrictEqual(info.device.type, "Miniscope_V4_BNO");
  assert(
    info.warnings.some((w: string) =>
      w.includes(join(SESSION, "metaData.json")) && w.includes(`--allow-read=${SESSION}`)
    ),
    info.warnings.join("\n"),
  );
});

Deno.test("info shows a clock that steps back and frames lost from a cut file, in text and --json", async () => {
  const device = await copySession();
  try {
    const csv = join(device, "timeStamps.csv");
    const lines = (await Deno.readTextFile(csv)).split("\n");
    const cells = lines[11]!.split(",");
    cells[1] = String(Number(lines[10]!.split(",")[1]) - 50);
    lines[11] = cells.join(",");
    await Deno.writeTextFile(csv, lines.join("\n"));
    const video = join(device, "1.avi");
    const bytes = await Deno.readFile(video);
    await Deno.writeFile(video, bytes.subarray(0, frameChunkOffset(bytes, 20) + 20));
    const flags = [`--allow-read=${join(device, "..")}`];
    const json = await cli(flags, ["info", device, "--json"]);
    deepStrictEqual(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    deepStrictEqual(info.droppedFrames.stepsBack, [{ afterSample: 9, intervalMs: -50 }]);
    deepStrictEqual(info.droppedFrames.lostInFiles, [{ afterSample: 43, missing: 4, file: video }]);
    deepStrictEqual(info.frames.lostInFiles, 4);
    deepStrictEqual(info.frames.samples, 54);
    assert(info.warnings.some((w: string) => w.includes("CSV line 12")), info.warnings.join("\n"));
    const text = await cli(flags, ["info", device]);
    deepStrictEqual(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      containing("Clock        steps back 1 time: after sample 9 (-50 ms)"),
    );
    assert.match(
      text.stdout,
      containing("Lost         4 frames after sample 43: the end of 1.avi"),
    );
    assert.match(text.stdout, /4 frames lost from a file cut short/);
  } finally {
    await removeCopy(device);
  }
});

/** Whether this runs as root on Linux (asked of `id`, which needs no --allow-sys). */
async function isLinuxRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const { stdout } = await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output();
    return new TextDecoder().decode(stdout).trim() === "0";
  } catch {
    return false;
  }
}

Deno.test({
  name: "export on a full disk names the file it was writing and leaves nothing behind",
  ignore: !(await isLinuxRoot()), // mounting a small tmpfs needs root
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "miniscope_full_" });
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", out],
      stderr: "piped",
    }).output();
    if (!mount.success) {
      await Deno.remove(out);
      throw new Error(`cannot mount a tmpfs: ${new TextDecoder().decode(mount.stderr)}`);
    }
    try {
      // 58 frames of 48 x 40 bytes do not fit in 64 KiB.
      const path = join(out, "frames.npy");
      const result = await cli(exportFlags(out), ["export", SAMPLE, "--out", path]);
      deepStrictEqual(result.code, 1, result.stderr);
      const lines = result.stderr.trim().split("\n").filter((l) => !l.startsWith("Exporting"));
      deepStrictEqual(lines.length, 1, result.stderr);
      assert.match(lines[0]!, containing(`Cannot write "${path}": No space left on device`));
      deepStrictEqual([...Deno.readDirSync(out)], []);
    } finally {
      await new Deno.Command("umount", { args: [out] }).output();
      await Deno.remove(out);
    }
  },
});
