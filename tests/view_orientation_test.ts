// The viewer's head orientation: `/api/orientation` against the file itself, and the page's plot,
// dial and angles at the frame shown, in the real Chromium.
import { join } from "node:path";
import assert, { deepStrictEqual } from "node:assert/strict";
import { MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { writeNwb } from "../src/nwb/mod.ts";
import { startView } from "../src/view/server.ts";
import { copyFixture, findPython, removeCopy, runPython, SAMPLE, TESTDATA } from "./_helpers.ts";
import { launchBrowser, openViewer, waitForFrame } from "./_browser.ts";
import { CAMERA, cameraSession, twoScopeSession, withView } from "./_view.ts";

const SESSION = join(TESTDATA, "sample_session");

/** The rows of a `headOrientation.csv`, split here: time stamps in ms and `w, x, y, z`. */
async function headRows(path: string): Promise<{ ms: number[]; q: number[][] }> {
  const lines = (await Deno.readTextFile(path)).trim().split(/\r?\n/).slice(1);
  const cells = lines.map((line) => line.split(",").map(Number));
  return { ms: cells.map((c) => c[0]!), q: cells.map((c) => c.slice(1, 5)) };
}

/** Yaw, pitch and roll in degrees of a unit quaternion, from the rotation matrix it makes. */
function angles([w, x, y, z]: number[]): [number, number, number] {
  // Entries of the rotation matrix R = Rz(yaw) Ry(pitch) Rx(roll).
  const r10 = 2 * (x! * y! + w! * z!), r00 = 1 - 2 * (y! ** 2 + z! ** 2);
  const r20 = 2 * (x! * z! - w! * y!);
  const r21 = 2 * (y! * z! + w! * x!), r22 = 1 - 2 * (x! ** 2 + y! ** 2);
  const deg = (rad: number) => (rad * 180) / Math.PI;
  return [deg(Math.atan2(r10, r00)), deg(-Math.asin(r20)), deg(Math.atan2(r21, r22))];
}

Deno.test("GET /api/orientation gives every row of headOrientation.csv in seconds, and 404 for a device without one", async () => {
  const { ms, q } = await headRows(join(SAMPLE, "headOrientation.csv"));
  assert(ms.length > 10);
  await withView(SESSION, async (_server, get) => {
    const info = await (await get("/api/info")).json();
    deepStrictEqual(info.devices[0].orientation, true);
    const answer = await (await get("/api/orientation?device=0")).json();
    deepStrictEqual(answer.timestamps, ms.map((t) => t / 1000));
    deepStrictEqual(answer.quaternions, q.flat());
  });
  const session = await cameraSession();
  try {
    await withView(session, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual(info.devices[1].name, CAMERA.name);
      deepStrictEqual(info.devices[1].orientation, false);
      const none = await get("/api/orientation?device=1");
      deepStrictEqual(none.status, 404);
      deepStrictEqual((await none.json()).error, `${CAMERA.name} has no head orientation`);
    });
  } finally {
    await Deno.remove(join(session, ".."), { recursive: true });
  }
});

Deno.test("a headOrientation.csv that cannot be read gives an error naming it, and the frames are still served", async () => {
  const copy = await copyFixture(SAMPLE);
  try {
    const path = join(copy, "headOrientation.csv");
    await Deno.writeTextFile(path, "Time Stamp (ms),qw,qx,qy,qz\n0,1,0,0,0\n33,one,0,0,0\n");
    await withView(copy, async (_server, get) => {
      const answer = await get("/api/orientation");
      deepStrictEqual(answer.status, 500);
      const { error } = await answer.json();
      assert(error.includes(path), error);
      const frame = await get("/api/frames/3");
      deepStrictEqual(frame.status, 200);
      await frame.body?.cancel();
    });
  } finally {
    await removeCopy(copy);
  }
});

Deno.test("in Chromium the head orientation is plotted under the frames, and the dial and angles follow the frame shown", async () => {
  const { ms, q } = await headRows(join(SAMPLE, "headOrientation.csv"));
  const scope = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
  const times = scope.getTimestamps();
  await scope.close();
  const server = await startView({ folder: SESSION, onWarning: () => {} });
  const chromium = await launchBrowser();
  try {
    const { page, problems } = await openViewer(chromium, server.url);
    deepStrictEqual(
      await page.$eval("#orientation-panel", (e) => (e as HTMLElement).hidden),
      false,
    );
    // The plot has the three lines drawn on white.
    const coloured = await page.$eval("#orientation-plot", (element) => {
      const canvas = element as HTMLCanvasElement;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<string>();
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
        if (r === 0x1f && g === 0x77 && b === 0xb4) seen.add("yaw");
        if (r === 0x2c && g === 0xa0 && b === 0x2c) seen.add("pitch");
        if (r === 0xd6 && g === 0x27 && b === 0x28) seen.add("roll");
      }
      return [...seen].sort();
    });
    deepStrictEqual(coloured, ["pitch", "roll", "yaw"]);
    const dialBefore = await page.$eval(
      "#orientation-dial",
      (e) => (e as HTMLCanvasElement).toDataURL(),
    );
    for (const k of [0, 5, 31, 57]) {
      if (k !== 0) {
        await page.evaluate((index: number) => {
          const scrubber = document.getElementById("scrubber") as HTMLInputElement;
          scrubber.value = String(index);
          scrubber.dispatchEvent(new Event("input"));
        }, k);
        await waitForFrame(page, k);
      }
      // The row nearest the frame's time, found here by its own scan.
      let row = 0;
      ms.forEach((t, r) => {
        if (Math.abs(t / 1000 - times[k]!) < Math.abs(ms[row]! / 1000 - times[k]!)) row = r;
      });
      const [yaw, pitch, roll] = angles(q[row]!);
      const away = Math.round(ms[row]! - times[k]! * 1000);
      const expected =
        `head: yaw ${yaw.toFixed(1)}°, pitch ${pitch.toFixed(1)}°, roll ${roll.toFixed(1)}°` +
        (away === 0 ? "" : ` (row ${away > 0 ? "+" : ""}${away} ms from the frame)`);
      await page.waitForFunction(
        (text: string) => document.getElementById("orientation-readout")?.textContent === text,
        { timeout: 10_000 },
        expected,
      ).catch(async () => {
        const shown = await page.$eval("#orientation-readout", (e) => e.textContent);
        throw new Error(`frame ${k}: the readout is ${JSON.stringify(shown)}, not ${expected}`);
      });
      deepStrictEqual(
        await page.$eval("#orientation-readout", (e) => (e as HTMLElement).dataset.row),
        String(row),
      );
    }
    // The dial moved with the head.
    const dialAfter = await page.$eval(
      "#orientation-dial",
      (e) => (e as HTMLCanvasElement).toDataURL(),
    );
    assert(dialAfter !== dialBefore, "the dial is redrawn for another orientation");
    // A click on the plot shows the frame at that place: its right end is the last frame.
    const box = (await (await page.$("#orientation-plot"))!.boundingBox())!;
    await page.mouse.click(box.x + box.width - 1, box.y + box.height / 2);
    await waitForFrame(page, 57);
    deepStrictEqual(problems, []);
  } finally {
    await chromium.close();
    await server.close();
  }
});

/** Reads, with h5py, the notes and the head orientation of an NWB file of this module. */
const READ_SIDE_SERIES = `
import sys, json, h5py
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
out = {"notes": [], "head": None}
with h5py.File(sys.argv[1], "r") as f:
    for name, obj in f["acquisition"].items():
        kind = text(obj.attrs.get("neurodata_type", ""))
        if kind == "AnnotationSeries":
            texts = [text(t) for t in obj["data"][()]]
            times = [float(t) for t in obj["timestamps"][()]]
            out["notes"] += [[t, x] for t, x in zip(times, texts)]
        elif kind == "TimeSeries" and name.startswith("HeadOrientation"):
            out["head"] = {
                "t": [float(t) for t in obj["timestamps"][()]],
                "q": [float(v) for row in obj["data"][()] for v in row],
            }
out["notes"].sort(key=lambda n: n[0])
print(json.dumps(out))
`;

Deno.test("the viewer of a session's NWB export shows its notes and head orientation as h5py reads them", async () => {
  const python = await findPython(["h5py"]);
  assert(python, "h5py is needed: install python3-h5py");
  const dir = await Deno.makeTempDir({ prefix: "miniscope_view_side_" });
  try {
    const out = join(dir, "session.nwb");
    await writeNwb(await MiniscopeSession.open(SESSION, { onWarning() {} }), out, {
      onWarning() {},
    });
    const read = JSON.parse(await runPython(python, READ_SIDE_SERIES, [out]));
    assert(read.notes.length > 0 && read.head.t.length > 10, JSON.stringify(read));
    await withView(out, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual(
        info.session.notes,
        read.notes.map(([t, text]: [number, string]) => ({
          kind: "note",
          timeStampMs: t * 1000,
          text,
        })),
      );
      deepStrictEqual(info.devices[0].orientation, true);
      const head = await (await get("/api/orientation?device=0")).json();
      deepStrictEqual(head.timestamps, read.head.t);
      deepStrictEqual(head.quaternions, read.head.q);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in an NWB export of two Miniscopes, the head orientation goes to the Miniscope whose file it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_view_two_" });
  try {
    // HPC_miniscope2 is listed before Miniscope, and has no head orientation file.
    const root = await twoScopeSession(dir);
    const out = join(dir, "two.nwb");
    await writeNwb(await MiniscopeSession.open(root, { onWarning() {} }), out, {
      onWarning() {},
    });
    const { ms, q } = await headRows(join(root, "Miniscope", "headOrientation.csv"));
    await withView(out, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      const by = Object.fromEntries(
        info.devices.map((d: { name: string; orientation: boolean; id: number }) => [d.name, d]),
      );
      deepStrictEqual(by["OnePhotonSeries_HPC_miniscope2"].orientation, false);
      deepStrictEqual(by["OnePhotonSeries_Miniscope"].orientation, true);
      const head =
        await (await get(`/api/orientation?device=${by["OnePhotonSeries_Miniscope"].id}`))
          .json();
      // The rows within the Miniscope's frames, as the export keeps them.
      const kept = ms.map((t, r) => [t, r] as const).filter(([t]) =>
        head.timestamps.includes(t / 1000)
      );
      assert(kept.length > 10);
      deepStrictEqual(head.timestamps, kept.map(([t]) => t / 1000));
      deepStrictEqual(head.quaternions, kept.flatMap(([, r]) => q[r]!));
      const none = await get(`/api/orientation?device=${by["OnePhotonSeries_HPC_miniscope2"].id}`);
      deepStrictEqual(none.status, 404);
      await none.body?.cancel();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
