/**
 * What happens when the program given as ffmpeg is not ffmpeg, hangs, or is stopped: clear
 * errors, reads that end, and no process left behind.
 *
 * @module
 */

import { join } from "node:path";
import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { FfmpegError, FfmpegUnavailableError, MiniscopeImagingExtractor } from "../mod.ts";
import {
  containing,
  copyFixture,
  errorWith,
  ffmpegProcessesMentioning,
  removeCopy,
  SAMPLE,
} from "./_helpers.ts";

/** Writes an executable shell script into a new temporary folder. */
async function script(body: string): Promise<{ path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_ffmpeg_" });
  const path = join(dir, "fake-ffmpeg");
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return { path, dir };
}

function open(
  ffmpegPath: string,
  extra: { stallTimeoutMs?: number; liveDecoders?: boolean } = {},
) {
  return MiniscopeImagingExtractor.open({ folderPath: SAMPLE, ffmpegPath, ...extra });
}

Deno.test("a program that prints bytes and exits 0 is refused as ffmpeg, not read as frames", async () => {
  // Enough bytes for every frame asked for, as a careless wrapper would print.
  const { path, dir } = await script("head -c 1000000 /dev/zero; exit 0");
  try {
    await using ex = await open(path);
    await rejects(
      () => ex.getSeries(0, 3),
      errorWith(FfmpegUnavailableError, "does not answer as ffmpeg does"),
    );
    await rejects(
      () => ex.getSamples([5]),
      errorWith(FfmpegUnavailableError, `Cannot use "${path}" as ffmpeg`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/bin/true as ffmpeg is named as not ffmpeg instead of blaming the recording", async () => {
  await using ex = await open("/bin/true");
  const error = await ex.getSeries(0, 2).catch((e: unknown) => e);
  assert(error instanceof FfmpegUnavailableError, String(error));
  deepStrictEqual(error.ffmpegPath, "/bin/true");
  assert.match(error.message, containing('Cannot use "/bin/true" as ffmpeg'));
  assert.doesNotMatch(error.message, /decodes to only/);
});

Deno.test("an ffmpeg without the decoder of the files' codec is an FfmpegUnavailableError naming both", async () => {
  // A real ffmpeg's answer, with the FFV1 decoder taken out of its list.
  const { path, dir } = await script(
    'case "$*" in *-decoders*) ffmpeg "$@" | grep -v " ffv1 ";; *) exec ffmpeg "$@";; esac',
  );
  try {
    await using ex = await open(path);
    const error = await ex.getSeries(0, 2).catch((e: unknown) => e);
    assert(error instanceof FfmpegUnavailableError, String(error));
    deepStrictEqual(error.ffmpegPath, path);
    assert.match(error.message, containing(`its codec is FFV1 but "${path}"`));
    assert.match(error.message, /has no ffv1 decoder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder or a file without execute permission as ffmpegPath says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_ffmpeg_" });
  try {
    const plain = join(dir, "ffmpeg");
    await Deno.writeTextFile(plain, "not a program");
    for (const path of [dir, plain]) {
      await using ex = await open(path);
      const error = await ex.getSeries(0, 1).catch((e: unknown) => e);
      assert(error instanceof Deno.errors.PermissionDenied, String(error));
      assert.match(error.message, /not an executable program/);
      assert.doesNotMatch(error.message, /--allow-run/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a program that never answers is stopped after the stall time-out", async () => {
  // `exec` so that killing the process closes its pipes.
  const { path, dir } = await script("exec sleep 30");
  try {
    await using ex = await open(path, { stallTimeoutMs: 400 });
    const started = performance.now();
    const error = await ex.getSeries(0, 2).catch((e: unknown) => e);
    assert(error instanceof FfmpegError, String(error));
    assert.match(error.message, containing("wrote nothing for 0.4 s"));
    assert(performance.now() - started < 10_000, "the read ended long before the program would");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a decoder that stalls mid-read is stopped after the stall time-out", async () => {
  // A real ffmpeg for the identity check; the decode itself writes nothing and never exits.
  const { path, dir } = await script(
    'case "$*" in *-decoders*) exec ffmpeg "$@";; *) exec sleep 30;; esac',
  );
  try {
    await using ex = await open(path, { stallTimeoutMs: 500 });
    const error = await ex.getSamples([3, 40]).catch((e: unknown) => e);
    assert(error instanceof FfmpegError, String(error));
    assert.match(error.message, containing("wrote nothing for 0.5 s"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an abort while a decoder is finishing ends the read at once", async () => {
  // Real ffmpeg that then holds stdout open for 30 s, as some wrappers do.
  const marker = `miniscope-finish-${Date.now()}`;
  const { path, dir } = await script(
    `case "$*" in *-decoders*) exec ffmpeg "$@";; *) ffmpeg "$@"; exec sleep 30 # ${marker}
esac`,
  );
  try {
    // A decoder kept alive never finishes; this is about one that does.
    await using ex = await open(path, { liveDecoders: false });
    const controller = new AbortController();
    const started = performance.now();
    const read = ex.getSeries(0, 5, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 1_500);
    await rejects(() => read, errorWith(Error, "stop now"));
    assert(performance.now() - started < 10_000, "the abort was not ignored");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getSeries() and getSamples() take a signal: an abort kills their decoders and rejects", async () => {
  const dir = await copyFixture(SAMPLE);
  await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir, concurrency: 2 });
  const aborted = new AbortController();
  aborted.abort(new Error("already"));
  await rejects(() => ex.getSeries(0, 10, { signal: aborted.signal }), errorWith(Error, "already"));
  await rejects(
    () => ex.getSamples([1, 2], { signal: aborted.signal }),
    errorWith(Error, "already"),
  );
  for (
    const read of [
      (signal: AbortSignal) => ex.getSeries(0, 58, { signal }),
      (signal: AbortSignal) => ex.getSamples([57, 3, 30], { signal }),
    ]
  ) {
    const controller = new AbortController();
    const pending = read(controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("cancelled"));
    await rejects(() => pending, errorWith(Error, "cancelled"));
  }
  deepStrictEqual(await ffmpegProcessesMentioning(dir), 0);
  await removeCopy(dir);
});
