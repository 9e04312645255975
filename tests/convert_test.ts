// convert: a lab's dataset (several animals and sessions, generated with the sample writers)
// converted with real ffmpeg into real HDF5, read back with h5py and compared with an
// independent ffmpeg decode; the manifest, reruns, locks, stop signals and the command line
// under its narrow permissions. The SLURM job array is tested in convert_slurm_test.ts.
import { dirname, join, relative } from "node:path";
import assert, { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { ffmpegDecodeAll, findPython, runCommand } from "./_helpers.ts";
import { canCheck, checkNwb } from "./_nwb_check.ts";
import { type LabSession, listTree, sessionFolder, subjectsTsv, writeLabSession } from "./_lab.ts";
import { convertDataset, planDataset, readManifest } from "../src/convert/mod.ts";
import { runPlannedTask, writeSlurmJob } from "../src/convert/slurm.ts";
import { lockOutput } from "../src/convert/lock.ts";
import {
  dandiPath,
  modalities,
  sessionLabel,
  subjectLabel,
  typesOfSeries,
} from "../src/convert/names.ts";
import { missingSubjectFields, parseSubjectsTable } from "../src/convert/subjects.ts";
import { writeRecording } from "../src/sample.ts";
import { makeFrame } from "../testdata/frames.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const DUMP = new URL("./tools/nwb_dump.py", import.meta.url).pathname;
const MODALITIES = new URL("./tools/dandi_modalities.py", import.meta.url).pathname;
const VALIDATOR_SRC = join(Deno.env.get("HOME") ?? "/root", ".cache/nwb-validator/src");
const python = await findPython(["h5py", "numpy"]) ?? "/usr/bin/python3";
/**
 * Left out of listings: the manifest and locks, and the `<stem>/` folders of files written
 * beside an NWB file (behaviour videos, named by object ids; checked through external_file).
 */
const SKIP = /^\.miniscope-convert(\/|$)|^sub-[^/]+\/sub-[^/]+_ses-[^/.]+(\/|$)/;

// deno-lint-ignore no-explicit-any
type Dump = Record<string, any>;

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(command, args, { env });
}

async function dump(path: string): Promise<Dump> {
  const { code, stdout, stderr } = await run(python, [DUMP, path]);
  assert(code === 0, stderr);
  return JSON.parse(stdout);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_convert_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the command line with exactly the permissions a local run needs. */
function cliArgs(root: string, out: string, table: string, args: string[]): string[] {
  return [
    "run",
    "--no-prompt",
    "--quiet",
    // A table inside the root needs no flag of its own.
    `--allow-read=${[root, out, ...(table.startsWith(root + "/") ? [] : [table])].join(",")}`,
    `--allow-write=${out}`,
    "--allow-run=ffmpeg",
    CLI,
    "convert",
    root,
    "--out",
    out,
    "--subjects",
    table,
    ...args,
  ];
}

const LAB: LabSession[] = [
  {
    animal: "mouse_1",
    date: "2022_09_19",
    time: "09_18_41",
    camera: true,
    head: true,
    droppedAfter: [20],
  },
  { animal: "mouse_1", date: "2022_09_20", time: "10_00_00" },
  { animal: "mouse2", date: "2022_09_19", time: "11_30_00" },
  { animal: "mouse2", date: "2022_09_21", time: "08_00_00" },
];
const CAMERA_FILE = "sub-mouse-1/sub-mouse-1_ses-20220919T091841_image+ophys.nwb";
const GOOD_FILES = [
  CAMERA_FILE,
  "sub-mouse-1/sub-mouse-1_ses-20220920T100000_ophys.nwb",
  "sub-mouse2/sub-mouse2_ses-20220919T113000_ophys.nwb",
];
const BROKEN_FILE = "sub-mouse2/sub-mouse2_ses-20220921T080000_ophys.nwb";

/** Breaks a session: its second video is no AVI. */
async function breakSession(root: string, s: LabSession): Promise<string> {
  const video = join(sessionFolder(root, s), "Miniscope", "1.avi");
  await Deno.writeFile(video, new TextEncoder().encode("not a video"));
  return video;
}

/**
 * The lab: four sessions of two animals (the first with a colour camera and head orientation,
 * the last broken), and folders that look like recordings but are not sessions.
 */
async function writeLab(dir: string): Promise<{ root: string; table: string; broken: string }> {
  const root = join(dir, "data");
  for (const s of LAB) await writeLabSession(root, s);
  const broken = await breakSession(root, LAB[3]!);
  const stray = join(root, "lab", "exp1", "stray", "Miniscope");
  await writeRecording(stray, {
    width: 16,
    height: 8,
    frames: 3,
    framesPerFile: 3,
    frame: (i) => makeFrame(i, 16, 8),
  });
  const noStart = join(root, "lab", "exp1", "mouse2", "2022_09_22", "09_00_00");
  await Deno.mkdir(noStart, { recursive: true });
  await Deno.writeTextFile(
    join(noStart, "metaData.json"),
    JSON.stringify({ animalName: "mouse2" }),
  );
  const legacy = join(root, "lab", "old", "H10_M30_S15");
  await Deno.mkdir(legacy, { recursive: true });
  await Deno.copyFile(join(stray, "0.avi"), join(legacy, "msCam1.avi"));
  await Deno.symlink("../..", join(root, "lab", "exp1", "back"));
  const table = join(dir, "subjects.tsv");
  await Deno.writeTextFile(
    table,
    subjectsTsv([["mouse-1", "F", "P90D"], ["mouse2", "M", "P120D"]]),
  );
  return { root, table, broken };
}

Deno.test("subject labels follow dandi's rule made strict, session labels are the local start, modalities come from the content", () => {
  // dandi turns _ . * \ / < > : | " ' ? % @ ; , and spaces into hyphens; a label keeps letters,
  // digits and hyphens, so the rest become hyphens too.
  deepStrictEqual(subjectLabel("mouse_1"), "mouse-1");
  deepStrictEqual(subjectLabel("M1.left side"), "M1-left-side");
  deepStrictEqual(subjectLabel("a*b\\c/d<e>f:g|h\"i'j?k%l@m;n,o"), "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o");
  deepStrictEqual(subjectLabel("maus#3+é"), "maus-3--");
  deepStrictEqual(subjectLabel("already-fine-42"), "already-fine-42");
  deepStrictEqual(subjectLabel("__"), null);
  deepStrictEqual(subjectLabel(""), null);
  deepStrictEqual(
    sessionLabel({
      year: 2022,
      month: 9,
      day: 5,
      hour: 7,
      minute: 8,
      second: 9,
      msec: 999,
      msecSinceEpoch: null,
      local: "",
    }),
    "20220905T070809",
  );
  deepStrictEqual(modalities(typesOfSeries(["OnePhotonSeries"])), "ophys");
  deepStrictEqual(
    modalities(typesOfSeries(["OnePhotonSeries", "TimeSeries", "AnnotationSeries"])),
    "ophys",
  );
  deepStrictEqual(modalities(typesOfSeries(["OnePhotonSeries", "ImageSeries"])), "image+ophys");
  deepStrictEqual(modalities(["OnePhotonSeries", "SpatialSeries", "Miniscope"]), "behavior+ophys");
  deepStrictEqual(modalities(typesOfSeries(["ImageSeries"])), "image");
  throws(() => modalities(["NoSuchType"]), RangeError);
  deepStrictEqual(
    dandiPath("m-1", "20220905T070809", "image+ophys"),
    "sub-m-1/sub-m-1_ses-20220905T070809_image+ophys.nwb",
  );
});

Deno.test("a subjects table is read as TSV or CSV in BIDS style, and a bad row is named by its line", () => {
  const tsv = parseSubjectsTable(
    "participant_id\tspecies\tsex\tage\tdate_of_birth\tweight\textra\n" +
      "sub-m1\tMus musculus\tfemale\tP90D\tn/a\t0.025 kg\tx\n" +
      "m2\tMus musculus\tU\t\t2022-06-21\t\t\n",
    "subjects.tsv",
  );
  deepStrictEqual(
    tsv.rows.map((r) => [r.subjectId, r.sex, r.age, r.dateOfBirth, r.weight, r.line]),
    [
      ["m1", "F", "P90D", null, "0.025 kg", 2],
      ["m2", "U", null, "2022-06-21", null, 3],
    ],
  );
  const csv = parseSubjectsTable(
    'subject_id,species,sex,age,description\r\nm3,Mus musculus,M,P12W,"black, 6 weeks"\r\n',
    "subjects.csv",
  );
  deepStrictEqual([csv.rows[0]!.subjectId, csv.rows[0]!.description], ["m3", "black, 6 weeks"]);
  deepStrictEqual(missingSubjectFields(csv.rows[0]), []);
  deepStrictEqual(missingSubjectFields(undefined), ["species", "sex", "age or date_of_birth"]);
  deepStrictEqual(
    missingSubjectFields(
      parseSubjectsTable("subject_id,species\nm4,Mus musculus\n", "s.csv").rows[0],
    ),
    ["sex", "age or date_of_birth"],
  );
  const bad = (text: string, part: string) =>
    throws(() => parseSubjectsTable(text, "t.csv"), (e: Error) => e.message.includes(part));
  bad("name,species\nm1,Mus musculus\n", "has no subject_id column");
  bad("subject_id,sex\nm1,F\nm1,M\n", 'line 3: subject "m1" is already on line 2');
  bad("subject_id,sex\nm1,X\n", 'line 2: sex "X" is none of M, F, U, O');
  bad("subject_id,age\nm1,90 days\n", 'line 2: age "90 days" is not an ISO 8601 duration');
  bad("subject_id,species\nm1,mouse\n", 'line 2: species "mouse" is not a Latin binomial');
  bad("subject_id,date_of_birth\nm1,21.06.2022\n", "line 2: date_of_birth");
  bad("subject_id,sex\nm1,F,extra\n", "line 2: 3 cells, but the header names 2");
});

Deno.test("convertDataset() converts a lab tree: dandi names, subjects from the table, exact frames, the broken session reported, the others done", async () => {
  await withTemp(async (dir) => {
    const { root, table } = await writeLab(dir);
    const out = join(dir, "dandiset");
    const report = await convertDataset({
      root,
      out,
      subjects: table,
      jobs: 2,
      indicator: "GCaMP6f",
    });
    const status = Object.fromEntries(
      report.sessions.map((
        s,
      ) => [s.folder.slice(root.length + 1), [s.status, s.error ?? s.reason]]),
    );
    const of = (folder: string) => status[folder] as [string, string];
    deepStrictEqual(of("lab/exp1/mouse_1/2022_09_19/09_18_41"), ["converted", "new"]);
    deepStrictEqual(of("lab/exp1/mouse_1/2022_09_20/10_00_00"), ["converted", "new"]);
    deepStrictEqual(of("lab/exp1/mouse2/2022_09_19/11_30_00"), ["converted", "new"]);
    const [brokenStatus, brokenError] = of("lab/exp1/mouse2/2022_09_21/08_00_00");
    deepStrictEqual(brokenStatus, "failed");
    assert(
      brokenError.includes("08_00_00/Miniscope/1.avi") && brokenError.includes("not an AVI"),
      brokenError,
    );
    assert(of("lab/exp1/mouse2/2022_09_22/09_00_00")[1].includes("no recording start time"));
    assert(of("lab/exp1/stray/Miniscope")[1].includes("a device folder outside a session"));
    assert(of("lab/old/H10_M30_S15")[1].includes("before 2020"));
    assert(of("lab/exp1/back")[1].includes("a link loop"), of("lab/exp1/back")[1]);
    deepStrictEqual(Object.keys(status).length, 8);
    deepStrictEqual(report.subjectLabels, [{ animalName: "mouse_1", label: "mouse-1" }]);
    assert(report.peakRssBytes > 0);

    deepStrictEqual(await listTree(out, SKIP), GOOD_FILES.toSorted());
    const camera = report.sessions.find((s) => s.output?.endsWith(CAMERA_FILE))!;
    deepStrictEqual([camera.frames, camera.subject, camera.session], [
      80,
      "mouse-1",
      "20220919T091841",
    ]);

    // The camera session read back with h5py: subject, start time, frames as ffmpeg decodes them.
    const file = join(out, CAMERA_FILE);
    const f = await dump(file);
    const value = (path: string) => f[path].value;
    deepStrictEqual(
      ["subject_id", "species", "sex", "age"].map((k) => value(`/general/subject/${k}`)),
      ["mouse-1", "Mus musculus", "F", "P90D"],
    );
    deepStrictEqual(value("/session_start_time"), "2022-09-19T09:18:41.250+02:00");
    deepStrictEqual(value("/general/experimenter"), ["Doe, Jane"]);
    const scope = join(sessionFolder(root, LAB[0]!), "Miniscope");
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(scope, `${i}.avi`)));
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].shape, [80, 48, 40]);
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].sha256, sha256(decoded));
    deepStrictEqual(f["/acquisition/HeadOrientation/data"].shape, [80, 4]);
    // The colour camera's videos, copied into <stem>/ beside the file, are the recording's own
    // bytes, named as dandi lays external files out.
    const cameraFolder = join(sessionFolder(root, LAB[0]!), "BehavCam_0");
    const external: string[] = value("/acquisition/BehavCam_0/external_file");
    const objectId: string = f["/acquisition/BehavCam_0"].attrs.object_id[1];
    const stem = CAMERA_FILE.slice("sub-mouse-1/".length, -".nwb".length);
    deepStrictEqual(external, [0, 1].map((i) => `${stem}/${objectId}_external_file_${i}.avi`));
    for (const [i, path] of external.entries()) {
      deepStrictEqual(
        sha256(await Deno.readFile(join(dirname(file), path))),
        sha256(await Deno.readFile(join(cameraFolder, `${i}.avi`))),
      );
    }
    const cameraEntry = (await readManifest(out)).find((e) => e.output === CAMERA_FILE)!;
    deepStrictEqual(cameraEntry.externalFiles, external.map((p) => `sub-mouse-1/${p}`));
    if (canCheck) {
      // dandi's own derivation of the modalities (from pynwb's modules) gives the same names.
      const derived = await run(
        python,
        [MODALITIES, ...GOOD_FILES.map((name) => join(out, name))],
        {
          PYTHONPATH: VALIDATOR_SRC,
        },
      );
      assert(derived.code === 0, derived.stderr);
      deepStrictEqual(
        derived.stdout.trim().split("\n"),
        GOOD_FILES.map((name) => name.match(/_([a-z+]+)\.nwb$/)![1]),
      );
    }
    // pynwb's validator with the cached ndx-miniscope namespace, and DANDI's configuration of
    // nwbinspector: no CRITICAL, no BEST_PRACTICE_VIOLATION, in every file.
    for (const name of GOOD_FILES) {
      const checked = await checkNwb(join(out, name), { dandi: true });
      if (checked === null) break;
      deepStrictEqual(checked.objects.devices.Miniscope.type, "Miniscope");
      deepStrictEqual(checked.objects.general.session_id, name.match(/_ses-(\w+)_/)![1]);
      deepStrictEqual(checked.objects.general.experimenter, ["Doe, Jane"]);
    }

    // The manifest: one entry per file, with its size and checksum; none for the broken one.
    const manifest = await readManifest(out);
    deepStrictEqual(
      manifest.map((e) => [e.output, e.status]),
      GOOD_FILES.toSorted().map((o) => [o, "done"]),
    );
    for (const entry of manifest) {
      const bytes = await Deno.readFile(join(out, entry.output));
      deepStrictEqual([entry.size, entry.sha256], [bytes.length, sha256(bytes)]);
      assert(entry.source.startsWith(root) && entry.inputs.files > 0);
    }
  });
});

Deno.test("a rerun skips what is done and unchanged, converts again what changed, retries what failed, and touches nothing else", async () => {
  await withTemp(async (dir) => {
    const { root, table } = await writeLab(dir);
    const out = join(dir, "dandiset");
    await convertDataset({ root, out, subjects: table, jobs: 2 });
    await Deno.writeTextFile(join(out, "README.txt"), "ours, not the converter's\n");
    await Deno.writeTextFile(join(out, "sub-mouse2", "notes.txt"), "also ours\n");
    const times = async () =>
      Object.fromEntries(
        await Promise.all(
          (await listTree(out, SKIP)).map(async (
            p,
          ) => [p, (await Deno.stat(join(out, p))).mtime!.getTime()]),
        ),
      );
    const before = await times();

    let report = await convertDataset({ root, out, subjects: table, jobs: 2 });
    const statusOf = (file: string) => {
      const s = report.sessions.find((s) => s.output === join(out, file));
      return s && [s.status, s.error ?? s.reason];
    };
    for (const file of GOOD_FILES) {
      deepStrictEqual(statusOf(file), ["skipped", "done and unchanged"]);
    }
    deepStrictEqual(await times(), before);

    // A session whose files changed is converted again; only it.
    const changed = join(sessionFolder(root, LAB[1]!), "Miniscope", "timeStamps.csv");
    await Deno.utime(changed, new Date(), new Date(Date.now() + 60_000));
    // A session that breaks after its plan was made fails inside its task (as on a cluster),
    // and the manifest records the failure; then it is repaired as it was.
    const job = await writeSlurmJob({ root, out, subjects: table, folder: join(dir, "job") });
    const index = job.plan.sessions.flatMap((s) => (s.task ? [s.task] : []))
      .findIndex((t) => t.output === GOOD_FILES[2]);
    const video = join(sessionFolder(root, LAB[2]!), "Miniscope", "1.avi");
    const [bytes, stat] = [await Deno.readFile(video), await Deno.stat(video)];
    await Deno.writeTextFile(video, "broken meanwhile");
    const failed = await runPlannedTask(job.planFile, index);
    deepStrictEqual(failed.outcome.status, "failed");
    assert(failed.outcome.error!.includes("11_30_00/Miniscope/1.avi"), failed.outcome.error!);
    deepStrictEqual(
      (await readManifest(out)).find((e) => e.output === GOOD_FILES[2])!.status,
      "failed",
    );
    await Deno.writeFile(video, bytes);
    await Deno.utime(video, stat.atime!, stat.mtime!);
    // The session broken from the start is repaired too.
    await Deno.remove(sessionFolder(root, LAB[3]!), { recursive: true });
    await writeLabSession(root, LAB[3]!);

    report = await convertDataset({ root, out, subjects: table, jobs: 2 });
    deepStrictEqual(statusOf(GOOD_FILES[0]!), ["skipped", "done and unchanged"]);
    deepStrictEqual(statusOf(GOOD_FILES[1]!), ["converted", "its files changed"]);
    deepStrictEqual(statusOf(GOOD_FILES[2]!), ["converted", "failed before; retried"]);
    deepStrictEqual(statusOf(BROKEN_FILE), ["converted", "new"]);
    const after = await times();
    deepStrictEqual(after[GOOD_FILES[0]!], before[GOOD_FILES[0]!]);
    deepStrictEqual(after["README.txt"], before["README.txt"]);
    deepStrictEqual(after["sub-mouse2/notes.txt"], before["sub-mouse2/notes.txt"]);
    deepStrictEqual(
      await Deno.readTextFile(join(out, "README.txt")),
      "ours, not the converter's\n",
    );
    deepStrictEqual(
      await listTree(out, SKIP),
      [...GOOD_FILES, BROKEN_FILE, "README.txt", "sub-mouse2/notes.txt"].toSorted(),
    );
    deepStrictEqual((await readManifest(out)).map((e) => e.status), [
      "done",
      "done",
      "done",
      "done",
    ]);

    // A file in the way that the manifest does not know is refused, not replaced.
    await Deno.remove(
      join(out, ".miniscope-convert", "manifest", "sub-mouse2_ses-20220921T080000.json"),
    );
    report = await convertDataset({ root, out, subjects: table, jobs: 1 });
    const [s, e] = statusOf(BROKEN_FILE) ?? [];
    deepStrictEqual(s, "failed");
    assert(String(e).includes("has no record of it"), String(e));
  });
});

Deno.test("the plan names every session, refuses two sessions that would share a name or a subject label, and a subject lacking what DANDI needs, before any frame is read", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    await writeLabSession(root, { animal: "m_1", date: "2022_01_01", time: "09_00_00" });
    await writeLabSession(root, { animal: "m.1", date: "2022_01_02", time: "09_00_00" });
    const twin = await writeLabSession(root, {
      animal: "twin",
      date: "2022_01_04",
      time: "09_00_00",
    });
    const copied = join(root, "backup", "session");
    await Deno.mkdir(dirname(copied), { recursive: true });
    await run("cp", ["-r", twin, copied]);
    await writeLabSession(root, { animal: "lacks_sex", date: "2022_01_03", time: "09_00_00" });
    // Its videos are no videos: a refusal for the subject must come before they are read.
    const garbage = join(
      sessionFolder(root, { animal: "lacks_sex", date: "2022_01_03", time: "09_00_00" }),
      "Miniscope",
    );
    for (const name of ["0.avi", "1.avi", "2.avi"]) {
      await Deno.writeTextFile(join(garbage, name), "x");
    }
    await writeLabSession(root, { animal: "born", date: "2022_09_19", time: "09_00_00" });
    const table = join(dir, "subjects.csv");
    await Deno.writeTextFile(
      table,
      "subject_id,species,sex,age,date_of_birth\nm-1,Mus musculus,F,P1D,\ntwin,Mus musculus,F,P1D,\n" +
        "lacks_sex,Mus musculus,,P2D,\nborn,Mus musculus,M,,2022-06-21\n",
    );
    const out = join(dir, "out");
    const plan = await planDataset({ root, out, subjects: table });
    const by = (part: string) => plan.sessions.find((s) => s.folder.includes(part))!;
    for (const part of ["m_1/", "m.1/"]) {
      deepStrictEqual(by(part).action, "refuse");
      assert(
        by(part).reason.includes(`Animal names "m.1" and "m_1" all become subject label "m-1"`),
        by(part).reason,
      );
    }
    for (const part of ["backup", "twin/"]) {
      deepStrictEqual(by(part).action, "refuse");
      assert(
        by(part).reason.includes("would share the name sub-twin_ses-20220104T090000"),
        by(part).reason,
      );
    }
    assert(by("backup").reason.includes(twin), by("backup").reason);
    const lacking = by("lacks_sex");
    deepStrictEqual(lacking.action, "refuse");
    assert(
      lacking.reason.startsWith('DANDI requires the subject\'s sex: subject "lacks-sex"'),
      lacking.reason,
    );
    assert(lacking.reason.includes("line 4") && !lacking.reason.includes(".avi"), lacking.reason);
    // A date of birth alone gives the age at the session.
    const born = by("born");
    deepStrictEqual(born.action, "convert");
    deepStrictEqual(born.task!.nwb.age, "P90D");
    deepStrictEqual(born.task!.nwb.dateOfBirth, "2022-06-21");
    deepStrictEqual([born.frames, born.droppedFrames], [80, 0]);
    // Without a table every session lacks its subject.
    const bare = await planDataset({ root, out });
    assert(
      bare.sessions.find((s) => s.folder.includes("born"))!.reason.includes(
        "no subjects table was given",
      ),
    );
    // Nothing was written.
    deepStrictEqual(await Deno.stat(out).then(() => true, () => false), false);
  });
});

Deno.test("a second run on an output folder is refused while one holds it", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    await Deno.mkdir(root);
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const held = await lockOutput(out, "exclusive");
    try {
      await rejects(
        convertDataset({ root, out }),
        (e: Error) =>
          e.message.includes(`Another conversion is writing "${out}": process ${Deno.pid}`),
      );
    } finally {
      held.release();
    }
    const report = await convertDataset({ root, out });
    deepStrictEqual(report.sessions, []);
  });
});

Deno.test("convert --plan writes nothing and --json prints exactly the documented keys, under --allow-read=<root>,<out> alone", async () => {
  await withTemp(async (dir) => {
    const lab = await writeLab(dir);
    const { root } = lab;
    const table = join(root, "subjects.tsv");
    await Deno.copyFile(lab.table, table);
    const out = join(dir, "dandiset");
    const plan = await run(Deno.execPath(), cliArgs(root, out, table, ["--plan", "--json"]));
    deepStrictEqual(plan.code, 1, plan.stderr); // the broken session would fail
    const json = JSON.parse(plan.stdout);
    deepStrictEqual(Object.keys(json), ["sessions"]);
    for (const s of json.sessions) {
      deepStrictEqual(Object.keys(s), [
        "folder",
        "subject",
        "session",
        "output",
        "status",
        "error",
        "frames",
        "seconds",
      ]);
    }
    const camera = json.sessions.find((s: Dump) => s.output?.endsWith(CAMERA_FILE));
    deepStrictEqual(
      { ...camera, folder: undefined, output: undefined },
      {
        folder: undefined,
        subject: "mouse-1",
        session: "20220919T091841",
        output: undefined,
        status: "converted",
        error: null,
        frames: 80,
        seconds: camera.seconds,
      },
    );
    assert(Math.abs(camera.seconds - 81 / 30) < 0.1, String(camera.seconds));
    deepStrictEqual(await Deno.stat(out).then(() => true, () => false), false);

    const text = await run(Deno.execPath(), cliArgs(root, out, table, ["--plan"]));
    assert(
      text.stdout.includes(`convert   ${CAMERA_FILE} (80 frames, 2.7 s, 1 dropped): new`),
      text.stdout,
    );
    assert(
      text.stdout.includes(`Subject labels (letters, digits and hyphens): "mouse_1" -> "mouse-1"`),
      text.stdout,
    );
    assert(
      text.stdout.includes("Would convert 3 (240 frames), skip 4, refuse 1 of 8 folders"),
      text.stdout,
    );
    deepStrictEqual(await Deno.stat(out).then(() => true, () => false), false);
  });
});

Deno.test("convert under its narrow permissions: SIGTERM mid-run leaves no partial file, a second run meanwhile is refused, a killed run leaves no lock, a rerun completes", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    const sessions: LabSession[] = ["m1", "m2", "m3"].map((animal, i) => ({
      animal,
      date: "2022_09_19",
      time: `1${i}_00_00`,
      width: 160,
      height: 120,
      frames: 900,
      framesPerFile: 300,
    }));
    for (const s of sessions) await writeLabSession(root, s);
    // In the root, so that --allow-read=<root>,<out> is all the run is given.
    const table = join(root, "subjects.tsv");
    await Deno.writeTextFile(table, subjectsTsv(sessions.map((s) => [s.animal, "F", "P90D"])));
    const out = join(dir, "out");
    const child = new Deno.Command(Deno.execPath(), {
      args: cliArgs(root, out, table, ["--jobs", "2"]),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const partials = async () =>
      (await listTree(out, SKIP).catch(() => [])).filter((p) => p.includes(".partial-"));
    const started = Date.now();
    while ((await partials()).length === 0 && Date.now() - started < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert((await partials()).length > 0, "no partial file appeared");
    const second = await run(Deno.execPath(), cliArgs(root, out, table, []));
    deepStrictEqual(second.code, 1, second.stderr);
    assert(
      second.stderr.includes(`Another conversion is writing "${out}": process ${child.pid}`),
      second.stderr,
    );
    child.kill("SIGTERM");
    const status = await child.status;
    deepStrictEqual(status.code, 1, await stderr);
    assert((await stderr).includes("Interrupted"), await stderr);
    deepStrictEqual(await partials(), []);
    // Whatever is there is complete and recorded as done; the rest is recorded as stopped.
    const manifest = await readManifest(out);
    for (const file of await listTree(out, SKIP)) {
      deepStrictEqual(manifest.find((e) => e.output === file)?.status, "done", file);
    }
    assert(manifest.some((e) => e.status === "running" && e.error === "stopped"));
    // No subject folder is left empty by the file that was stopped.
    for await (const entry of Deno.readDir(out)) {
      if (!entry.name.startsWith("sub-")) continue;
      const inside = await Array.fromAsync(Deno.readDir(join(out, entry.name)));
      assert(inside.length > 0, `${entry.name} is left empty`);
    }

    // A run killed outright leaves its partial file and its process id in the lock file, but
    // the lock ends with the process: the next run takes it and removes the partial file.
    const killed = new Deno.Command(Deno.execPath(), {
      args: cliArgs(root, out, table, ["--jobs", "1"]),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const again = Date.now();
    while ((await partials()).length === 0 && Date.now() - again < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    killed.kill("SIGKILL");
    await killed.status;
    assert((await partials()).length > 0, "no partial file was left by the killed run");
    const lockFile = await Deno.readTextFile(join(out, ".miniscope-convert", "lock"));
    assert(lockFile.includes(`"pid":${killed.pid}`), lockFile);

    const rerun = await run(Deno.execPath(), cliArgs(root, out, table, ["--jobs", "2"]));
    deepStrictEqual(rerun.code, 0, rerun.stderr);
    assert(rerun.stdout.includes("stopped before it finished; converted again"), rerun.stdout);
    const files = sessions.map((s) =>
      `sub-${s.animal}/sub-${s.animal}_ses-20220919T${s.time.replaceAll("_", "")}_ophys.nwb`
    );
    deepStrictEqual(await listTree(out, SKIP), files);
    for (const entry of await readManifest(out)) {
      deepStrictEqual(entry.status, "done");
      deepStrictEqual(entry.sha256, sha256(await Deno.readFile(join(out, entry.output))));
    }
    // The frames of one file, exactly.
    const f = await dump(join(out, files[1]!));
    const device = join(sessionFolder(root, sessions[1]!), "Miniscope");
    const decoded = await ffmpegDecodeAll([0, 1, 2].map((i) => join(device, `${i}.avi`)));
    deepStrictEqual(f["/acquisition/OnePhotonSeries/data"].sha256, sha256(decoded));
  });
});

Deno.test("discovery reports an unreadable folder, a link loop, a link to a folder searched already, a broken link and a pipe named metaData.json, and never hangs", async () => {
  await withTemp(async (dir) => {
    await Deno.chmod(dir, 0o755);
    const root = join(dir, "data");
    const session = await writeLabSession(root, LAB[1]!);
    const lab = join(root, "lab");
    await Deno.mkdir(join(lab, "locked", "inside"), { recursive: true });
    await Deno.symlink("..", join(lab, "loop"));
    await Deno.symlink("lab/exp1", join(root, "alias"));
    await Deno.symlink("nowhere", join(lab, "dangling"));
    await Deno.mkdir(join(lab, "pipe"));
    const fifo = await run("mkfifo", [join(lab, "pipe", "metaData.json")]);
    assert(fifo.code === 0, fifo.stderr);
    await run("chmod", ["-R", "a+rX", root]);
    await Deno.chmod(join(lab, "locked"), 0o000);
    // The system lets root read any folder: look as another user then.
    const deno = [Deno.execPath(), "run", "--no-prompt", `--allow-read=${root}`];
    const script = new URL("./_discovery_script.ts", import.meta.url).pathname;
    const home = join(dir, "home");
    await Deno.mkdir(home, { mode: 0o777 });
    await Deno.chmod(home, 0o777);
    const uid = (await run("id", ["-u"])).stdout.trim();
    const command = uid === "0"
      ? [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        `DENO_DIR=${home}`,
        `HOME=${home}`,
        ...deno,
      ]
      : deno;
    const output = await new Deno.Command(command[0]!, {
      args: [...command.slice(1), script, root],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert(output.success, stderr);
    const found = JSON.parse(new TextDecoder().decode(output.stdout));
    deepStrictEqual(found.sessions, [session]);
    const passed = Object.fromEntries(
      found.passed.map((p: Dump) => [p.folder.slice(root.length + 1), [p.failed, p.reason]]),
    );
    deepStrictEqual(passed, {
      "alias": [
        false,
        `a link to "${join(lab, "exp1")}", which is searched already; not followed again`,
      ],
      "lab/dangling": [false, `a broken link to "nowhere"`],
      "lab/locked": [true, "Cannot search it: the file system does not let this user list it"],
      "lab/loop": [
        false,
        `a link loop: it points to "${root}", a folder that holds it; not followed`,
      ],
      "lab/pipe": [false, `"${join(lab, "pipe", "metaData.json")}" is not a file`],
    });
    await Deno.chmod(join(lab, "locked"), 0o755);
  });
});

Deno.test("an output or SLURM folder that is a file, the dataset folder or within a recording is refused, and a refused run writes nothing", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    const s: LabSession = { animal: "m1", date: "2022_09_19", time: "09_18_41" };
    const session = await writeLabSession(root, s);
    const table = join(dir, "subjects.tsv");
    await Deno.writeTextFile(table, subjectsTsv([["m1", "F", "P90D"]]));
    const before = await listTree(root);
    for (
      const [out, part] of [
        [session, `is in the recording folder "${await Deno.realPath(session)}"`],
        [join(session, "Miniscope"), "is in the recording folder"],
        [join(session, "Miniscope", "new"), "is in the recording folder"],
        [root, "is the dataset folder itself"],
        [table, "is a file, not a folder"],
      ] as const
    ) {
      await rejects(
        convertDataset({ root, out, subjects: table }),
        (error: Error) => error instanceof TypeError && error.message.includes(part),
        out,
      );
      await rejects(planDataset({ root, out, subjects: table }), TypeError, out);
    }
    await rejects(
      writeSlurmJob({
        root,
        out: join(dir, "out"),
        subjects: table,
        folder: join(session, "Miniscope"),
      }),
      (error: Error) =>
        error.message.startsWith(`The SLURM folder "${join(session, "Miniscope")}"`),
    );
    // Nothing was written into the recording, and no output folder was made.
    deepStrictEqual(await listTree(root), before);
    const out = join(dir, "never");
    await rejects(convertDataset({ root: join(dir, "missing"), out, subjects: table }));
    await rejects(convertDataset({ root, out, subjects: join(dir, "missing.tsv") }));
    deepStrictEqual(await Deno.stat(out).then(() => true, () => false), false);
    // A folder of its own within the dataset folder is fine.
    const report = await convertDataset({ root, out: join(root, "derived"), subjects: table });
    deepStrictEqual(report.sessions.map((r) => r.status), ["converted"]);
  });
});

Deno.test("a subjects table with two ids of one subject label, or not UTF-8, is refused naming the line", async () => {
  throws(
    () =>
      parseSubjectsTable(
        "subject_id\tspecies\tsex\tage\nmouse-2\tMus musculus\tF\tP90D\nmouse 2\tMus musculus\tM\tP90D\n",
        "s.tsv",
      ),
    /line 3: subject "mouse 2" has the subject label "mouse-2", as "mouse-2" on line 2 does/,
  );
  throws(
    () => parseSubjectsTable("subject_id\tdate_of_birth\nm1\t2021-02-30\n", "s.tsv"),
    /line 2: date_of_birth "2021-02-30": dateOfBirth must be an ISO 8601 date/,
  );
  throws(
    () => parseSubjectsTable("subject_id\tweight\nm1\theavy\n", "s.tsv"),
    /line 2: weight "heavy": weight must be a number with its unit/,
  );
  throws(
    () => parseSubjectsTable("subject_id\tsex\nMouse1\tF\nmouse1\tM\n", "s.tsv"),
    /line 3: subject "mouse1" has the subject label "mouse1", as "Mouse1" on line 2 does/,
  );
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    await writeLabSession(root, { animal: "m1", date: "2022_09_19", time: "09_18_41" });
    const latin1 = join(dir, "latin1.csv");
    const text = "subject_id,species,sex,age,description\nm1,Mus musculus,F,P90D,caf";
    await Deno.writeFile(latin1, Uint8Array.from([...new TextEncoder().encode(text), 0xe9, 0x0a]));
    await rejects(
      planDataset({ root, out: join(dir, "out"), subjects: latin1 }),
      (error: Error) =>
        error.message ===
          `Subjects table "${latin1}" is not UTF-8 text (line 2, byte 66): save it as UTF-8`,
    );
    const utf16 = join(dir, "utf16.csv");
    await Deno.writeFile(utf16, Uint8Array.from([0xff, 0xfe, 0x73, 0x00]));
    await rejects(
      planDataset({ root, out: join(dir, "out"), subjects: utf16 }),
      (error: Error) =>
        error.message === `Subjects table "${utf16}" is UTF-16: save it as UTF-8 text`,
    );
  });
});

Deno.test("a session whose metaData.json cannot be parsed is a failure, not a skip, and animals differing in case are one subject", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    const broken = await writeLabSession(root, {
      animal: "m1",
      date: "2022_09_19",
      time: "09_18_41",
    });
    await Deno.writeTextFile(
      join(broken, "metaData.json"),
      '{"animalName": "m1", "recordingStartTime": {',
    );
    await writeLabSession(root, { animal: "Mouse", date: "2022_09_20", time: "10_00_00" });
    await writeLabSession(root, { animal: "mouse", date: "2022_09_21", time: "10_00_00" });
    const table = join(dir, "subjects.tsv");
    await Deno.writeTextFile(table, subjectsTsv([["m1", "F", "P90D"], ["Mouse", "F", "P90D"]]));
    const plan = await planDataset({ root, out: join(dir, "out"), subjects: table });
    const of = (folder: string) => plan.sessions.find((s) => s.folder === folder)!;
    deepStrictEqual(of(broken).action, "refuse");
    assert(of(broken).reason!.includes("metaData.json"), of(broken).reason!);
    // Its device folder is not told of as a device folder outside a session.
    deepStrictEqual(plan.sessions.some((s) => s.folder === join(broken, "Miniscope")), false);
    const cased = plan.sessions.filter((s) =>
      s.animalName !== null && /^mouse$/i.test(s.animalName)
    );
    deepStrictEqual(cased.map((s) => s.action), ["refuse", "refuse"]);
    assert(
      cased[0]!.reason!.includes(`Animal names "Mouse" and "mouse" all become`),
      cased[0]!.reason!,
    );
    const { code } = await run(Deno.execPath(), cliArgs(root, join(dir, "out"), table, []));
    deepStrictEqual(code, 1);
  });
});

Deno.test("a warning about a session is reported once, for a dataset folder given by a relative path", async () => {
  await withTemp(async (dir) => {
    const root = join(dir, "data");
    const session = await writeLabSession(root, {
      animal: "m1",
      date: "2022_09_19",
      time: "09_18_41",
    });
    const device = join(session, "Miniscope", "metaData.json");
    const metadata = JSON.parse(await Deno.readTextFile(device));
    await Deno.writeTextFile(device, JSON.stringify({ ...metadata, framesPerFile: 7 }));
    const table = join(dir, "subjects.tsv");
    await Deno.writeTextFile(table, subjectsTsv([["m1", "F", "P90D"]]));
    const report = await convertDataset({
      root: relative(Deno.cwd(), root),
      out: join(dir, "out"),
      subjects: table,
    });
    const [only] = report.sessions;
    deepStrictEqual(only!.status, "converted");
    const told = only!.problems.filter((p) => p.includes("framesPerFile 7"));
    deepStrictEqual(told.length, 1, only!.problems.join("\n"));
  });
});
