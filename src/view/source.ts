/**
 * What the viewer shows: a device folder, or a session folder with its devices.
 *
 * @module
 */

import { basename, join } from "node:path";
import { MiniscopeImagingExtractor } from "../extractor.ts";
import { MiniscopeSession } from "../session.ts";
import { hasVideoFiles } from "../open/discovery.ts";
import { isLegacyFolder } from "../open/legacy.ts";
import { readMetadataFile } from "../open/metadata.ts";
import type { DroppedFrames } from "../analysis/dropped_frames.ts";

/** A video file of a device and where its frames sit among the samples. */
export interface ViewFile {
  /** The file name, such as `0.avi`. */
  name: string;
  /** The sample index of its first frame. */
  firstSample: number;
  /** Its frames. */
  frames: number;
}

/** One device the viewer can show. */
export interface ViewDevice {
  /** The folder name, such as `Miniscope` or `BehavCam 0`. */
  name: string;
  /** The recording. */
  extractor: MiniscopeImagingExtractor;
  /** Its `metaData.json` as written, or null without one. */
  metadata: Record<string, unknown> | null;
  /** Its video files in order. */
  files: ViewFile[];
  /** Whether it is a behaviour camera rather than a Miniscope. */
  camera: boolean;
}

/** What was opened: the devices, the one shown first, and the session facts if any. */
export interface ViewSource {
  /** The folder given. */
  folder: string;
  /** The devices; the first is shown in the main view. */
  devices: ViewDevice[];
  /** The session's names, start time and notes, or null for a single device folder. */
  session: Record<string, unknown> | null;
}

/** Each file's frames among the samples. */
function filesOf(extractor: MiniscopeImagingExtractor): ViewFile[] {
  return extractor.getFiles().map(({ path, firstSample, samples }) => ({
    name: basename(path),
    firstSample,
    frames: samples,
  }));
}

async function readMetadata(folder: string): Promise<Record<string, unknown> | null> {
  try {
    return await readMetadataFile(join(folder, "metaData.json"), "device metadata");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function isCamera(name: string, metadata: Record<string, unknown> | null): boolean {
  const type = String(metadata?.deviceType ?? "");
  if (/miniscope/i.test(type)) return false;
  return /cam/i.test(type) || /cam/i.test(name);
}

/**
 * Opens one device: a behaviour camera in colour (`rgb24`), a Miniscope in gray.
 *
 * @param name The device folder's name.
 * @param folder The device folder.
 * @param open Opens its recording with the given pixel format.
 * @param known Whether it is a camera, when the session's layout says so.
 */
async function openDevice(
  name: string,
  folder: string,
  open: (pixelFormat: "gray8" | "rgb24") => Promise<MiniscopeImagingExtractor>,
  known?: boolean,
): Promise<ViewDevice> {
  const metadata = known === undefined ? await readMetadata(folder) : null;
  const camera = known ?? isCamera(name, metadata);
  const extractor = await open(camera ? "rgb24" : "gray8");
  return { name, extractor, metadata, files: filesOf(extractor), camera };
}

/**
 * Opens a device folder (with `.avi` files in it) or a session folder (with device folders).
 *
 * @param folder The folder.
 * @param onWarning Receives warnings about the recordings.
 * @param scopeCamNum The `camNum` of the Miniscope of a folder of the software before 2020,
 *   when its row counts cannot tell the cameras apart.
 * @returns The devices, Miniscopes first.
 * @throws {Deno.errors.NotFound} When the folder is missing or a session has no device.
 * @throws {MalformedRecordingError} When a recording cannot be read.
 */
export async function openViewSource(
  folder: string,
  onWarning?: (message: string) => void,
  scopeCamNum?: number,
): Promise<ViewSource> {
  const options = onWarning ? { onWarning } : {};
  // A recording folder of the software before 2020 holds both its cameras: a session.
  if (!(await isLegacyFolder(folder)) && await hasVideoFiles(folder, false)) {
    const device = await openDevice(
      basename(folder),
      folder,
      (pixelFormat) =>
        MiniscopeImagingExtractor.open({ folderPath: folder, pixelFormat, ...options }),
    );
    return {
      folder,
      devices: [device],
      session: null,
    };
  }
  const session = await MiniscopeSession.open(
    folder,
    scopeCamNum === undefined ? {} : { scopeCamNum },
  );
  if (session.devices.length === 0) {
    throw new Deno.errors.NotFound(`Session "${folder}" has no device folder with videos`);
  }
  const devices: ViewDevice[] = [];
  for (const device of session.devices) {
    devices.push(
      await openDevice(
        device.name,
        device.path,
        (pixelFormat) => session.openDevice(device.name, { pixelFormat, ...options }),
        device.camera,
      ),
    );
  }
  devices.sort((a, b) => Number(a.camera) - Number(b.camera));
  return {
    folder,
    devices,
    session: {
      researcherName: session.researcherName,
      animalName: session.animalName,
      experimentName: session.experimentName,
      startTime: session.startTime?.local ?? null,
      notes: session.notes,
    },
  };
}

/** The JSON of `GET /api/info` for one device. */
export function deviceInfo(device: ViewDevice, id: number): Record<string, unknown> {
  const extractor = device.extractor;
  const [rows, cols] = extractor.getImageShape();
  const dropped: DroppedFrames | null = extractor.getDroppedFrames();
  return {
    id,
    name: device.name,
    camera: device.camera,
    channels: extractor.getPixelFormat() === "rgb24" ? 3 : 1,
    samples: extractor.getNumSamples(),
    shape: [rows, cols],
    frequency: extractor.getSamplingFrequency(),
    frameCounts: extractor.getFrameCounts(),
    files: device.files,
    drops: dropped,
    metadata: device.metadata,
  };
}
