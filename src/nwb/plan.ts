/**
 * What an NWB export holds, gathered from a recording, several recordings or a session through
 * the reader's public API before anything is written: the Miniscope series, the behaviour
 * cameras, head orientation, notes and the session's facts.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import {
  type DeviceMetadata,
  type DroppedFrames,
  type HeadOrientation,
  MiniscopeImagingExtractor,
  MiniscopeSession,
  type Note,
  readHeadOrientation,
  type RecordingPart,
  type RecordingStartTime,
} from "../../mod.ts";
import { exists } from "../files.ts";
import { leftOutWarning } from "../errors.ts";
import { parseDeviceMetadata } from "../formats/metadata_json.ts";
import { readDeviceMetadata } from "../session.ts";
import { isLegacyVideo } from "../open/legacy.ts";

/** A Miniscope device to write as a `OnePhotonSeries`. */
export interface ScopePlan {
  /** The device folder name. */
  device: string;
  /** The samples to write (already cut to the range asked), of one or several recordings. */
  extractor: MiniscopeImagingExtractor;
  /** What the device's `metaData.json` says, loosely typed. */
  settings: DeviceMetadata;
  /** Head orientation rows within the samples' time range, or null. */
  head: HeadOrientation | null;
  /** Why dropped frames are unknown, when they are. */
  droppedUnknown: string | null;
  /** The file its time stamps are from: `timeStamps.csv`, or `timestamp.dat` before 2020. */
  timestampsFile: string;
}

/** A behaviour camera to write as an `ImageSeries` of its video files. */
export interface CameraPlan {
  device: string;
  settings: DeviceMetadata;
  /** The file its time stamps are from. */
  timestampsFile: string;
  files: string[];
  startingFrames: number[];
  timestamps: Float64Array;
  dropped: DroppedFrames | null;
}

/** Everything the export writes, but the frames. */
export interface ExportPlan {
  scopes: ScopePlan[];
  cameras: CameraPlan[];
  /** The start time and the file it is from, or null when none could be read. */
  startTime: { time: RecordingStartTime; where: string } | null;
  /** Why the start time could not be read, when it could not (a sentence part). */
  startTimeProblem: string | null;
  researcherName: string | null;
  experimentName: string | null;
  animalName: string | null;
  /** Notes with their times in seconds from the session start. */
  notes: { time: number; text: string }[];
}

/** The settings of a device without a readable `metaData.json`: all unknown. */
const NO_SETTINGS: DeviceMetadata = parseDeviceMetadata({});

function noteText(note: Note): string {
  return note.kind === "note"
    ? note.text
    : `setting change: ${note.device} ${note.property} = ${note.value}`;
}

/** The file the time stamps of a session's devices are from. */
function timestampsFileOf(session: MiniscopeSession): string {
  return session.layout === "legacy" ? "timestamp.dat" : "timeStamps.csv";
}

/** The session-level part of a plan. */
function sessionFacts(session: MiniscopeSession): Omit<ExportPlan, "scopes" | "cameras"> {
  const legacy = session.layout === "legacy";
  return {
    startTime: session.startTime && {
      time: session.startTime,
      where: legacy ? session.path : join(session.path, "metaData.json"),
    },
    startTimeProblem: session.startTime ? null : `the folder names of "${session.path}" do ` +
      `not give it (the software before 2020 names them like 6_29_15/H15_M45_S12)`,
    researcherName: session.researcherName,
    experimentName: session.experimentName,
    animalName: session.animalName,
    notes: session.notes.map((note) => ({ time: note.timeStampMs / 1000, text: noteText(note) })),
  };
}

/** Head orientation rows shifted by `offset` seconds and kept within `[from, to]`. */
function shiftAndCut(
  head: HeadOrientation,
  offset: number,
  from: number,
  to: number,
): HeadOrientation {
  const keep: number[] = [];
  head.timestamps.forEach((t, i) => {
    if (t + offset >= from && t + offset <= to) keep.push(i);
  });
  const quaternions = new Float64Array(keep.length * 4);
  keep.forEach((row, i) => quaternions.set(head.quaternions.subarray(row * 4, row * 4 + 4), i * 4));
  return {
    timeStampsMs: Float64Array.from(keep, (row) => head.timeStampsMs[row]! + offset * 1000),
    timestamps: Float64Array.from(keep, (row) => head.timestamps[row]! + offset),
    quaternions,
  };
}

function concatenate(parts: HeadOrientation[]): HeadOrientation | null {
  if (parts.length === 0) return null;
  const join3 = (pick: (h: HeadOrientation) => Float64Array) => {
    const all = new Float64Array(parts.reduce((n, p) => n + pick(p).length, 0));
    let at = 0;
    for (const part of parts) {
      all.set(pick(part), at);
      at += pick(part).length;
    }
    return all;
  };
  return {
    timeStampsMs: join3((h) => h.timeStampsMs),
    timestamps: join3((h) => h.timestamps),
    quaternions: join3((h) => h.quaternions),
  };
}

/**
 * Reads a device's `headOrientation.csv` for the export: null without one, and null with a
 * warning naming the file and the problem when it cannot be read, so that the rest is still
 * converted.
 */
async function headOrientationOf(
  folder: string,
  warn: (message: string) => void,
  read: () => Promise<HeadOrientation | null> = async () => {
    const path = join(folder, "headOrientation.csv");
    return await exists(path) ? await readHeadOrientation(path, { onWarning: warn }) : null;
  },
): Promise<HeadOrientation | null> {
  try {
    return await read();
  } catch (error) {
    const path = join(folder, "headOrientation.csv");
    warn(leftOutWarning(error, path, "the head orientation is left out of the NWB file"));
    return null;
  }
}

/** The time range of a series' samples, for cutting head orientation to it. */
function timeRange(extractor: MiniscopeImagingExtractor, whole: boolean): [number, number] {
  if (whole || extractor.getNumSamples() === 0) return [-Infinity, Infinity];
  const times = extractor.getTimestamps();
  return [times[0]!, times.at(-1)!];
}

function sliceOf(
  extractor: MiniscopeImagingExtractor,
  device: string,
  start: number | undefined,
  end: number | undefined,
): MiniscopeImagingExtractor {
  if (start === undefined && end === undefined) return extractor;
  const samples = extractor.getNumSamples();
  const from = start ?? 0;
  const to = end ?? samples;
  if (to > samples || from > to) {
    throw new RangeError(
      `Cannot export samples ${from} to ${to} of "${device}": it has ${samples} samples`,
    );
  }
  return extractor.sliceSamples(from, to);
}

async function planCamera(
  session: MiniscopeSession,
  name: string,
  warn: (message: string) => void,
): Promise<CameraPlan | null> {
  const device = session.getDevice(name);
  let extractor: MiniscopeImagingExtractor;
  try {
    // Headers and time stamps only; rgb24 so that a colour camera is not refused.
    extractor = await session.openDevice(name, { pixelFormat: "rgb24", onWarning() {} });
  } catch (error) {
    warn(
      `behaviour camera "${name}" is left out: ${(error as Error).message}`,
    );
    return null;
  }
  const files = extractor.getFiles();
  return {
    device: name,
    settings: device.metadata,
    timestampsFile: timestampsFileOf(session),
    files: files.map((file) => file.path),
    startingFrames: files.map((file) => file.firstSample),
    timestamps: extractor.getTimestamps(),
    dropped: extractor.getDroppedFrames(),
  };
}

async function planSession(
  session: MiniscopeSession,
  start: number | undefined,
  end: number | undefined,
  warn: (message: string) => void,
): Promise<ExportPlan> {
  const scopes: ScopePlan[] = [];
  const cameras: CameraPlan[] = [];
  if (session.devices.length === 0) {
    throw new Deno.errors.NotFound(
      `Session "${session.path}" has no device folder (a folder with metaData.json and videos)`,
    );
  }
  for (const device of session.devices) {
    if (device.kind === "camera") {
      const camera = await planCamera(session, device.name, warn);
      if (camera) cameras.push(camera);
      continue;
    }
    const whole = await session.openDevice(device.name, { onWarning: warn });
    const extractor = sliceOf(whole, device.name, start, end);
    const head = await headOrientationOf(
      device.path,
      warn,
      () => session.readHeadOrientation(device.name),
    );
    const [from, to] = timeRange(extractor, start === undefined && end === undefined);
    scopes.push({
      device: device.name,
      extractor,
      settings: device.metadata,
      head: head && shiftAndCut(head, 0, from, to),
      droppedUnknown: extractor.hasTimeVector()
        ? null
        : `the recording has no ${timestampsFileOf(session)}`,
      timestampsFile: timestampsFileOf(session),
    });
  }
  return { scopes, cameras, ...sessionFacts(session) };
}

async function openSessionOf(
  folder: string,
  warn: (message: string) => void,
): Promise<MiniscopeSession | string> {
  try {
    return await MiniscopeSession.open(folder, { onWarning: warn });
  } catch (error) {
    return (error as Error).message;
  }
}

async function planMulti(
  source: MiniscopeImagingExtractor,
  recordings: RecordingPart[],
  start: number | undefined,
  end: number | undefined,
  warn: (message: string) => void,
): Promise<ExportPlan> {
  const device = basename(dirname(source.getFilePaths()[0]!));
  const extractor = sliceOf(source, device, start, end);
  const [from, to] = timeRange(extractor, start === undefined && end === undefined);
  const heads: HeadOrientation[] = [];
  const notes: { time: number; text: string }[] = [];
  let first: MiniscopeSession | null = null;
  for (const recording of recordings) {
    const session = await openSessionOf(recording.folder, warn);
    if (typeof session !== "string") {
      first ??= session;
      for (const note of session.notes) {
        notes.push({
          time: note.timeStampMs / 1000 + recording.offsetSeconds,
          text: noteText(note),
        });
      }
    }
    const head = await headOrientationOf(join(recording.folder, device), warn);
    if (head) heads.push(shiftAndCut(head, recording.offsetSeconds, from, to));
  }
  const metadata = first?.devices.find((d) => d.name === device)?.metadata;
  return {
    scopes: [{
      device,
      extractor,
      settings: metadata ?? NO_SETTINGS,
      head: concatenate(heads),
      droppedUnknown: `the series joins ${recordings.length} recordings, whose gaps are not ` +
        `dropped frames`,
      timestampsFile: "timeStamps.csv",
    }],
    cameras: [],
    startTime: {
      time: recordings[0]!.startTime,
      where: join(recordings[0]!.folder, "metaData.json"),
    },
    startTimeProblem: null,
    researcherName: first?.researcherName ?? null,
    experimentName: first?.experimentName ?? null,
    animalName: first?.animalName ?? null,
    notes,
  };
}

async function planDevice(
  source: MiniscopeImagingExtractor,
  start: number | undefined,
  end: number | undefined,
  warn: (message: string) => void,
): Promise<ExportPlan> {
  const folder = dirname(source.getFilePaths()[0]!);
  if (isLegacyVideo(source.getFilePaths()[0]!)) return await planLegacyDevice(source, start, end);
  const device = basename(folder);
  const extractor = sliceOf(source, device, start, end);
  const [from, to] = timeRange(extractor, start === undefined && end === undefined);
  const session = await openSessionOf(dirname(folder), warn);
  const inSession = typeof session === "string"
    ? undefined
    : session.devices.find((d) => d.name === device && d.path === folder);
  let settings = NO_SETTINGS;
  if (inSession) {
    settings = inSession.metadata;
  } else {
    // As when reading the recording, its settings can be done without.
    const { metadata, problem } = await readDeviceMetadata(folder);
    if (problem !== null) warn(problem);
    settings = metadata ?? NO_SETTINGS;
  }
  const head = await headOrientationOf(folder, warn);
  const scope: ScopePlan = {
    device,
    extractor,
    settings,
    head: head && shiftAndCut(head, 0, from, to),
    droppedUnknown: extractor.hasTimeVector() ? null : "the recording has no timeStamps.csv",
    timestampsFile: "timeStamps.csv",
  };
  if (typeof session === "string") {
    return {
      scopes: [scope],
      cameras: [],
      startTime: null,
      startTimeProblem: `the session metaData.json beside the device folder could not be ` +
        `read (${session})`,
      researcherName: null,
      experimentName: null,
      animalName: null,
      notes: [],
    };
  }
  return { scopes: [scope], cameras: [], ...sessionFacts(session) };
}

/**
 * The plan of the Miniscope of a recording folder of the software before 2020, opened as a
 * recording: its settings, notes and start time from the folder.
 */
async function planLegacyDevice(
  source: MiniscopeImagingExtractor,
  start: number | undefined,
  end: number | undefined,
): Promise<ExportPlan> {
  const folder = dirname(source.getFilePaths()[0]!);
  const session = await MiniscopeSession.open(folder, { onWarning() {} });
  const scope: ScopePlan = {
    device: "msCam",
    extractor: sliceOf(source, "msCam", start, end),
    settings: session.devices.find((d) => d.name === "msCam")?.metadata ?? NO_SETTINGS,
    head: null,
    droppedUnknown: source.hasTimeVector() ? null : "the recording has no timestamp.dat",
    timestampsFile: "timestamp.dat",
  };
  return { scopes: [scope], cameras: [], ...sessionFacts(session) };
}

/** The sources `writeNwb` accepts: a recording, several combined, or a session. */
export type NwbSource = MiniscopeImagingExtractor | MiniscopeSession;

/**
 * Gathers what to write from a source.
 *
 * @throws {TypeError} When the source is none of the accepted kinds.
 */
export function planExport(
  source: NwbSource,
  start: number | undefined,
  end: number | undefined,
  warn: (message: string) => void,
): Promise<ExportPlan> {
  if (source instanceof MiniscopeSession) return planSession(source, start, end, warn);
  if (source instanceof MiniscopeImagingExtractor) {
    const recordings = source.getRecordings();
    if (recordings) return planMulti(source, recordings, start, end, warn);
    return planDevice(source, start, end, warn);
  }
  throw new TypeError(
    "Cannot write NWB: the source must be a MiniscopeImagingExtractor, a " +
      "MiniscopeMultiRecordingImagingExtractor or a MiniscopeSession",
  );
}
