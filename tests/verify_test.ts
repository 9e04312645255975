// The check that the program given as ffmpeg is ffmpeg: run once, shared by every read that
// needs it, and ended as soon as no read waits for it any more.
import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { errorWith, SAMPLE } from "./_helpers.ts";

/** A program that logs its process id and arguments and then sleeps without answering. */
async function silentProgram(): Promise<{ path: string; dir: string; log: string }> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_verify_" });
  const path = join(dir, "ffmpeg");
  const log = join(dir, "started");
  // `exec` keeps the logged id: the sleep is the process that was started.
  await Deno.writeTextFile(path, `#!/bin/sh\necho "$$ $*" >> "${log}"\nexec sleep 1000\n`);
  await Deno.chmod(path, 0o755);
  return { path, dir, log };
}

/** The processes started so far: id, and whether it is the identity check. */
async function started(log: string): Promise<{ pid: number; check: boolean }[]> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.trim().split("\n").filter(Boolean).map((line) => ({
    pid: Number(line.split(" ")[0]),
    check: line.includes("-decoders"),
  }));
}

async function until(what: string, ok: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process exists (a zombie not reaped yet counts), asked of `ps`. */
async function running(pid: number): Promise<boolean> {
  const output = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).trim() !== "";
}

for (const liveDecoders of [true, false]) {
  Deno.test(`an abort ends the identity check of a program that never answers at once (liveDecoders ${liveDecoders})`, async () => {
    const { path, dir, log } = await silentProgram();
    try {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: SAMPLE,
        ffmpegPath: path,
        liveDecoders,
      });
      const controller = new AbortController();
      const read = liveDecoders
        ? ex.getSamples([3], { signal: controller.signal })
        : ex.getSeries(0, 58, { signal: controller.signal });
      await until("the check and the decode", async () => (await started(log)).length >= 2);
      const aborted = performance.now();
      controller.abort(new Error("stop reading"));
      await rejects(() => read, errorWith(Error, "stop reading"));
      const processes = await started(log);
      assert(processes.some((p) => p.check), JSON.stringify(processes));
      for (const { pid } of processes) {
        await until(`process ${pid} to end`, async () => !(await running(pid)), 2_000);
      }
      assert(performance.now() - aborted < 2_000, "the processes ended long after the abort");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the identity check shared by two reads runs while one still waits, and ends with the last abort", async () => {
  const { path, dir, log } = await silentProgram();
  try {
    const open = () =>
      MiniscopeImagingExtractor.open({ folderPath: SAMPLE, ffmpegPath: path, liveDecoders: false });
    await using first = await open();
    await using second = await open();
    const a = new AbortController();
    const b = new AbortController();
    const readA = first.getSeries(0, 5, { signal: a.signal });
    await until("the first read's processes", async () => (await started(log)).length >= 2);
    const readB = second.getSeries(5, 10, { signal: b.signal });
    await until("the second read's decode", async () => (await started(log)).length >= 3);
    const processes = await started(log);
    deepStrictEqual(processes.filter((p) => p.check).length, 1, JSON.stringify(processes));
    const check = processes.find((p) => p.check)!.pid;

    a.abort(new Error("first stops"));
    await rejects(() => readA, errorWith(Error, "first stops"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert(await running(check), "the check ended while the second read still waited for it");

    b.abort(new Error("second stops"));
    await rejects(() => readB, errorWith(Error, "second stops"));
    for (const { pid } of await started(log)) {
      await until(`process ${pid} to end`, async () => !(await running(pid)), 2_000);
    }
    // Nothing was left to answer for: the next read starts a check of its own.
    const c = new AbortController();
    const readC = first.getSeries(0, 2, { signal: c.signal });
    await until(
      "a new check",
      async () => (await started(log)).filter((p) => p.check).length === 2,
    );
    c.abort(new Error("third stops"));
    await rejects(() => readC, errorWith(Error, "third stops"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const liveDecoders of [true, false]) {
  Deno.test(`a decode that cannot start ffmpeg does not hold the identity check, so the last abort still ends it (liveDecoders ${liveDecoders})`, async () => {
    const { path, dir, log } = await silentProgram();
    try {
      await using ex = await MiniscopeImagingExtractor.open({
        folderPath: SAMPLE,
        ffmpegPath: path,
        liveDecoders,
        concurrency: 2,
      });
      const controller = new AbortController();
      const read = ex.getSamples([3], { signal: controller.signal });
      await until("the check and the decode", async () => (await started(log)).length >= 2);
      // The program is gone: a decode of another file cannot start it.
      await Deno.rename(path, `${path}.gone`);
      await rejects(
        () => ex.getSamples([57]),
        errorWith(Deno.errors.NotFound, `Cannot run "${path}": ffmpeg was not found`),
      );
      controller.abort(new Error("stop reading"));
      await rejects(() => read, errorWith(Error, "stop reading"));
      const processes = await started(log);
      deepStrictEqual(processes.length, 2, JSON.stringify(processes));
      for (const { pid } of processes) {
        await until(`process ${pid} to end`, async () => !(await running(pid)), 2_000);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
