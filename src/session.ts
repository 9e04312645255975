/**
 * {@linkcode MiniscopeSession}: a session folder as the acquisition software writes it, with
 * its start time, names, notes and devices; or a recording folder of the software before 2020,
 * with its Miniscope, its behaviour camera, settings and notes.
 *
 * @module
 */

import { leftOutWarning, warnOnConsole } from "./errors.ts";
import { basename, dirname, join, resolve } from "node:path";

import { exists, explainFsError } from "./files.ts";
import { hasVideoFiles, listFolder } from "./open/discovery.ts";
import { MiniscopeImagingExtractor } from "./extractor.ts";
import type {
  DeviceKind,
  DeviceOpenOptions,
  HeadOrientationOptions,
  SessionDevice,
  SessionOpenOptions,
} from "./options.ts";
import {
  type DeviceMetadata,
  parseDeviceMetadata,
  type RecordingStartTime,
} from "./formats/metadata_json.ts";
import { type Note, parseNotesCsv } from "./formats/notes_csv.ts";
import { type HeadOrientation, parseHeadOrientationCsv } from "./formats/head_orientation_csv.ts";
import {
  readMetadataLeniently,
  readSessionMetadataFile,
  wrapFormatError,
} from "./open/metadata.ts";
import { isLegacyFolder } from "./open/legacy.ts";
import { readLegacySession } from "./open/legacy_session.ts";
import type { LegacySettings } from "./formats/settings_and_notes_dat.ts";

/**
 * Tells whether a device is a Miniscope or a behaviour camera: the one rule of the package.
 * Before 2020 the layout tells (`behavCam` is the camera). Then the session's `cameras` and
 * `miniscopes` lists, which the acquisition software fills from the user configuration's
 * categories (names with spaces, folders with `_`); then the `deviceType` (`Miniscope_V4_BNO`
 * against `WebCam-640x480`, `Minicam-Mono-XGA`); then the folder name (`BehavCam_0`).
 */
export function deviceKind(device: {
  name: string;
  metadata: DeviceMetadata | null;
  /** The session `metaData.json`, or null without a readable one. */
  session: Record<string, unknown> | null;
  layout?: "qt" | "legacy";
}): DeviceKind {
  const { name } = device;
  if (device.layout === "legacy") return name === "behavCam" ? "camera" : "miniscope";
  const listed = (key: string) => {
    const list = device.session?.[key];
    return Array.isArray(list) &&
      list.some((v) => typeof v === "string" && (v === name || v.replaceAll(" ", "_") === name));
  };
  if (listed("cameras")) return "camera";
  if (listed("miniscopes")) return "miniscope";
  const type = device.metadata?.deviceType ?? "";
  if (/miniscope/i.test(type)) return "miniscope";
  return /cam/i.test(type) || /cam/i.test(name) ? "camera" : "miniscope";
}

/**
 * What the device in a folder is, by {@linkcode deviceKind}, from its `metaData.json` and the
 * session's beside it: files that cannot be read count as unknown.
 */
export async function readDeviceKind(folder: string): Promise<DeviceKind> {
  const session = join(dirname(resolve(folder)), "metaData.json");
  return deviceKind({
    name: basename(resolve(folder)),
    metadata: (await readDeviceMetadata(folder)).metadata,
    session: (await readMetadataLeniently(session, "session metadata")).metadata,
  });
}

const SESSION_KEYS = new Set([
  "researcherName",
  "animalName",
  "experimentName",
  "baseDirectory",
  "miniscopes",
  "cameras",
  "recordingStartTime",
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "msec",
  "msecSinceEpoch",
]);

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw explainFsError(error, path, what);
  }
}

/**
 * Reads `headOrientation.csv` (V4 scopes with the IMU enabled).
 *
 * @example
 * ```ts
 * import { MiniscopeImagingExtractor, orientationForFrames, readHeadOrientation } from "@miniscope/reader";
 *
 * const folder = "testdata/sample_session/Miniscope";
 * const head = await readHeadOrientation(`${folder}/headOrientation.csv`);
 * const extractor = await MiniscopeImagingExtractor.open({ folderPath: folder });
 * const perFrame = orientationForFrames(head, extractor.getNativeTimestamps()!);
 * console.log(head.quaternions.length / 4, perFrame.length / 4);
 * ```
 *
 * @param path The file.
 * @param options `onWarning` receives a warning when a last row cut while writing is left out
 *   (default: `console.warn`).
 * @returns Time stamps (ms and seconds) and quaternions (`w, x, y, z` per row).
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {MalformedRecordingError} When it cannot be parsed.
 */
export async function readHeadOrientation(
  path: string,
  options: HeadOrientationOptions = {},
): Promise<HeadOrientation> {
  const onWarning = options.onWarning ?? warnOnConsole;
  const text = await readText(path, "head orientation file");
  try {
    return parseHeadOrientationCsv(text, (message) => onWarning(`"${path}": ${message}`));
  } catch (error) {
    throw wrapFormatError(error, path);
  }
}

/**
 * Reads the `metaData.json` of a device folder, the settings a reading can do without: a
 * missing file gives null, a broken or unreadable one null with the problem as a sentence
 * naming the file.
 *
 * @param deviceFolder The device folder.
 * @returns The settings (null without a readable file) and the problem, if any.
 */
export async function readDeviceMetadata(
  deviceFolder: string,
): Promise<{ metadata: DeviceMetadata | null; problem: string | null }> {
  const read = await readMetadataLeniently(join(deviceFolder, "metaData.json"), "device metadata");
  return { metadata: read.metadata && parseDeviceMetadata(read.metadata), problem: read.problem };
}

/** The parts of a {@linkcode MiniscopeSession}, as its openers found them. */
interface SessionParts {
  path: string;
  layout: "qt" | "legacy";
  metadata: Record<string, unknown>;
  startTime: RecordingStartTime | null;
  devices: SessionDevice[];
  notes: Note[];
  settings: LegacySettings | null;
  scopeCamNum: number | undefined;
}

/**
 * A Miniscope session folder: the session `metaData.json` (start time, names, custom keys),
 * `notes.csv`, and the device folders in it. A recording folder of the software before 2020
 * (`msCam1.avi, ...`, `behavCam1.avi, ...`, `timestamp.dat`, `settings_and_notes.dat`) opens
 * as a session too, with the devices `msCam` (the Miniscope) and `behavCam` (the behaviour
 * camera), the settings and notes of `settings_and_notes.dat`, and the start time its folder
 * names give (`6_29_15/H15_M45_S12`).
 *
 * @example
 * ```ts
 * import { MiniscopeSession } from "@miniscope/reader";
 *
 * const session = await MiniscopeSession.open("testdata/sample_session");
 * console.log(session.startTime?.local, session.devices.map((d) => d.name));
 * const scope = await session.openDevice("Miniscope");
 * console.log(scope.getNumSamples());
 * ```
 */
export class MiniscopeSession {
  /** The session folder. */
  readonly path: string;
  /**
   * Which software wrote it: `"qt"` (the Miniscope DAQ QT software, from 2020) or `"legacy"`
   * (the software before 2020, one folder per recording).
   */
  readonly layout: "qt" | "legacy";
  /**
   * The session `metaData.json` as written; for the software before 2020, the settings row of
   * `settings_and_notes.dat` (header to value, as written), or empty without that file.
   */
  readonly metadata: Record<string, unknown>;
  /**
   * When the recording started; null for a folder of the software before 2020 whose folder
   * names do not give it.
   */
  readonly startTime: RecordingStartTime | null;
  /** `researcherName`, or null. */
  readonly researcherName: string | null;
  /** `experimentName`, or null. */
  readonly experimentName: string | null;
  /** `animalName`, or null. */
  readonly animalName: string | null;
  /** Keys of the session metadata other than the standard ones (the user config's tokens). */
  readonly customKeys: Record<string, unknown>;
  /** The device folders: folders with a `metaData.json` and at least one `.avi`. */
  readonly devices: SessionDevice[];
  /**
   * The rows of `notes.csv`, or an empty list without it; for the software before 2020, the
   * notes of `settings_and_notes.dat` (time stamps from its `elapsedTime`).
   */
  readonly notes: Note[];
  /** The settings of `settings_and_notes.dat` (software before 2020), or null. */
  readonly settings: LegacySettings | null;

  readonly #warn: (message: string) => void;
  readonly #scopeCamNum: number | undefined;

  private constructor(parts: SessionParts, warn: (message: string) => void) {
    this.#warn = warn;
    this.#scopeCamNum = parts.scopeCamNum;
    const { metadata } = parts;
    const text = (v: unknown) => (typeof v === "string" ? v : null);
    this.path = parts.path;
    this.layout = parts.layout;
    this.metadata = metadata;
    this.startTime = parts.startTime;
    const legacy = parts.layout === "legacy";
    this.researcherName = legacy ? null : text(metadata.researcherName);
    this.experimentName = legacy ? null : text(metadata.experimentName);
    this.animalName = legacy ? parts.settings?.animal ?? null : text(metadata.animalName);
    this.customKeys = legacy ? {} : Object.fromEntries(
      Object.entries(metadata).filter(([key]) => !SESSION_KEYS.has(key)),
    );
    this.devices = parts.devices;
    this.notes = parts.notes;
    this.settings = parts.settings;
  }

  /**
   * Reads a session folder. Hidden entries (names starting with ".", such as macOS `._`
   * files) are skipped with a warning naming them; a device `metaData.json` that cannot be
   * parsed (half-written while recording) is a warning, and that device's settings read as null;
   * a `notes.csv` that cannot be read is a warning naming it and the problem, and `notes` is
   * empty.
   *
   * @param sessionFolder The folder holding the session `metaData.json`, or a recording folder
   *   of the software before 2020.
   * @param options `onWarning` receives warnings (default: `console.warn`); `scopeCamNum` tells
   *   the Miniscope of a folder of the software before 2020.
   * @returns The session.
   * @throws {Deno.errors.NotFound} When the folder or its `metaData.json` is missing.
   * @throws {MalformedRecordingError} When the metadata has no start time (naming the keys) or
   *   cannot be parsed.
   */
  static async open(
    sessionFolder: string,
    options: SessionOpenOptions = {},
  ): Promise<MiniscopeSession> {
    const warn = options.onWarning ?? warnOnConsole;
    if (await isLegacyFolder(sessionFolder)) {
      const legacy = await readLegacySession(sessionFolder, warn);
      return new MiniscopeSession(
        {
          ...legacy,
          devices: legacy.devices.map((d) => ({
            ...d,
            kind: deviceKind({ ...d, session: null, layout: "legacy" }),
          })),
          path: sessionFolder,
          layout: "legacy",
          scopeCamNum: options.scopeCamNum,
        },
        warn,
      );
    }
    const { metadata, startTime } = await readSessionMetadataFile(
      join(sessionFolder, "metaData.json"),
    );
    const sessionMetadata = metadata;
    const devices: SessionDevice[] = [];
    const entries = (await listFolder(sessionFolder, "session folder", warn))
      .filter((entry) => entry.isDirectory).map((entry) => entry.name);
    for (const name of entries.sort()) {
      const path = join(sessionFolder, name);
      if (!(await exists(join(path, "metaData.json")))) continue;
      if (!(await hasVideoFiles(path, true))) continue;
      // A device's metaData.json may be half-written while it records: its settings are then
      // unknown, but the device is still there.
      const { metadata, problem } = await readDeviceMetadata(path);
      if (problem !== null) warn(problem);
      devices.push({
        name,
        path,
        metadata: metadata ?? parseDeviceMetadata({}),
        hasHeadOrientation: await exists(join(path, "headOrientation.csv")),
        kind: deviceKind({ name, metadata, session: sessionMetadata }),
      });
    }
    let notes: Note[] = [];
    const notesPath = join(sessionFolder, "notes.csv");
    try {
      if (await exists(notesPath)) {
        const text = await readText(notesPath, "notes file");
        notes = parseNotesCsv(text, devices.map((d) => d.name));
      }
    } catch (error) {
      // The notes are a side file: the recordings do not need them.
      const reason = wrapFormatError(error, notesPath);
      warn(leftOutWarning(reason, notesPath, "the session's notes are left out"));
    }
    return new MiniscopeSession({
      path: sessionFolder,
      layout: "qt",
      metadata,
      startTime,
      devices,
      notes,
      settings: null,
      scopeCamNum: undefined,
    }, warn);
  }

  /**
   * A device of the session by folder name.
   *
   * @param name The folder name.
   * @returns The device.
   * @throws {Deno.errors.NotFound} When there is no such device, listing those there are.
   */
  getDevice(name: string): SessionDevice {
    const device = this.devices.find((d) => d.name === name);
    if (!device) {
      throw new Deno.errors.NotFound(
        `Session "${this.path}" has no device "${name}"; its devices are ` +
          (this.devices.map((d) => `"${d.name}"`).join(", ") || "none"),
      );
    }
    return device;
  }

  /**
   * Opens a device as a {@linkcode MiniscopeImagingExtractor}.
   *
   * @param name The device folder name.
   * @param options Settings for the extractor.
   * @returns The extractor.
   */
  openDevice(name: string, options: DeviceOpenOptions = {}): Promise<MiniscopeImagingExtractor> {
    const device = this.getDevice(name);
    if (this.layout === "legacy") {
      const scopeCamNum = options.scopeCamNum ?? this.#scopeCamNum;
      return MiniscopeImagingExtractor.open({
        ...options,
        folderPath: device.path,
        camera: device.name === "behavCam" ? "behavCam" : "msCam",
        ...(scopeCamNum === undefined ? {} : { scopeCamNum }),
      });
    }
    return MiniscopeImagingExtractor.open({ ...options, folderPath: device.path });
  }

  /**
   * Reads a device's `headOrientation.csv`.
   *
   * @param name The device folder name.
   * @returns The head orientation, or null when the device has none.
   */
  async readHeadOrientation(name: string): Promise<HeadOrientation | null> {
    const device = this.getDevice(name);
    return device.hasHeadOrientation
      ? await readHeadOrientation(join(device.path, "headOrientation.csv"), {
        onWarning: this.#warn,
      })
      : null;
  }
}
