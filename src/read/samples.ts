/**
 * Reading frames at given indices, in any order, repeats allowed.
 *
 * @module
 */

import { seekPointAtOrBefore } from "../formats/seek_points.ts";
import type { Recording, VideoFile } from "../model.ts";
import { decodeWanted, frameSizeOf, LIVE_SPAN } from "./decode.ts";
import type { ReadSource } from "./live_decoders.ts";
import { fileOf } from "./plan.ts";
import { runPool } from "../async.ts";

/** Consecutive frames are decoded together when the gap between wanted frames is at most this. */
const MAX_GAP = 24;

/** Wanted frames of one file decoded together. */
interface Group {
  video: VideoFile;
  /** The file's first frame in the whole recording. */
  first: number;
  /** The frames wanted, ascending, 0-based within the file. */
  frames: number[];
}

/**
 * Decodes the frames at `frames` (indices over the whole recording, each in range), in the
 * order given. Nearby frames of one file share a decode.
 *
 * @param source The recording and its live decoders.
 * @param frames Frame indices over the whole recording.
 * @param signal Stops the read.
 * @returns The frames back to back, one per index.
 */
export async function readSamples(
  source: ReadSource,
  frames: ArrayLike<number>,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const recording = source.recording;
  const frameSize = frameSizeOf(recording);
  const data = new Uint8Array(frames.length * frameSize);
  // Where each wanted frame goes, by frame index.
  const targets = new Map<number, number[]>();
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    const list = targets.get(frame);
    if (list) list.push(i);
    else targets.set(frame, [i]);
  }
  const groups = groupFrames(recording, [...targets.keys()].sort((a, b) => a - b));
  signal?.throwIfAborted();
  const jobs = groups.map((group) => (jobSignal: AbortSignal) => {
    const place = (local: number, bytes: Uint8Array) => {
      for (const position of targets.get(group.first + local)!) {
        data.set(bytes, position * frameSize);
      }
    };
    const live = group.frames.at(-1)! + 1 - group.frames[0]! <= LIVE_SPAN;
    return decodeWanted(source, group.video, group.frames, { place, signal: jobSignal, live });
  });
  await runPool(jobs, recording.concurrency, signal);
  return data;
}

/** Groups ascending frames by file, joining frames that one decode reaches cheaply. */
function groupFrames(recording: Recording, wanted: readonly number[]): Group[] {
  const groups: Group[] = [];
  for (const frame of wanted) {
    const file = fileOf(recording, frame);
    const video = recording.videos[file]!;
    const local = frame - recording.firstFrames[file]!;
    const last = groups.at(-1);
    // Frames joined when near, or when a decode of the later one would start at or before
    // the earlier one anyway (no seek point between them).
    const joins = last !== undefined && last.video === video &&
      (local - last.frames.at(-1)! <= MAX_GAP || seekPointAtOrBefore(video, local) <=
          last.frames.at(-1)!);
    if (joins) {
      last.frames.push(local);
    } else {
      groups.push({ video, first: recording.firstFrames[file]!, frames: [local] });
    }
  }
  return groups;
}
