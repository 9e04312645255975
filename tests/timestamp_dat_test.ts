import { join } from "node:path";
import assert, { deepStrictEqual, throws } from "node:assert/strict";
import {
  assignCameras,
  camerasOf,
  parseTimestampDat,
  replaceFirstStamp,
} from "../src/formats/timestamp_dat.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { errorWith, TESTDATA } from "./_helpers.ts";
import { LEGACY } from "../testdata/make_fixtures.ts";

const FIXTURE = join(TESTDATA, LEGACY.folder, "timestamp.dat");

Deno.test("parseTimestampDat() reads the fixture's interleaved rows, CRLF line ends and all", async () => {
  const text = await Deno.readTextFile(FIXTURE);
  // The fixture is written the way the Windows software wrote it.
  assert.match(text, /\r\n/);
  const table = parseTimestampDat(text);
  const rows = LEGACY.scope.frames + LEGACY.behaviour.frames;
  deepStrictEqual(table.camNums.length, rows);
  deepStrictEqual(new Set(table.camNums), new Set([0, 1]));
  const lines = text.trim().split("\r\n").slice(1).map((line) => line.split("\t").map(Number));
  deepStrictEqual([...table.sysClocksMs], lines.map((cells) => cells[2]));
  deepStrictEqual([...table.frameNumbers], lines.map((cells) => cells[1]));
  deepStrictEqual([...table.buffers!], lines.map((cells) => cells[3]));
});

Deno.test("camerasOf() splits the rows by camNum in file order, frame numbers counting from 1", async () => {
  const cams = camerasOf(parseTimestampDat(await Deno.readTextFile(FIXTURE)));
  deepStrictEqual(cams.map((cam) => cam.camNum), [0, 1]);
  const [behaviour, scope] = cams as [(typeof cams)[0], (typeof cams)[0]];
  deepStrictEqual(scope.rows.length, LEGACY.scope.frames);
  deepStrictEqual(behaviour.rows.length, LEGACY.behaviour.frames);
  deepStrictEqual([...scope.frameNumbers], Array.from({ length: 16 }, (_, i) => i + 1));
  deepStrictEqual(scope.sysClocksMs[0], LEGACY.scope.firstSysClock);
  deepStrictEqual(behaviour.sysClocksMs[0], LEGACY.behaviour.firstSysClock);
  // Rows are indices into the whole file: each camera's rows increase and none is shared.
  const all = [...scope.rows, ...behaviour.rows].sort((a, b) => a - b);
  deepStrictEqual(all, Array.from({ length: 26 }, (_, i) => i));
});

Deno.test("parseTimestampDat() names the line and column of a bad cell and refuses another header", () => {
  throws(
    () => parseTimestampDat("camNum\tframeNum\tsysClock\tbuffer\n0\t1\t33\t0\n1\tx\t40\t0\n"),
    errorWith(FormatError, 'line 3, column 2 ("frameNum") is not a number: "x"'),
  );
  throws(
    () => parseTimestampDat("Frame Number,Time Stamp (ms),Buffer Index\n0,1,0\n"),
    errorWith(FormatError, "line 1 is not the header of a timestamp.dat"),
  );
  throws(() => parseTimestampDat(""), errorWith(FormatError, "empty"));
  throws(
    () => parseTimestampDat("camNum\tframeNum\tsysClock\tbuffer\n0\t1\t99999999999999999999\t0\n"),
    errorWith(
      FormatError,
      'line 2, column 3 ("sysClock") is beyond 2^53, where numbers are no longer exact',
    ),
  );
  throws(
    () => parseTimestampDat("camNum\tframeNum\tsysClock\tbuffer\n0\t1\t33\n1\t1\t40\t0\n"),
    errorWith(FormatError, "line 2 has 3 cells, expected 4"),
  );
});

Deno.test("parseTimestampDat() leaves out a last row cut while writing, with a warning", () => {
  const warnings: string[] = [];
  const table = parseTimestampDat(
    "camNum\tframeNum\tsysClock\tbuffer\n0\t1\t33\t0\n1\t1\t3",
    (message) => warnings.push(message),
  );
  deepStrictEqual([...table.camNums], [0]);
  deepStrictEqual(warnings.length, 1);
});

Deno.test("assignCameras() gives each camera the camNum whose rows number its frames, in either order", () => {
  for (const [scopeCam, behaviourCam] of [[0, 1], [1, 0], [2, 0]]) {
    const counts = new Map([[scopeCam!, 1000], [behaviourCam!, 700]]);
    deepStrictEqual(assignCameras(counts, { scope: 1000, behaviour: 700 }), {
      kind: "matched",
      scope: scopeCam,
      behaviour: behaviourCam,
      exact: true,
    });
  }
  // Without behaviour videos, the camNum whose rows fit the Miniscope.
  deepStrictEqual(
    assignCameras(new Map([[0, 700], [1, 1000]]), { scope: 1000, behaviour: null }),
    { kind: "matched", scope: 1, behaviour: null, exact: true },
  );
});

Deno.test("assignCameras() takes the nearest counts when none fit exactly, and says so", () => {
  deepStrictEqual(
    assignCameras(new Map([[0, 502], [1, 998]]), { scope: 1000, behaviour: 500 }),
    { kind: "matched", scope: 1, behaviour: 0, exact: false },
  );
});

Deno.test("assignCameras() reports the choices when the counts cannot tell the cameras apart", () => {
  deepStrictEqual(
    assignCameras(new Map([[0, 1000], [1, 1000]]), { scope: 1000, behaviour: 1000 }),
    {
      kind: "ambiguous",
      choices: [{ scope: 0, behaviour: 1 }, { scope: 1, behaviour: 0 }],
    },
  );
  // Nearest counts that tie are no better.
  deepStrictEqual(
    assignCameras(new Map([[0, 1002], [1, 999]]), { scope: 1000, behaviour: 1000 }).kind,
    "ambiguous",
  );
  // One camNum for two cameras of equal length: either could own it.
  deepStrictEqual(
    assignCameras(new Map([[3, 50]]), { scope: 50, behaviour: 50 }).kind,
    "ambiguous",
  );
});

Deno.test("replaceFirstStamp() puts the first frame one median interval before the second", () => {
  const { stampsMs, first } = replaceFirstStamp(Float64Array.from([93817, 40, 73, 107, 140, 173]));
  deepStrictEqual([...stampsMs], [7, 40, 73, 107, 140, 173]);
  deepStrictEqual(first, { written: 93817, replacement: 7, medianIntervalMs: 33 });
  // With fewer than three rows there is no interval: 0 ms.
  deepStrictEqual([...replaceFirstStamp(Float64Array.from([5000, 40])).stampsMs], [0, 40]);
  deepStrictEqual([...replaceFirstStamp(Float64Array.from([5000])).stampsMs], [0]);
  deepStrictEqual(replaceFirstStamp(new Float64Array()).first, null);
});
