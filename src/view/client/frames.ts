/**
 * The viewer page's frames of a device: a bounded cache and one request at a time, the latest
 * frame wanted winning, with a few frames fetched ahead in the direction of travel.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, DeviceInfo, Frames, FramesModule, Picture } from "./types.ts";

/**
 * The frames module.
 *
 * @param modules `common` and `pictures`.
 * @returns The `Frames` class and `travel`, the direction of travel every device reads ahead in.
 */
export function framesModule(
  { common, pictures }: Pick<ClientModules, "common" | "pictures">,
): FramesModule {
  /** Which way the page moves: 1 forward, -1 backward. Set by the main device's moves. */
  const travel = { direction: 1 };

  /** Frames of one device: a bounded cache and one request at a time, the latest wins. */
  class DeviceFrames implements Frames {
    readonly device: number;
    readonly colour: boolean;
    readonly samples: number;
    readonly cache = new Map<number, Picture>();
    wanted = -1;
    busy = false;
    onFrame: (index: number, picture: Picture) => void = () => {};
    constructor(device: DeviceInfo) {
      this.device = device.id;
      this.colour = device.channels === 3;
      this.samples = device.samples;
    }
    show(index: number): void {
      this.wanted = index;
      const cached = this.cache.get(index);
      if (cached) {
        this.cache.delete(index);
        this.cache.set(index, cached);
        this.onFrame(index, cached);
        return;
      }
      if (!this.busy) void this.fetch(index);
    }
    async fetch(index: number): Promise<void> {
      this.busy = true;
      let ok = true;
      try {
        const picture = await pictures.decodePng(
          await fetch(`api/frames/${index}?device=${this.device}&ahead=${travel.direction}`),
          this.colour,
        );
        this.cache.set(index, picture);
        if (this.cache.size > 256) this.cache.delete(this.cache.keys().next().value!);
        if (index === this.wanted) this.onFrame(index, picture);
      } catch (error) {
        ok = false;
        common.status(String(error));
      } finally {
        this.busy = false;
      }
      if (!ok) return;
      if (!this.cache.has(this.wanted)) void this.fetch(this.wanted);
      else this.ahead(index);
    }
    /** Fetches a few frames ahead in the direction of travel while nothing else is asked. */
    ahead(index: number): void {
      const next = index + travel.direction;
      if (next < 0 || next >= this.samples || this.busy || Math.abs(next - this.wanted) > 4) {
        return;
      }
      if (this.cache.has(next)) this.ahead(next);
      else void this.fetch(next);
    }
  }

  return { Frames: DeviceFrames, travel };
}
