/**
 * The layout of an NWB export: which groups, datasets, attributes and links the file has, and
 * what each is named and says, from what the plan gathered. `content.ts` writes it.
 *
 * @module
 */

import { basename, dirname, relative, sep } from "node:path";
import type { DroppedFrames } from "../analysis/dropped_frames.ts";
import type { DeviceMetadata } from "../formats/metadata_json.ts";
import { resolvedPath } from "../outputs.ts";
import type { FileFields, NwbLayout } from "./content.ts";
import { planCopies, type VideoCopy } from "./external_files.ts";
import { miniscopeFields } from "./miniscope_device.ts";
import type { NwbOptions, NwbSeries } from "./options.ts";
import type { CameraPlan, ExportPlan, ScopePlan } from "./plan.ts";

/** A file being laid out: its objects, the series it reports, the names taken, the copies. */
interface FileInProgress {
  /** The `.nwb` file: the cameras' video paths lead from its folder. */
  path: string;
  options: NwbOptions;
  layout: NwbLayout;
  series: NwbSeries[];
  /** Names taken in `/acquisition`. */
  acquisition: Set<string>;
  /** The behaviour videos to copy beside the file. */
  copies: VideoCopy[];
}

/** What an export writes, but the frames: the layout, the series and the video copies. */
export interface LaidOutFile {
  /** The objects of the file, named. */
  layout: NwbLayout;
  /** The series in `/acquisition`, as the result reports them. */
  series: NwbSeries[];
  /** The behaviour videos to copy beside the file (`behaviorVideos: "copy"`). */
  copies: VideoCopy[];
}

/**
 * Lays out the file of an export: each Miniscope's device, imaging plane, `OnePhotonSeries`
 * and head orientation, each behaviour camera's device and `ImageSeries` of its videos, and
 * the notes.
 *
 * @param plan What the export gathered.
 * @param target The file-level fields, the `.nwb` file (the cameras' video paths lead from its
 *   folder) and the export's options.
 * @returns The layout, the series and the copies.
 */
export async function layOutFile(
  plan: ExportPlan,
  target: { fields: FileFields; path: string; options: NwbOptions },
): Promise<LaidOutFile> {
  const { fields, path, options } = target;
  const file: FileInProgress = {
    path,
    options,
    layout: {
      file: fields,
      devices: [],
      planes: [],
      onePhoton: [],
      timeSeries: [],
      annotations: [],
      images: [],
    },
    series: [],
    acquisition: new Set<string>(),
    copies: [],
  };
  const several = plan.scopes.length > 1;
  for (const scope of plan.scopes) addScope(file, scope, several);
  const scopes = new Set(plan.scopes.map((scope) => scope.device));
  for (const camera of plan.cameras) await addCamera(file, camera, scopes);
  if (plan.notes.length > 0) addNotes(file, plan.notes);
  return { layout: file.layout, series: file.series, copies: file.copies };
}

/** A Miniscope: its device, imaging plane, `OnePhotonSeries` and head orientation. */
function addScope(file: FileInProgress, scope: ScopePlan, several: boolean): void {
  const options = file.options;
  const gzipLevel = options.compression === "none" ? null : options.level ?? 4;
  const suffix = several ? `_${scope.device}` : "";
  const extractor = scope.extractor;
  const [rows, cols] = extractor.getImageShape();
  const samples = extractor.getNumSamples();
  file.layout.devices.push({
    name: scope.device,
    description: describeDevice(scope.device, scope.settings, false),
    miniscope: miniscopeFields(scope.settings),
  });
  const plane = `ImagingPlane${suffix}`;
  file.layout.planes.push({
    name: plane,
    description: `The imaging plane of Miniscope "${scope.device}"`,
    device: scope.device,
    excitationLambda: options.excitationLambda ?? NaN,
    imagingRate: extractor.getSamplingFrequency(),
    indicator: options.indicator ?? "unknown",
    location: options.location ?? "unknown",
    channelDescription: `The emission light of Miniscope "${scope.device}"`,
    emissionLambda: options.emissionLambda ?? NaN,
  });
  const timed = extractor.hasTimeVector();
  const name = uniqueName(file.acquisition, `OnePhotonSeries${suffix}`);
  file.layout.onePhoton.push({
    name,
    description: `Frames of Miniscope "${scope.device}" (${cols}x${rows} pixels, width x ` +
      `height), ${extractor.getFilePaths().length} video files` +
      (timed
        ? `; time stamps from ${scope.timestampsFile} in seconds from the session start`
        : `; recorded without ${scope.timestampsFile}, so times are computed from the sampling ` +
          `frequency ${extractor.getSamplingFrequency()} Hz`),
    comments: droppedComment(extractor.getDroppedFrames(), scope.droppedUnknown),
    plane,
    shape: [samples, cols, rows],
    gzipLevel,
    timing: timed ? { timestamps: extractor.getTimestamps() } : {
      startingTime: samples > 0 ? extractor.getTimestamps(0, 1)[0]! : 0,
      rate: extractor.getSamplingFrequency(),
    },
  });
  file.series.push({
    path: `/acquisition/${name}`,
    type: "OnePhotonSeries",
    device: scope.device,
    samples,
  });
  if (scope.head) {
    const headName = uniqueName(file.acquisition, `HeadOrientation${suffix}`);
    file.layout.timeSeries.push({
      name: headName,
      description: `Head orientation of Miniscope "${scope.device}" from its IMU ` +
        `(headOrientation.csv): a unit quaternion (qw, qx, qy, qz) per row, scalar first`,
      comments: "no comments",
      unit: "n.a.",
      data: scope.head.quaternions,
      columns: 4,
      timestamps: scope.head.timestamps,
    });
    file.series.push({
      path: `/acquisition/${headName}`,
      type: "TimeSeries",
      device: scope.device,
      samples: scope.head.timestamps.length,
    });
  }
}

/**
 * A behaviour camera: its device (named apart from a Miniscope's of the same name) and an
 * `ImageSeries` pointing at its videos.
 */
async function addCamera(
  file: FileInProgress,
  camera: CameraPlan,
  scopes: Set<string>,
): Promise<void> {
  const { path, options } = file;
  const deviceName = scopes.has(camera.device) ? `${camera.device}_camera` : camera.device;
  file.layout.devices.push({
    name: deviceName,
    description: describeDevice(camera.device, camera.settings, true),
  });
  const name = uniqueName(file.acquisition, camera.device);
  const objectId = crypto.randomUUID();
  const copied = options.behaviorVideos === "copy" ? planCopies(path, objectId, camera.files) : [];
  file.copies.push(...copied);
  file.layout.images.push({
    name,
    description: `Behaviour camera "${camera.device}": ${camera.timestamps.length} frames ` +
      `in ${camera.files.length} video files ` +
      (copied.length > 0
        ? `copied into "${basename(dirname(copied[0]!.target))}/" beside the NWB file`
        : `of the recording, beside the NWB file (not copied)`) +
      `, with the time stamps of its ${camera.timestampsFile} in seconds from the session start`,
    comments: droppedComment(camera.dropped, null),
    objectId,
    files: copied.length > 0
      ? copied.map((c) => c.relative)
      : await Promise.all(camera.files.map((video) => pathFromNwb(path, video))),
    startingFrames: camera.startingFrames,
    timestamps: camera.timestamps,
  });
  file.series.push({
    path: `/acquisition/${name}`,
    type: "ImageSeries",
    device: camera.device,
    samples: camera.timestamps.length,
  });
}

/** The notes, as an `AnnotationSeries`. */
function addNotes(file: FileInProgress, notes: ExportPlan["notes"]): void {
  const name = uniqueName(file.acquisition, "notes");
  file.layout.annotations.push({
    name,
    description: "Notes typed and settings changed during the recording (notes.csv)",
    texts: notes.map((n) => n.text),
    timestamps: Float64Array.from(notes, (n) => n.time),
  });
  file.series.push({
    path: `/acquisition/${name}`,
    type: "AnnotationSeries",
    device: null,
    samples: notes.length,
  });
}

function describeDevice(name: string, settings: DeviceMetadata, camera: boolean): string {
  const parts: string[] = [];
  const add = (label: string, value: string | number | null) => {
    if (value !== null) parts.push(`${label} ${value}`);
  };
  add("frame rate", settings.frameRate);
  add("gain", settings.gain);
  add("LED", settings.led0);
  add("EWL focus", settings.ewl);
  if (settings.roi) {
    const { width, height, leftEdge, topEdge } = settings.roi;
    parts.push(`ROI ${width}x${height} at (${leftEdge}, ${topEdge})`);
  }
  add("compression", settings.compression);
  for (const [key, value] of Object.entries(settings.extra)) {
    parts.push(`${key} ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  const kind = settings.deviceType ?? (camera ? "behaviour camera" : "Miniscope");
  return `${kind} "${name}"` + (parts.length ? `; ${parts.join(", ")}` : "");
}

function droppedComment(dropped: DroppedFrames | null, unknown: string | null): string {
  if (dropped === null) return `Dropped frames not known: ${unknown ?? "no time stamps"}`;
  const gaps = dropped.gaps.map((gap) =>
    `${gap.missing} after sample ${gap.afterSample}` +
    (gap.intervalMs === undefined ? "" : ` (interval ${gap.intervalMs} ms)`)
  );
  let text = dropped.count === 0
    ? "No dropped frames found in the time stamps"
    : `${dropped.count} dropped frame${dropped.count === 1 ? "" : "s"} found in the time stamps ` +
      `(median interval ${dropped.medianIntervalMs} ms): ${gaps.join("; ")}`;
  if (dropped.daqCount !== null) {
    text += `; the DAQ frame counter shows ${dropped.daqCount} missing`;
    if (dropped.daqRestarts.length > 0) {
      text += ` (it restarts after sample ${dropped.daqRestarts.join(", ")}, a reconnect: ` +
        `frames lost across a restart are not counted)`;
    }
  }
  return text;
}

/**
 * The path of `file` from the folder of the NWB file `nwb`, with "/" between its parts:
 * both made absolute with their folders' symbolic links resolved, so that the path leads
 * from where the NWB file really is to the file, whatever the working folder.
 */
async function pathFromNwb(nwb: string, file: string): Promise<string> {
  const from = dirname(await resolvedPath(nwb));
  return relative(from, await resolvedPath(file)).split(sep).join("/");
}

function uniqueName(taken: Set<string>, wanted: string): string {
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted}_${i}`;
  taken.add(name);
  return name;
}
