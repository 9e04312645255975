/**
 * The session-level facts of a recording folder of the Miniscope software before 2020: its
 * cameras as devices, the settings and notes of `settings_and_notes.dat`, and the start time
 * its folder names give.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { exists, explainFsError } from "../files.ts";
import {
  type DeviceMetadata,
  parseDeviceMetadata,
  type RecordingStartTime,
} from "../formats/metadata_json.ts";
import type { Note } from "../formats/notes_csv.ts";
import { type LegacySettings, parseSettingsAndNotes } from "../formats/settings_and_notes_dat.ts";
import { legacyStartTime } from "../formats/legacy_folder_names.ts";
import { listLegacyVideos } from "./legacy.ts";
import { wrapFormatError } from "./metadata.ts";

/** A camera of a recording folder, as a session lists its devices. */
export interface LegacyDevice {
  /** `msCam` (the Miniscope) or `behavCam` (the behaviour camera). */
  name: "msCam" | "behavCam";
  /** The recording folder. */
  path: string;
  /** The Miniscope's settings of `settings_and_notes.dat` as extra keys; nothing else known. */
  metadata: DeviceMetadata;
  /** Never: the software before 2020 recorded no head orientation. */
  hasHeadOrientation: false;
}

/** What a recording folder says at the session level. */
export interface LegacySession {
  /** The settings row of `settings_and_notes.dat` as written, or empty without the file. */
  metadata: Record<string, string>;
  /** The start time of the folder names, or null when they are not the software's. */
  startTime: RecordingStartTime | null;
  /** The cameras that have videos, the Miniscope first. */
  devices: LegacyDevice[];
  /** The notes of `settings_and_notes.dat`, `elapsedTime` as the time stamp. */
  notes: Note[];
  /** The settings of `settings_and_notes.dat`, or null without the file. */
  settings: LegacySettings | null;
}

/**
 * Reads the session-level facts of a recording folder of the software before 2020. A missing
 * `settings_and_notes.dat` and folder names that do not give the start time are warnings.
 *
 * @param folder The recording folder.
 * @param warn Receives the warnings.
 * @returns The devices, settings, notes and start time.
 * @throws {MalformedRecordingError} When `settings_and_notes.dat` cannot be parsed or a
 *   camera's numbering has a gap.
 */
export async function readLegacySession(
  folder: string,
  warn: (message: string) => void,
): Promise<LegacySession> {
  const videos = await listLegacyVideos(folder, warn);
  const settingsPath = join(folder, "settings_and_notes.dat");
  let settings: LegacySettings | null = null;
  const notes: Note[] = [];
  if (await exists(settingsPath)) {
    let text: string;
    try {
      text = await Deno.readTextFile(settingsPath);
    } catch (error) {
      throw explainFsError(error, settingsPath, "settings file");
    }
    try {
      const read = parseSettingsAndNotes(text);
      settings = read.settings;
      for (const note of read.notes) {
        notes.push({ kind: "note", timeStampMs: note.elapsedTimeMs, text: note.text });
      }
    } catch (error) {
      throw wrapFormatError(error, settingsPath);
    }
  } else {
    warn(`"${settingsPath}" does not exist: the settings and notes of the recording are unknown`);
  }
  const devices: LegacyDevice[] = [];
  if (videos.msCam.length > 0) {
    // The scope's settings, kept as the extra keys of its device metadata.
    const scopeSettings: Record<string, number> = {};
    for (const key of ["excitation", "msCamExposure", "recordLength"] as const) {
      const value = settings?.[key];
      if (value !== null && value !== undefined) scopeSettings[key] = value;
    }
    devices.push({
      name: "msCam",
      path: folder,
      metadata: parseDeviceMetadata(scopeSettings),
      hasHeadOrientation: false,
    });
  }
  if (videos.behavCam.length > 0) {
    devices.push({
      name: "behavCam",
      path: folder,
      metadata: parseDeviceMetadata({}),
      hasHeadOrientation: false,
    });
  }
  // The names made absolute where the folder can be resolved, so that a relative path still
  // reaches the date folder.
  const absolute = await Deno.realPath(folder).catch(() => folder);
  const startTime = legacyStartTime(basename(dirname(absolute)), basename(absolute));
  if (startTime === null) {
    warn(
      `"${folder}": its folder names do not give the start time (the software before 2020 ` +
        `writes <month>_<day>_<year>/H<hour>_M<minute>_S<second>, such as ` +
        `6_29_15/H15_M45_S12); it is unknown`,
    );
  }
  return { metadata: settings ? { ...settings.values } : {}, startTime, devices, notes, settings };
}
