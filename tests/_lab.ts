/**
 * A lab's dataset for the convert tests and benchmark, written with the sample writers:
 * `<root>/<researcher>/<experiment>/<animal>/<yyyy_MM_dd>/<HH_mm_ss>/` session folders as the
 * acquisition software lays them out, each with a Miniscope and optionally a colour behaviour
 * camera and head orientation.
 *
 * @module
 */

import { join } from "node:path";
import { qtJson, scopeFrames, timestampsMs, writeRecording } from "../src/sample.ts";

/** One session of the dataset. */
export interface LabSession {
  animal: string;
  /** `yyyy_MM_dd`. */
  date: string;
  /** `HH_mm_ss`. */
  time: string;
  frames?: number;
  width?: number;
  height?: number;
  framesPerFile?: number;
  /** A colour (MJPG) behaviour camera `BehavCam_0` beside the Miniscope. */
  camera?: boolean;
  /** A `headOrientation.csv` in the Miniscope folder. */
  head?: boolean;
  /** Frames dropped after these rows. */
  droppedAfter?: number[];
}

/** The UTC offset of the acquisition computer, in hours (`msecSinceEpoch` tells it). */
export const OFFSET_HOURS = 2;

/** The session folder of a session under the root. */
export function sessionFolder(root: string, s: LabSession): string {
  return join(root, "lab", "exp1", s.animal, s.date, s.time);
}

/** The gray pattern of a camera frame, as red-green-blue. */
export function cameraFrame(index: number, width: number, height: number): Uint8Array {
  const frame = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    frame[p * 3] = 40 + ((p + index * 5) % 160);
    frame[p * 3 + 1] = 200 - (p % 90);
    frame[p * 3 + 2] = (index * 17) % 256;
  }
  return frame;
}

/**
 * Writes one session folder: the session `metaData.json`, a `Miniscope` device folder and,
 * as asked, a colour behaviour camera and head orientation.
 *
 * @returns The session folder.
 */
export async function writeLabSession(root: string, s: LabSession): Promise<string> {
  const folder = sessionFolder(root, s);
  const width = s.width ?? 48;
  const height = s.height ?? 40;
  const frames = s.frames ?? 80;
  const timestamps = { startMs: -40, droppedAfter: s.droppedAfter ?? [] };
  await writeRecording(join(folder, "Miniscope"), {
    width,
    height,
    frames,
    framesPerFile: s.framesPerFile ?? 30,
    timestamps,
    frame: scopeFrames(width, height),
  });
  if (s.head) {
    const stamps = timestampsMs({ frames, ...timestamps });
    await Deno.writeTextFile(
      join(folder, "Miniscope", "headOrientation.csv"),
      "Time Stamp (ms),qw,qx,qy,qz\n" +
        stamps.map((ms, i) => `${ms},1,0,${(i % 7) / 100},0`).join("\n") + "\n",
    );
  }
  const cameras: string[] = [];
  if (s.camera) {
    await writeRecording(join(folder, "BehavCam_0"), {
      width: 32,
      height: 24,
      frames: 40,
      framesPerFile: 25,
      codec: "MJPG",
      input: "rgb24",
      deviceType: "WebCam",
      frame: (i) => cameraFrame(i, 32, 24),
    });
    cameras.push("BehavCam 0");
  }
  const [year, month, day] = s.date.split("_").map(Number) as [number, number, number];
  const [hour, minute, second] = s.time.split("_").map(Number) as [number, number, number];
  const epoch = Date.UTC(year, month - 1, day, hour - OFFSET_HOURS, minute, second, 250);
  await Deno.writeTextFile(
    join(folder, "metaData.json"),
    qtJson({
      animalName: s.animal,
      baseDirectory: `C:/data/lab/exp1/${s.animal}/${s.date}/${s.time}`,
      cameras,
      experimentName: "exp1",
      miniscopes: ["Miniscope"],
      recordingStartTime: {
        year,
        month,
        day,
        hour,
        minute,
        second,
        msec: 250,
        msecSinceEpoch: epoch,
      },
      researcherName: "Doe, Jane",
    }),
  );
  return folder;
}

/** A subjects table for the animals named, all complete. */
export function subjectsTsv(rows: [id: string, sex: string, age: string][]): string {
  return "subject_id\tspecies\tsex\tage\tstrain\n" +
    rows.map(([id, sex, age]) => `${id}\tMus musculus\t${sex}\t${age}\tC57BL/6J\n`).join("");
}

/** Every file under a folder, relative, sorted; `skip` leaves out relative paths it matches. */
export async function listTree(folder: string, skip?: RegExp): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (skip?.test(path)) continue;
      if (entry.isDirectory) await walk(join(dir, entry.name), path);
      else found.push(path);
    }
  };
  await walk(folder, "");
  return found.sort();
}
