/**
 * Planning decodes: how a range of frames is split among ffmpeg processes.
 *
 * @module
 */

import type { FrameRange, Piece, Recording } from "../model.ts";

/**
 * The fewest frames worth a process of their own when a range is split for parallel decoding:
 * starting ffmpeg and seeking costs about as much as decoding a few frames.
 */
const MIN_CHUNK = 96;

/**
 * Splits pieces so that `concurrency` decoders share the work evenly: about two chunks per
 * decoder, each starting on a keyframe so no frame is decoded only to be thrown away.
 */
export function balance(pieces: Piece[], concurrency: number): Piece[] {
  if (concurrency < 2) return pieces;
  const total = pieces.reduce((sum, piece) => sum + piece.count, 0);
  return split(pieces, Math.max(MIN_CHUNK, Math.ceil(total / (2 * concurrency))));
}

/**
 * Splits pieces into chunks of at most about `chunk` frames, each after the first starting on
 * a keyframe (a chunk may run past `chunk` to reach one). Pieces of files that cannot seek stay
 * whole.
 *
 * @param pieces The ranges to split.
 * @param chunk The chunk size aimed at, in frames.
 * @returns Contiguous chunks covering the same frames in the same order.
 */
export function split(pieces: Piece[], chunk: number): Piece[] {
  const result: Piece[] = [];
  for (const piece of pieces) {
    const parts = Math.ceil(piece.count / chunk);
    const seekPoints = piece.video.seekPoints;
    if (parts < 2) {
      result.push(piece);
      continue;
    }
    const end = piece.start + piece.count;
    let from = piece.start;
    for (let part = 1; part <= parts; part++) {
      let to = part === parts ? end : Math.round(piece.start + (part * piece.count) / parts);
      while (to < end && !seekPoints[to]) to++;
      if (to - from < chunk / 2 && to < end) continue;
      result.push({
        video: piece.video,
        start: from,
        count: to - from,
        at: piece.at + from - piece.start,
      });
      from = to;
      if (from >= end) break;
    }
  }
  return result;
}

/** The file of `recording` holding frame `frame` of the whole recording. */
export function fileOf(recording: Recording, frame: number): number {
  const firsts = recording.firstFrames;
  let low = 0;
  let high = firsts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (firsts[mid]! <= frame) low = mid;
    else high = mid - 1;
  }
  // Files without frames share their first index with the next one: skip past them.
  while (recording.videos[low]!.frameCount === 0) low++;
  return low;
}

/**
 * Splits frames `range` of the whole recording into per-file pieces; a piece's `at` is its
 * offset from `range.start`.
 */
export function piecesOf(recording: Recording, range: FrameRange): Piece[] {
  const pieces: Piece[] = [];
  let frame = range.start;
  const stop = range.start + range.count;
  while (frame < stop) {
    const file = fileOf(recording, frame);
    const video = recording.videos[file]!;
    const start = frame - recording.firstFrames[file]!;
    const count = Math.min(video.frameCount - start, stop - frame);
    pieces.push({ video, start, count, at: frame - range.start });
    frame += count;
  }
  return pieces;
}
