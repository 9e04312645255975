// The NWB writer's file creation: a missing output folder is an error naming it, not HDF5's
// diagnostics followed by a failure on a file that was never created.
import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { runDenoScript, TESTDATA } from "./_helpers.ts";
import { FIXTURES } from "../testdata/make_fixtures.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const SESSION = join(TESTDATA, FIXTURES.sample.session);

Deno.test("export to an NWB file in a missing folder fails with one line naming the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_nwb_writer_" });
  try {
    const out = join(dir, "missing", "session.nwb");
    const result = await runDenoScript(
      CLI,
      [`--allow-read=${SESSION},${dir}`, `--allow-write=${dir}`, "--allow-run=ffmpeg"],
      ["export", SESSION, "--out", out],
    );
    deepStrictEqual(result.code, 1, result.stderr);
    deepStrictEqual(
      result.stderr.trim(),
      `Error: Cannot write the NWB file: the folder "${join(dir, "missing")}" does not exist`,
    );
    assert(!result.stderr.includes("HDF5-DIAG"), result.stderr);
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
