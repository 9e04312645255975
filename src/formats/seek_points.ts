/**
 * Where a decode may start and still give exactly the frames of a decode of the whole file.
 *
 * A frame is a seek point when decoding from its chunk on yields it first and every later frame
 * in the same order as a decode from the start. Every keyframe is one in intra-only codecs and
 * in codecs that never reorder frames (FFV1, MJPG, GREY, MPEG-4 part 2 without B-frames). With
 * B-frames, frames are stored in decode order and shown in another; an H.264 IDR picture still
 * starts a clean group, but an MPEG-4 part 2 I-frame may be followed by B-frames shown before
 * it that need the previous group (an open GOP). Where the bitstream does not prove a keyframe
 * clean, only frame 0 is a seek point: reads are then decoded from the start of the file, which
 * is slower but exact.
 *
 * @module
 */

import { codecOf } from "../codecs.ts";
import type { ByteSource, DecodePlan, FrameRange, VideoFile } from "../model.ts";

/** Bytes read from the start of an H.264 keyframe to find its first NAL units. */
const H264_HEAD = 256;
/**
 * Bytes read of an MPEG-4 part 2 frame: all of it in practice, as a "packed" frame holds a
 * B-VOP after its P-VOP.
 */
const MPEG4_HEAD = 1 << 20;

/** What the seek points are computed from. */
export interface SeekPointInput {
  /** The codec FourCC. */
  codec: string;
  /** Whether the keyframe flags come from an index (not from scanning chunks). */
  indexed: boolean;
  /** The index's keyframe flags. */
  keyframeFlags: Uint8Array;
  /** Byte offset of each frame's data. */
  frameOffsets: Float64Array;
  /** Byte size of each frame's data. */
  frameSizes: Uint32Array;
}

/** Where decodes of a stream may start, and whether they must read past the frames wanted. */
export interface SeekPoints {
  /** 1 for each frame a decode may start at; frame 0 always is one. */
  points: Uint8Array;
  /**
   * Whether frames may be stored before frames shown earlier (B-frames), so that a decode of a
   * range needs the chunks after it, up to the next seek point.
   */
  reorders: boolean;
}

/**
 * Finds the seek points of a video stream by its codec's seek rule (see `codecs.ts`), reading
 * frames where the rule needs it (MPEG-4 part 2: every frame, to find B-frames; H.264: the
 * start of keyframes, to find IDR pictures).
 *
 * @param source The file.
 * @param input Codec, index and keyframe flags.
 * @returns The seek points and whether frames are reordered.
 */
export async function findSeekPoints(
  source: ByteSource,
  input: SeekPointInput,
): Promise<SeekPoints> {
  const { keyframeFlags, frameOffsets, frameSizes } = input;
  const count = keyframeFlags.length;
  const onlyFirst = new Uint8Array(count);
  if (count > 0) onlyFirst[0] = 1;
  const head = (k: number, limit: number) =>
    source.read(frameOffsets[k]!, Math.min(limit, frameSizes[k]!));
  const rule = codecOf(input.codec)?.seek ?? "first-frame";
  switch (rule) {
    case "every-frame":
      return { points: new Uint8Array(count).fill(1), reorders: false };
    case "keyframes":
      return { points: input.indexed ? keyframeFlags : onlyFirst, reorders: false };
    case "first-frame":
      return { points: onlyFirst, reorders: true };
    case "keyframes-without-b-frames": {
      if (!input.indexed) return { points: onlyFirst, reorders: true };
      for (let k = 0; k < count; k++) {
        if (mpeg4HasBFrame(await head(k, MPEG4_HEAD))) return { points: onlyFirst, reorders: true };
      }
      return { points: keyframeFlags, reorders: false };
    }
    case "idr-pictures": {
      if (!input.indexed) return { points: onlyFirst, reorders: true };
      const points = onlyFirst.slice();
      for (let k = 1; k < count; k++) {
        if (keyframeFlags[k] && h264IsIdr(await head(k, H264_HEAD))) points[k] = 1;
      }
      return { points, reorders: true };
    }
  }
}

/**
 * The last frame at or before `frame` that a decode may start at.
 *
 * @param video The file.
 * @param frame A frame of it.
 * @returns The seek point.
 */
export function seekPointAtOrBefore(video: VideoFile, frame: number): number {
  let first = frame;
  while (first > 0 && !video.seekPoints[first]) first--;
  return first;
}

/**
 * Picks the chunks that decode `range` exactly: from the seek point at or before its start, to
 * its end or, when the codec reorders frames (B-frames), to the next seek point, so that every
 * chunk of the groups of pictures involved is there.
 *
 * @param video The file.
 * @param range The frames wanted.
 * @returns The chunks to feed and the frames to drop.
 */
export function planDecode(video: VideoFile, range: FrameRange): DecodePlan {
  const first = seekPointAtOrBefore(video, range.start);
  let end = range.start + range.count;
  while (video.reorders && end < video.frameCount && !video.seekPoints[end]) end++;
  return { first, end, skip: range.start - first };
}

/** Offsets just past each `00 00 01` start code in `bytes`. */
function* startCodes(bytes: Uint8Array): Generator<number> {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) yield i + 3;
  }
}

/** Whether an MPEG-4 part 2 frame holds a B-VOP (a frame shown before one stored earlier). */
export function mpeg4HasBFrame(bytes: Uint8Array): boolean {
  for (const at of startCodes(bytes)) {
    // A VOP start code (B6) is followed by its coding type in the top two bits: 2 is B.
    if (bytes[at] === 0xb6 && at + 1 < bytes.length && bytes[at + 1]! >> 6 === 2) return true;
  }
  return false;
}

/** Whether an H.264 frame in Annex B form starts an IDR picture (NAL unit type 5). */
export function h264IsIdr(bytes: Uint8Array): boolean {
  for (const at of startCodes(bytes)) {
    if (at < bytes.length && (bytes[at]! & 0x1f) === 5) return true;
  }
  return false;
}
