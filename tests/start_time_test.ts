// The session start time's UTC offset from a time zone, where the local time of the start is
// one the clocks skipped (spring forward) or passed twice (fall back).
import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { MiniscopeSession, type RecordingStartTime } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { startTimeWithOffset } from "../src/nwb/start_time.ts";
import { qtJson } from "../src/sample.ts";
import {
  containing,
  copyFixture,
  findPython,
  removeCopy,
  runPython,
  SAMPLE,
  warnings,
} from "./_helpers.ts";

/** A start time as the session metaData.json gives it, from `2022-03-27T02:30:00.000`. */
function at(local: string, msecSinceEpoch: number | null = null): RecordingStartTime {
  const [year, month, day, hour, minute, second, msec] = local.split(/[-T:.]/).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { year, month, day, hour, minute, second, msec, msecSinceEpoch, local };
}

function withZone(local: string, timeZone: string): { time: string; warnings: string[] } {
  const w = warnings();
  const time = startTimeWithOffset(at(local), timeZone, "metaData.json", w.onWarning);
  return { time, warnings: w.list };
}

Deno.test("a start in the hour the clocks skipped warns and says which offset it takes", () => {
  const berlin = withZone("2022-03-27T02:30:00.000", "Europe/Berlin");
  deepStrictEqual(berlin.time, "2022-03-27T02:30:00.000+01:00");
  deepStrictEqual(berlin.warnings.length, 1);
  const [message] = berlin.warnings as [string];
  for (
    const part of [
      "2022-03-27T02:30:00.000",
      'does not exist in time zone "Europe/Berlin"',
      "from +01:00 to +02:00",
      "as 2022-03-27T02:30:00.000+01:00 (2022-03-27T03:30:00.000+02:00)",
      "--session-start-time",
    ]
  ) assert.match(message, containing(part));
  deepStrictEqual(
    withZone("2022-03-13T02:30:00.000", "America/New_York").time,
    "2022-03-13T02:30:00.000-05:00",
  );
});

Deno.test("a start in the hour the clocks passed twice warns and takes the first", () => {
  const berlin = withZone("2022-10-30T02:30:00.000", "Europe/Berlin");
  deepStrictEqual(berlin.time, "2022-10-30T02:30:00.000+02:00");
  deepStrictEqual(berlin.warnings.length, 1);
  const [message] = berlin.warnings as [string];
  for (
    const part of [
      'happened twice in time zone "Europe/Berlin"',
      "from +02:00 to +01:00",
      "taken as the first, 2022-10-30T02:30:00.000+02:00",
      "not 2022-10-30T02:30:00.000+01:00 60 minutes later",
    ]
  ) assert.match(message, containing(part));
  deepStrictEqual(
    withZone("2022-11-06T01:30:00.000", "America/New_York").time,
    "2022-11-06T01:30:00.000-04:00",
  );
  // Lord Howe Island moves its clocks by half an hour.
  const lordHowe = withZone("2022-04-03T01:45:00.000", "Australia/Lord_Howe");
  deepStrictEqual(lordHowe.time, "2022-04-03T01:45:00.000+11:00");
  assert.match(String(lordHowe.warnings[0]), /30 minutes later/);
});

Deno.test("a start just outside the changes, or in a zone without them, gives no warning", () => {
  const cases: [string, string, string | null][] = [
    ["2022-03-27T01:59:59.999", "Europe/Berlin", "+01:00"],
    ["2022-03-27T02:00:00.000", "Europe/Berlin", null],
    ["2022-03-27T03:00:00.000", "Europe/Berlin", "+02:00"],
    ["2022-10-30T01:59:59.999", "Europe/Berlin", "+02:00"],
    ["2022-10-30T02:00:00.000", "Europe/Berlin", null],
    ["2022-10-30T02:59:59.999", "Europe/Berlin", null],
    ["2022-10-30T03:00:00.000", "Europe/Berlin", "+01:00"],
    ["2022-09-19T09:18:41.007", "Europe/Berlin", "+02:00"],
    ["2022-03-27T02:30:00.000", "UTC", "+00:00"],
    ["2022-10-30T02:30:00.000", "Asia/Kolkata", "+05:30"],
  ];
  for (const [local, zone, offset] of cases) {
    const got = withZone(local, zone);
    if (offset === null) {
      deepStrictEqual(got.warnings.length, 1, `${local} ${zone}`);
    } else {
      deepStrictEqual(got, { time: local + offset, warnings: [] }, `${local} ${zone}`);
    }
  }
  // With msecSinceEpoch the file says which of the two it was: no warning.
  const second = Date.UTC(2022, 9, 30, 1, 30);
  const w = warnings();
  deepStrictEqual(
    startTimeWithOffset(at("2022-10-30T02:30:00.000", second), "Europe/Berlin", "m", w.onWarning),
    "2022-10-30T02:30:00.000+01:00",
  );
  deepStrictEqual(w.list, []);
});

Deno.test("an NWB export of a session started in the hour passed twice warns through onWarning and writes the first", async () => {
  const device = await copyFixture(SAMPLE);
  const root = join(device, "..");
  try {
    await Deno.writeTextFile(
      join(root, "metaData.json"),
      qtJson({
        animalName: "mouse1",
        miniscopes: ["Miniscope"],
        cameras: [],
        // Software before v1.10 wrote no msecSinceEpoch.
        recordingStartTime: {
          year: 2022,
          month: 10,
          day: 30,
          hour: 2,
          minute: 30,
          second: 5,
          msec: 0,
        },
      }),
    );
    const w = warnings();
    const session = await MiniscopeSession.open(root, { onWarning: w.onWarning });
    const out = join(root, "session.nwb");
    const result = await writeNwb(session, out, {
      timezone: "Europe/Berlin",
      onWarning: w.onWarning,
    });
    deepStrictEqual(result.sessionStartTime, "2022-10-30T02:30:05.000+02:00");
    const twice = w.list.filter((m) => m.includes("happened twice"));
    deepStrictEqual(twice.length, 1, w.list.join("\n"));
    assert.match(twice[0]!, containing(join(root, "metaData.json")));
    const python = await findPython(["h5py"]);
    assert(python, "no python3 with h5py: install python3-h5py");
    const written = await runPython(
      python,
      "import h5py, sys; print(h5py.File(sys.argv[1])['session_start_time'][()].decode())",
      [out],
    );
    deepStrictEqual(written.trim(), "2022-10-30T02:30:05.000+02:00");
  } finally {
    await removeCopy(device);
  }
});

Deno.test("calendar fields and msecSinceEpoch that are no time zone's offset apart warn and take the nearest quarter hour", () => {
  // 2022-09-19T09:18:41.007+02:00 is 1663571921007 ms.
  const exact = Date.UTC(2022, 8, 19, 7, 18, 41, 7);
  const w = warnings();
  deepStrictEqual(
    startTimeWithOffset(at("2022-09-19T09:18:41.007", exact), undefined, "m", w.onWarning),
    "2022-09-19T09:18:41.007+02:00",
  );
  deepStrictEqual(w.list, []);
  // An hour on and 1,234,567 ms less: 1 h 0 min 0 s - 20 min 34.567 s apart.
  const off = startTimeWithOffset(
    at("2022-09-19T10:18:41.007", exact - 1_234_567),
    undefined,
    "m",
    w.onWarning,
  );
  deepStrictEqual(off, "2022-09-19T10:18:41.007+03:15");
  deepStrictEqual(w.list.length, 1);
  assert.match(w.list[0]!, containing("are not one instant in any time zone: they are"));
  assert.match(w.list[0]!, containing("s off +03:15, the nearest offset"));
});
