/**
 * Locks on an output folder, so that two conversions never write it at once.
 *
 * A run on one machine holds `<out>/.miniscope-convert/lock` exclusively; the tasks of a job
 * array hold it shared (they run together), and each task holds its session's own lock. The
 * locks are the operating system's file locks (`flock`): the system releases them when the
 * process holding them ends, however it ends, so a lock is never left behind by a run that
 * crashed or was killed. The file keeps the holder's process id, host and start time, to say
 * who holds it; once the holder is gone, whatever the file says, the lock is free.
 *
 * @module
 */

import { hostname } from "node:os";
import { join } from "node:path";
import { explainFsError } from "../files.ts";
import { STATE_FOLDER } from "./manifest.ts";

/** Who holds a lock, as written in its file. */
interface Holder {
  pid: number;
  host: string | null;
  since: string;
  what: string;
}

/** A lock held until released (or the process ends). */
export interface HeldLock extends Disposable {
  /** Releases the lock. */
  release(): void;
}

function hostName(): string | null {
  // Reading the host name needs --allow-sys, which a run need not have (and asking for it
  // would prompt on a terminal): it is only told to others.
  const { state } = Deno.permissions.querySync({ name: "sys", kind: "hostname" });
  if (state !== "granted") return null;
  try {
    return hostname();
  } catch {
    return null;
  }
}

async function readHolder(file: Deno.FsFile): Promise<Holder | null> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const buffer = new Uint8Array(4096);
    const n = await file.read(buffer);
    return n ? JSON.parse(new TextDecoder().decode(buffer.subarray(0, n))) as Holder : null;
  } catch {
    return null;
  }
}

/**
 * Takes a lock file, without waiting.
 *
 * @param path The lock file (created when missing).
 * @param mode `"exclusive"` (one holder) or `"shared"` (any number of shared holders).
 * @param what What the holder does, for the message another run gets.
 * @returns The lock, or, when another process holds it, who that is as a sentence.
 * @throws {Error} When the file system does not support locks, naming the file.
 */
export async function tryLock(
  path: string,
  mode: "exclusive" | "shared",
  what: string,
): Promise<HeldLock | { heldBy: string }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (error) {
    throw explainFsError(error, path, "lock file");
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(mode === "exclusive");
  } catch (error) {
    file.close();
    throw new Error(
      `Cannot lock "${path}": ${(error as Error).message}; the file system of the output ` +
        `folder must support file locks`,
    );
  }
  if (!locked) {
    // Only an exclusive holder writes the file: when a shared lock can be had, the holders
    // are shared ones and the file may tell of an earlier run.
    const shared = mode === "exclusive" && await file.tryLock(false).catch(() => false);
    const holder = shared ? null : await readHolder(file);
    file.close();
    return {
      heldBy: shared
        ? "the tasks of a job array"
        : holder
        ? `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ""} (${holder.what}, ` +
          `since ${holder.since})`
        : "another process",
    };
  }
  if (mode === "exclusive") {
    const holder: Holder = {
      pid: Deno.pid,
      host: hostName(),
      since: new Date().toISOString(),
      what,
    };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      file.unlockSync();
    } finally {
      file.close();
    }
  };
  return { release, [Symbol.dispose]: release };
}

/**
 * Takes the lock of an output folder for a whole run, or for a task of a job array.
 *
 * @param out The output folder.
 * @param mode `"exclusive"` for a run, `"shared"` for a task.
 * @returns The lock.
 * @throws {Error} When another run holds it, saying who.
 */
export async function lockOutput(out: string, mode: "exclusive" | "shared"): Promise<HeldLock> {
  const folder = join(out, STATE_FOLDER);
  await Deno.mkdir(folder, { recursive: true }).catch((error) => {
    throw explainFsError(error, folder, "output folder");
  });
  const lock = await tryLock(join(folder, "lock"), mode, "miniscope convert");
  if ("heldBy" in lock) {
    throw new Error(
      `Another conversion is writing "${out}": ${lock.heldBy}; wait until it ends, or write ` +
        `to another folder`,
    );
  }
  return lock;
}

/**
 * Takes the lock of one session in an output folder.
 *
 * @param out The output folder.
 * @param key The session's key.
 * @returns The lock, or who holds it.
 */
export async function lockSession(
  out: string,
  key: string,
): Promise<HeldLock | { heldBy: string }> {
  const folder = join(out, STATE_FOLDER, "locks");
  await Deno.mkdir(folder, { recursive: true });
  return await tryLock(join(folder, `${key}.lock`), "exclusive", `converting ${key}`);
}
