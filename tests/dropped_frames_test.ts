// Dropped frames from the time stamps and the DAQ frame counter: a failed read of the counter
// (-1) is a saved frame, a restart after a reconnect is no drop, and the count that reaches
// the info report and the NWB file is the one of the frames really lost.
import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { detectDroppedFrames, MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { gatherInfo } from "../src/cli/info.ts";
import { writeSessionFiles } from "../src/sample.ts";
import { copyFixture, findPython, removeCopy, runPython, SAMPLE } from "./_helpers.ts";

/** Stamps every 33.3 ms, with one interval skipped after each row in `dropped`. */
function stamps(rows: number, dropped: number[] = []): number[] {
  const out: number[] = [];
  let slot = 0;
  for (let row = 0; row < rows; row++) {
    out.push(Math.round(slot * 33.3));
    slot += dropped.includes(row) ? 2 : 1;
  }
  return out;
}

/** The DAQ counter's verdict: frames lost, where, and where it restarts. */
function daq(times: number[], counter: number[]) {
  const found = detectDroppedFrames(times, counter);
  return {
    count: found.daqCount,
    after: found.daqJumps.map((jump) => [jump.afterSample, jump.missing]),
    restarts: found.daqRestarts,
  };
}

Deno.test("rows whose DAQ Frame Number is -1 are saved frames: two dropped frames count two, not four", () => {
  // Frames are dropped after rows 5 and 8; the counter read failed at rows 2 and 4.
  const times = stamps(11, [5, 8]);
  const found = detectDroppedFrames(times, [1, 2, -1, 4, -1, 6, 8, 9, 10, 12, 13]);
  deepStrictEqual(found.count, 2);
  deepStrictEqual(found.daqCount, 2);
  deepStrictEqual(found.daqJumps, [{ afterSample: 5, missing: 1 }, { afterSample: 8, missing: 1 }]);
  deepStrictEqual(found.daqRestarts, []);
});

Deno.test("a -1 beside a real gap, on the first row or on the last row counts only the frames lost", () => {
  // The failed read is the row right after the gap: placed where the time stamps show it.
  deepStrictEqual(daq(stamps(6, [2]), [1, 2, 3, -1, 6, 7]), {
    count: 1,
    after: [[2, 1]],
    restarts: [],
  });
  // ... and the row right before it.
  deepStrictEqual(daq(stamps(6, [2]), [1, 2, -1, 5, 6, 7]), {
    count: 1,
    after: [[2, 1]],
    restarts: [],
  });
  deepStrictEqual(daq(stamps(5), [-1, 2, 3, 4, 5]), { count: 0, after: [], restarts: [] });
  deepStrictEqual(daq(stamps(5), [-1, -1, 3, 4, 5]), { count: 0, after: [], restarts: [] });
  deepStrictEqual(daq(stamps(5), [1, 2, 3, 4, -1]), { count: 0, after: [], restarts: [] });
  deepStrictEqual(daq(stamps(5), [-1, -1, -1, -1, -1]), { count: 0, after: [], restarts: [] });
});

Deno.test("a counter restart after a reconnect is no drop, whatever raw value the first read holds", () => {
  // The software writes a connection's first read as the raw hardware value, then 2, 3, ...
  for (const first of [1, 0, 3, 9000]) {
    deepStrictEqual(daq(stamps(8), [1, 2, 3, 4, first, 2, 3, 4]), {
      count: 0,
      after: [],
      restarts: [3],
    }, `first read after the reconnect: ${first}`);
  }
  // So is the first read of the file.
  for (const first of [41234, 0, 1]) {
    deepStrictEqual(daq(stamps(5), [first, 2, 3, 4, 5]), { count: 0, after: [], restarts: [] });
  }
  // Frames lost after a restart are counted from its first read on.
  deepStrictEqual(daq(stamps(8, [5]), [1, 2, 3, 4, 9000, 2, 4, 5]), {
    count: 1,
    after: [[5, 1]],
    restarts: [3],
  });
});

Deno.test("several restarts and a counter going back otherwise are listed, never counted", () => {
  deepStrictEqual(daq(stamps(9), [1, 2, 3, 1, 2, 3, 5000, 2, 3]), {
    count: 0,
    after: [],
    restarts: [2, 5],
  });
  deepStrictEqual(daq(stamps(6), [100, 101, 102, 50, 51, 52]), {
    count: 0,
    after: [],
    restarts: [2],
  });
  // A restart where the reconnect took time: listed at the gap.
  const times = [0, 33, 67, 100, 2100, 2133, 2167];
  deepStrictEqual(daq(times, [1, 2, 3, 4, 1, 2, 3]), { count: 0, after: [], restarts: [3] });
});

Deno.test("a single read out of line with both neighbours is passed over, not counted", () => {
  deepStrictEqual(daq(stamps(6), [1, 2, 3, 57000, 5, 6]), { count: 0, after: [], restarts: [] });
  deepStrictEqual(daq(stamps(6), [100, 101, 102, 50, 104, 105]), {
    count: 0,
    after: [],
    restarts: [],
  });
});

Deno.test("the 16-bit counter wrapping after 65535 is no restart, and frames lost across it count", () => {
  // The software subtracts the first read's offset, so a wrap can also go negative.
  deepStrictEqual(daq(stamps(6), [65534, 65535, 65536, 1, 2, 3].map((v) => v - 1)), {
    count: 0,
    after: [],
    restarts: [],
  });
  deepStrictEqual(daq(stamps(6, [2]), [65433, 65434, 65435, -99, -98, -97]), {
    count: 1,
    after: [[2, 1]],
    restarts: [],
  });
});

/** The sample device with failed counter reads, a second drop the time stamps do not show, and
 * a reconnect. */
async function deviceWithCounterQuirks(): Promise<string> {
  const dir = await copyFixture(SAMPLE);
  const path = join(dir, "timeStamps.csv");
  const [header, ...rows] = (await Deno.readTextFile(path)).trimEnd().split("\n");
  const edited = rows.map((line, row) => {
    const cells = line.split(",");
    let counter = Number(cells[3]);
    // The fixture drops a frame after row 30; the counter loses one more after row 44 and
    // restarts at a reconnect after row 49 (its first read holds the raw hardware value).
    if (row > 44) counter++;
    if (row === 50) counter = 7000;
    else if (row > 50) counter = row - 49;
    // Failed reads: one alone, one right after the gap, one on the last row.
    if (row === 5 || row === 31 || row === rows.length - 1) counter = -1;
    cells[3] = String(counter);
    return cells.join(",");
  });
  await Deno.writeTextFile(path, [header, ...edited].join("\n") + "\n");
  return dir;
}

Deno.test("a recording's DAQ count, as read, as reported by info and as written to NWB, is the frames lost", async () => {
  const dir = await deviceWithCounterQuirks();
  try {
    await using ex = await MiniscopeImagingExtractor.open({ folderPath: dir });
    const found = ex.getDroppedFrames()!;
    deepStrictEqual(found.count, 1);
    deepStrictEqual(found.daqCount, 2);
    deepStrictEqual(found.daqJumps, [{ afterSample: 30, missing: 1 }, {
      afterSample: 44,
      missing: 1,
    }]);
    deepStrictEqual(found.daqRestarts, [49]);
    // A slice sees the events within it, judged with the rows before it.
    const slice = ex.sliceSamples(40, 58).getDroppedFrames()!;
    deepStrictEqual([slice.daqCount, slice.daqRestarts], [1, [9]]);
    deepStrictEqual(ex.sliceSamples(51, 58).getDroppedFrames()!.daqCount, 0);

    const { info, extractor } = await gatherInfo(dir);
    await extractor.close();
    deepStrictEqual(info.droppedFrames?.daqCount, 2);

    await writeSessionFiles(join(dir, ".."));
    const session = await MiniscopeSession.open(join(dir, ".."));
    const out = join(dir, "..", "out.nwb");
    await writeNwb(session, out, {});
    const python = await findPython(["h5py"]);
    assert(python, "no python3 with h5py: install python3-h5py");
    const comments = await runPython(
      python,
      "import h5py, sys; print(h5py.File(sys.argv[1])['acquisition/OnePhotonSeries']" +
        ".attrs['comments'])",
      [out],
    );
    assert.match(comments, /the DAQ frame counter shows 2 missing/);
    assert.match(comments, /restarts after sample 49/);
  } finally {
    await removeCopy(dir);
  }
});
