// NWB files meant for DANDI: the subject and session metadata DANDI asks for, nwbinspector's
// "dandi" configuration, the ndx-miniscope Miniscope device with its cached specification
// (read back by pynwb as that type, validated against it with pynwb's own core), and behaviour videos copied beside the file. Real files
// through h5wasm, read back with h5py and, where the offline validator set of ../shared/tools/nwb
// is installed, with pynwb and nwbinspector.
import { dirname, join } from "node:path";
import assert, { deepStrictEqual, notDeepStrictEqual, rejects } from "node:assert/strict";
import {
  containing,
  copyTree,
  errorWith,
  findPython,
  runDenoScript,
  startingWith,
  TESTDATA,
} from "./_helpers.ts";
import { canCheck, checkNwb, type NwbCheck } from "./_nwb_check.ts";
import { FIXTURES } from "../testdata/make_fixtures.ts";
import { MiniscopeSession } from "../mod.ts";
import { type NwbOptions, writeNwb } from "../src/nwb/mod.ts";
import { qtJson } from "../src/sample.ts";

const SESSION = join(TESTDATA, FIXTURES.sample.session);
const DUMP = new URL("./tools/nwb_dump.py", import.meta.url).pathname;
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const python = await findPython(["h5py", "numpy"]) ?? "/usr/bin/python3";
const SUBJECT: NwbOptions = {
  subjectId: "mouse1",
  species: "Mus musculus",
  sex: "F",
  age: "P90D",
  onWarning() {},
};

// deno-lint-ignore no-explicit-any
type Dump = Record<string, any>;

async function dump(path: string): Promise<Dump> {
  const output = await new Deno.Command(python, {
    args: [DUMP, path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const text = (value: string) => ["vlen-utf-8", value];
const int64 = (value: number) => ["<i8", value];

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_dandi_" });
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

/** Rewrites a JSON file of a copied session. */
async function editJson(path: string, edit: (value: Record<string, unknown>) => void) {
  const value = JSON.parse(await Deno.readTextFile(path));
  edit(value);
  await Deno.writeTextFile(path, qtJson(value));
}

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
  await Deno.writeTextFile(
    join(camera, "timeStamps.csv"),
    "Frame Number,Time Stamp (ms),Buffer Index\n" +
      [0, 33, 67, 100, 133, 167, 200, 233].map((ms, i) => `${i},${ms},0`).join("\n") + "\n",
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
  await editJson(join(root, "metaData.json"), (m) => m.cameras = ["BehavCam 0"]);
  return root;
}

/** The findings of nwbinspector of the given importance. */
function findings(report: NwbCheck, importance: string): string[] {
  return report.inspector.filter((m) => m.importance === importance).map((m) => m.check);
}

Deno.test({
  name:
    "an export with species, sex, age and subject id passes nwbinspector's dandi configuration, and one without them does not",
  ignore: !canCheck,
  async fn() {
    await withTemp(async (dir) => {
      const session = await MiniscopeSession.open(SESSION);
      const out = join(dir, "dandi.nwb");
      await writeNwb(session, out, SUBJECT);
      // checkNwb fails on any CRITICAL or BEST_PRACTICE_VIOLATION and on a validation error.
      const report = (await checkNwb(out, { dandi: true }))!;
      deepStrictEqual(report.objects.general.session_id, "20220919T091841");
      deepStrictEqual(report.objects.general.experimenter, ["lab"]);

      // A date of birth in place of the age is enough.
      const born = join(dir, "born.nwb");
      const { age: _, ...noAge } = SUBJECT;
      await writeNwb(session, born, { ...noAge, dateOfBirth: "2022-06-21" });
      const bornReport = (await checkNwb(born, { dandi: true }))!;
      deepStrictEqual(bornReport.objects.subject.date_of_birth, "2022-06-21T00:00:00+00:00");

      // Without the subject's metadata the same configuration objects: the check is a real one.
      const bare = join(dir, "bare.nwb");
      await writeNwb(session, bare, { onWarning() {} });
      const bareReport = (await checkNwb(bare))!;
      const dandiOnBare = await new Deno.Command("/usr/bin/python3", {
        args: [new URL("./tools/nwb_check.py", import.meta.url).pathname, bare, "--dandi"],
        env: {
          PYTHONPATH: ["src", "inspector/src"].map((p) =>
            join(Deno.env.get("HOME") ?? "/root", ".cache/nwb-validator", p)
          ).join(":"),
        },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
      const dandiReport = JSON.parse(new TextDecoder().decode(dandiOnBare.stdout)) as NwbCheck;
      deepStrictEqual(findings(dandiReport, "CRITICAL").sort(), [
        "check_subject_age",
        "check_subject_sex",
        "check_subject_species_exists",
      ]);
      deepStrictEqual(findings(bareReport, "CRITICAL"), []);
    });
  },
});

Deno.test("every DANDI field given is written where NWB keeps it, with pynwb's types", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "all.nwb");
    const options: NwbOptions = {
      ...SUBJECT,
      dateOfBirth: "2022-06-21T08:00:00+02:00",
      strain: "C57BL/6J",
      genotype: "Camk2a-Cre",
      subjectDescription: "implanted over dorsal CA1",
      weight: "0.025 kg",
      experimenter: ["Doe, Jane", "Roe, Richard"],
      sessionId: "day1-open-field",
      institution: "Example University",
      lab: "Example Lab",
      keywords: ["hippocampus", "place cells"],
      experimentDescription: "Open field exploration",
    };
    await writeNwb(await MiniscopeSession.open(SESSION), out, options);
    const f = await dump(out);
    const dataset = (path: string) => [f[path].dtype, f[path].shape, f[path].value];
    deepStrictEqual(dataset("/general/experimenter"), [
      "vlen-utf-8",
      [2],
      ["Doe, Jane", "Roe, Richard"],
    ]);
    deepStrictEqual(dataset("/general/keywords"), [
      "vlen-utf-8",
      [2],
      ["hippocampus", "place cells"],
    ]);
    for (
      const [path, value] of [
        ["/general/session_id", "day1-open-field"],
        ["/general/institution", "Example University"],
        ["/general/lab", "Example Lab"],
        ["/general/experiment_description", "Open field exploration"],
        ["/general/subject/strain", "C57BL/6J"],
        ["/general/subject/genotype", "Camk2a-Cre"],
        ["/general/subject/description", "implanted over dorsal CA1"],
        ["/general/subject/weight", "0.025 kg"],
        ["/general/subject/subject_id", "mouse1"],
        ["/general/subject/age", "P90D"],
      ]
    ) {
      deepStrictEqual(dataset(path!), ["vlen-utf-8", [], value], path);
    }
    deepStrictEqual(dataset("/general/subject/date_of_birth"), [
      "vlen-ascii",
      [],
      "2022-06-21T08:00:00+02:00",
    ]);
    const report = await checkNwb(out, { dandi: true });
    if (report) {
      deepStrictEqual(report.objects.subject.weight, "0.025 kg");
      deepStrictEqual(report.objects.subject.date_of_birth, "2022-06-21T08:00:00+02:00");
      deepStrictEqual(report.objects.general.keywords, ["hippocampus", "place cells"]);
      // With all of them, DANDI's suggestions on missing metadata are met too.
      const suggested = findings(report, "BEST_PRACTICE_SUGGESTION");
      for (const check of ["check_institution", "check_keywords", "check_experimenter_form"]) {
        assert(!suggested.includes(check), `${check} in ${suggested}`);
      }
    }
  });
});

Deno.test("what the options and metaData.json leave unknown is left out of the file, never written empty", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "session");
    await copyTree(SESSION, root);
    await editJson(join(root, "metaData.json"), (m) => {
      m.researcherName = "";
      m.experimentName = " ";
      m.animalName = "";
    });
    const out = join(dir, "blank.nwb");
    await writeNwb(await MiniscopeSession.open(root), out, { onWarning() {} });
    const f = await dump(out);
    const general = Object.keys(f).filter((path) =>
      path.startsWith("/general/") &&
      !path.startsWith("/general/devices") && !path.startsWith("/general/optophysiology")
    );
    deepStrictEqual(general, ["/general/session_id"]);
    const empty = Object.entries(f).filter(([, v]) => v.kind === "dataset" && v.value === "");
    deepStrictEqual(empty, []);
    assert.doesNotMatch(f["/session_description"].value, /""/);

    // An empty experimenter list writes none, even with a researcherName.
    const none = join(dir, "none.nwb");
    await writeNwb(await MiniscopeSession.open(SESSION), none, {
      experimenter: [],
      onWarning() {},
    });
    deepStrictEqual((await dump(none))["/general/experimenter"], undefined);
  });
});

Deno.test("wrong DANDI options are refused before anything is written, naming the option", async () => {
  await withTemp(async (dir) => {
    const session = await MiniscopeSession.open(SESSION);
    const out = join(dir, "x.nwb");
    const cases: [NwbOptions, ErrorConstructor | RangeErrorConstructor, string][] = [
      [{ dateOfBirth: "2022-13-01" }, RangeError, "dateOfBirth"],
      [{ dateOfBirth: "2022-02-30" }, RangeError, "dateOfBirth"],
      [{ dateOfBirth: "21 June 2022" }, RangeError, "dateOfBirth"],
      [{ dateOfBirth: "2022-09-20" }, RangeError, "after the session start"],
      [{ dateOfBirth: "2022-09-19T09:30" }, RangeError, "after the session start"],
      [{ weight: "heavy" }, RangeError, "weight"],
      [{ strain: "" }, TypeError, "strain"],
      [{ sessionId: " " }, TypeError, "sessionId"],
      [{ institution: "" }, TypeError, "institution"],
      [{ subjectDescription: "" }, TypeError, "subjectDescription"],
      [{ experimenter: [""] }, TypeError, "experimenter"],
      [{ experimenter: "Doe, Jane" as unknown as string[] }, TypeError, "experimenter"],
      [{ keywords: ["ok", ""] }, TypeError, "keywords"],
      [{ behaviorVideos: "move" as "copy" }, RangeError, "behaviorVideos"],
    ];
    for (const [options, kind, part] of cases) {
      await rejects(
        () => writeNwb(session, out, { ...options, onWarning() {} }),
        errorWith(kind, part),
      );
    }
    // The copies' folder is named after the file without its extension.
    await rejects(
      () => writeNwb(session, join(dir, "session"), { behaviorVideos: "copy", onWarning() {} }),
      errorWith(TypeError, "behaviorVideos"),
    );
    deepStrictEqual(await listing(dir), []);
  });
});

Deno.test("the Miniscope is ndx-miniscope's Miniscope with the settings of its metaData.json, the extension cached in the file", async () => {
  await withTemp(async (dir) => {
    const out = join(dir, "device.nwb");
    const result = await writeNwb(await MiniscopeSession.open(SESSION), out, SUBJECT);
    deepStrictEqual(result.device, { type: "Miniscope" });
    const f = await dump(out);
    const device = f["/general/devices/Miniscope"];
    const { object_id: _, description, ...attrs } = device.attrs;
    assert.match(description[1], /EWL focus 70/);
    deepStrictEqual(attrs, {
      namespace: text("ndx-miniscope"),
      neurodata_type: text("Miniscope"),
      compression: text("FFV1"),
      deviceType: text("Miniscope_V4_BNO"),
      frameRate: text("30FPS"),
      framesPerFile: int64(24),
      gain: text("3.5"),
      led0: int64(1),
    });
    const roi = f["/general/devices/Miniscope/ROI"];
    deepStrictEqual([roi.dtype, roi.shape, roi.value], ["<i8", [2], [40, 48]]);
    // The extension's specification, as pynwb caches an extension: the namespace and its
    // source as scalar UTF-8 strings without attributes; core and hdmf-common are not cached.
    deepStrictEqual(f["/"].attrs[".specloc"], ["object-reference", "/specifications"]);
    const specs = Object.entries(f).filter(([p]) => p.startsWith("/specifications/"));
    deepStrictEqual(
      specs.map(([p, v]) => [p, v.kind, v.dtype, v.shape, v.attrs]),
      [
        ["/specifications/ndx-miniscope", "group", undefined, undefined, {}],
        ["/specifications/ndx-miniscope/0.5.1", "group", undefined, undefined, {}],
        ["/specifications/ndx-miniscope/0.5.1/namespace", "dataset", "vlen-utf-8", [], {}],
        [
          "/specifications/ndx-miniscope/0.5.1/ndx-miniscope.extensions",
          "dataset",
          "vlen-utf-8",
          [],
          {},
        ],
      ],
    );
    const namespace = JSON.parse(f["/specifications/ndx-miniscope/0.5.1/namespace"].value);
    deepStrictEqual(namespace.namespaces.length, 1);
    const { name, version, schema } = namespace.namespaces[0];
    deepStrictEqual([name, version, schema], ["ndx-miniscope", "0.5.1", [
      { namespace: "core" },
      { source: "ndx-miniscope.extensions" },
    ]]);
    const spec = JSON.parse(
      f["/specifications/ndx-miniscope/0.5.1/ndx-miniscope.extensions"].value,
    );
    const type = spec.groups[0];
    deepStrictEqual([type.neurodata_type_def, type.neurodata_type_inc], ["Miniscope", "Device"]);
    deepStrictEqual(
      type.attributes.map((a: Dump) => [a.name, a.dtype, a.required]),
      [
        ["compression", "text", false],
        ["deviceType", "text", false],
        ["frameRate", "text", false],
        ["framesPerFile", "int", false],
        ["gain", "text", false],
        ["led0", "int", false],
        ["excitation", "int", false],
        ["msCamExposure", "int", false],
      ],
    );
    deepStrictEqual(
      type.datasets.map((d: Dump) => [d.name, d.dtype, d.shape, d.quantity]),
      [["ROI", "int", [null], "?"]],
    );
    // pynwb, loading the namespace cached in the file, reads the device as that type, and its
    // validator finds nothing against the extension with pynwb's own core.
    const report = await checkNwb(out, { dandi: true });
    if (report) {
      deepStrictEqual(report.validated_namespaces, ["ndx-miniscope"]);
      // Its cached-namespace mode, which dandi validate runs, loads only what the file caches,
      // and needs core there: as the README says.
      deepStrictEqual(report.cached_validation, {
        exception: "ValueError: Could not load namespace 'core'",
      });
      deepStrictEqual(report.objects.devices.Miniscope, {
        type: "Miniscope",
        module: report.objects.devices.Miniscope.module,
        fields: {
          description: description[1],
          compression: "FFV1",
          deviceType: "Miniscope_V4_BNO",
          frameRate: "30FPS",
          framesPerFile: 24,
          gain: "3.5",
          led0: 1,
          ROI: [40, 48],
        },
      });
      deepStrictEqual(report.objects.series.OnePhotonSeries.device, "Miniscope");
    }
  });
});

Deno.test("Miniscope settings are written with the extension's types: text as written, whole numbers only where it wants int", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "session");
    await copyTree(SESSION, root);
    await editJson(join(root, "Miniscope", "metaData.json"), (m) => {
      m.gain = "High";
      m.frameRate = 20;
      m.led0 = 12.5;
      m.excitation = 30;
      m.msCamExposure = "255";
      delete m.ROI;
      delete m.compression;
    });
    const out = join(dir, "settings.nwb");
    await writeNwb(await MiniscopeSession.open(root), out, SUBJECT);
    const f = await dump(out);
    const { object_id: _, description, namespace: __, neurodata_type: ___, ...attrs } =
      f["/general/devices/Miniscope"].attrs;
    deepStrictEqual(attrs, {
      deviceType: text("Miniscope_V4_BNO"),
      frameRate: text("20"),
      framesPerFile: int64(24),
      gain: text("High"),
      excitation: int64(30),
      msCamExposure: int64(255),
    });
    // What the extension has no room for stays in the description.
    assert.match(description[1], containing("LED 12.5"));
    deepStrictEqual(f["/general/devices/Miniscope/ROI"], undefined);
    const report = await checkNwb(out, { dandi: true });
    if (report) deepStrictEqual(report.objects.devices.Miniscope.fields.gain, "High");
  });
});

Deno.test("a session of behaviour cameras only has core Devices and caches no namespace, and pynwb's validator passes it in either mode", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    await Deno.remove(join(root, "Miniscope"), { recursive: true });
    await editJson(join(root, "metaData.json"), (m) => m.miniscopes = []);
    const out = join(dir, "cameras.nwb");
    const result = await writeNwb(await MiniscopeSession.open(root), out, SUBJECT);
    deepStrictEqual(result.device, { type: "Device" });
    const f = await dump(out);
    deepStrictEqual(f["/general/devices/BehavCam_0"].attrs.neurodata_type, text("Device"));
    deepStrictEqual(Object.keys(f).filter((p) => p.startsWith("/specifications")), []);
    deepStrictEqual(f["/"].attrs[".specloc"], undefined);
    const report = await checkNwb(out, { dandi: true });
    if (report) {
      deepStrictEqual(report.validated_namespaces, ["core"]);
      deepStrictEqual(report.cached_validation, { errors: [], status: 0 });
    }
  });
});

Deno.test("behaviorVideos copy hard-links each camera video into <stem>/ under dandi's names, with relative external_file paths", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const out = join(dir, "out", "sub-mouse1_ses-1.nwb");
    await Deno.mkdir(dirname(out));
    const result = await writeNwb(await MiniscopeSession.open(root), out, {
      ...SUBJECT,
      behaviorVideos: "copy",
    });
    const f = await dump(out);
    const series = f["/acquisition/BehavCam_0"];
    const id = series.attrs.object_id[1];
    const names = [0, 1].map((n) => `${id}_external_file_${n}.avi`);
    deepStrictEqual(f["/acquisition/BehavCam_0/external_file"].value, [
      `sub-mouse1_ses-1/${names[0]}`,
      `sub-mouse1_ses-1/${names[1]}`,
    ]);
    deepStrictEqual(f["/acquisition/BehavCam_0/external_file"].attrs.starting_frame, [
      "<i8",
      [0, 5],
    ]);
    const folder = join(dir, "out", "sub-mouse1_ses-1");
    deepStrictEqual(await listing(folder), names);
    deepStrictEqual(result.externalFiles, names.map((name) => join(folder, name)));
    for (const [n, name] of names.entries()) {
      const source = join(root, "BehavCam_0", `${n}.avi`);
      const [copy, original] = [await Deno.stat(join(folder, name)), await Deno.stat(source)];
      deepStrictEqual(copy.ino, original.ino, `${name} is a hard link of ${source}`);
      deepStrictEqual(await Deno.readFile(join(folder, name)), await Deno.readFile(source));
    }
    const report = await checkNwb(out, { dandi: true });
    if (report) {
      deepStrictEqual(report.objects.series.BehavCam_0.object_id, id);
      deepStrictEqual(
        report.inspector.filter((m) => m.check.includes("external_file")),
        [],
        "nwbinspector on the external files",
      );
    }
  });
});

Deno.test("behaviorVideos copy under narrow permissions copies the bytes, and the CLI takes every DANDI flag", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const file = join(out, "cli.nwb");
    const flags = [`--allow-read=${root},${out}`, `--allow-write=${out}`, "--allow-run=ffmpeg"];
    const run = await runDenoScript(CLI, flags, [
      ...["export", root, "--out", file, "--behavior-videos", "copy"],
      ...["--species", "Mus musculus", "--sex", "M", "--date-of-birth", "2022-06-21"],
      ...["--experimenter", "Doe, Jane", "--experimenter", "Roe, Richard"],
      ...["--keyword", "hippocampus", "--keyword", "open field", "--session-id", "s1"],
      ...["--institution", "Example University", "--lab", "Example Lab"],
      ...["--strain", "C57BL/6J", "--genotype", "wild type", "--weight", "25 g"],
      ...["--subject-description", "implanted", "--experiment-description", "Open field"],
    ]);
    deepStrictEqual(run.code, 0, run.stderr);
    const f = await dump(file);
    const copies = f["/acquisition/BehavCam_0/external_file"].value as string[];
    deepStrictEqual(copies.length, 2);
    for (const [n, copy] of copies.entries()) {
      assert.match(run.stdout, containing(`Wrote ${join(out, copy)}`));
      const source = join(root, "BehavCam_0", `${n}.avi`);
      // Without write permission on the recording a hard link is refused: the bytes are copied.
      notDeepStrictEqual((await Deno.stat(join(out, copy))).ino, (await Deno.stat(source)).ino);
      deepStrictEqual(await Deno.readFile(join(out, copy)), await Deno.readFile(source));
    }
    deepStrictEqual(f["/general/experimenter"].value, ["Doe, Jane", "Roe, Richard"]);
    deepStrictEqual(f["/general/keywords"].value, ["hippocampus", "open field"]);
    for (
      const [path, value] of [
        ["/general/session_id", "s1"],
        ["/general/institution", "Example University"],
        ["/general/lab", "Example Lab"],
        ["/general/experiment_description", "Open field"],
        ["/general/subject/date_of_birth", "2022-06-21T00:00:00+00:00"],
        ["/general/subject/strain", "C57BL/6J"],
        ["/general/subject/genotype", "wild type"],
        ["/general/subject/weight", "25 g"],
        ["/general/subject/description", "implanted"],
      ]
    ) {
      deepStrictEqual(f[path!].value, value, path);
    }
    await checkNwb(file, { dandi: true });
    for (
      const [flag, value] of [
        ["--behavior-videos", "move"],
        ["--keyword", ""],
        ["--date-of-birth", "yesterday"],
        ["--weight", "heavy"],
      ]
    ) {
      const bad = await runDenoScript(CLI, flags, [
        ...["export", root, "--out", join(out, "bad.nwb"), flag!, value!],
      ]);
      deepStrictEqual(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, startingWith(flag!));
    }
    deepStrictEqual(await listing(out), ["cli", "cli.nwb"]);
  });
});

Deno.test("a failed export removes its video copies and their folder, whether it fails while copying or after", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const session = await MiniscopeSession.open(root);
    const out = join(dir, "out");
    await Deno.mkdir(out);
    // A video gone by the time the copies are made: the first copy is taken back.
    await rejects(
      () =>
        writeNwb(session, join(out, "gone.nwb"), {
          ...SUBJECT,
          behaviorVideos: "copy",
          onProgress(done, total) {
            if (done === total) Deno.removeSync(join(root, "BehavCam_0", "1.avi"));
          },
        }),
      errorWith(Deno.errors.NotFound, `Cannot copy "${join(root, "BehavCam_0", "1.avi")}"`),
    );
    deepStrictEqual(await listing(out), []);

    // The NWB file appearing meanwhile: the export fails after the copies, and removes them.
    const fresh = await MiniscopeSession.open(await sessionWithCamera(join(dir, "again")));
    const target = join(out, "late.nwb");
    await rejects(
      () =>
        writeNwb(fresh, target, {
          ...SUBJECT,
          behaviorVideos: "copy",
          onProgress(done, total) {
            if (done === total) Deno.writeTextFileSync(target, "someone else's");
          },
        }),
      errorWith(Deno.errors.AlreadyExists, "appeared while it was being written"),
    );
    deepStrictEqual(await listing(out), ["late.nwb"]);
    deepStrictEqual(await Deno.readTextFile(target), "someone else's");
  });
});

Deno.test("an overwrite with behaviorVideos copy replaces the earlier export's copies and keeps other files", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const session = await MiniscopeSession.open(root);
    const out = join(dir, "s.nwb");
    const first = await writeNwb(session, out, { ...SUBJECT, behaviorVideos: "copy" });
    await Deno.writeTextFile(join(dir, "s", "README.txt"), "notes");
    const second = await writeNwb(session, out, {
      ...SUBJECT,
      behaviorVideos: "copy",
      overwrite: true,
    });
    notDeepStrictEqual(first.externalFiles, second.externalFiles);
    deepStrictEqual(
      await listing(join(dir, "s")),
      ["README.txt", ...second.externalFiles.map((p) => p.slice(join(dir, "s").length + 1))]
        .sort(),
    );
    // Back to links: the copies go, the file points at the recording again.
    const linked = await writeNwb(session, out, { ...SUBJECT, overwrite: true });
    deepStrictEqual(linked.externalFiles, []);
    deepStrictEqual(await listing(join(dir, "s")), ["README.txt"]);
    deepStrictEqual((await dump(out))["/acquisition/BehavCam_0/external_file"].value, [
      "session/BehavCam_0/0.avi",
      "session/BehavCam_0/1.avi",
    ]);
  });
});

Deno.test("behaviorVideos copy refuses, before writing anything, a <stem>/ that holds the recording's videos (by any path) or is a file", async () => {
  await withTemp(async (dir) => {
    const root = await sessionWithCamera(dir);
    const session = await MiniscopeSession.open(root);
    const before = [await listing(root), await listing(join(root, "BehavCam_0"))];
    const options: NwbOptions = { ...SUBJECT, behaviorVideos: "copy" };
    // Copies in a device folder would make its recording unreadable: the reader takes every
    // .avi there for one of its numbered videos.
    await rejects(
      () => writeNwb(session, join(root, "BehavCam_0.nwb"), options),
      errorWith(
        TypeError,
        `Cannot copy the behaviour videos into "${join(root, "BehavCam_0")}": they would be ` +
          `read as videos of the recording, beside "${join(root, "BehavCam_0", "0.avi")}"`,
      ),
    );
    await Deno.symlink(join(root, "Miniscope"), join(dir, "linked"));
    await rejects(
      () => writeNwb(session, join(dir, "linked.nwb"), options),
      errorWith(TypeError, `beside "${join(root, "Miniscope", "0.avi")}"`),
    );
    await Deno.writeTextFile(join(dir, "taken"), "a file");
    await rejects(
      () => writeNwb(session, join(dir, "taken.nwb"), options),
      errorWith(Deno.errors.NotADirectory, `"${join(dir, "taken")}": it is a file, not a folder`),
    );
    deepStrictEqual([await listing(root), await listing(join(root, "BehavCam_0"))], before);
    deepStrictEqual(await listing(dir), ["linked", "session", "taken"]);
    // The recording still reads.
    await MiniscopeSession.open(root);
    // Links need no folder: the same outputs are fine without copies.
    const linked = await writeNwb(session, join(root, "BehavCam_0.nwb"), SUBJECT);
    deepStrictEqual(linked.externalFiles, []);
    deepStrictEqual(await listing(join(root, "BehavCam_0")), before[1]);
  });
});
