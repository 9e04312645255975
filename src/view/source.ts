/**
 * What the viewer shows: a device folder, a session folder with its devices, or an NWB file
 * with its imaging series (`nwb_source.ts`).
 *
 * @module
 */

import { basename, join } from "node:path";
import { MiniscopeImagingExtractor } from "../extractor.ts";
import { MiniscopeSession, readDeviceKind, readHeadOrientation } from "../session.ts";
import type { DeviceKind } from "../options.ts";
import { hasVideoFiles } from "../open/discovery.ts";
import { isLegacyFolder } from "../open/legacy.ts";
import { readMetadataLeniently } from "../open/metadata.ts";
import type { DroppedFrames } from "../analysis/dropped_frames.ts";
import { isNwbPath, openNwbViewSource } from "./nwb_source.ts";
import type { FrameValues, ViewDevice, ViewFile, ViewOrientation, ViewSource } from "./model.ts";

export type {
  FrameValues,
  ViewDevice,
  ViewFile,
  ViewOrientation,
  ViewRecording,
  ViewSource,
} from "./model.ts";

/**
 * The exact values of frame `index` of a device: a raw recording's 8-bit frame, an NWB
 * series' values of its data type.
 *
 * @param device The device.
 * @param index A sample index, checked by the caller.
 * @returns The values.
 */
export async function frameValues(device: ViewDevice, index: number): Promise<FrameValues> {
  if (device.values) return await device.values(index);
  const { data, shape } = await device.extractor.getSamples([index]);
  return { dtype: "uint8", shape: shape.slice(1), bytes: data };
}

/** Each file's frames among the samples. */
function filesOf(extractor: MiniscopeImagingExtractor): ViewFile[] {
  return extractor.getFiles().map(({ path, firstSample, samples }) => ({
    name: basename(path),
    firstSample,
    frames: samples,
  }));
}

/**
 * A device's `metaData.json` as written, or null without a readable one: half-written while
 * it records, it is left out (the session or the recording warns about it).
 */
async function readMetadata(folder: string): Promise<Record<string, unknown> | null> {
  return (await readMetadataLeniently(join(folder, "metaData.json"), "device metadata")).metadata;
}

/**
 * Opens one device: a behaviour camera in colour (`rgb24`), a Miniscope in gray.
 *
 * @param name The device folder's name.
 * @param folder The device folder.
 * @param kind What it is.
 * @param open Opens its recording with the given pixel format.
 * @param onWarning Receives warnings about its head orientation file.
 */
async function openDevice(
  name: string,
  folder: string,
  kind: DeviceKind,
  open: (pixelFormat: "gray8" | "rgb24") => Promise<MiniscopeImagingExtractor>,
  onWarning: ((message: string) => void) | undefined,
): Promise<ViewDevice> {
  const metadata = await readMetadata(folder);
  const extractor = await open(kind === "camera" ? "rgb24" : "gray8");
  const device: ViewDevice = { name, extractor, metadata, files: filesOf(extractor), kind };
  const headFile = join(folder, "headOrientation.csv");
  if (await Deno.stat(headFile).then((info) => info.isFile, () => false)) {
    // Read when first asked for, once; a file that cannot be read says so each time.
    let read: Promise<ViewOrientation> | null = null;
    device.orientation = () => {
      read ??= readHeadOrientation(headFile, onWarning ? { onWarning } : {}).then(
        ({ timestamps, quaternions }) => ({ timestamps, quaternions }),
      );
      read.catch(() => (read = null));
      return read;
    };
  }
  return device;
}

/**
 * Opens a device folder (with `.avi` files in it), a session folder (with device folders) or
 * an NWB file (its imaging series, as devices).
 *
 * @param folder The folder or NWB file.
 * @param onWarning Receives warnings about the recordings.
 * @param scopeCamNum The `camNum` of the Miniscope of a folder of the software before 2020,
 *   when its row counts cannot tell the cameras apart.
 * @returns The devices, Miniscopes first.
 * @throws {Deno.errors.NotFound} When the folder is missing or a session has no device.
 * @throws {MalformedRecordingError} When a recording cannot be read, or an NWB file holds no
 *   imaging series the viewer can show.
 */
export async function openViewSource(
  folder: string,
  onWarning?: (message: string) => void,
  scopeCamNum?: number,
): Promise<ViewSource> {
  if (await isNwbPath(folder)) return await openNwbViewSource(folder, onWarning);
  // A person looks at a frame for a while: the decoders stay until the viewer stops.
  const options = { ...(onWarning ? { onWarning } : {}), decoderIdleMs: Infinity };
  // A recording folder of the software before 2020 holds both its cameras: a session.
  if (!(await isLegacyFolder(folder)) && await hasVideoFiles(folder, false)) {
    const device = await openDevice(
      basename(folder),
      folder,
      await readDeviceKind(folder),
      (pixelFormat) =>
        MiniscopeImagingExtractor.open({ folderPath: folder, pixelFormat, ...options }),
      onWarning,
    );
    return {
      folder,
      devices: [device],
      session: null,
    };
  }
  const session = await MiniscopeSession.open(folder, {
    ...options,
    ...(scopeCamNum === undefined ? {} : { scopeCamNum }),
  });
  if (session.devices.length === 0) {
    throw new Deno.errors.NotFound(`Session "${folder}" has no device folder with videos`);
  }
  const devices: ViewDevice[] = [];
  for (const device of session.devices) {
    devices.push(
      await openDevice(
        device.name,
        device.path,
        device.kind,
        (pixelFormat) => session.openDevice(device.name, { pixelFormat, ...options }),
        onWarning,
      ),
    );
  }
  // Miniscopes first: the first device is the one shown.
  devices.sort((a, b) => Number(a.kind === "camera") - Number(b.kind === "camera"));
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
    camera: device.kind === "camera",
    channels: extractor.getPixelFormat() === "rgb24" ? 3 : 1,
    samples: extractor.getNumSamples(),
    shape: [rows, cols],
    frequency: extractor.getSamplingFrequency(),
    frameCounts: extractor.getFrameCounts(),
    files: device.files,
    drops: dropped,
    metadata: device.metadata,
    orientation: device.orientation !== undefined,
    ...(device.series ? { series: device.series } : {}),
  };
}
