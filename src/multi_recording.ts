/**
 * {@linkcode MiniscopeMultiRecordingImagingExtractor}: several recordings of one device, such as
 * an animal's recordings of one day, read as one series on a common time axis.
 *
 * @module
 */

import { MiniscopeImagingExtractor } from "./extractor.ts";
import type { MultiRecordingOpenOptions, RecordingPart } from "./options.ts";
import { openMultiRecording } from "./open/multi_recording.ts";
import { wholeView } from "./read/view.ts";

/**
 * Several recordings of one device as one series: `<folder>/<recording>/<device>/`, in start
 * time order. Each recording's time stamps are shifted by its start time minus the first
 * recording's (each start time read from the recording's own folder), so the gaps between
 * recordings stay in the timestamps; the frames are concatenated (8-bit gray). The sampling
 * frequency pools the intervals within every recording.
 *
 * It is a {@linkcode MiniscopeImagingExtractor} with every method of one, whose
 * {@linkcode getRecordings} lists the recordings; its slices are multi-recordings too.
 *
 * @example
 * ```ts ignore
 * import { MiniscopeMultiRecordingImagingExtractor } from "@miniscope/reader";
 *
 * const day = await MiniscopeMultiRecordingImagingExtractor.open({
 *   folderPath: "mouse1/2021_10_07",
 *   deviceName: "Miniscope",
 * });
 * console.log(day.getRecordings().map((r) => [r.folder, r.offsetSeconds, r.samples]));
 * ```
 */
export class MiniscopeMultiRecordingImagingExtractor extends MiniscopeImagingExtractor {
  /**
   * Finds the recordings of a device under a folder and opens them as one series.
   *
   * @param options The folder, device name and settings.
   * @returns The extractor.
   * @throws {Deno.errors.NotFound} When the folder is missing or holds no recording of the
   *   device.
   * @throws {MalformedRecordingError} When a recording lacks its start time or time stamps,
   *   or the recordings' frame shapes differ.
   */
  static override async open(
    options: MultiRecordingOpenOptions,
  ): Promise<MiniscopeMultiRecordingImagingExtractor> {
    const opened = await openMultiRecording(options);
    return new MiniscopeMultiRecordingImagingExtractor(wholeView(opened, opened.parts));
  }

  /**
   * The recordings in time order, with their start times, offsets and sample ranges; for a
   * slice, those that overlap it, with the ranges of their samples in the slice.
   *
   * @returns The recordings.
   */
  override getRecordings(): RecordingPart[] {
    return super.getRecordings()!;
  }
}
