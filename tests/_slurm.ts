/**
 * A one-node SLURM cluster for the tests, on this machine, as root, from Debian's `slurm-wlm`
 * and `munge` (installed by `.ci/run`; nothing is installed here): munged with a key of its own,
 * a `slurm.conf` naming this host (`hostname -s`) as controller and node with its real CPUs and
 * memory (`slurmd -C`), slurmctld and slurmd, all in a temporary folder, on free ports. The
 * cluster is ready when `sinfo` shows the node idle; {@linkcode Cluster.stop} cancels its jobs
 * and stops every daemon.
 *
 * @module
 */

import { join } from "node:path";
import { runCommand } from "./_helpers.ts";

/** A running cluster. */
export interface Cluster {
  /** Environment for the client commands (`SLURM_CONF`). */
  env: Record<string, string>;
  /** Runs a client command (`sbatch`, `squeue`, ...) against the cluster. */
  run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Cancels every job, stops the daemons and removes the folder. */
  stop(): Promise<void>;
}

const DAEMONS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo", "scancel"];

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(command, args, { env });
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function readLogs(folder: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ["munged.log", "slurmctld.log", "slurmd.log"]) {
    const text = await Deno.readTextFile(join(folder, name)).catch(() => "");
    parts.push(`--- ${name}\n${text.split("\n").slice(-20).join("\n")}`);
  }
  return parts.join("\n");
}

/**
 * Starts the cluster.
 *
 * @returns The cluster, its node idle.
 * @throws {Error} When not run as root, when a program is missing (naming the packages to
 *   install), or when the node does not become idle in time (with the daemons' logs).
 */
export async function startCluster(): Promise<Cluster> {
  if ((await run("id", ["-u"])).stdout.trim() !== "0") {
    throw new Error("The SLURM tests start a cluster of their own and must run as root");
  }
  for (const program of DAEMONS) {
    if ((await run("sh", ["-c", `command -v ${program}`])).code !== 0) {
      throw new Error(
        `"${program}" is not installed: apt-get install -y slurm-wlm munge (as .ci/run does)`,
      );
    }
  }
  const folder = await Deno.makeTempDir({ prefix: "miniscope_slurm_" });
  await Deno.chmod(folder, 0o755);
  const children: Deno.ChildProcess[] = [];
  const spawn = (command: string, args: string[], env: Record<string, string> = {}) => {
    const child = new Deno.Command(command, {
      args,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(child);
    return child;
  };
  const env = { SLURM_CONF: join(folder, "slurm.conf") };
  const stopAll = async () => {
    await run("scancel", ["--full", "--quiet", "--user=root"], env).catch(() => {});
    for (const child of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has ended already.
      }
      const ended = await Promise.race([
        child.status.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!ended) {
        try {
          child.kill("SIGKILL");
        } catch {
          // It has ended meanwhile.
        }
        await child.status;
      }
    }
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  };
  try {
    // munged refuses a key or socket in a folder others may write to.
    const keys = join(folder, "munge-key");
    const socketFolder = join(folder, "munge-socket");
    await Deno.mkdir(keys, { mode: 0o700 });
    await Deno.mkdir(socketFolder, { mode: 0o755 });
    const key = join(keys, "munge.key");
    const created = await run("mungekey", ["--create", `--keyfile=${key}`]);
    if (created.code !== 0) throw new Error(`mungekey failed: ${created.stderr}`);
    const socket = join(socketFolder, "munge.socket");
    spawn("munged", [
      "--foreground",
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${join(socketFolder, "munged.pid")}`,
      `--seed-file=${join(keys, "munged.seed")}`,
      `--log-file=${join(folder, "munged.log")}`,
    ]);
    await waitFor("munged", () => Deno.stat(socket).then(() => true, () => false), 20_000);

    const host = (await run("hostname", ["-s"])).stdout.trim();
    const node = (await run("slurmd", ["-C"])).stdout.split("\n")
      .find((line) => line.startsWith("NodeName="));
    if (!node) throw new Error("slurmd -C printed no NodeName line");
    const hardware = node.split(/\s+/).filter((field) =>
      /^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=/.test(field)
    );
    for (const name of ["state", "spool"]) await Deno.mkdir(join(folder, name));
    const conf = [
      "ClusterName=miniscope-test",
      `SlurmctldHost=${host}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      `SlurmctldPort=${freePort()}`,
      `SlurmdPort=${freePort()}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(folder, "state")}`,
      `SlurmdSpoolDir=${join(folder, "spool")}`,
      `SlurmctldPidFile=${join(folder, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(folder, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(folder, "slurmctld.log")}`,
      `SlurmdLogFile=${join(folder, "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core_Memory",
      "MpiDefault=none",
      "ReturnToService=2",
      "SchedulerType=sched/builtin",
      "SchedulerParameters=sched_interval=1",
      "MinJobAge=300",
      `NodeName=${host} ${hardware.join(" ")} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n");
    await Deno.writeTextFile(env.SLURM_CONF, conf);
    spawn("slurmctld", ["-D", "-f", env.SLURM_CONF], env);
    spawn("slurmd", ["-D", "-f", env.SLURM_CONF], env);
    try {
      await waitFor("the node to be idle", async () => {
        const info = await run("sinfo", ["--noheader", "--format=%T", `--nodes=${host}`], env);
        return info.stdout.trim() === "idle";
      }, 60_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await readLogs(folder)}`);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    env,
    run: (command, args) => run(command, args, env),
    stop: stopAll,
  };
}
