// NWB export: real files written through h5wasm, read back with h5py (Debian's python3-h5py)
// and with h5wasm, frames compared with an independent ffmpeg decode, and, where the offline
// validator set of ../shared/tools/nwb is installed, validated, read back with pynwb and
// inspected (tests/_nwb_check.ts).
import { dirname, join, relative, resolve } from "node:path";
import h5wasm from "h5wasm/node";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import {
  containing,
  copyTree,
  errorWith,
  ffmpegDecodeAll,
  findPython,
  runDenoScript,
  SAMPLE,
  startingWith,
  TESTDATA,
} from "./_helpers.ts";
import { FIXTURES } from "../testdata/make_fixtures.ts";
import {
  MiniscopeImagingExtractor,
  MiniscopeMultiRecordingImagingExtractor,
  MiniscopeSession,
  StartTimeUnknownError,
} from "../mod.ts";
import { type NwbSource, writeNwb } from "../src/nwb/mod.ts";
import { qtJson, writeRecording } from "../src/sample.ts";
import { makeFrame } from "../testdata/frames.ts";
import { checkNwb } from "./_nwb_check.ts";
import { twoScopeSession } from "./_view.ts";

const SESSION = join(TESTDATA, FIXTURES.sample.session);
const { width: WIDTH, height: HEIGHT, frames: FRAMES } = FIXTURES.sample;
const DUMP = new URL("./tools/nwb_dump.py", import.meta.url).pathname;
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const API_SCRIPT = new URL("./_nwb_sandbox_script.ts", import.meta.url).pathname;
const python = await findPython(["h5py", "numpy"]) ??
  ((await Deno.stat("/usr/bin/python3").then(() => true, () => false)) ? "/usr/bin/python3" : "");

// deno-lint-ignore no-explicit-any
type Dump = Record<string, any>;

/** Every object of the file as h5py sees it. */
async function dump(path: string): Promise<Dump> {
  assert(python !== "", "no python3 with h5py and numpy: install python3-h5py");
  const output = await new Deno.Command(python, {
    args: [DUMP, path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Seconds from a `timeStamps.csv`, read independently of the module. */
async function csvSeconds(path: string): Promise<number[]> {
  const lines = (await Deno.readTextFile(path)).trim().split("\n").slice(1);
  return lines.map((line) => Number(line.split(",")[1]) / 1000);
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_nwb_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const float64 = (value: number | string) => ["<f8", value];
const text = (value: string) => ["vlen-utf-8", value];

Deno.test("writeNwb() writes a session that h5py reads back exactly: transposed frames, time stamps, types, links", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "session.nwb");
    const session = await MiniscopeSession.open(SESSION);
    const result = await writeNwb(session, out, {
      identifier: "test-0001",
      sessionDescription: "sample session",
      species: "Mus musculus",
      sex: "F",
      age: "P90D",
      indicator: "GCaMP6f",
      location: "CA1",
      excitationLambda: 470,
      emissionLambda: 525,
      onWarning() {},
    });
    deepStrictEqual(result.sessionStartTime, "2022-09-19T09:18:41.007+00:00");
    deepStrictEqual(result.series.map((s) => [s.path, s.samples]), [
      ["/acquisition/OnePhotonSeries", FRAMES],
      ["/acquisition/HeadOrientation", 50],
      ["/acquisition/notes", 1],
    ]);
    const f = await dump(out);
    deepStrictEqual(f.libver, ["earliest", "v110"]);
    deepStrictEqual(f["/"].attrs.neurodata_type, text("NWBFile"));
    deepStrictEqual(f["/"].attrs.nwb_version, text("2.6.0"));
    deepStrictEqual(f["/session_start_time"].value, "2022-09-19T09:18:41.007+00:00");
    deepStrictEqual(f["/session_start_time"].dtype, "vlen-ascii");
    deepStrictEqual(f["/timestamps_reference_time"].value, "2022-09-19T09:18:41.007+00:00");
    deepStrictEqual(f["/file_create_date"].shape, [1]);
    assert.match(f["/file_create_date"].value[0], /\+00:00$/);
    deepStrictEqual(f["/identifier"].value, "test-0001");
    deepStrictEqual(f["/general/experimenter"].value, ["lab"]);
    deepStrictEqual(f["/general/experiment_description"].value, "exp1");
    deepStrictEqual(f["/general/subject/subject_id"].value, "mouse1");
    deepStrictEqual(f["/general/subject/species"].value, "Mus musculus");
    deepStrictEqual(f["/general/subject/age"].attrs.reference, text("birth"));
    for (const name of ["analysis", "processing", "stimulus/presentation", "stimulus/templates"]) {
      deepStrictEqual(f[`/${name}`].kind, "group", name);
    }
    // Device and imaging plane.
    const device = f["/general/devices/Miniscope"];
    deepStrictEqual(device.attrs.neurodata_type, text("Miniscope"));
    deepStrictEqual(device.attrs.namespace, text("ndx-miniscope"));
    for (
      const part of ["Miniscope_V4_BNO", "frame rate 30FPS", "gain 3.5", "LED 1", "EWL focus 70"]
    ) {
      assert.match(device.attrs.description[1], containing(part));
    }
    const plane = "/general/optophysiology/ImagingPlane";
    deepStrictEqual(f[`${plane}/device`], {
      kind: "softlink",
      target: "/general/devices/Miniscope",
    });
    deepStrictEqual(f[`${plane}/excitation_lambda`].value, 470);
    deepStrictEqual(f[`${plane}/excitation_lambda`].dtype, "<f8");
    deepStrictEqual(f[`${plane}/OpticalChannel/emission_lambda`].value, 525);
    deepStrictEqual(f[`${plane}/indicator`].value, "GCaMP6f");
    deepStrictEqual(f[`${plane}/location`].value, "CA1");
    const extractor = await session.openDevice("Miniscope", { onWarning() {} });
    deepStrictEqual(f[`${plane}/imaging_rate`].value, extractor.getSamplingFrequency());
    // The series: frames transposed back equal a plain ffmpeg decode, byte for byte.
    const series = "/acquisition/OnePhotonSeries";
    deepStrictEqual(f[series].attrs.neurodata_type, text("OnePhotonSeries"));
    deepStrictEqual(f[series].attrs.binning, ["<u8", 1]);
    assert.match(f[series].attrs.comments[1], /1 dropped frame/);
    deepStrictEqual(f[`${series}/imaging_plane`], { kind: "softlink", target: plane });
    const data = f[`${series}/data`];
    deepStrictEqual([data.dtype, data.shape], ["|u1", [FRAMES, WIDTH, HEIGHT]]);
    deepStrictEqual([data.maxshape, data.chunks], [[null, WIDTH, HEIGHT], [1, WIDTH, HEIGHT]]);
    deepStrictEqual([data.compression, data.compression_opts], ["gzip", 4]);
    deepStrictEqual(data.attrs, {
      conversion: float64(1),
      offset: float64(0),
      resolution: float64(-1),
      unit: text("n.a."),
    });
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`)));
    deepStrictEqual(data.sha256, await sha256(decoded));
    deepStrictEqual(data.first, hex(decoded.subarray(0, WIDTH * HEIGHT)));
    const times = f[`${series}/timestamps`];
    deepStrictEqual(times.value, await csvSeconds(join(SAMPLE, "timeStamps.csv")));
    deepStrictEqual(times.attrs, { interval: ["<i8", 1], unit: text("seconds") });
    // Head orientation and notes.
    const head = f["/acquisition/HeadOrientation"];
    deepStrictEqual(head.attrs.neurodata_type, text("TimeSeries"));
    const rows = (await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"))).trim().split("\n")
      .slice(1).map((line) => line.split(",").map(Number));
    deepStrictEqual(f["/acquisition/HeadOrientation/data"].value, rows.map((r) => r.slice(1)));
    deepStrictEqual(f["/acquisition/HeadOrientation/data"].attrs.unit, text("n.a."));
    deepStrictEqual(
      f["/acquisition/HeadOrientation/timestamps"].value,
      rows.map((r) => r[0]! / 1000),
    );
    deepStrictEqual(f["/acquisition/notes"].attrs.neurodata_type, text("AnnotationSeries"));
    deepStrictEqual(f["/acquisition/notes/data"].value, ["start of baseline"]);
    deepStrictEqual(f["/acquisition/notes/timestamps"].value, [1.2]);
    await checkNwb(out);
  });
});

Deno.test("an NWB file reads back with h5wasm in Deno: the frames transposed, attributes typed", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "device.nwb");
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    await writeNwb(extractor, out, { compression: "none", onWarning() {} });
    await h5wasm.ready;
    const file = new h5wasm.File(out, "r");
    try {
      const data = file.get("acquisition/OnePhotonSeries/data") as InstanceType<
        typeof h5wasm.Dataset
      >;
      deepStrictEqual(data.shape, [FRAMES, WIDTH, HEIGHT]);
      deepStrictEqual(data.filters, []);
      const stored = data.slice([[7, 8]]) as Uint8Array;
      const frame = makeFrame(7, WIDTH, HEIGHT);
      for (let r = 0; r < HEIGHT; r++) {
        for (let c = 0; c < WIDTH; c++) {
          if (stored[c * HEIGHT + r] !== frame[r * WIDTH + c]) {
            throw new Error(`frame 7 differs at row ${r}, column ${c}`);
          }
        }
      }
      deepStrictEqual(data.attrs.conversion!.metadata.size, 8);
      deepStrictEqual(data.attrs.conversion!.value, 1);
      const link = file.get_link("acquisition/OnePhotonSeries/imaging_plane");
      deepStrictEqual(link, "/general/optophysiology/ImagingPlane");
    } finally {
      file.close();
    }
    await checkNwb(out);
  });
});

Deno.test("a slice, no compression and a device folder: the frames and time stamps of the slice", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "slice.nwb");
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const result = await writeNwb(extractor, out, {
      start: 3,
      end: 55,
      compression: "none",
      onWarning() {},
    });
    deepStrictEqual(result.series[0]!.samples, 52);
    const f = await dump(out);
    const data = f["/acquisition/OnePhotonSeries/data"];
    deepStrictEqual([data.shape, data.compression], [[52, WIDTH, HEIGHT], null]);
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`)));
    deepStrictEqual(
      data.sha256,
      await sha256(decoded.subarray(3 * WIDTH * HEIGHT, 55 * WIDTH * HEIGHT)),
    );
    const seconds = await csvSeconds(join(SAMPLE, "timeStamps.csv"));
    deepStrictEqual(f["/acquisition/OnePhotonSeries/timestamps"].value, seconds.slice(3, 55));
    const head = f["/acquisition/HeadOrientation/timestamps"].value as number[];
    assert(head[0]! >= seconds[3]! && head.at(-1)! <= seconds[54]!, String(head));
    await checkNwb(out);
  });
});

Deno.test("a recording without timeStamps.csv is written with starting_time and rate, and says so", async () => {
  await withTemp(async (dir) => {
    const device = join(dir, "session", "Miniscope");
    await copyTree(SESSION, join(dir, "session"));
    await Deno.remove(join(device, "timeStamps.csv"));
    await Deno.remove(join(device, "headOrientation.csv"));
    const extractor = await MiniscopeImagingExtractor.open({
      folderPath: device,
      samplingFrequency: 20,
      onWarning() {},
    });
    const out = join(dir, "rate.nwb");
    await writeNwb(extractor, out, { onWarning() {} });
    const f = await dump(out);
    const series = "/acquisition/OnePhotonSeries";
    deepStrictEqual(f[`${series}/timestamps`], undefined);
    deepStrictEqual(f[`${series}/starting_time`].value, 0);
    deepStrictEqual(f[`${series}/starting_time`].attrs.rate, float64(20));
    assert.match(f[series].attrs.description[1], containing("without timeStamps.csv"));
    deepStrictEqual(f[`${series}/data`].shape, [FRAMES, WIDTH, HEIGHT]);
    const report = await checkNwb(out);
    if (report) {
      deepStrictEqual(report.objects.series.OnePhotonSeries, {
        type: "OnePhotonSeries",
        shape: [FRAMES, WIDTH, HEIGHT],
        starting_time: 0,
        rate: 20,
        device: "Miniscope",
        frame_sums: report.objects.series.OnePhotonSeries.frame_sums,
      });
    }
  });
});

/** A copy of the sample session with a behaviour camera of two MJPG files (5 and 3 frames). */
async function sessionWithCamera(dir: string): Promise<string> {
  const root = join(dir, "session");
  await copyTree(SESSION, root);
  const camera = join(root, "BehavCam_0");
  await Deno.mkdir(camera);
  for (const [file, frames] of [["0.avi", 5], ["1.avi", 3]] as const) {
    const { success, stderr } = await new Deno.Command("ffmpeg", {
      args: [
        ...["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=60"],
        ...["-frames:v", String(frames), "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"],
        ...["-f", "avi", join(camera, file)],
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    assert(success, new TextDecoder().decode(stderr));
  }
  const stamps = [-20, 13, 47, 80, 113, 147, 180, 213];
  await Deno.writeTextFile(
    join(camera, "timeStamps.csv"),
    "Frame Number,Time Stamp (ms),Buffer Index\n" +
      stamps.map((ms, i) => `${i},${ms},0`).join("\n") + "\n",
  );
  await Deno.writeTextFile(
    join(camera, "metaData.json"),
    qtJson({
      compression: "MJPG",
      deviceName: "BehavCam 0",
      deviceType: "WebCam",
      framesPerFile: 5,
    }),
  );
  const metadata = JSON.parse(await Deno.readTextFile(join(root, "metaData.json")));
  await Deno.writeTextFile(
    join(root, "metaData.json"),
    qtJson({ ...metadata, cameras: ["BehavCam 0"] }),
  );
  return root;
}

Deno.test("a behaviour camera becomes an ImageSeries of its videos: relative paths, starting frames, time stamps", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const out = join(dir, "out", "camera.nwb");
    await Deno.mkdir(dirname(out));
    const result = await writeNwb(await MiniscopeSession.open(root), out, { onWarning() {} });
    deepStrictEqual(result.series.find((s) => s.path === "/acquisition/BehavCam_0")?.samples, 8);
    const f = await dump(out);
    const series = "/acquisition/BehavCam_0";
    deepStrictEqual(f[series].attrs.neurodata_type, text("ImageSeries"));
    deepStrictEqual(f[`${series}/external_file`].value, [
      "../session/BehavCam_0/0.avi",
      "../session/BehavCam_0/1.avi",
    ]);
    deepStrictEqual(f[`${series}/external_file`].attrs.starting_frame, ["<i8", [0, 5]]);
    deepStrictEqual(f[`${series}/format`].value, "external");
    deepStrictEqual(f[`${series}/data`].shape, [0, 0, 0]);
    deepStrictEqual(
      f[`${series}/timestamps`].value,
      [-20, 13, 47, 80, 113, 147, 180, 213].map((ms) => ms / 1000),
    );
    deepStrictEqual(f["/general/devices/BehavCam_0"].attrs.neurodata_type, text("Device"));
    // The Miniscope is still there, and the paths resolve from the file's folder.
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].shape, [FRAMES, WIDTH, HEIGHT]);
    for (const file of f[`${series}/external_file`].value) {
      await Deno.stat(join(dirname(out), file));
    }
    await checkNwb(out);
  });
});

Deno.test("two Miniscopes in a session get their own device, plane and series, linked to each other", async () => {
  await withTemp(async (dir) => {
    const root = await twoScopeSession(dir);
    const out = join(dir, "two.nwb");
    await writeNwb(await MiniscopeSession.open(root), out, { onWarning() {} });
    const f = await dump(out);
    for (
      const [device, shape] of [["Miniscope", [FRAMES, WIDTH, HEIGHT]], ["HPC_miniscope2", [
        30,
        24,
        16,
      ]]] as const
    ) {
      const series = `/acquisition/OnePhotonSeries_${device}`;
      const plane = `/general/optophysiology/ImagingPlane_${device}`;
      deepStrictEqual(f[`${series}/data`].shape, shape);
      deepStrictEqual(f[`${series}/imaging_plane`].target, plane);
      deepStrictEqual(f[`${plane}/device`].target, `/general/devices/${device}`);
    }
    const decoded = await ffmpegDecodeAll([join(root, "HPC_miniscope2", "0.avi")]);
    deepStrictEqual(
      f["/acquisition/OnePhotonSeries_HPC_miniscope2/data"].sha256,
      await sha256(decoded),
    );
    deepStrictEqual(f["/acquisition/HeadOrientation_Miniscope"].kind, "group");
    await checkNwb(out);
  });
});

Deno.test("several recordings of a device become one series on the first recording's clock", async () => {
  await withTemp(async (dir) => {
    const day = join(dir, "2022_09_19");
    await copyTree(SESSION, join(day, "09_18_41"));
    await copyTree(SESSION, join(day, "09_20_00"));
    const later = join(day, "09_20_00", "metaData.json");
    const metadata = JSON.parse(await Deno.readTextFile(later));
    metadata.recordingStartTime = {
      ...metadata.recordingStartTime,
      minute: 20,
      second: 0,
      msec: 0,
      msecSinceEpoch: 1663579200000,
    };
    await Deno.writeTextFile(later, qtJson(metadata));
    const multi = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: day,
      onWarning() {},
    });
    const out = join(dir, "day.nwb");
    await writeNwb(multi, out, { onWarning() {} });
    const f = await dump(out);
    const seconds = await csvSeconds(join(SAMPLE, "timeStamps.csv"));
    const offset = (1663579200000 - 1663579121007) / 1000;
    deepStrictEqual(f["/session_start_time"].value, "2022-09-19T09:18:41.007+00:00");
    deepStrictEqual(f["/acquisition/OnePhotonSeries/timestamps"].value, [
      ...seconds,
      ...seconds.map((s) => s + offset),
    ]);
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].shape, [2 * FRAMES, WIDTH, HEIGHT]);
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`)));
    const twice = new Uint8Array(decoded.length * 2);
    twice.set(decoded);
    twice.set(decoded, decoded.length);
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].sha256, await sha256(twice));
    deepStrictEqual(f["/acquisition/HeadOrientation/timestamps"].value.length, 100);
    deepStrictEqual(f["/acquisition/notes/timestamps"].value, [1.2, 1.2 + offset]);
    await checkNwb(out);
  });
});

Deno.test("the UTC offset comes from msecSinceEpoch, else from the time zone; without either the error says what to pass", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "session");
    await copyTree(SESSION, root);
    const path = join(root, "metaData.json");
    const metadata = JSON.parse(await Deno.readTextFile(path));
    // Calendar fields 09:18:41.007 local, 07:18:41.007 UTC: two hours east.
    metadata.recordingStartTime.msecSinceEpoch = 1663579121007 - 2 * 3600_000;
    await Deno.writeTextFile(path, qtJson(metadata));
    const east = await writeNwb(await MiniscopeSession.open(root), join(dir, "east.nwb"), {
      onWarning() {},
    });
    deepStrictEqual(east.sessionStartTime, "2022-09-19T09:18:41.007+02:00");
    deepStrictEqual(
      (await dump(join(dir, "east.nwb")))["/session_start_time"].value,
      east.sessionStartTime,
    );

    delete metadata.recordingStartTime.msecSinceEpoch;
    await Deno.writeTextFile(path, qtJson(metadata));
    const session = await MiniscopeSession.open(root);
    await rejects(
      () => writeNwb(session, join(dir, "none.nwb"), { onWarning() {} }),
      errorWith(StartTimeUnknownError, "--timezone"),
    );
    deepStrictEqual(await listing(dir), ["east.nwb", "session"]);
    const newYork = await writeNwb(session, join(dir, "ny.nwb"), {
      timezone: "America/New_York",
      onWarning() {},
    });
    deepStrictEqual(newYork.sessionStartTime, "2022-09-19T09:18:41.007-04:00");
    await rejects(
      () => writeNwb(session, join(dir, "bad.nwb"), { timezone: "Mars/Olympus" }),
      errorWith(RangeError, "Mars/Olympus"),
    );
  });
});

Deno.test("an existing file is kept unless overwrite is set, and a wrong option is refused before writing", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "kept.nwb");
    await Deno.writeTextFile(out, "not an NWB file");
    const session = await MiniscopeSession.open(SESSION);
    await rejects(
      () => writeNwb(session, out, { onWarning() {} }),
      errorWith(Deno.errors.AlreadyExists, "overwrite"),
    );
    deepStrictEqual(await Deno.readTextFile(out), "not an NWB file");
    await rejects(
      () => writeNwb(session, join(dir, "x.nwb"), { level: 12 }),
      errorWith(RangeError, "level"),
    );
    await rejects(
      () => writeNwb(session, join(dir, "x.nwb"), { end: 500, onWarning() {} }),
      errorWith(RangeError, "58 samples"),
    );
    deepStrictEqual(await listing(dir), ["kept.nwb"]);
    await writeNwb(session, out, { overwrite: true, onWarning() {} });
    deepStrictEqual((await dump(out))["/acquisition/OnePhotonSeries/data"].shape, [
      FRAMES,
      WIDTH,
      HEIGHT,
    ]);
  });
});

Deno.test("an export aborted midway rejects with the reason and leaves no file, partial or whole", async () => {
  await withTemp(async (dir) => {
    const device = join(dir, "rec", "Miniscope");
    await writeRecording(device, {
      width: 64,
      height: 48,
      frames: 400,
      framesPerFile: 100,
      frame: (i) => makeFrame(i, 64, 48),
    });
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: device, onWarning() {} });
    const controller = new AbortController();
    const reason = new Error("stop here");
    let seen = 0;
    await rejects(() =>
      writeNwb(extractor, join(dir, "aborted.nwb"), {
        sessionStartTime: "2022-09-19T09:18:41.007+02:00",
        signal: controller.signal,
        onProgress(done) {
          seen = done;
          controller.abort(reason);
        },
      }), errorWith(Error, "stop here"));
    assert(seen > 0 && seen < 400, `aborted after ${seen} frames`);
    deepStrictEqual(await listing(dir), ["rec"]);
  });
});

Deno.test("the CLI exports a session under exactly the narrow permissions, and SIGTERM leaves no file", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const flags = [`--allow-read=${SESSION},${out}`, `--allow-write=${out}`, "--allow-run=ffmpeg"];
    const file = join(out, "cli.nwb");
    const ok = await runDenoScript(CLI, flags, [
      "export",
      SESSION,
      "--out",
      file,
      "--species",
      "Mus musculus",
      "--sex",
      "U",
    ]);
    deepStrictEqual(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      containing("/acquisition/OnePhotonSeries (OnePhotonSeries, 58 samples)"),
    );
    const f = await dump(file);
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`)));
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].sha256, await sha256(decoded));
    await checkNwb(file);
    // The same again is refused; a bad option is a usage error.
    const again = await runDenoScript(CLI, flags, ["export", SESSION, "--out", file]);
    deepStrictEqual(again.code, 1);
    assert.match(again.stderr, /--overwrite/);
    const bad = await runDenoScript(CLI, flags, ["export", SESSION, "--out", file, "--sex", "X"]);
    deepStrictEqual(bad.code, 2);
    assert.match(bad.stderr, /--sex/);
    await Deno.remove(file);

    // The API under the same flags.
    const api = await runDenoScript(API_SCRIPT, flags, [SESSION, join(out, "api.nwb")]);
    deepStrictEqual(JSON.parse(api.stdout), {
      ok: true,
      series: [
        "/acquisition/OnePhotonSeries",
        "/acquisition/HeadOrientation",
        "/acquisition/notes",
      ],
    });
    await checkNwb(join(out, "api.nwb"));
    await Deno.remove(join(out, "api.nwb"));

    // A longer recording, stopped with SIGTERM once the partial file exists.
    const device = join(dir, "long", "Miniscope");
    await writeRecording(device, {
      width: 160,
      height: 120,
      frames: 1500,
      framesPerFile: 500,
      frame: (i) => makeFrame(i, 160, 120),
    });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--quiet",
        `--allow-read=${device},${out}`,
        `--allow-write=${out}`,
        "--allow-run=ffmpeg",
        CLI,
        "export",
        device,
        "--out",
        join(out, "long.nwb"),
        "--session-start-time",
        "2022-09-19T09:18:41+02:00",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const started = Date.now();
    while ((await listing(out)).length === 0 && Date.now() - started < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(String((await listing(out))[0]), /\.partial-/);
    child.kill("SIGTERM");
    const status = await child.status;
    deepStrictEqual(status.code, 1, await stderr);
    assert.match(await stderr, /Interrupted/);
    deepStrictEqual(await listing(out), []);
  });
});

/** Whether this runs as root on Linux (whom file modes do not stop, and who may mount). */
async function isLinuxRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const { stdout } = await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output();
  return new TextDecoder().decode(stdout).trim() === "0";
}

/**
 * Runs `fn` with a folder in which no file can be created: read-only by its mode, or for root
 * (whom modes do not stop) a read-only tmpfs mounted on it.
 */
async function withReadOnlyFolder(fn: (folder: string) => Promise<void>): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "miniscope_ro_" });
  const root = await isLinuxRoot();
  try {
    if (root) {
      const mount = await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", folder],
        stderr: "piped",
      }).output();
      assert(mount.success, new TextDecoder().decode(mount.stderr));
    } else {
      await Deno.chmod(folder, 0o555);
    }
    await fn(folder);
  } finally {
    if (root) await new Deno.Command("umount", { args: [folder] }).output();
    else await Deno.chmod(folder, 0o755);
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test("NWB export into a missing or read-only folder, onto a folder or under a file fails in one line naming the path and the cause, without HDF5's report", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(join(dir, "file"), "");
    await withReadOnlyFolder(async (readOnly) => {
      const cases: [string, RegExp][] = [
        [join(dir, "none", "out.nwb"), /the folder ".*none" does not exist$/],
        [join(readOnly, "out.nwb"), /(read-only file system|no permission to create)/],
        [dir, /it is a folder$/],
        [join(dir, "file", "out.nwb"), /"[^"]*file" is a file, not a folder$/],
        [join(dir, "file", "a", "out.nwb"), /"[^"]*a" is not a folder: a part of it is a file$/],
      ];
      const flags = [
        `--allow-read=${SESSION},${dir},${readOnly}`,
        `--allow-write=${dir},${readOnly}`,
      ];
      for (const [path, cause] of cases) {
        const result = await runDenoScript(CLI, [...flags, "--allow-run=ffmpeg"], [
          "export",
          SESSION,
          "--out",
          path,
          "--format",
          "nwb",
          "--overwrite",
        ]);
        deepStrictEqual([result.code, result.stdout], [1, ""], result.stderr);
        const lines = result.stderr.trim().split("\n");
        deepStrictEqual(lines.length, 1, result.stderr);
        assert.match(lines[0]!, startingWith(`Error: Cannot write "${path}": `));
        assert.match(lines[0]!, cause);
        assert.doesNotMatch(result.stderr, /HDF5/);
      }
      // The API, in a process of its own so that anything HDF5 prints would be seen.
      const api = await runDenoScript(API_SCRIPT, flags, [SESSION, join(readOnly, "api.nwb")]);
      deepStrictEqual(api.stderr, "");
      const reply = JSON.parse(api.stdout);
      deepStrictEqual(reply.ok, false);
      assert.match(reply.message, startingWith(`Cannot write "${join(readOnly, "api.nwb")}": `));
      deepStrictEqual(await listing(readOnly), []);
    });
    deepStrictEqual(await listing(dir), ["file"]);
  });
});

Deno.test({
  name:
    "an NWB export that fills the disk fails in one line naming the file, and leaves nothing behind",
  ignore: !(await isLinuxRoot()), // mounting a small tmpfs needs root
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "miniscope_full_" });
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", out],
      stderr: "piped",
    }).output();
    assert(mount.success, new TextDecoder().decode(mount.stderr));
    try {
      // 58 frames of 48 x 40 bytes, uncompressed, do not fit in 64 KiB.
      const path = join(out, "full.nwb");
      const result = await runDenoScript(CLI, [
        `--allow-read=${SESSION},${out}`,
        `--allow-write=${out}`,
        "--allow-run=ffmpeg",
      ], ["export", SESSION, "--out", path, "--compression", "none"]);
      deepStrictEqual([result.code, result.stdout], [1, ""], result.stderr);
      const lines = result.stderr.trim().split("\n").filter((l) => !l.startsWith("Writing NWB"));
      deepStrictEqual(lines.length, 1, result.stderr);
      assert.match(lines[0]!, startingWith(`Error: Cannot write "${path}": HDF5: `));
      assert.doesNotMatch(result.stderr, /HDF5-DIAG/);
      deepStrictEqual(await listing(out), []);
    } finally {
      await new Deno.Command("umount", { args: [out] }).output();
      await Deno.remove(out);
    }
  },
});

/** Device and inode of each path as the system resolves it (symbolic links, then ".."). */
async function systemIdentity(paths: string[]): Promise<string[]> {
  const output = await new Deno.Command(python, {
    args: [
      "-c",
      "import os, sys\nfor p in sys.argv[1:]: s = os.stat(p); print(s.st_dev, s.st_ino)",
      ...paths,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim().split("\n");
}

Deno.test("behaviour camera links lead from the NWB file to the videos for relative session and output paths, and through a linked output folder", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const work = join(dir, "work");
    await Deno.mkdir(join(work, "out"), { recursive: true });
    await Deno.symlink(join(work, "out"), join(dir, "linked"));
    const videos = [0, 1].map((i) => join(root, "BehavCam_0", `${i}.avi`));
    const expected = await systemIdentity(videos);
    const check = async (file: string, inspect: boolean) => {
      const links = (await dump(file))["/acquisition/BehavCam_0/external_file"].value as string[];
      deepStrictEqual(links, ["../../session/BehavCam_0/0.avi", "../../session/BehavCam_0/1.avi"]);
      deepStrictEqual(
        await systemIdentity(links.map((link) => `${dirname(file)}/${link}`)),
        expected,
      );
      if (!inspect) return;
      const report = await checkNwb(file);
      const checks = report?.inspector.map((m) => m.check) ?? [];
      assert(!checks.includes("check_image_series_external_file_valid"), checks.join(", "));
    };
    const flags = [`--allow-read=${dir}`, `--allow-write=${dir}`, "--allow-run=ffmpeg"];
    const cases = [
      ["../session", join(work, "out", "a.nwb")],
      [root, "out/b.nwb"],
      ["../session", "../linked/c.nwb"],
    ] as const;
    for (const [session, out] of cases) {
      const result = await runDenoScript(CLI, flags, ["export", session, "--out", out], {
        cwd: work,
      });
      deepStrictEqual(result.code, 0, result.stderr);
      await check(resolve(work, out), session === root);
    }
    // The API, with paths relative to this process's working folder.
    const api = relative(Deno.cwd(), join(dir, "linked", "d.nwb"));
    await writeNwb(await MiniscopeSession.open(relative(Deno.cwd(), root)), api, {
      onWarning() {},
    });
    await check(join(dir, "linked", "d.nwb"), true);
  });
});

/** The SHA-256 of every file under a folder, by path. */
async function digests(folder: string): Promise<Record<string, string>> {
  const all: Record<string, string> = {};
  for await (const entry of Deno.readDir(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) Object.assign(all, await digests(path));
    else if (entry.isFile) all[path] = await sha256(await Deno.readFile(path));
  }
  return all;
}

Deno.test("writeNwb() refuses, even with overwrite, to write over a file the export reads or would read: a video, a linked camera video, a side file by a symbolic link, a hard link, a new video beside the videos", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    await Deno.symlink(root, join(dir, "link"));
    await Deno.link(join(root, "Miniscope", "1.avi"), join(dir, "hard.nwb"));
    const session = await MiniscopeSession.open(root, { onWarning() {} });
    const extractor = await session.openDevice("Miniscope", { onWarning() {} });
    const before = await digests(dir);
    const scope = (name: string) => join(root, "Miniscope", name);
    const replace = (input: string) => `it would replace "${input}", a file of the recording`;
    const cases: [NwbSource, string, string][] = [
      [extractor, scope("0.avi"), replace(scope("0.avi"))],
      [extractor, scope("headOrientation.csv"), replace(scope("headOrientation.csv"))],
      [session, join(root, "BehavCam_0", "1.avi"), replace(join(root, "BehavCam_0", "1.avi"))],
      [session, join(dir, "link", "Miniscope", "timeStamps.csv"), replace(scope("timeStamps.csv"))],
      [
        session,
        join(dir, "link", "BehavCam_0", "..", "notes.csv"),
        replace(join(root, "notes.csv")),
      ],
      [extractor, join(dir, "hard.nwb"), replace(scope("1.avi"))],
      [
        session,
        join(root, "BehavCam_0", "2.AVI"),
        `it would be read as a video of the recording, beside "${
          join(root, "BehavCam_0", "0.avi")
        }"`,
      ],
    ];
    for (const [source, out, cause] of cases) {
      await rejects(
        () => writeNwb(source, out, { overwrite: true, onWarning() {} }),
        errorWith(TypeError, `Cannot write "${out}": ${cause}`),
        out,
      );
    }
    // A recording without timeStamps.csv: that name would be read as its time stamps next time.
    const device = join(dir, "bare", "Miniscope");
    await copyTree(join(root, "Miniscope"), device);
    await Deno.remove(join(device, "timeStamps.csv"));
    const bare = await MiniscopeImagingExtractor.open({
      folderPath: device,
      samplingFrequency: 20,
      onWarning() {},
    });
    await rejects(
      () => writeNwb(bare, join(device, "timeStamps.csv"), { onWarning() {} }),
      errorWith(TypeError, `it would be read as "${join(device, "timeStamps.csv")}" of the`),
    );
    await Deno.remove(join(dir, "bare"), { recursive: true });
    deepStrictEqual(await digests(dir), before);
    deepStrictEqual(await listing(dir), ["hard.nwb", "link", "session"]);
  });
});

Deno.test("HDF5's report of a failed call is kept from the terminal and becomes the error", async () => {
  await withTemp(async (dir) => {
    const script = join(dir, "fail.ts");
    const hdf5 = new URL("../src/nwb/hdf5.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { loadH5wasm, quietHdf5 } from "${hdf5}";
const h5wasm = await loadH5wasm();
const file = new h5wasm.File(Deno.args[0], "w");
quietHdf5(() => file.create_group("a"));
try {
  quietHdf5(() => file.create_group("a"));
  console.log("no error");
} catch (error) {
  console.log((error as Error).message);
}
file.close();
`,
    );
    const config = new URL("../deno.json", import.meta.url).pathname;
    const flags = [`--config=${config}`, "--allow-read", `--allow-write=${dir}`];
    const result = await runDenoScript(script, flags, [
      join(dir, "twice.h5"),
    ]);
    deepStrictEqual([result.code, result.stderr], [0, ""]);
    assert.match(result.stdout.trim(), /^HDF5: .+/);
    deepStrictEqual(result.stdout.trim().split("\n").length, 1, result.stdout);
  });
});

Deno.test("a side file that cannot be read is left out of the NWB file with a warning naming it, and the rest is converted: API and CLI", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "session");
    await copyTree(SESSION, root);
    const head = join(root, "Miniscope", "headOrientation.csv");
    const notes = join(root, "notes.csv");
    await Deno.writeTextFile(head, "Time Stamp (ms),qw,qx,qy,qz\n-68,1,0,0\n");
    await Deno.writeTextFile(notes, "Time Stamp (ms), Note\nsoon,start of baseline\n");
    const headProblem = `Cannot read "${head}": line 2 has 4 cells, expected 5`;
    const notesProblem = `Cannot read "${notes}": line 2 does not start with a time stamp`;
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(SAMPLE, `${i}.avi`)));
    const w: string[] = [];
    const session = await MiniscopeSession.open(root, { onWarning: (m) => w.push(m) });
    const result = await writeNwb(session, join(dir, "api.nwb"), { onWarning: (m) => w.push(m) });
    deepStrictEqual(result.series.map((s) => s.path), ["/acquisition/OnePhotonSeries"]);
    deepStrictEqual(w.length, 2, w.join("\n"));
    assert(w.some((m) => m.startsWith(notesProblem) && m.endsWith("left out")), w.join("\n"));
    assert(
      w.some((m) => m.startsWith(headProblem) && m.endsWith("left out of the NWB file")),
      w.join("\n"),
    );
    const f = await dump(join(dir, "api.nwb"));
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].sha256, await sha256(decoded));
    deepStrictEqual([f["/acquisition/HeadOrientation"], f["/acquisition/notes"]], [
      undefined,
      undefined,
    ]);

    const cli = await runDenoScript(CLI, [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-run=ffmpeg",
    ], ["export", root, "--out", join(dir, "cli.nwb")]);
    deepStrictEqual(cli.code, 0, cli.stderr);
    const warned = cli.stderr.trim().split("\n").filter((l) => l.startsWith("Warning: "));
    assert(warned.some((l) => l.startsWith(`Warning: ${headProblem}`)), cli.stderr);
    assert(warned.some((l) => l.startsWith(`Warning: ${notesProblem}`)), cli.stderr);
    assert.match(cli.stdout, containing(`Wrote ${join(dir, "cli.nwb")}`));
    deepStrictEqual(
      (await dump(join(dir, "cli.nwb")))["/acquisition/OnePhotonSeries/data"].sha256,
      await sha256(decoded),
    );

    // A device folder whose metaData.json is cut short: its settings are left out, as when it
    // is read.
    const device = join(root, "Miniscope");
    await Deno.writeTextFile(join(device, "metaData.json"), '{"deviceType": "Mini');
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: device, onWarning() {} });
    w.length = 0;
    await writeNwb(extractor, join(dir, "device.nwb"), { onWarning: (m) => w.push(m) });
    assert(w.some((m) => m.includes(join(device, "metaData.json"))), w.join("\n"));
    assert(w.some((m) => m.startsWith(headProblem)), w.join("\n"));
    deepStrictEqual(
      (await dump(join(dir, "device.nwb")))["/acquisition/OnePhotonSeries/data"].sha256,
      await sha256(decoded),
    );
  });
});

Deno.test("a head orientation file of software before v0.141 goes into the NWB file, and a broken one of a multi-recording is left out with a warning", async () => {
  await withTemp(async (dir) => {
    const day = join(dir, "2022_09_19");
    await copyTree(SESSION, join(day, "09_18_41"));
    await copyTree(SESSION, join(day, "09_20_00"));
    const later = join(day, "09_20_00", "metaData.json");
    const metadata = JSON.parse(await Deno.readTextFile(later));
    metadata.recordingStartTime = { ...metadata.recordingStartTime, minute: 20, second: 0 };
    metadata.recordingStartTime.msecSinceEpoch += 79_000 - 7;
    await Deno.writeTextFile(later, qtJson(metadata));
    const current = await Deno.readTextFile(join(SAMPLE, "headOrientation.csv"));
    const rows = current.trim().split("\n").slice(1);
    const old = join(day, "09_18_41", "Miniscope", "headOrientation.csv");
    await Deno.writeTextFile(old, ["qw,qx,qy,qz", ...rows].join("\n") + "\n");
    const device = await MiniscopeImagingExtractor.open({
      folderPath: join(day, "09_18_41", "Miniscope"),
      onWarning() {},
    });
    await writeNwb(device, join(dir, "old.nwb"), { onWarning() {} });
    const f = await dump(join(dir, "old.nwb"));
    const values = rows.map((line) => line.split(",").map(Number));
    deepStrictEqual(f["/acquisition/HeadOrientation/data"].value, values.map((r) => r.slice(1)));
    deepStrictEqual(
      f["/acquisition/HeadOrientation/timestamps"].value,
      values.map((r) => r[0]! / 1000),
    );

    const broken = join(day, "09_20_00", "Miniscope", "headOrientation.csv");
    await Deno.writeTextFile(broken, "qw;qx;qy;qz\n");
    const multi = await MiniscopeMultiRecordingImagingExtractor.open({
      folderPath: day,
      onWarning() {},
    });
    const w: string[] = [];
    await writeNwb(multi, join(dir, "day.nwb"), { onWarning: (m) => w.push(m) });
    deepStrictEqual(w.length, 1, w.join("\n"));
    assert.match(
      w[0]!,
      startingWith(`Cannot read "${broken}": line 1 is not the head orientation header`),
    );
    const joined = await dump(join(dir, "day.nwb"));
    deepStrictEqual(
      joined["/acquisition/HeadOrientation/data"].value,
      values.map((r) => r.slice(1)),
    );
    deepStrictEqual(joined["/acquisition/OnePhotonSeries/data"].shape, [2 * FRAMES, WIDTH, HEIGHT]);
    await checkNwb(join(dir, "day.nwb"));
  });
});
