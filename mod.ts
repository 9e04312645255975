/**
 * Read Miniscope calcium-imaging recordings (the device folders written by the Miniscope DAQ
 * software: `0.avi, 1.avi, ...` FFV1 videos, `timeStamps.csv`, `metaData.json`) as exact 8-bit
 * frames with their hardware time stamps. Frames are decoded by the system `ffmpeg`.
 *
 * The API follows roiextractors' `MiniscopeImagingExtractor` in TypeScript naming.
 *
 * A script needs `--allow-read=<recording folder> --allow-run=ffmpeg` and nothing more.
 *
 * @example Summarise a recording and stream its frames
 * ```ts
 * import { MiniscopeImagingExtractor } from "@miniscope/reader";
 *
 * const extractor = await MiniscopeImagingExtractor.open({
 *   folderPath: "testdata/sample_session/Miniscope",
 * });
 * console.log(extractor.getNumSamples(), extractor.getImageShape());
 * console.log(`${extractor.getSamplingFrequency().toFixed(2)} Hz`);
 *
 * let sum = 0;
 * for await (const frame of extractor.stream()) {
 *   for (const value of frame.data) sum += value;
 * }
 * const [rows, cols] = extractor.getImageShape();
 * console.log("mean intensity", sum / (extractor.getNumSamples() * rows * cols));
 * ```
 *
 * @module
 */

export { MiniscopeImagingExtractor } from "./src/extractor.ts";
export { MiniscopeMultiRecordingImagingExtractor } from "./src/multi_recording.ts";
export { MiniscopeSession, readHeadOrientation } from "./src/session.ts";
// The options and results of the classes and functions above: MiniscopeOpenOptions,
// FrameSeries, Frame, FilePart, RecordingPart, SessionDevice, ...
export type * from "./src/options.ts";
export {
  FfmpegError,
  type FfmpegFailure,
  FfmpegUnavailableError,
  MalformedRecordingError,
  StartTimeUnknownError,
} from "./src/errors.ts";
export { type HeadOrientation, orientationForFrames } from "./src/formats/head_orientation_csv.ts";
export type { Note, SettingChange, TextNote } from "./src/formats/notes_csv.ts";
export type { LegacySettings } from "./src/formats/settings_and_notes_dat.ts";
export type {
  DeviceMetadata,
  RecordingStartTime,
  RegionOfInterest,
} from "./src/formats/metadata_json.ts";
export {
  type ClockStep,
  detectDroppedFrames,
  type DroppedFrames,
  type FrameGap,
  type LostFrames,
} from "./src/analysis/dropped_frames.ts";
