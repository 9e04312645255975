/**
 * {@linkcode openMultiRecording}: several recordings of one device, found under a folder,
 * opened one by one and assembled into one {@linkcode Recording} on a common time axis.
 *
 * @module
 */

import { join } from "node:path";
import type { MiniscopeOpenOptions, MultiRecordingOpenOptions, RecordingPart } from "../options.ts";
import type { RecordingStartTime } from "../formats/metadata_json.ts";
import {
  leadingIntervals,
  samplingFrequencyFromIntervals,
} from "../analysis/sampling_frequency.ts";
import type { Recording, VideoFile } from "../model.ts";
import { MalformedRecordingError } from "../errors.ts";
import { findRecordings, type FoundRecording } from "./discovery.ts";
import {
  assembleRecording,
  type OpenedRecording,
  openRecording,
  openSettings,
} from "./recording.ts";

/** Several recordings opened as one, with where each one's samples are. */
export interface OpenedMultiRecording extends OpenedRecording {
  /** The recordings in time order, with their sample ranges in the whole series. */
  parts: RecordingPart[];
}

/**
 * Milliseconds of a start time on one axis: since the epoch when every recording has it, else
 * from the calendar fields (local time, all recordings on the same clock).
 */
function startMs(time: RecordingStartTime, useEpoch: boolean): number {
  return useEpoch && time.msecSinceEpoch !== null
    ? time.msecSinceEpoch
    : Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second, time.msec);
}

/**
 * Finds the recordings of a device under a folder (`<folder>/<recording>/<device>/`) and opens
 * them as one series, in start time order: the frames concatenated, each recording's time
 * stamps shifted by its start time minus the first one's, the sampling frequency pooled from
 * the intervals within every recording.
 *
 * @param options The folder, device name and settings.
 * @returns The recording, its samples, settings and parts.
 * @throws {Deno.errors.NotFound} When the folder is missing or holds no recording of the
 *   device.
 * @throws {MalformedRecordingError} When a recording lacks its start time or time stamps,
 *   or the recordings' frame shapes differ.
 */
export async function openMultiRecording(
  options: MultiRecordingOpenOptions,
): Promise<OpenedMultiRecording> {
  // Options of one recording that several do not take are ignored, as they always were.
  const { folderPath, deviceName = "Miniscope", ...known } = options as
    & MultiRecordingOpenOptions
    & Pick<MiniscopeOpenOptions, "samplingFrequency" | "stallTimeoutMs">;
  const { samplingFrequency: _fs, stallTimeoutMs: _stall, ...taken } = known;
  const settings = openSettings({ ...taken, pixelFormat: "gray8" });
  const warn = settings.warn;
  const found = await findRecordings(folderPath, deviceName, warn);
  // Each recording keeps the start time read from its own folder.
  const useEpoch = found.every((r) => r.startTime.msecSinceEpoch !== null);
  found.sort((a, b) => startMs(a.startTime, useEpoch) - startMs(b.startTime, useEpoch));
  const origin = startMs(found[0]!.startTime, useEpoch);

  const opened: (FoundRecording & { recording: Recording; samples: number })[] = [];
  for (const { folder, startTime } of found) {
    const device = join(folder, deviceName);
    const { recording, samples } = await openRecording(
      {
        folderPath: device,
        ffmpegPath: settings.ffmpegPath,
        concurrency: settings.concurrency,
        pixelFormat: "gray8",
        liveDecoders: false,
        onWarning: warn,
      },
      false,
    );
    const first = opened[0]?.recording;
    if (first && (recording.rows !== first.rows || recording.cols !== first.cols)) {
      throw new MalformedRecordingError(
        device,
        `its frames are ${recording.cols}x${recording.rows} (width x height) but those of ` +
          `"${join(opened[0]!.folder, deviceName)}" are ${first.cols}x${first.rows}; all ` +
          `recordings must agree`,
      );
    }
    opened.push({ folder, startTime, recording, samples });
  }

  let samples = 0;
  const parts: RecordingPart[] = opened.map(({ folder, startTime, samples: count }) => {
    const offsetSeconds = (startMs(startTime, useEpoch) - origin) / 1000;
    samples += count;
    return { folder, startTime, offsetSeconds, firstSample: samples - count, samples: count };
  });
  // Frames past the last time stamp are left out, so frames and times line up: the samples
  // are the first frames of the files in order.
  const videos: VideoFile[] = opened.flatMap(({ recording, samples: count }) =>
    recording.videos.flatMap((video, i) => {
      const take = Math.max(0, Math.min(video.frameCount, count - recording.firstFrames[i]!));
      return take > 0 ? [{ ...video, frameCount: take }] : [];
    })
  );
  const segments = opened.map(({ recording }, i) => ({
    ...recording.segments[0]!,
    firstSample: parts[i]!.firstSample,
  }));
  const nativeTimestamps = new Float64Array(samples);
  opened.forEach(({ recording }, i) => {
    const { offsetSeconds, firstSample } = parts[i]!;
    nativeTimestamps.set(recording.nativeTimestamps!.map((t) => t + offsetSeconds), firstSample);
  });
  const intervals = segments.flatMap((segment) => [...leadingIntervals(segment.timeStampsMs)]);
  let samplingFrequency: number;
  try {
    samplingFrequency = samplingFrequencyFromIntervals(Float64Array.from(intervals));
  } catch (error) {
    throw new MalformedRecordingError(folderPath, (error as Error).message);
  }
  const total = (count: (recording: Recording) => number) =>
    opened.reduce((sum, { recording }) => sum + count(recording), 0);
  const recording = assembleRecording({
    videos,
    filePaths: videos.map((video) => video.path),
    rows: opened[0]!.recording.rows,
    cols: opened[0]!.recording.cols,
    samplingFrequency,
    nativeTimestamps,
    segments,
    lostInFiles: total((r) => r.lostInFiles),
    videoFrames: total((r) => r.videoFrames),
    timestampRows: total((r) => r.timestampRows!),
  }, settings);
  return { recording, samples, settings, parts };
}
