/**
 * The viewer page's core: loads the recording's facts, shows frames of the main device, and
 * sets up the panels in order. A panel is a module of its own under `client/` (see
 * `../client.ts` for the list).
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Info, Panel, Viewer, ViewerModule } from "./types.ts";

/**
 * The viewer module.
 *
 * @param modules `common`, `pictures` and `frames`.
 * @returns `start`, which runs the page with the given panels.
 */
export function viewerModule(
  { common, pictures, frames }: Pick<ClientModules, "common" | "pictures" | "frames">,
): ViewerModule {
  async function run(panels: Panel[]): Promise<void> {
    const info: Info = await (await fetch("api/info")).json();
    // The page's address may name the device to show (`?device=2`); else the first.
    const chosen = Number(new URLSearchParams(location.search).get("device") ?? 0);
    const main = info.devices[chosen] ?? info.devices[0]!;
    const times = await common.timestamps(main.id);
    const view = new pictures.View("frame", "pixel-value", true);
    const mainFrames = new frames.Frames(main);
    const listeners: ((index: number) => void)[] = [];
    let current = 0;
    mainFrames.onFrame = (index, picture) => {
      view.draw(picture);
      current = index;
      for (const listener of listeners) listener(index);
    };
    const viewer: Viewer = {
      info,
      main,
      times,
      view,
      frames: mainFrames,
      go(index: number) {
        const k = Math.max(0, Math.min(main.samples - 1, Math.round(index)));
        frames.travel.direction = k >= mainFrames.wanted ? 1 : -1;
        mainFrames.show(k);
      },
      current: () => current,
      onShow: (listener) => void listeners.push(listener),
    };
    for (const panel of panels) await panel(viewer);
    viewer.go(0);
  }

  /** Runs the page: the panels are set up in order, then frame 0 is shown. */
  function start(panels: Panel[]): void {
    run(panels).catch((error) => common.status(`Cannot show the recording: ${error}`));
  }

  return { start };
}
