/**
 * `info`: the facts about a recording a person checks minutes after a session.
 *
 * @module
 */

import type { DeviceKind } from "../options.ts";
import { dirname, join } from "node:path";
import { MiniscopeImagingExtractor } from "../extractor.ts";
import { readMetadataLeniently } from "../open/metadata.ts";
import { isLegacyFolder } from "../open/legacy.ts";
import { MiniscopeSession, readDeviceKind, readDeviceMetadata } from "../session.ts";
import type { DroppedFrames } from "../analysis/dropped_frames.ts";
import {
  type DeviceMetadata,
  readRecordingStartTime,
  type RecordingStartTime,
  type RegionOfInterest,
} from "../formats/metadata_json.ts";

/** What `info` reports; `--json` prints it as is. */
export interface InfoReport {
  folder: string;
  /** `"qt"` (the software from 2020) or `"legacy"` (a recording folder of the software before). */
  layout: "qt" | "legacy";
  /** What the device is; before 2020, the folder's Miniscope. */
  kind: DeviceKind;
  files: string[];
  frames: {
    video: number;
    timestamps: number | null;
    samples: number;
    mismatch: boolean;
    /** Rows of timeStamps.csv whose frames are missing from a video file cut short. */
    lostInFiles: number;
  };
  shape: { rows: number; cols: number };
  dtype: "uint8";
  samplingFrequencyHz: number;
  durationSeconds: number | null;
  firstTimestampSeconds: number | null;
  lastTimestampSeconds: number | null;
  droppedFrames: DroppedFrames | null;
  device: DeviceSettings | null;
  /** The settings row of `settings_and_notes.dat` as written (software before 2020), or null. */
  settings: Record<string, string> | null;
  session: SessionFacts | null;
  warnings: string[];
}

/** Settings from the device `metaData.json`, as written (strings or numbers). */
export interface DeviceSettings {
  name: string | null;
  type: string | null;
  frameRate: string | number | null;
  gain: string | number | null;
  led: string | number | null;
  ewl: string | number | null;
  roi: RegionOfInterest | null;
  compression: string | null;
  framesPerFile: number | null;
}

function deviceSettings(m: DeviceMetadata): DeviceSettings {
  return {
    name: m.deviceName,
    type: m.deviceType,
    frameRate: m.frameRate,
    gain: m.gain,
    led: m.led0,
    ewl: m.ewl,
    roi: m.roi,
    compression: m.compression,
    framesPerFile: m.framesPerFile,
  };
}

/** Facts from the session `metaData.json` in the parent folder. */
export interface SessionFacts {
  startTime: RecordingStartTime | null;
  researcher: unknown;
  experiment: unknown;
  animal: unknown;
}

/** A problem with a file the facts can do without, as a warning. */
function warnOnce<T>(read: { metadata: T | null; problem: string | null }, warnings: string[]) {
  const problem = read.problem;
  // Opening the recording may have said the same already.
  if (problem !== null && !warnings.some((w) => w.startsWith(problem))) warnings.push(problem);
  return read.metadata;
}

/** The device settings and session facts of a device folder, from the `metaData.json` files. */
async function qtFacts(folder: string, warnings: string[]) {
  const device = warnOnce(await readDeviceMetadata(folder), warnings);
  const session = warnOnce(
    await readMetadataLeniently(join(dirname(folder), "metaData.json"), "session metadata"),
    warnings,
  );
  let startTime: RecordingStartTime | null = null;
  if (session) {
    try {
      startTime = readRecordingStartTime(session);
    } catch {
      warnings.push(`"${join(dirname(folder), "metaData.json")}" has no recording start time`);
    }
  }
  return {
    device: device ? deviceSettings(device) : null,
    settings: null,
    session: session
      ? {
        startTime,
        researcher: session.researcherName ?? null,
        experiment: session.experimentName ?? null,
        animal: session.animalName ?? null,
      }
      : null,
  };
}

/** The settings and session facts of a recording folder of the software before 2020. */
async function legacyFacts(folder: string, warnings: string[]) {
  const session = await MiniscopeSession.open(folder, {
    onWarning: (message) => warnings.push(message),
  });
  return {
    device: null,
    settings: session.settings && { ...session.settings.values },
    session: {
      startTime: session.startTime,
      researcher: null,
      experiment: null,
      animal: session.animalName,
    },
  };
}

/**
 * Opens a device folder (or a recording folder of the software before 2020, its Miniscope)
 * and gathers its facts without decoding frames.
 *
 * @param folder The device folder.
 * @param options `scopeCamNum` for a folder of the software before 2020 whose cameras the row
 *   counts cannot tell apart; `colour` opens a behaviour camera in colour (`rgb24`), as the
 *   viewer shows it, rather than in gray (default: false).
 * @returns The facts and the opened extractor.
 */
export async function gatherInfo(
  folder: string,
  options: { scopeCamNum?: number; colour?: boolean } = {},
): Promise<{ info: InfoReport; extractor: MiniscopeImagingExtractor }> {
  const warnings: string[] = [];
  const legacy = await isLegacyFolder(folder);
  const kind = legacy ? "miniscope" : await readDeviceKind(folder);
  const extractor = await MiniscopeImagingExtractor.open({
    folderPath: folder,
    onWarning: (message) => warnings.push(message),
    ...(options.colour && kind === "camera" ? { pixelFormat: "rgb24" } : {}),
    ...(options.scopeCamNum === undefined ? {} : { scopeCamNum: options.scopeCamNum }),
  });
  const counts = extractor.getFrameCounts();
  const samples = extractor.getNumSamples();
  const stamps = extractor.getNativeTimestamps();
  const [rows, cols] = extractor.getImageShape();
  const facts = legacy ? await legacyFacts(folder, warnings) : await qtFacts(folder, warnings);
  const info: InfoReport = {
    folder,
    layout: legacy ? "legacy" : "qt",
    kind,
    files: extractor.getFilePaths().map((path) => path.slice(path.lastIndexOf("/") + 1)),
    frames: {
      video: counts.video,
      timestamps: counts.timestamps,
      samples,
      mismatch: counts.timestamps !== null && counts.timestamps !== counts.video,
      lostInFiles: counts.lostInFiles,
    },
    shape: { rows, cols },
    dtype: "uint8",
    samplingFrequencyHz: extractor.getSamplingFrequency(),
    durationSeconds: stamps && samples > 1 ? stamps[samples - 1]! - stamps[0]! : null,
    firstTimestampSeconds: stamps && samples > 0 ? stamps[0]! : null,
    lastTimestampSeconds: stamps && samples > 0 ? stamps[samples - 1]! : null,
    droppedFrames: extractor.getDroppedFrames(),
    ...facts,
    warnings,
  };
  return { info, extractor };
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The text form of {@linkcode InfoReport}.
 *
 * @param info The facts.
 * @returns Lines for a terminal.
 */
export function formatInfo(info: InfoReport): string {
  const f = info.frames;
  const lines = [
    `Recording    ${info.folder}` +
    (info.layout === "legacy"
      ? " (the Miniscope of a recording of the software before 2020)"
      : info.kind === "camera"
      ? " (a behaviour camera)"
      : ""),
    `Files        ${info.files.length}: ${info.files.join(", ")}`,
    `Frames       ${f.samples} of ${info.shape.rows} x ${info.shape.cols} pixels (rows x cols), ` +
    `uint8` +
    (f.mismatch
      ? `; videos hold ${f.video}, ` +
        (info.layout === "legacy" ? "timestamp.dat has" : "timeStamps.csv has") +
        ` ${f.timestamps} rows`
      : "") +
    (f.lostInFiles > 0 ? `; ${f.lostInFiles} frames lost from a file cut short` : ""),
    `Frequency    ${info.samplingFrequencyHz.toFixed(3)} Hz`,
  ];
  if (info.durationSeconds !== null) {
    lines.push(
      `Duration     ${info.durationSeconds.toFixed(3)} s, time stamps from ` +
        `${info.firstTimestampSeconds!.toFixed(3)} s to ${info.lastTimestampSeconds!.toFixed(3)} s`,
    );
  }
  const d = info.droppedFrames;
  if (d) {
    const where = d.gaps.slice(0, 8).map((g) => `${g.missing} after sample ${g.afterSample}`);
    lines.push(
      `Dropped      ${d.count} by time stamps (median interval ${
        d.medianIntervalMs.toFixed(1)
      } ms)` +
        (where.length ? `: ${where.join(", ")}${d.gaps.length > 8 ? ", ..." : ""}` : ""),
    );
    if (d.daqCount !== null) {
      const restarts = d.daqRestarts.slice(0, 8).join(", ") +
        (d.daqRestarts.length > 8 ? ", ..." : "");
      lines.push(
        `             ${d.daqCount} by DAQ frame number` +
          (d.daqRestarts.length
            ? ` (the counter restarts after sample ${restarts}: a reconnect; frames across ` +
              `a restart are not counted)`
            : ""),
      );
    }
    for (const lost of d.lostInFiles) {
      lines.push(
        `Lost         ${lost.missing} frames after sample ${lost.afterSample}: the end of ` +
          `${lost.file.slice(lost.file.lastIndexOf("/") + 1)} is missing (file cut short; ` +
          `not dropped by the acquisition)`,
      );
    }
    if (d.stepsBack.length > 0) {
      const where = d.stepsBack.slice(0, 8).map((s) =>
        `after sample ${s.afterSample} (${s.intervalMs} ms)`
      );
      lines.push(
        `Clock        steps back ${d.stepsBack.length} time${d.stepsBack.length > 1 ? "s" : ""}: ` +
          `${where.join(", ")}${d.stepsBack.length > 8 ? ", ..." : ""}`,
      );
    }
  }
  if (info.device) {
    const v = info.device;
    lines.push(
      `Device       ${show(v.name)} (${show(v.type)}), frame rate ${show(v.frameRate)}, gain ` +
        `${show(v.gain)}, LED ${show(v.led)}, EWL ${show(v.ewl)}, ROI ${show(v.roi)}`,
    );
  }
  if (info.settings) {
    lines.push(
      `Settings     ${
        Object.entries(info.settings).map(([key, value]) => `${key} ${value || "(empty)"}`)
          .join(", ")
      }`,
    );
  }
  if (info.session?.startTime) {
    const t = info.session.startTime;
    lines.push(
      `Started      ${t.local.replace("T", " ")} local` +
        (t.msecSinceEpoch !== null ? ` (${new Date(t.msecSinceEpoch).toISOString()})` : ""),
    );
  }
  for (const warning of info.warnings) lines.push(`Warning      ${warning}`);
  return lines.join("\n");
}
