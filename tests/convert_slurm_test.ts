// convert --slurm on a real one-node SLURM cluster (Debian's slurm-wlm and munge, started by
// tests/_slurm.ts): a job array converts a lab tree into the same files and manifest as a
// local run; a failing task leaves the others running, and submitting again converts what is
// left.
import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { createHash } from "node:crypto";
import { findPython, runCommand } from "./_helpers.ts";
import { type LabSession, listTree, sessionFolder, subjectsTsv, writeLabSession } from "./_lab.ts";
import { startCluster } from "./_slurm.ts";
import { type ManifestEntry, readManifest } from "../src/convert/mod.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const DUMP = new URL("./tools/nwb_dump.py", import.meta.url).pathname;
/**
 * Left out of listings: the manifest and locks, and the `<stem>/` folders of files written
 * beside an NWB file (behaviour videos, named by object ids; checked through external_file).
 */
const SKIP = /^\.miniscope-convert(\/|$)|^sub-[^/]+\/sub-[^/]+_ses-[^/.]+(\/|$)/;

function run(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(command, args);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The entries without what differs between two writings of the same content: the checksum
 * and time of the file (it holds a new identifier and object ids each time), and the object
 * ids in the names of files written beside it.
 */
function comparable(entries: ManifestEntry[]): Omit<ManifestEntry, "sha256" | "mtimeMs">[] {
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  return entries.map(({ sha256: _sha, mtimeMs: _mtime, externalFiles, ...rest }) => ({
    ...rest,
    externalFiles: externalFiles.map((file) => file.replace(uuid, "<object id>")),
  }));
}

/** Each file's frames and time stamps, as h5py reads them. */
async function content(out: string, files: string[]): Promise<unknown[]> {
  const python = await findPython(["h5py", "numpy"]) ?? "/usr/bin/python3";
  const all: unknown[] = [];
  for (const file of files) {
    const { code, stdout, stderr } = await run(python, [DUMP, join(out, file)]);
    assert(code === 0, stderr);
    const f = JSON.parse(stdout);
    all.push([
      f["/acquisition/OnePhotonSeries/data"].sha256,
      f["/acquisition/OnePhotonSeries/timestamps"].value,
      f["/general/subject/subject_id"].value,
      f["/session_start_time"].value,
    ]);
  }
  return all;
}

const LAB: LabSession[] = [
  { animal: "mouse_1", date: "2022_09_19", time: "09_18_41", camera: true },
  { animal: "mouse_1", date: "2022_09_20", time: "10_00_00" },
  { animal: "mouse2", date: "2022_09_19", time: "11_30_00", head: true },
];

Deno.test("a SLURM job array on a one-node cluster gives the files and manifest of a local run; a failed task is converted when submitted again", async () => {
  const cluster = await startCluster();
  const dir = await Deno.makeTempDir({ prefix: "miniscope_slurm_convert_" });
  try {
    const root = join(dir, "data");
    for (const s of LAB) await writeLabSession(root, s);
    const table = join(dir, "subjects.tsv");
    await Deno.writeTextFile(
      table,
      subjectsTsv([["mouse-1", "F", "P90D"], ["mouse2", "M", "P80D"]]),
    );
    const permissions = (out: string, extra: string[] = []) => [
      "run",
      "--no-prompt",
      "--quiet",
      `--allow-read=${[root, out, table, ...extra].join(",")}`,
      `--allow-write=${[out, ...extra].join(",")}`,
      "--allow-run=ffmpeg",
      CLI,
      "convert",
      root,
      "--out",
      out,
      "--subjects",
      table,
    ];

    const local = join(dir, "local");
    const localRun = await run(Deno.execPath(), permissions(local));
    deepStrictEqual(localRun.code, 0, localRun.stderr);

    const cluster_out = join(dir, "cluster");
    const job = join(dir, "job");
    const written = await run(Deno.execPath(), [
      ...permissions(cluster_out, [job]),
      "--slurm",
      job,
      "--jobs",
      "2",
      "--slurm-option=--mem=1G",
      "--slurm-option=--time=00:10:00",
    ]);
    deepStrictEqual(written.code, 0, written.stderr);
    const script = join(job, "convert.sbatch");
    assert(written.stdout.includes(`sbatch --wait ${script}`), written.stdout);
    const text = await Deno.readTextFile(script);
    for (
      const line of ["#SBATCH --array=0-2%2", "#SBATCH --mem=1G", "#SBATCH --time=00:10:00"]
    ) {
      assert(text.split("\n").includes(line), text);
    }
    assert(text.includes("convert --task"), text);

    // One session breaks after the plan was written: its task fails, the others convert.
    const video = join(sessionFolder(root, LAB[1]!), "Miniscope", "1.avi");
    const [bytes, stat] = [await Deno.readFile(video), await Deno.stat(video)];
    await Deno.writeTextFile(video, "broken after planning");
    const first = await cluster.run("sbatch", ["--wait", script]);
    assert(first.code !== 0, `a failed task fails the array: ${first.stdout}${first.stderr}`);
    const broken = "sub-mouse-1/sub-mouse-1_ses-20220920T100000_ophys.nwb";
    const localFiles = await listTree(local, SKIP);
    deepStrictEqual(await listTree(cluster_out, SKIP), localFiles.filter((f) => f !== broken));
    const failed = (await readManifest(cluster_out)).find((e) => e.output === broken)!;
    deepStrictEqual(failed.status, "failed");
    assert(failed.error!.includes("10_00_00/Miniscope/1.avi"), failed.error!);
    const converted = await Promise.all(
      localFiles.filter((f) => f !== broken).map(async (f) =>
        (await Deno.stat(join(cluster_out, f))).mtime!.getTime()
      ),
    );

    // Repaired as it was, and submitted again: the rest is converted, nothing else touched.
    await Deno.writeFile(video, bytes);
    await Deno.utime(video, stat.atime!, stat.mtime!);
    const second = await cluster.run("sbatch", ["--wait", script]);
    deepStrictEqual(second.code, 0, second.stdout + second.stderr);
    deepStrictEqual(await listTree(cluster_out, SKIP), localFiles);
    deepStrictEqual(
      await Promise.all(
        localFiles.filter((f) => f !== broken).map(async (f) =>
          (await Deno.stat(join(cluster_out, f))).mtime!.getTime()
        ),
      ),
      converted,
    );
    const logs = await listTree(join(job, "logs"));
    deepStrictEqual(logs.length, 6);

    // The same manifest: every field but the checksum and time of files written twice.
    const [a, b] = [await readManifest(local), await readManifest(cluster_out)];
    deepStrictEqual(comparable(b), comparable(a));
    for (const entry of b) {
      deepStrictEqual(entry.sha256, sha256(await Deno.readFile(join(cluster_out, entry.output))));
    }
    deepStrictEqual(await content(cluster_out, localFiles), await content(local, localFiles));
  } finally {
    await cluster.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
